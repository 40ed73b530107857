import Foundation
import LossCore
import Testing

@testable import LossConformance

/// A golden case with a hand-written expectation (no reference needed).
func golden(
  _ loss: LossID = .mae, dtype: DType = .float64, count: Int = 1, agg: Aggregation? = nil,
  exact: String, float32: Double, float64: Double, scale: Double, regime: Regime = .benign
) -> GoldenCase {
  let request = LossRequest(
    loss: loss, dtype: dtype, yhat: Tensor([Double](repeating: 0, count: count)),
    y: .array(Tensor([Double](repeating: 0, count: count))), params: LossParameters(agg: agg))
  return GoldenCase(
    request: request,
    expectation: Expectation(
      outcome: .scalar, exact: [exact], float32: [float32], float64: [float64], errorScale: [scale], regime: regime))
}

func errorCase(_ kind: LossError.Kind, dtype: DType = .float64) -> GoldenCase {
  GoldenCase(
    request: LossRequest(loss: .msle, dtype: dtype, yhat: Tensor([-0.5]), y: .array(Tensor([1]))),
    expectation: Expectation(outcome: .error(kind), regime: .edge))
}

@Suite("Verdicts: tiers of a number")
struct NumberVerdictTests {
  /// 0.1 is not a Float64: its nearest double c is 5.55e-18 above it (ulp 1.39e-17).
  let tenth = golden(
    exact: "0.1", float32: Double(Float(0.1)), float64: 0.1, scale: 1)

  @Test("the correctly rounded value is correctlyRounded")
  func correctlyRounded() throws {
    let verdict = try #require(Grader.grade(tenth, outcome: .value(.scalar(0.1))))
    #expect(verdict.tier == .correctlyRounded)
    #expect(verdict.ulps == 0)
  }

  @Test("the other neighbour of a non-representable value is faithful (0.6 ulps)")
  func faithful() throws {
    let verdict = try #require(Grader.grade(tenth, outcome: .value(.scalar(0.1.nextDown))))
    #expect(verdict.tier == .faithful)
    let ulps = try #require(verdict.ulps)
    #expect(abs(ulps - 0.6) < 0.01, "0.1 − nextDown(c) = 1.39e-17 − 5.55e-18 = 0.6 ulp")
  }

  @Test("two ulps off is stable when u·S bounds it: scaled = |r − v| / (u·S)")
  func stable() throws {
    let verdict = try #require(Grader.grade(tenth, outcome: .value(.scalar(0.1.nextUp.nextUp))))
    #expect(verdict.tier == .stable)
    let scaled = try #require(verdict.scaled)
    // v lies 5.55e-18 below c: |r − v| = 2·1.39e-17 + 5.55e-18 = 3.33e-17; u·S = 1.11e-16.
    #expect(abs(scaled - 0.3) < 0.01)
  }

  @Test("an exactly representable value one ulp off is not faithful (exactly 1 ulp)")
  func exactlyOneULP() throws {
    let half = golden(exact: "0.5", float32: 0.5, float64: 0.5, scale: 1)
    let verdict = try #require(Grader.grade(half, outcome: .value(.scalar(0.5.nextUp))))
    #expect(verdict.ulps == 1)
    #expect(verdict.tier == .stable)
  }

  @Test("a value written rounded to 45 digits grades as exact when the answer is its double")
  func snapsToRepresentable() throws {
    // The double nearest 0.1, written to 45 significant digits (its expansion has 55).
    let written = golden(
      exact: "1.00000000000000005551115123125782702118158340e-1", float32: Double(Float(0.1)), float64: 0.1, scale: 1)
    let verdict = try #require(Grader.grade(written, outcome: .value(.scalar(0.1.nextUp))))
    #expect(verdict.ulps == 1, "the 45-digit spelling of c is c")
  }

  @Test("acceptable lies between the pairwise and the recursive bound; beyond is divergent")
  func acceptableAndDivergent() throws {
    // n = 1000: stable ≤ 2·log₂(1001) + 8 ≈ 27.9, acceptable ≤ 2008.
    let sum = golden(count: 1000, exact: "1", float32: 1, float64: 1, scale: 1)
    let u = 0x1p-53
    let acceptable = try #require(Grader.grade(sum, outcome: .value(.scalar(1 + 500 * 2 * u))))
    #expect(acceptable.tier == .acceptable)
    #expect(abs(acceptable.stableBound - (2 * log2(1001) + 8)) < 1e-9)
    #expect(acceptable.acceptableBound == 2008)
    let divergent = try #require(Grader.grade(sum, outcome: .value(.scalar(1 + 2000 * 2 * u))))
    #expect(divergent.tier == .divergent)
    #expect(divergent.note.contains("u·S"))
  }

