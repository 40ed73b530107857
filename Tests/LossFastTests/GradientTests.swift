import LossCore
import LossFast
import LossSpec
import Testing

/// How one LossFast gradient element compares with LossSpec's exact gradient element.
///
/// Tiers, best first: `correctlyRounded` (the bits of LossSpec's correctly rounded value; NaN
/// for NaN, the same infinity), `subgradient` (a kink: inside LossSpec's `[lower, upper]`),
/// `oneUlp` (within one ulp of the correctly rounded value, in the dtype), `stable` (within
/// ``GradientGrade/stableBound`` of `u·S`, `S` LossSpec's per-element error scale: the derivative
/// formula cancels there, so ulps are not the measure), `divergent` (anything else, or another
/// outcome class).
struct GradientGrade {
  enum Tier: Int, Comparable, CaseIterable, CustomStringConvertible {
    case correctlyRounded, subgradient, oneUlp, stable, divergent
    static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }
    var description: String {
      switch self {
      case .correctlyRounded: "correctly rounded"
      case .subgradient: "subgradient"
      case .oneUlp: "≤ 1 ulp"
      case .stable: "stable (u·S)"
      case .divergent: "divergent"
      }
    }
  }

  /// `|r − v| ≤ stableBound·u·S`: a backward-stable evaluation of the derivative formula errs
  /// by a small multiple of `u·S` (each summand a few roundings of its own, the pair's
  /// combination one more); 16 leaves room for the Float64 kernels' ~1-ulp logarithms and
  /// exponentials in each summand.
  static let stableBound = 16.0

  var tier: Tier
  var ulps: Double
  var scaled: Double

  init(actual r: Double, expected: GradientElement, scale: Double, dtype: DType) {
    switch expected {
    case .subgradient(let lower, let upper):
      if r >= lower && r <= upper {
        tier = .subgradient
        ulps = 0
        scaled = 0
      } else {
        tier = .divergent
        ulps = .infinity
        scaled = .infinity
      }
    case .value(let v):
      if r == v || (r.isNaN && v.isNaN) {
        tier = .correctlyRounded
        ulps = 0
        scaled = 0
        return
      }
      guard r.isFinite, v.isFinite else {
        tier = .divergent
        ulps = .infinity
        scaled = .infinity
        return
      }
      ulps = _LossTestSupport.ulps(r, v, in: dtype)
      scaled = scale > 0 && scale.isFinite ? Swift.abs(r - v) / (dtype.unitRoundoff * scale) : .infinity
      if ulps <= 1 {
        tier = .oneUlp
      } else if scaled <= Self.stableBound {
        tier = .stable
      } else {
        tier = .divergent
      }
    }
  }
}

/// The agreement of one loss and dtype: element counts per tier, and the worst element in ulps
/// (among the elements graded by ulps) with its input.
struct GradientTally {
  var counts: [GradientGrade.Tier: Int] = [:]
  var worstUlps = 0.0
  var worstUlpsInput = ""
  var worstScaled = 0.0
  var worstScaledInput = ""
  var elements = 0

  mutating func record(_ grade: GradientGrade, _ input: @autoclosure () -> String) {
    counts[grade.tier, default: 0] += 1
    elements += 1
    if grade.tier == .oneUlp || grade.tier == .stable, grade.ulps > worstUlps {
      worstUlps = grade.ulps
      worstUlpsInput = input()
    }
    if grade.tier == .stable, grade.scaled > worstScaled {
      worstScaled = grade.scaled
      worstScaledInput = input()
    }
  }

  var row: String {
    let tiers = GradientGrade.Tier.allCases.map { "\(counts[$0, default: 0])" }.joined(separator: " / ")
    let ulps = "\((worstUlps * 1000).rounded() / 1000)"
    return "\(elements) elements, tiers CR/sub/≤1ulp/stable/divergent \(tiers); worst \(ulps) ulps at \(worstUlpsInput)"
      + (worstScaled > 0 ? "; worst stable \((worstScaled * 100).rounded() / 100)·u·S at \(worstScaledInput)" : "")
  }
}

