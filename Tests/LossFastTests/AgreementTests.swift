import LossCore
import LossFast
import LossSpec
import Testing

/// Random cases of every loss, seeded: realistic inputs of each loss's domain, random shapes,
/// dims, weights, aggregations and scalar targets.
struct CaseGenerator {
  var rng: SplitMix64
  let dtype: DType

  init(seed: UInt64, dtype: DType) {
    rng = SplitMix64(seed: seed)
    self.dtype = dtype
  }

  mutating func uniform(_ a: Double, _ b: Double) -> Double { Double.random(in: a..<b, using: &rng) }
  mutating func chance(_ p: Double) -> Bool { uniform(0, 1) < p }
  mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
  mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }

  /// A signed value of random magnitude (10^−3 … 10^3).
  mutating func signed() -> Double {
    let m = powerOfTen(uniform(-3, 3))
    return (chance(0.5) ? -m : m)
  }

  mutating func value(_ loss: LossID, role: String) -> Double {
    let v: Double
    switch (loss, role) {
    case (.mae, _), (.mse, _), (.huberLoss, _): v = signed()
    case (.msle, _): v = chance(0.1) ? 0 : uniform(0, 10)
    case (.crossentropy, "yhat"), (.kldivergence, "yhat"), (.binarycrossentropy, "yhat"):
      v = chance(0.05) ? pick([0, 1]) : uniform(0, 1)
    case (.crossentropy, _), (.kldivergence, _): v = chance(0.3) ? 0 : uniform(0, 1)
    case (.binarycrossentropy, _): v = chance(0.7) ? pick([0, 1]) : uniform(0, 1)
    case (.logitcrossentropy, "yhat"), (.logitbinarycrossentropy, "yhat"): v = uniform(-8, 8)
    case (.logitcrossentropy, _): v = chance(0.5) ? pick([0, 1]) : uniform(0, 1)
    case (.logitbinarycrossentropy, _): v = chance(0.7) ? pick([0, 1]) : uniform(0, 1)
    case (.poissonLoss, "yhat"): v = chance(0.05) ? 0 : uniform(0, 6)
    case (.poissonLoss, _): v = Double(int(0...6))
    case (.hinge, "yhat"), (.squaredHinge, "yhat"): v = uniform(-3, 3)
    case (.hinge, _), (.squaredHinge, _): v = pick([-1, 1])
    case (.diceCoeffLoss, "yhat"), (.tverskyLoss, "yhat"): v = uniform(0, 1)
    case (.diceCoeffLoss, _), (.tverskyLoss, _): v = chance(0.8) ? pick([0, 1]) : uniform(0, 1)

    }
    return dtype.round(v)
  }

  mutating func request(_ loss: LossID, id: String) -> LossRequest {
    var params = LossParameters()
    var shape: [Int]
    if loss.reducesOverDims {
      shape = [int(1...6), int(1...5)]
      if chance(0.2) { shape.append(int(1...3)) }
      if chance(0.1) { shape = [int(1...8)] }
      if chance(0.4) {
        let options: [[Int]] = [[1], [2], [1, 2], [2, 1], [3], [1, 3]]
        params.dims = pick(options)
      }
      if loss != .kldivergence && chance(0.4) {
        if chance(0.5) {
          params.weight = .scalar(dtype.round(uniform(0.1, 3)))
        } else {
          let wshape = chance(0.5) ? [shape[0]] : [1, shape.count > 1 ? shape[1] : 1]
          let count = wshape.reduce(1, *)
          params.weight = .array(
            try! Tensor(shape: Shape(wshape), values: (0..<count).map { _ in dtype.round(uniform(0.1, 3)) }))
        }
      }
    } else {
      shape = [chance(0.05) ? 0 : int(1...40)]
      if chance(0.15) { shape = [int(1...5), int(1...5)] }
    }
    if loss.takesAggregation { params.agg = pick([Aggregation.mean, .mean, .sum, Aggregation.none]) }
    switch loss {
    case .msle, .binarycrossentropy, .crossentropy, .kldivergence:
      if chance(0.3) { params.eps = pick([0, 1e-7, 1e-3]) }
    case .huberLoss: if chance(0.5) { params.delta = pick([0.5, 2, 0.1]) }
    case .diceCoeffLoss: if chance(0.5) { params.smooth = pick([0, 0.5, 2]) }
    case .tverskyLoss: if chance(0.5) { params.beta = pick([0, 0.3, 1]) }
    default: break
    }
    let n = shape.reduce(1, *)
    let yhat = (0..<n).map { _ in value(loss, role: "yhat") }
    let target: Target
    if !loss.reducesOverDims && chance(0.15) {
      target = .scalar(value(loss, role: "y"))
    } else {
      target = .array(try! Tensor(shape: Shape(shape), values: (0..<n).map { _ in value(loss, role: "y") }))
    }
    return LossRequest(
      id: id, loss: loss, dtype: dtype, yhat: try! Tensor(shape: Shape(shape), values: yhat), y: target,
      params: params)
  }
}