  @Test("Float32 answers are measured in Float32 ulps and u = 2⁻²⁴")
  func float32Units() throws {
    let c = Double(Float(0.1))
    let tenth32 = golden(dtype: .float32, exact: "0.1", float32: c, float64: 0.1, scale: 1)
    let next = Double(Float(0.1).nextUp)
    let verdict = try #require(Grader.grade(tenth32, outcome: .value(.scalar(next))))
    let ulps = try #require(verdict.ulps)
    // c = 0.1 + 1.49e-9, ulp = 7.45e-9: nextUp is 1.2 ulps from 0.1.
    #expect(abs(ulps - 1.2) < 0.01)
    #expect(verdict.tier == .stable)
  }

  @Test("a finite exact value just past the overflow threshold: ∞ is correct, the largest finite is faithful")
  func overflow() throws {
    let huge = golden(
      dtype: .float32, exact: "3.4028236e38", float32: .infinity, float64: 3.4028236e38, scale: 3.5e38,
      regime: .extreme)
    #expect(Grader.grade(huge, outcome: .value(.scalar(.infinity)))?.tier == .correctlyRounded)
    #expect(Grader.grade(huge, outcome: .value(.scalar(Double(Float.greatestFiniteMagnitude))))?.tier == .faithful)
    #expect(Grader.grade(huge, outcome: .value(.scalar(-.infinity)))?.tier == .divergent)
  }

  @Test("an overflow to ∞ where the exact value is representable is divergent")
  func spuriousOverflow() throws {
    let big = golden(dtype: .float32, exact: "3e38", float32: Double(Float(3e38)), float64: 3e38, scale: 6e38)
    let verdict = try #require(Grader.grade(big, outcome: .value(.scalar(.infinity))))
    #expect(verdict.tier == .divergent)
    #expect(verdict.note.contains("overflow"))
  }

  @Test("exact zero with zero scale: only zero (of either sign) passes")
  func exactZero() throws {
    let zero = golden(exact: "0", float32: 0, float64: 0, scale: 0)
    #expect(Grader.grade(zero, outcome: .value(.scalar(-0.0)))?.tier == .correctlyRounded)
    #expect(Grader.grade(zero, outcome: .value(.scalar(1e-300)))?.tier == .divergent)
  }

  @Test("values far below the formats (exponents of 30 digits) grade like zero")
  func astronomicallySmall() throws {
    let tiny = golden(exact: "2.5e-434294481903251827651128918916605082294397", float32: 0, float64: 0, scale: 1e-300)
    #expect(Grader.grade(tiny, outcome: .value(.scalar(0)))?.tier == .correctlyRounded)
    #expect(Grader.grade(tiny, outcome: .value(.scalar(.leastNonzeroMagnitude)))?.tier == .faithful)
  }
}

@Suite("Verdicts: outcome classes")
struct OutcomeVerdictTests {
  let value = golden(exact: "1.5", float32: 1.5, float64: 1.5, scale: 3)

  @Test("NaN for a number, a number for NaN, the sign of ∞ are divergent")
  func nonFinite() throws {
    #expect(Grader.grade(value, outcome: .value(.scalar(.nan)))?.tier == .divergent)
    let nan = golden(exact: "NaN", float32: .nan, float64: .nan, scale: .infinity, regime: .edge)
    #expect(Grader.grade(nan, outcome: .value(.scalar(.nan)))?.tier == .correctlyRounded)
    #expect(Grader.grade(nan, outcome: .value(.scalar(0)))?.tier == .divergent)
    let inf = golden(exact: "Infinity", float32: .infinity, float64: .infinity, scale: .infinity, regime: .edge)
    #expect(Grader.grade(inf, outcome: .value(.scalar(.infinity)))?.tier == .correctlyRounded)
    #expect(Grader.grade(inf, outcome: .value(.scalar(-.infinity)))?.tier == .divergent)
  }

  @Test("errors: the same kind matches, another kind or a value is divergent")
  func errors() throws {
    let domain = errorCase(.domainError)
    #expect(Grader.grade(domain, outcome: .error(.domainError("log of −0.5")))?.tier == .correctlyRounded)
    let other = try #require(Grader.grade(domain, outcome: .error(.argumentError("bad"))))
    #expect(other.tier == .divergent)
    #expect(other.note.contains("expected DomainError, got ArgumentError"))
    #expect(Grader.grade(domain, outcome: .value(.scalar(1)))?.tier == .divergent)
    #expect(Grader.grade(value, outcome: .error(.dimensionMismatch("shapes")))?.tier == .divergent)
  }