/// Random requests with a gradient, for one loss and dtype: the agreement tests' inputs
/// (``CaseGenerator``: shapes, dims, weights, parameters, scalar targets) with each aggregation
/// and a random cotangent for `agg = none`.
func gradientRequests(_ loss: LossID, dtype: DType, seeds: Range<UInt64>) -> [LossRequest] {
  var requests: [LossRequest] = []
  for seed in seeds {
    var generator = CaseGenerator(seed: 0x6EAD_0000 ^ seed ^ UInt64(loss.rawValue.hashValue & 0xFFFF), dtype: dtype)
    let base = generator.request(loss, id: "\(loss.rawValue)-\(dtype.rawValue)-\(seed)")
    let aggregations: [Aggregation] = loss.takesAggregation ? [.mean, .sum, .none] : [.mean]
    for agg in aggregations {
      for withTarget in [false, true] {
        var request = base
        if loss.takesAggregation { request.params.agg = agg }
        var cotangent: [Double]? = nil
        if agg == .none, let (_, params) = try? request.validated() {
          let count = request.unreducedCount(dims: params.dims)
          cotangent = (0..<count).map { _ in dtype.round(generator.uniform(-2, 2)) }
        }
        request.gradient = GradientRequest(withTarget: withTarget, cotangent: cotangent)
        requests.append(request)
      }
    }
  }
  return requests
}

/// Grades LossFast's gradient of `request` against LossSpec's, element by element, into
/// `tally`; records an issue for a divergent element or a different outcome.
func checkGradient(
  _ request: LossRequest, tally: inout GradientTally, sourceLocation: SourceLocation = #_sourceLocation
) {
  let answer = FastImplementation(threads: 1).answerSynchronously(request)
  let spec: SpecGradient
  do {
    spec = try LossSpec.gradient(request)
  } catch {
    #expect(
      answer.outcome == .error(error) || outcomeClass(answer.outcome) == outcomeClass(.error(error)),
      "\(request.id): spec \(error), fast \(answer.outcome)", sourceLocation: sourceLocation)
    return
  }
  guard case .gradient(let fast)? = answer.gradient else {
    Issue.record("\(request.id): no fast gradient: \(answer)", sourceLocation: sourceLocation)
    return
  }
  func grade(_ actual: [Double], _ expected: [GradientElement], _ scales: [Double], _ what: String) {
    #expect(actual.count == expected.count, "\(request.id) \(what): \(actual.count) vs \(expected.count) elements")
    for (i, e) in expected.enumerated() where i < actual.count {
      let g = GradientGrade(actual: actual[i], expected: e, scale: scales[i], dtype: request.dtype)
      let input: () -> String = {
        let y: String
        switch request.y {
        case .scalar(let v): y = "\(v)"
        case .array(let t): y = "\(t.values[i])"
        }
        let agg = request.params.agg.map { "\($0)" } ?? "mean"
        return
          "\(what)[\(i)] ŷ=\(request.yhat.values[i]) y=\(y) agg=\(agg) n=\(request.yhat.count): fast \(actual[i]) exact \(e)"
      }
      tally.record(g, input())
      #expect(
        g.tier != .divergent,
        "\(request.id) \(what)[\(i)]: fast \(actual[i]) vs exact \(e) (S = \(scales[i]), \(g.ulps) ulps, \(g.scaled)·u·S) in \(request)",
        sourceLocation: sourceLocation)
    }
  }
  grade(fast.yhat, spec.yhat, spec.yhatErrorScale, "∂ŷ")
  if let y = spec.y {
    guard let fy = fast.y else {
      Issue.record("\(request.id): no y-gradient", sourceLocation: sourceLocation)
      return
    }
    grade(fy, y, spec.yErrorScale ?? [], "∂y")
  } else {
    #expect(fast.y == nil)
  }
}

@Suite("LossFast gradients: agreement with LossSpec's exact gradient")
struct GradientAgreementTests {
  /// Seeds per loss and dtype (each × 3 aggregations × with/without ∂y); more with
  /// `LOSSFAST_GRADIENT_TABLE=1`, which also prints the per-loss table.
  static let seeds: Range<UInt64> = environmentFlag("LOSSFAST_GRADIENT_TABLE") ? 0..<40 : 0..<6