/// `10^x` without Foundation.
func powerOfTen(_ x: Double) -> Double { VectorMathTestSupport.exp(x * 2.302585092994046) }

enum VectorMathTestSupport {
  static func exp(_ x: Double) -> Double {
    #if canImport(Glibc)
      return Glibc.exp(x)
    #else
      return Darwin.exp(x)
    #endif
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Compares LossFast with LossSpec on one request: the same outcome class, and accuracy by
/// dtype. Returns the grades of the finite values (for the worst-case tables); `each`, when
/// given, is called with every finite value, LossSpec's result and the value's index.
@discardableResult
func checkAgreement(
  _ request: LossRequest, threads: Int? = nil, worst: inout WorstCases,
  each: ((_ result: Double, _ spec: SpecResult, _ index: Int) -> Void)? = nil,
  sourceLocation: SourceLocation = #_sourceLocation
) -> [Grade] {
  let fast = FastImplementation(threads: threads).evaluateSynchronously(request)
  let (expected, spec) = specOutcome(request)
  let fastClass = outcomeClass(fast)
  let specClass = outcomeClass(expected)
  if KnownLimitation.applies(to: request) {
    if fastClass != specClass {
      KnownLimitation.record(
        "\(request.loss.rawValue) \(request.dtype.rawValue) \(request.id): fast \(fast) vs spec \(expected)")
    }
    return []
  }
  #expect(
    fastClass == specClass,
    "\(request.loss) \(request.dtype) \(request.params): fast \(fast) vs spec \(expected) on ŷ=\(request.yhat.values.prefix(12)) y=\(request.y)",
    sourceLocation: sourceLocation)
  guard let spec, case .value(let value) = fast, fastClass == specClass else { return [] }
  let values = value.values
  #expect(values.count == spec.float64.count, sourceLocation: sourceLocation)
  var grades: [Grade] = []
  for (i, r) in values.enumerated() where i < spec.float64.count {
    let v = spec.float64[i]
    guard v.isFinite, r.isFinite else {
      #expect(OutcomeClass(value: r) == OutcomeClass(value: spec.rounded[i]), sourceLocation: sourceLocation)
      continue
    }
    let grade = Grade(result: r, spec: spec, index: i)
    grades.append(grade)
    each?(r, spec, i)
    let n = Double(Swift.max(2, request.yhat.count))
    let condition = spec.errorScale[i] / Swift.abs(v)
    // Tables: well-conditioned cases (S ≤ 4|v| for Float64, S ≤ 2²⁰|v| for Float32) apart.
    let wellConditioned =
      request.dtype == .float64 ? condition <= 4 * (1 + 0x1p-20) : !(condition > Float32Bound.maximumCondition)
    let key = "\(request.loss.rawValue) \(request.dtype.rawValue)\(wellConditioned ? "" : " ill-cond.")"
    worst.record(key, grade, "r=\(r) v=\(v) n=\(request.yhat.count) \(request.params.agg.map { "\($0)" } ?? "")")
    switch request.dtype {
    case .float32:
      if Swift.abs(v) >= Double(Float.leastNormalMagnitude) && !(condition > Float32Bound.maximumCondition) {
        #expect(
          grade.faithful, "Float32 not faithful: \(grade), r=\(r) exact≈\(spec.exact[i]) \(request)",
          sourceLocation: sourceLocation)
      } else {
        #expect(
          grade.ulps <= 1 || grade.scaled <= 2 * log2(n), "Float32 subnormal or ill-conditioned: \(grade)",
          sourceLocation: sourceLocation)
      }
    case .float64:
      // Well conditioned: the error scale is within a small factor of the value.
      let conditioned = spec.errorScale[i] <= 4 * Swift.abs(v) * (1 + 0x1p-20)
      if conditioned {
        #expect(
          grade.ulps <= 2,
          "Float64 beyond 2 ulps on a well-conditioned case: \(grade), r=\(r) v=\(v) S=\(spec.errorScale[i]) \(request)",
          sourceLocation: sourceLocation)
      }
      #expect(
        !spec.errorScale[i].isFinite || grade.scaled <= Float64Bound.c * log2(n) || grade.ulps <= 2,
        "Float64 beyond the error-scale bound: \(grade), r=\(r) v=\(v) S=\(spec.errorScale[i]) \(request)",
        sourceLocation: sourceLocation)
    case .float16, .bfloat16:
      // Half data is widened and reduced like Float32 data and rounded once: faithful wherever
      // Float32 is.
      if Swift.abs(v) >= request.dtype.leastNormalMagnitude && !(condition > Float32Bound.maximumCondition) {
        #expect(
          grade.faithful, "\(request.dtype.rawValue) not faithful: \(grade), r=\(r) exact≈\(spec.exact[i]) \(request)",
          sourceLocation: sourceLocation)
      }
    }
  }
  return grades
}