  @Test("NaN for a DomainError: divergent by default, acceptable when allowed, flagged either way")
  func nanForDomainError() throws {
    let domain = errorCase(.domainError)
    let strict = try #require(Grader.grade(domain, outcome: .value(.scalar(.nan))))
    #expect(strict.tier == .divergent)
    #expect(strict.nanForDomainError)
    let lenient = try #require(
      Grader.grade(domain, outcome: .value(.scalar(.nan)), options: GradingOptions(allowNaNForDomainError: true)))
    #expect(lenient.tier == .acceptable)
    #expect(lenient.nanForDomainError)
    // Only for DomainError: NaN for a DimensionMismatch stays divergent.
    let mismatch = errorCase(.dimensionMismatch)
    #expect(
      Grader.grade(mismatch, outcome: .value(.scalar(.nan)), options: GradingOptions(allowNaNForDomainError: true))?
        .tier == .divergent)
  }

  @Test("an unsupported answer is not graded")
  func unsupported() {
    #expect(Grader.grade(value, outcome: .unsupported("no float32")) == nil)
  }

  @Test("arrays: the shape must match, the worst element decides")
  func arrays() throws {
    let request = LossRequest(
      loss: .mae, dtype: .float64, yhat: Tensor([0, 0, 0]), y: .array(Tensor([0, 0, 0])),
      params: LossParameters(agg: Aggregation.none))
    let expected = GoldenCase(
      request: request,
      expectation: Expectation(
        outcome: .array(Shape([3])), exact: ["1", "0.1", "NaN"], float32: [1, Double(Float(0.1)), .nan],
        float64: [1, 0.1, .nan], errorScale: [2, 0.2, .infinity], regime: .benign))
    let right = try #require(Grader.grade(expected, outcome: .value(.array(Tensor([1, 0.1, .nan])))))
    #expect(right.tier == .correctlyRounded)
    let off = try #require(Grader.grade(expected, outcome: .value(.array(Tensor([1, 0.1.nextDown, .nan])))))
    #expect(off.tier == .faithful)
    #expect(off.worstIndex == 1)
    let dropped = try #require(Grader.grade(expected, outcome: .value(.array(Tensor([1, 0.1, 0])))))
    #expect(dropped.tier == .divergent)
    #expect(dropped.worstIndex == 2)
    let reshaped = try #require(
      Grader.grade(expected, outcome: .value(.array(try Tensor(shape: Shape([1, 3]), values: [1, 0.1, .nan])))))
    #expect(reshaped.tier == .divergent)
    #expect(reshaped.note.contains("shape"))
    #expect(Grader.grade(expected, outcome: .value(.scalar(1)))?.tier == .divergent)
  }

  @Test("a 0-dimensional array answers a scalar case")
  func zeroDimensional() throws {
    let answer = LossValue.array(Tensor(scalar: 1.5))
    #expect(Grader.grade(value, outcome: .value(answer))?.tier == .correctlyRounded)
  }
}

@Suite("Verdicts: the number of terms and the bounds")
struct TermCountTests {
  @Test(
    "n is every element for a reduced value, the dims block for agg none of a class loss, 1 elementwise",
    arguments: [
      (LossID.mse, Aggregation?.none, [3, 4], [Int]?.none, 12),
      (.mse, .some(Aggregation.none), [3, 4], nil, 1),
      (.crossentropy, .some(Aggregation.none), [3, 4], nil, 3),
      (.crossentropy, .some(Aggregation.none), [3, 4], [1, 2], 12),
      (.crossentropy, .some(Aggregation.none), [3, 4], [3], 1),
      (.diceCoeffLoss, nil, [5], nil, 5),
    ])
  func termCount(loss: LossID, agg: Aggregation?, shape: [Int], dims: [Int]?, expected: Int) throws {
    let n = Shape(shape).count
    var params = LossParameters(agg: loss.takesAggregation ? agg : nil)
    params.dims = dims
    let request = LossRequest(
      loss: loss, dtype: .float32, yhat: try Tensor(shape: Shape(shape), values: [Double](repeating: 0.5, count: n)),
      y: .scalar(1), params: params)
    #expect(Grader.termCount(request) == expected)
  }

  @Test("the bounds: stable 2·log₂(n+1) + 8, acceptable 2n + 8")
  func bounds() {
    let model = ToleranceModel.standard
    #expect(model.stableBound(terms: 1) == 10)
    #expect(model.acceptableBound(terms: 1) == 10)
    #expect(model.stableBound(terms: 0) == 8)
    #expect(abs(model.stableBound(terms: 1_000_000) - (2 * log2(1_000_001) + 8)) < 1e-9)
    #expect(model.acceptableBound(terms: 1_000_000) == 2_000_008)
    #expect(model.explanation.contains("2·log₂(n+1) + 8"))
  }
}

@Suite("Exact rationals")
struct ExactRationalTests {
  @Test("decimals parse exactly; Doubles convert exactly; huge exponents clamp")
  func parsing() throws {
    let a = try #require(ExactRational(decimal: "1.25e2"))
    #expect(a == ExactRational(125)!)
    #expect(ExactRational(decimal: "-0.0")?.isZero == true)
    #expect(ExactRational(decimal: "NaN") == nil)
    #expect(ExactRational(decimal: "1e") == nil)
    let tenth = try #require(ExactRational(decimal: "0.1"))
    #expect(tenth != ExactRational(0.1)!)
    #expect(abs((ExactRational(0.1)! - tenth).doubleValue - 5.551115123125783e-18) < 1e-30)
    let tiny = try #require(ExactRational(decimal: "1e-999999999999"))
    #expect(tiny.binade < -1300)
    #expect(ExactRational(Double.leastNonzeroMagnitude)!.binade == -1074)
    #expect(ExactRational(decimal: "3")!.binade == 1)
    #expect(ExactRational(decimal: "0.75")!.binade == -1)
  }
}