  @Test(
    "every element correctly rounded, within 1 ulp, a subgradient, or stable where the derivative cancels",
    arguments: LossID.allCases)
  func agreement(loss: LossID) {
    for dtype in DType.allCases {
      var tally = GradientTally()
      for request in gradientRequests(loss, dtype: dtype, seeds: Self.seeds) {
        checkGradient(request, tally: &tally)
      }
      print("gradient agreement \(loss.rawValue) \(dtype.rawValue): \(tally.row)")
    }
  }

  /// Regimes the random inputs rarely reach: kinks, saturated logits, zero targets, poles.
  @Test("edge inputs: kinks, saturated logits, zero targets, ϵ = 0, non-finite inputs")
  func edges() {
    func request(
      _ loss: LossID, _ dtype: DType, _ yhat: [Double], _ y: Target, shape: [Int]? = nil,
      params: LossParameters = .init()
    ) -> LossRequest {
      let s = Shape(shape ?? [yhat.count])
      return LossRequest(
        id: "edge-\(loss.rawValue)", loss: loss, dtype: dtype, yhat: try! Tensor(shape: s, values: yhat), y: y,
        params: params, gradient: GradientRequest(withTarget: true))
    }
    var cases: [LossRequest] = []
    for dtype in DType.allCases {
      let t = { (v: [Double]) in Target.array(Tensor(v)) }
      cases += [
        request(.mae, dtype, [1, 2, -3, 0], t([1, 2.5, -3, 0])),
        request(.hinge, dtype, [1, -1, 0.5, 2], t([1, -1, 1, -1])),
        request(.squaredHinge, dtype, [1, -1, 0.5, 2], t([1, -1, 1, -1])),
        request(.huberLoss, dtype, [2, -1, 0.25], t([1, 0, 0.25])),
        request(.logitcrossentropy, dtype, [430, -430, 0, 50, -50, 0], t([1, 0, 0, 0, 1, 0]), shape: [3, 2]),
        request(.logitcrossentropy, dtype, [.infinity, 0, 1, 2], t([0, 1, 1, 0]), shape: [2, 2]),
        request(
          .logitbinarycrossentropy, dtype, [50, -50, 100, -100, 0, .infinity, -.infinity], t([0, 1, 0, 1, 0.5, 1, 0])),
        request(.binarycrossentropy, dtype, [0.5, 1e-3, 0.999, 0, 1], t([0, 1, 0, 0, 1])),
        request(.crossentropy, dtype, [0, 0.5, 0.25, 0.25], t([0, 1, 0.5, 0.5]), shape: [2, 2]),
        request(
          .crossentropy, dtype, [0, 0.5, 0.25, 0.25], t([0, 1, 0.5, 0.5]), shape: [2, 2], params: .init(eps: 0)),
        request(.kldivergence, dtype, [0.5, 0.5, 0.25, 0.75], t([0, 1, 0.25, 0.75]), shape: [2, 2]),
        request(
          .kldivergence, dtype, [0.5, 0.5, 0.25, 0.75], t([0, 1, 0.25, 0.75]), shape: [2, 2], params: .init(eps: 0)),
        request(.poissonLoss, dtype, [0, 1, 2, 0], t([0, 0, 3, 2])),
        request(.msle, dtype, [0, 1, 2, 3], t([0, 1, 2.5, 3])),
        request(.mse, dtype, [.nan, 1, .infinity], t([0, 1, 2])),
        request(.diceCoeffLoss, dtype, [0, 0, 0], t([0, 0, 0])),
        request(.tverskyLoss, dtype, [1, 0, 0.5], t([1, 0, 0.5])),
        request(.binarycrossentropy, dtype, [0.1, 0.2, 0.9], .scalar(1)),
        request(.mse, dtype, [0.1, 0.2, 0.9], .scalar(0.5)),
      ]
    }
    var tally = GradientTally()
    for c in cases { checkGradient(c, tally: &tally) }
    print("gradient agreement edges: \(tally.row)")
  }
}