/// Float32 results are computed in Double: faithful whenever the loss's condition number
/// `S/|v|` (LossSpec's error scale over the value) is below 2²⁰, since the Double evaluation then
/// errs by less than `2⁻⁵³·c·S ≤ 2⁻³³·|v|`. Beyond (catastrophic cancellation between terms of
/// magnitude 2²⁰·|v| or more, e.g. tversky with ±3e38 inputs) they meet the error-scale bound.
enum Float32Bound {
  static let maximumCondition = 0x1p20
}

/// Float64 inputs beyond 2⁵⁰⁰ in magnitude for the losses that multiply two inputs (hinge,
/// squared_hinge, logitbinarycrossentropy, tversky, the class-reducing losses, poisson): a
/// product overflows Double although the exact result may be finite. LossFast rescales only
/// the homogeneous losses (mae, mse, huber_loss, dice) and handles msle by logarithms; the rest
/// are a documented limitation, counted and printed here instead of asserted.
enum KnownLimitation {
  static let rescaled: Set<LossID> = [.mae, .mse, .huberLoss, .diceCoeffLoss, .msle]

  static func applies(to request: LossRequest) -> Bool {
    guard request.dtype == .float64, !rescaled.contains(request.loss) else { return false }
    var values = request.yhat.values
    switch request.y {
    case .scalar(let v): values.append(v)
    case .array(let t): values += t.values
    }
    return values.contains { $0.isFinite && Swift.abs($0) > 0x1p500 }
  }

  static func record(_ what: String) {
    print("known limitation (Float64 beyond 2^500, products overflow): \(what)")
  }
}

/// The Float64 error-scale bound `|r − v| ≤ c · log₂(n) · u · S` (DESIGN.md's `stable` tier):
/// LossFast's compensated sums leave the terms' own roundings (a few `u·|term|` each, which `S`
/// counts) and a final rounding, so `c = 2` holds with margin (measured worst: see the tables).
enum Float64Bound {
  static let c = 2.0
}

@Suite("LossFast agrees with LossSpec")
struct AgreementTests {
  static let seeds: [UInt64] = [1, 2, 3, 4, 5]

  @Test("random cases, every loss, Float32 and Float64", arguments: LossID.allCases)
  func random(loss: LossID) {
    var worst = WorstCases()
    for dtype in DType.allCases {
      for seed in Self.seeds {
        var generator = CaseGenerator(seed: seed &* 1_000_003 &+ UInt64(loss.rawValue.count), dtype: dtype)
        for k in 0..<40 {
          checkAgreement(generator.request(loss, id: "\(loss)-\(seed)-\(k)"), worst: &worst)
        }
      }
    }
    worst.report("random \(loss.rawValue)")
  }
}
