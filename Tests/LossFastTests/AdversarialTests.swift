import LossCore
import LossFast
import LossSpec
import Testing

/// Hand-made hard inputs: extremes, subnormals, saturated logits, ϵ-dominated probabilities,
/// cancellation near a perfect fit, non-finite values, domain errors, shape errors, empty
/// inputs, and the class-reducing layouts (dims, weights).
enum Adversarial {
  static let f32Max = Double(Float.greatestFiniteMagnitude)
  static let f32Tiny = Double(Float.leastNonzeroMagnitude)
  static let f32MinNormal = Double(Float.leastNormalMagnitude)

  /// Pairs (ŷ, y) of vectors for the elementwise losses, per dtype.
  static func vectors(_ dtype: DType) -> [(String, [Double], [Double])] {
    let big = dtype == .float32 ? f32Max : 1e300
    let tiny = dtype == .float32 ? f32Tiny : Double.leastNonzeroMagnitude
    let minNormal = dtype == .float32 ? f32MinNormal : 2.2250738585072014e-308
    let one = 1.0
    let justAbove = dtype == .float32 ? Double(Float(1).nextUp) : one.nextUp
    let justBelow = dtype == .float32 ? Double(Float(1).nextDown) : one.nextDown
    let cases: [(String, [Double], [Double])] = [
      ("two maxima (a Float32 mean that overflows when summed in Float32)", [big, big], [0, 0]),
      ("maxima of opposite signs", [big, -big], [-big, big]),
      ("subnormals", [tiny, 2 * tiny, -tiny], [0, tiny, tiny]),
      ("min normal", [minNormal, -minNormal], [0, minNormal]),
      ("near perfect fit", [justAbove, 1, justBelow, 0.5], [1, justBelow, 1, Double(Float(0.5).nextUp)]),
      ("exact fit", [0.25, 3, 7], [0.25, 3, 7]),
      ("saturated logits", [100, -100, 40, -40, 1e4, -1e4], [1, 0, 0, 1, 1, 0]),
      ("eps-dominated probabilities", [0, 1, 1e-30, 1 - 1e-8, justBelow, 1e-45], [1, 0, 1, 0, 1, 0]),
      ("mixed magnitudes", [1e-20, 1e20, -3, 0.1], [1e20, -1e-20, 3, 0.1]),
      ("tiny predictions against unit targets", [1e-10, 3e-12, 1e-30, 0.5], [0.5, 1, 2, 1e-10]),
      ("NaN", [0.5, .nan, 0.2], [1, 0, 0]),
      ("NaN target", [0.5, 0.3], [.nan, 0]),
      ("+Inf", [.infinity, 0.5], [1, 0]),
      ("-Inf", [-.infinity, 0.5], [1, 0]),
      ("Inf target", [0.5, 0.5], [.infinity, 0]),
      ("Inf − Inf", [.infinity, -.infinity], [.infinity, -.infinity]),
      ("negative probabilities (DomainError for the logs)", [-0.5, 0.5], [1, 0]),
      ("negative target", [0.5, 0.5], [-1, 0.5]),
      ("zero prediction, positive target", [0, 0.5], [1, 1]),
      ("y = −ϵ (zero denominator in msle)", [0.5, 1], [-(dtype.machineEpsilon), 1]),
      ("hinge boundary ŷ·y = 1", [1, -1, 0.5, 2], [1, -1, 2, 0.5]),
      ("huber boundary |ŷ − y| = δ", [1, 0, 2.5], [0, 1, 1.5]),
      ("empty", [], []),
      ("one element", [0.7], [1]),
    ]
    return cases.map { ($0.0, $0.1.map { dtype.round($0) }, $0.2.map { dtype.round($0) }) }
  }

  static func pow10(_ k: Int) -> Double {
    #if canImport(Glibc)
      Glibc.pow(10, Double(k))
    #else
      Darwin.pow(10, Double(k))
    #endif
  }

  static func log(_ x: Double) -> Double {
    #if canImport(Glibc)
      Glibc.log(x)
    #else
      Darwin.log(x)
    #endif
  }