@Suite("LossFast gradients: determinism, buffers, API")
struct GradientAPITests {
  /// The gradient (and ∂y) of `loss` on a large input with `threads` threads, as bits.
  static func run<T: LossFastFloat>(_ loss: LossID, _ yhat: [T], _ y: [T], scalarY: Bool, threads: Int) throws
    -> [UInt64]
  {
    let classes = 10
    let shape = loss.reducesOverDims ? [classes, yhat.count / classes] : nil
    var g = [T](repeating: 0, count: yhat.count)
    var gy = [T](repeating: 0, count: scalarY ? 1 : y.count)
    let value = try g.withUnsafeMutableBufferPointer { g in
      try gy.withUnsafeMutableBufferPointer { gy in
        scalarY
          ? try LossFast.valueAndGradient(
            loss, yhat, LossFast.Target<T>.scalar(y[0]), shape: shape, into: g, yGradient: gy, threads: threads)
          : try LossFast.valueAndGradient(loss, yhat, y, shape: shape, into: g, yGradient: gy, threads: threads)
      }
    }
    func bits(_ x: T) -> UInt64 { UInt64(truncatingIfNeeded: Double(x).bitPattern) }
    return [bits(value)] + g.map(bits) + gy.map(bits)
  }

  /// Expected values by exact arithmetic: squared_hinge's mean over two elements at ŷ = −10³⁰⁸,
  /// y = 1 has `∂ŷ₀ = −2·(1 + 10³⁰⁸)/2 = −(1 + 10³⁰⁸)`, whose nearest Double is −1e308, and
  /// `∂ŷ₁ = −2·½/2 = −½`; mse's `∂ŷ₀ = 2·(ŷ₀ − y₀)/2` is `ŷ₀ − y₀` rounded once (IEEE subtraction).
  /// `2·(1 − ŷ·y)` and `2·(ŷ − y)` alone overflow: the 2 must be applied with the mean's division.
  @Test("mse's and squared_hinge's Float64 derivatives stay finite where twice the margin or difference overflows")
  func derivativesBeyondTheLargestDouble() throws {
    var g = [Double](repeating: 0, count: 2)
    _ = try g.withUnsafeMutableBufferPointer { g in
      try LossFast.valueAndGradient(.squaredHinge, [-1e308, 0.5], [1.0, 1], into: g)
    }
    #expect(g == [-1e308, -0.5], "squared_hinge: \(g)")
    _ = try g.withUnsafeMutableBufferPointer { g in
      try LossFast.valueAndGradient(.mse, [1e308, 0], [-5e307, 0.25], into: g)
    }
    #expect(g == [1e308 - -5e307, -0.25], "mse: \(g)")
    // A cotangent (agg = none) takes the same care: ∂ŷ₀ = 2·(1 + 10³⁰⁸)·¼ rounds to 5e307.
    let cotangent: [Double] = [-0.25, 1]
    try cotangent.withUnsafeBufferPointer { c in
      try g.withUnsafeMutableBufferPointer { g in
        try LossFast.valueAndGradient(.squaredHinge, [-1e308, 0.5], [1.0, 1], cotangent: c, into: g)
      }
    }
    #expect(g == [5e307, -1], "squared_hinge with a cotangent: \(g)")
  }

  @Test("the same bits for 1, 2, 3 and 8 threads (values, ∂ŷ, ∂y, a scalar y's summed ∂y)", arguments: LossID.allCases)
  func determinism(loss: LossID) throws {
    try check(loss, Float.self)
    try check(loss, Double.self)
  }

  /// 65 540 elements (5 chunks; above the parallel threshold of every gradient pass, Float32
  /// mse's being the lowest at 2 cost units per element), or DeterminismTests' long count with
  /// `LOSSFAST_LONG=1`.
  static let count = environmentFlag("LOSSFAST_LONG") ? DeterminismTests.count : 65_540

