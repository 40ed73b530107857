import LossCore
import Testing

@testable import LossSpec

/// Inputs above the parallel threshold (2048 elements): terms are evaluated on all cores and must
/// give exactly what the mathematics says.
@Suite struct LargeInputTests {
  /// The mean of n identical terms is that term: correctly rounded, so bit-identical to the
  /// one-element case.
  @Test(arguments: [LossID.binarycrossentropy, .logitbinarycrossentropy, .msle, .poissonLoss, .mse])
  func meanOfIdenticalTermsIsTheTerm(loss: LossID) throws {
    let n = 10_000
    let yhat = Double(Float(0.3))
    let y = 1.0
    let one = try spec(loss, [yhat], [y], dtype: .float32)
    let many = try spec(loss, [Double](repeating: yhat, count: n), [Double](repeating: y, count: n), dtype: .float32)
    #expect(many.float32 == one.float32)
    #expect(many.float64 == one.float64)
  }

  /// The sum of n identical terms is n times the term, exactly: for a term that is a dyadic the
  /// rounded results agree bit for bit.
  @Test func sumOfExactTermsScales() throws {
    let n = 6000
    let result = try spec(
      .mse, [Double](repeating: 1.5, count: n), [Double](repeating: 0, count: n),
      params: .init(agg: .sum))
    #expect(result.float64 == [2.25 * Double(n)])
  }

  /// With several bad elements, the error names the first one, as a sequential loop would.
  @Test func firstDomainErrorIsReported() throws {
    var yhat = [Double](repeating: 0.5, count: 6000)
    yhat[4500] = -2
    yhat[2500] = -3
    let y = [Double](repeating: 1, count: 6000)
    #expect {
      _ = try spec(.binarycrossentropy, yhat, y)
    } throws: { error in
      guard let e = error as? LossError else { return false }
      return e.kind == .domainError && e.message.contains("element 2501")
    }
  }
}

/// The error scale is finite for finite inputs, including zero targets (xlogx(0) = 0).
@Suite struct ErrorScaleTests {
  @Test func kldivergenceWithZeroTargetsHasAFiniteScale() throws {
    let result = try spec(.kldivergence, [0.25, 0.75], [0, 1], shape: [2, 1])
    #expect(result.errorScale[0].isFinite)
    #expect(result.errorScale[0] > 0)
  }
}

/// Regression: a ratio whose approximation rounds to 1.5 made log and log1p recurse forever.
@Suite struct LogReductionTests {
  @Test func msleRatioNearOneAndAHalf() throws {
    let value = try spec(.msle, [4.71], [3.14]).float64[0]
    #expect(value.isFinite && value > 0)
  }
}

/// Regression: dividing a ball centred on 0 added an absolute truncation error of 2^−precision,
/// so the log1p series of an argument that rounds to a ball around 0 (log of ŷ + ϵ with a
/// subnormal ϵ) never met its stopping bound: kldivergence(p, p; ϵ = 1e-323) ran forever.
/// Expected values from mpmath at 5000 bits (Conformance/oracle's method):
/// Σ y·log(y/(y + ϵ)), ϵ = 2⁻¹⁰⁷³ (the Double nearest 1e−323), = −2⁻¹⁰⁷²·(1 − 2.7e−1009), which rounds to −2⁻¹⁰⁷²; −log(1e−250 + 2⁻⁵²) =
/// 36.043653389117156089696070315825181539926006986733…
@Suite struct BallCentredOnZeroTests {
  @Test func kldivergenceWithSubnormalEpsilon() throws {
    let p = [0.11035537719726562, 0.5]
    let r = try spec(.kldivergence, p, p, params: LossParameters(eps: 0x1p-1073))
    #expect(r.float64[0] == -0x1p-1072)
  }

  @Test func exactDigitsOfATinyPrediction() throws {
    let request = LossRequest(
      loss: .crossentropy, dtype: .float64, yhat: try Tensor(shape: Shape([1]), values: [1e-250]),
      y: .array(try Tensor(shape: Shape([1]), values: [1])))
    let r = try LossSpec.evaluate(request, exactDigits: 40)
    #expect(r.exact[0].hasPrefix("3.60436533891171560896960703158251815399260"))  // 42 digits
  }
}

/// Regression: adding e^(x − m) for a logit 7·10¹¹ below the maximum (a midpoint with an exponent
/// near −10¹²) to an exact 1 aligned the mantissas exactly: a 134 GB allocation, and a crash.
/// Expected values by exact reasoning: logsoftmax = x − m − log(1 + e^−7e11) with
/// 0 < log(1 + e^−7e11) < e^−7e11, far below the smallest subnormal, so the losses round to
/// +0 and to 7·10¹¹ exactly.
@Suite struct FarApartTermsTests {
  @Test func logitcrossentropyWithAVeryDominatedLogit() throws {
    let dominated = try spec(.logitcrossentropy, [0, -7e11], [1, 0], shape: [2, 1])
    #expect(dominated.float64[0] == 0)
    #expect(dominated.float32[0] == 0)
    let dominant = try spec(.logitcrossentropy, [0, -7e11], [0, 1], shape: [2, 1])
    #expect(dominant.float64[0] == 7e11)
  }
}