  static func sin(_ x: Double) -> Double {
    #if canImport(Glibc)
      Glibc.sin(x)
    #else
      Darwin.sin(x)
    #endif
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("LossFast agrees with LossSpec on adversarial inputs")
struct AdversarialTests {
  static let elementwise: [LossID] = [
    .mae, .mse, .msle, .huberLoss, .binarycrossentropy, .logitbinarycrossentropy, .poissonLoss, .hinge,
    .squaredHinge, .diceCoeffLoss, .tverskyLoss,
  ]

  @Test("elementwise losses and dice/tversky: every adversarial vector, every agg", arguments: elementwise)
  func vectors(loss: LossID) {
    var worst = WorstCases()
    for dtype in DType.allCases {
      for (name, yhat, y) in Adversarial.vectors(dtype) {
        let aggs: [Aggregation?] = loss.takesAggregation ? [.mean, .sum, Aggregation.none] : [nil]
        for agg in aggs {
          let request = LossRequest(
            id: name, loss: loss, dtype: dtype, yhat: Tensor(yhat), y: .array(Tensor(y)),
            params: LossParameters(agg: agg))
          checkAgreement(request, worst: &worst)
        }
        // A scalar target.
        if let first = y.first {
          let request = LossRequest(id: name, loss: loss, dtype: dtype, yhat: Tensor(yhat), y: .scalar(first))
          checkAgreement(request, worst: &worst)
        }
      }
    }
    worst.report("adversarial \(loss.rawValue)")
  }

  @Test(
    "inputs spanning several chunks: the same agreement",
    arguments: [LossID.mse, .logitbinarycrossentropy, .crossentropy, .diceCoeffLoss])
  func chunks(loss: LossID) {
    var worst = WorstCases()
    let n = 2 * 16_384 + 13
    for dtype in DType.allCases {
      let yhat = (0..<n).map { dtype.round(0.5 + 0.4 * Adversarial.sin(Double($0))) }
      let y = (0..<n).map { dtype.round(0.5 + 0.4 * Adversarial.sin(Double($0) + 1e-3)) }
      let shape = loss.reducesOverDims ? [13, n / 13] : [n]
      let count = shape.reduce(1, *)
      let request = LossRequest(
        loss: loss, dtype: dtype, yhat: try! Tensor(shape: Shape(shape), values: Array(yhat.prefix(count))),
        y: .array(try! Tensor(shape: Shape(shape), values: Array(y.prefix(count)))))
      checkAgreement(request, threads: 2, worst: &worst)
    }
    worst.report("chunks \(loss.rawValue)")
  }

  @Test("a y of another shape is a DimensionMismatch", arguments: LossID.allCases)
  func dimensionMismatch(loss: LossID) {
    let request = LossRequest(
      loss: loss, dtype: .float32, yhat: Tensor([0.5, 0.5, 0.5]), y: .array(Tensor([1, 0])))
    let outcome = FastImplementation().evaluateSynchronously(request)
    #expect(outcomeClass(outcome) == .dimensionMismatch)
    if case .error(let e) = outcome {
      #expect(e.message.contains("(3,)") && e.message.contains("(2,)"))
    }
  }

  static let classLosses: [LossID] = [.crossentropy, .logitcrossentropy, .kldivergence]

  /// Matrices with hard columns: a dominant class, all equal, saturated logits, zeros,
  /// non-finite entries, negative probabilities.
  static func matrices(_ dtype: DType) -> [(String, [Int], [Double], [Double])] {
    let r = dtype.round
    typealias Case = (String, [Int], [Double], [Double])
    var cases: [Case] = []
    cases.append(("one-hot, confident", [3, 2], [0.98, 0.01, 0.01, 0.2, 0.5, 0.3], [1, 0, 0, 0, 1, 0]) as Case)
    cases.append(("soft labels", [3, 2], [0.3, 0.3, 0.4, 0.1, 0.1, 0.8], [0.2, 0.3, 0.5, 0.4, 0.4, 0.2]) as Case)
    cases.append(("dominant logit", [4, 2], [50, 0, -50, 1, 700, 699, -700, 0], [1, 0, 0, 0, 0, 1, 0, 0]) as Case)
    cases.append(("ties at the maximum", [3, 1], [2, 2, 2], [0.5, 0.5, 0]) as Case)
    cases.append(("zeros", [2, 2], [0, 0, 0.5, 0.5], [0, 1, 0, 0]) as Case)
    cases.append(("NaN", [2, 2], [.nan, 0.5, 0.5, 0.5], [1, 0, 0, 1]) as Case)
    cases.append(("-Inf logit", [2, 2], [-.infinity, 0.5, 0.5, 0.5], [0, 1, 0, 1]) as Case)
    cases.append(("+Inf", [2, 2], [.infinity, 0.5, 0.5, 0.5], [1, 0, 0, 1]) as Case)
    cases.append(("negative prediction", [2, 2], [-0.1, 0.5, 0.5, 0.5], [0, 1, 0, 1]) as Case)
    cases.append(("negative target", [2, 2], [0.1, 0.5, 0.5, 0.5], [-1, 1, 0, 1]) as Case)
    cases.append(("empty classes", [0, 3], [], []) as Case)
    cases.append(("empty batch", [3, 0], [], []) as Case)
    cases.append(
      (
        "near-identical distributions", [3, 2], [0.2, 0.3, 0.5, 0.1, 0.6, 0.3].map(r),
        [0.2, 0.3, 0.5, 0.1, 0.6, 0.3].map { r($0 * (1 + 1e-7)) }
      ) as Case)
    cases.append(
      ("rank 3", [2, 3, 2], (0..<12).map { r(0.05 + 0.07 * Double($0)) }, (0..<12).map { Double($0 % 2) }) as Case)
    cases.append(
      (
        "many classes", [37, 3], (0..<111).map { r(0.001 + 0.009 * Double($0 % 37)) },
        (0..<111).map { Double($0 % 37 == 5 ? 1 : 0) }
      ) as Case)
    return cases.map { ($0.0, $0.1, $0.2.map(r), $0.3.map(r)) }
  }

  @Test("class-reducing losses: matrices × dims × weights × agg", arguments: classLosses)
  func matrices(loss: LossID) {
    var worst = WorstCases()
    for dtype in DType.allCases {
      for (name, shape, yhat, y) in Self.matrices(dtype) {
        let dimsOptions: [[Int]?] = [nil, [2], [1, 2]] + (shape.count == 3 ? [[1, 3], [3]] : [])
        for dims in dimsOptions {
          var weights: [Weight?] = [nil]
          if loss != .kldivergence {
            weights.append(.scalar(dtype.round(0.7)))
            let w0 = shape[0]
            weights.append(.array(try! Tensor(shape: [w0], values: (0..<w0).map { dtype.round(0.5 + Double($0)) })))
            if shape.count > 1 && name.hasPrefix("soft") {
              weights.append(
                .array(
                  try! Tensor(
                    shape: [1, shape[1]], values: (0..<shape[1]).map { dtype.round(1.5 - 0.25 * Double($0)) })))
            }
          }
          for weight in weights {
            for agg in [Aggregation.mean, .sum, Aggregation.none] {
              let request = LossRequest(
                id: name, loss: loss, dtype: dtype, yhat: try! Tensor(shape: Shape(shape), values: yhat),
                y: .array(try! Tensor(shape: Shape(shape), values: y)),
                params: LossParameters(agg: agg, dims: dims, weight: weight))
              checkAgreement(request, worst: &worst)
            }
          }
        }
      }
    }
    worst.report("adversarial \(loss.rawValue)")
  }

  @Test("parameters: eps, delta, smooth, beta at their edges")
  func parameters() {
    var worst = WorstCases()
    for dtype in DType.allCases {
      let yhat = Tensor([0, 0.3, 0.7, 1, 1e-6].map { dtype.round($0) })
      let y = Tensor([0, 1, 0.5, 1, 0].map { dtype.round($0) })
      var requests: [LossRequest] = []
      for eps in [0, 1e-12, 0.1, 1] as [Double] {
        for loss in [LossID.msle, .binarycrossentropy, .crossentropy, .kldivergence] {
          requests.append(
            LossRequest(loss: loss, dtype: dtype, yhat: yhat, y: .array(y), params: LossParameters(eps: eps)))
        }
      }
      for delta in [1e-30, 0.2, 1e30] as [Double] {
        requests.append(
          LossRequest(loss: .huberLoss, dtype: dtype, yhat: yhat, y: .array(y), params: LossParameters(delta: delta)))
      }
      for smooth in [0, 1e-30, 1e30] as [Double] {
        requests.append(
          LossRequest(
            loss: .diceCoeffLoss, dtype: dtype, yhat: yhat, y: .array(y), params: LossParameters(smooth: smooth)))
      }
      for beta in [0, 0.5, 1] as [Double] {
        requests.append(
          LossRequest(loss: .tverskyLoss, dtype: dtype, yhat: yhat, y: .array(y), params: LossParameters(beta: beta)))
      }
      for request in requests { checkAgreement(request, worst: &worst) }
      // Rejected parameters: ArgumentError, as LossSpec.
      for params in [
        LossParameters(eps: -1), LossParameters(delta: 0), LossParameters(smooth: -1), LossParameters(beta: 2),
      ] {
        for loss in LossID.allCases where params.present.isSubset(of: loss.acceptedParameters) {
          let request = LossRequest(loss: loss, dtype: dtype, yhat: yhat, y: .array(y), params: params)
          #expect(outcomeClass(FastImplementation().evaluateSynchronously(request)) == .argumentError)
        }
      }
    }
    worst.report("parameters")
  }
}

@Suite("Float64 class losses with subnormal labels")
struct SubnormalLabelTests {
  /// Found by `losscheck verify` (law implementation-agrees-with-reference, seed
  /// 16025889807314391776): LossFast gave 1.2e-322 (24·2⁻¹⁰⁷⁴) where the value is 21.53…·2⁻¹⁰⁷⁴.
  /// The expected value is exact arithmetic: −8·2⁻¹⁰⁷⁴·log q is 2⁻¹⁰⁷⁴ times
  /// `8·(−log q)` = 21.53…, whose rounding to an integer (22) no Double error in `log` can change,
  /// so the correctly rounded result is 22·2⁻¹⁰⁷⁴.
  @Test("crossentropy: one subnormal label with a weight, and spread over columns")
  func weightedSubnormalLabel() throws {
    let q = 0.06779904407354342
    let tiny = Double.leastNonzeroMagnitude
    let units = (8 * -Adversarial.log(q)).rounded()
    #expect(units == 22)
    let request = LossRequest(
      loss: .crossentropy, dtype: .float64, yhat: Tensor([q]), y: .array(Tensor([tiny])),
      params: LossParameters(weight: .scalar(8)))
    let outcome = FastImplementation().evaluateSynchronously(request)
    guard case .value(let value) = outcome else {
      Issue.record("expected a value, got \(outcome)")
      return
    }
    #expect(value.values == [units * tiny])
    // The same term in three columns: agg = none gives 22·2⁻¹⁰⁷⁴ per column; agg = sum is the
    // rounding of the exact total 3·21.53… = 64.6…, 65·2⁻¹⁰⁷⁴ (not the sum of rounded columns).
    let total = (3 * 8 * -Adversarial.log(q)).rounded()
    #expect(total == 65)
    for (agg, expected) in [(Aggregation.none, [units * tiny, units * tiny, units * tiny]), (.sum, [total * tiny])] {
      let spread = LossRequest(
        loss: .crossentropy, dtype: .float64, yhat: try Tensor(shape: [1, 3], values: [q, q, q]),
        y: .array(try Tensor(shape: [1, 3], values: [tiny, tiny, tiny])),
        params: LossParameters(agg: agg, weight: .scalar(8)))
      guard case .value(let v) = FastImplementation().evaluateSynchronously(spread) else {
        Issue.record("expected a value for agg \(agg)")
        continue
      }
      #expect(v.values == expected, "agg \(agg)")
    }
  }
}

@Suite("Float64 kldivergence near a perfect fit")
struct KLNearFitTests {
  /// The stability sweep `ŷ = p(1 + t), y = p` (Σŷ = Σy, ϵ = 0): the exact KL is about 0.14·t²
  /// while each term is about 0.2·t, so per-term rounding lost up to 50 bits (t = 10⁻¹⁵: 14%
  /// relative). The expected values are LossSpec's, correctly rounded (checked against the mpmath
  /// oracle in LossSpecTests); LossFast must be within 2 ulps.
  @Test("ŷ = p(1 + t) for t = 10⁻¹⁵ … 10⁻¹: within 2 ulps of the correctly rounded value")
  func nearFit() throws {
    let p = [0.2, 0.3, 0.5]
    for exponent in 1...15 {
      let t = Adversarial.pow10(-exponent)
      let yhat = [p[0] * (1 + t), p[1], p[2] - p[0] * t]
      let request = LossRequest(
        loss: .kldivergence, dtype: .float64, yhat: try Tensor(shape: [3, 1], values: yhat),
        y: .array(try Tensor(shape: [3, 1], values: p)), params: LossParameters(eps: 0))
      let spec = try LossSpec.evaluate(request)
      guard case .value(let value) = FastImplementation().evaluateSynchronously(request) else {
        Issue.record("t = 1e-\(exponent): no value")
        continue
      }
      let grade = Grade(result: value.values[0], spec: spec)
      #expect(grade.ulps <= 2, "t = 1e-\(exponent): \(grade)")
    }
  }
}