  func check<T: LossFastFloat>(_ loss: LossID, _: T.Type) throws {
    let (yhat, y) = DeterminismTests.inputs(loss, count: Self.count, as: T.self)
    let scalarY = [.mse, .binarycrossentropy].contains(loss)
    let reference = try Self.run(loss, yhat, y, scalarY: false, threads: 1)
    #expect(reference.count == 1 + 2 * yhat.count)
    for threads in [2, 3, 8] {
      let other = try Self.run(loss, yhat, y, scalarY: false, threads: threads)
      #expect(other == reference, "\(loss) \(T.self): different bits with \(threads) threads")
    }
    if scalarY {
      let single = try Self.run(loss, yhat, y, scalarY: true, threads: 1)
      for threads in [2, 3, 8] {
        let other = try Self.run(loss, yhat, y, scalarY: true, threads: threads)
        #expect(other == single, "\(loss) \(T.self), scalar y: different bits with \(threads) threads")
      }
    }
  }

  @Test("a buffer of the wrong length is an ArgumentError naming the buffer and both counts, never a trap")
  func badBuffers() {
    let yhat: [Float] = [0.25, 0.5, 0.75]
    let y: [Float] = [0, 1, 1]
    var short = [Float](repeating: 0, count: 2)
    var long = [Float](repeating: 0, count: 4)
    func message(_ body: () throws(LossError) -> Void) -> String? {
      do {
        try body()
        return nil
      } catch {
        #expect(error.kind == .argumentError)
        return error.message
      }
    }
    let m1 = short.withUnsafeMutableBufferPointer { g in
      message { () throws(LossError) in _ = try LossFast.valueAndGradient(.mse, yhat, y, into: g) }
    }
    #expect(m1?.contains("gradient buffer has 2 elements, ŷ has 3") == true, "\(m1 ?? "no error")")
    var g3 = [Float](repeating: 0, count: 3)
    let m2 = g3.withUnsafeMutableBufferPointer { g in
      long.withUnsafeMutableBufferPointer { gy in
        message { () throws(LossError) in _ = try LossFast.valueAndGradient(.mse, yhat, y, into: g, yGradient: gy) }
      }
    }
    #expect(m2?.contains("y-gradient buffer has 4 elements, y has 3") == true, "\(m2 ?? "no error")")
    let m3 = g3.withUnsafeMutableBufferPointer { g in
      short.withUnsafeMutableBufferPointer { gy in
        message { () throws(LossError) in
          _ = try LossFast.valueAndGradient(.mse, yhat, Float(1), into: g, yGradient: gy)
        }
      }
    }
    #expect(m3?.contains("y-gradient buffer has 2 elements, y has 1") == true, "\(m3 ?? "no error")")
    let m4 = g3.withUnsafeMutableBufferPointer { g in
      message { () throws(LossError) in try LossFast.valueAndGradient(.mse, yhat, y, cotangent: [1, 2], into: g) }
    }
    #expect(m4?.contains("cotangent has 2 elements, the unreduced result has 3") == true, "\(m4 ?? "no error")")
    let m5 = g3.withUnsafeMutableBufferPointer { g in
      long.withUnsafeMutableBufferPointer { v in
        message { () throws(LossError) in
          try LossFast.valueAndGradient(.mse, yhat, y, cotangent: nil, values: v, into: g)
        }
      }
    }
    #expect(m5?.contains("values buffer has 4 elements, the unreduced result has 3") == true, "\(m5 ?? "no error")")
    // A class-reducing loss: the unreduced result has a value per sample.
    var g4 = [Float](repeating: 0, count: 4)
    let m6 = g4.withUnsafeMutableBufferPointer { g in
      message { () throws(LossError) in
        try LossFast.valueAndGradient(
          .logitcrossentropy, [1, 2, 3, 4] as [Float], [0, 1, 1, 0] as [Float], shape: [2, 2], cotangent: [1, 1, 1],
          into: g)
      }
    }
    #expect(m6?.contains("cotangent has 3 elements, the unreduced result has 2") == true, "\(m6 ?? "no error")")
    // A parameter the loss does not take, and agg = none for dice.
    let m7 = g3.withUnsafeMutableBufferPointer { g in
      message { () throws(LossError) in _ = try LossFast.valueAndGradient(.mse, yhat, y, eps: 1e-3, into: g) }
    }
    #expect(m7?.contains("mse takes no 'eps'") == true, "\(m7 ?? "no error")")
    let m8 = g3.withUnsafeMutableBufferPointer { g in
      message { () throws(LossError) in
        try LossFast.valueAndGradient(.diceCoeffLoss, yhat, y, cotangent: nil, into: g)
      }
    }
    #expect(m8?.contains("takes no agg") == true, "\(m8 ?? "no error")")
  }

  @Test("the shape and domain errors of the value come first; such a case has no gradient")
  func valueErrors() {
    #expect(throws: LossError.self) {
      _ = try LossFast.valueAndGradient(.binarycrossentropy, [-2.0, 0.5] as [Double], [1.0, 0] as [Double])
    }
    #expect(throws: LossError.self) {
      _ = try LossFast.valueAndGradient(.mse, [1.0, 2] as [Double], [1.0, 2, 3] as [Double])
    }
  }

  @Test("the array forms equal the buffer forms, and the value equals the value functions' within rounding")
  func arrayForms() throws {
    let (yhat, y) = DeterminismTests.inputs(.logitcrossentropy, count: 1000, as: Float.self)
    let r = try LossFast.valueAndGradient(.logitcrossentropy, yhat, y, shape: [10, 100], withTarget: true)
    var g = [Float](repeating: 0, count: 1000)
    var gy = [Float](repeating: 0, count: 1000)
    let v = try g.withUnsafeMutableBufferPointer { g in
      try gy.withUnsafeMutableBufferPointer { gy in
        try LossFast.valueAndGradient(.logitcrossentropy, yhat, y, shape: [10, 100], into: g, yGradient: gy)
      }
    }
    #expect(r.value == v && r.yhat == g && r.y == gy)
    let plain = try LossFast.logitcrossentropy(yhat, y, shape: [10, 100])
    #expect(Swift.abs(Double(plain) - Double(v)) <= Double(plain.ulp))
    // agg = none: the values are the value path's unreduced values (within rounding).
    let none = try LossFast.valueAndGradient(.mse, yhat, y, cotangent: nil)
    var terms = [Float](repeating: 0, count: 1000)
    try terms.withUnsafeMutableBufferPointer { try LossFast.mse(yhat, y, into: $0) }
    #expect(none.values == terms)
  }

  @Test("the implementation advertises gradients and answers them (LossSpec's values for a simple case)")
  func implementation() throws {
    let fast = FastImplementation(threads: 1)
    #expect(fast.hello.gradients)
    let request = LossRequest(
      loss: .mse, dtype: .float64, yhat: Tensor([1, 2]), y: .array(Tensor([0, 0])),
      gradient: GradientRequest(withTarget: true))
    let answer = fast.answerSynchronously(request)
    let spec = try LossSpec.gradient(request)
    #expect(answer.gradient == .gradient(spec.lossGradient))
    #expect(
      fast.answerSynchronously(LossRequest(loss: .mse, dtype: .float64, yhat: Tensor([1]), y: .scalar(0))).gradient
        == nil)
  }
}

@Suite("LossFast gradients: exact zeros")
struct GradientExactZeroTests {
  /// dice with a zero target and `smooth = 0` is the constant 1, so its gradient is exactly 0
  /// (LossSpec's): the `E/D²` form once left roundings of `ŷᵢ/D` (5e−18) there, graded
  /// divergent against an error scale of 0 (seen in CI, where the rounding of the two sums
  /// fell apart).
  @Test("dice's gradient at N = 0 is exactly LossSpec's 0", arguments: DType.allCases)
  func diceAtZeroNumerator(_ dtype: DType) throws {
    let values = (0..<25).map { dtype.round(0.05 + 0.037 * Double($0)) }
    let request = LossRequest(
      loss: .diceCoeffLoss, dtype: dtype, yhat: try Tensor(shape: Shape([5, 5]), values: values), y: .scalar(0),
      params: .init(smooth: 0), gradient: GradientRequest())
    let exact = try LossSpec.gradient(request)
    #expect(exact.yhat.allSatisfy { $0 == .value(0) })
    for threads in [1, 2] {
      let answer = FastImplementation(threads: threads).answerSynchronously(request)
      guard case .gradient(let g)? = answer.gradient else {
        Issue.record("no gradient: \(answer)")
        continue
      }
      #expect(g.yhat.allSatisfy { $0 == 0 }, "\(g.yhat)")
    }
  }
}
