import Foundation
import LossCore

/// A request planned for a golden vector, before the reference computes its expectation.
public struct PlannedCase: Sendable {
  public var request: LossRequest
  public var regime: Regime
  public var tags: [String]

  public init(request: LossRequest, regime: Regime, tags: [String]) {
    self.request = request
    self.regime = regime
    self.tags = tags
  }

  /// The golden case, with the reference's answer as its expectation. An error outcome adds the
  /// tag `error:<Kind>`; a non-finite value adds `result:nan` or `result:inf`.
  public func golden(_ evaluate: ReferenceEvaluator) -> GoldenCase {
    var tags = self.tags
    let expectation: Expectation
    switch evaluate(request) {
    case .error(let error):
      tags.append("error:\(error.kind.rawValue)")
      expectation = Expectation(outcome: .error(error.kind), regime: regime, tags: tags)
    case .value(let shape, let exact, let f32, let f64, let half, let scale):
      if exact.contains("NaN") { tags.append("result:nan") }
      if exact.contains(where: { $0.hasSuffix("Infinity") }) { tags.append("result:inf") }
      expectation = Expectation(
        outcome: shape.map { .array($0) } ?? .scalar, exact: exact, float32: f32, float64: f64, halfPrecision: half,
        errorScale: scale, regime: regime, tags: tags)
    }
    return GoldenCase(request: request, expectation: expectation)
  }
}

/// The reference's answer to a request: LossSpec's, passed in by the caller (the CLI), so that
/// this module does not link GSL.
public enum ReferenceAnswer: Sendable {
  /// `shape` is `nil` for a scalar result. `exact` holds decimals of at least 40 correct
  /// significant digits (or `NaN`, `Infinity`, `-Infinity`).
  /// `halfPrecision` holds the values correctly rounded to a Float16 or BFloat16 request's dtype
  /// (empty for the other dtypes).
  case value(
    shape: Shape?, exact: [String], float32: [Double], float64: [Double], halfPrecision: [Double],
    errorScale: [Double])
  case error(LossError)
}

/// Computes the reference answer to a request.
public typealias ReferenceEvaluator = @Sendable (LossRequest) -> ReferenceAnswer

/// Deterministic generation of the golden vectors (`losscheck vectors`).
///
/// For every loss and dtype, a catalogue of cases in three regimes:
///
/// - **benign**: random inputs from the loss's natural domain in every shape (0-d, vector,
///   matrix, 3-d, 64 and 300 elements) and aggregation, every `dims` combination (several dims,
///   dims beyond the rank), weights (scalar, per class, per sample, full), `eps` (0, custom),
///   `delta`, `smooth`, `beta`, scalar targets, and long constant vectors that expose sequential
///   float32 accumulation (tag `accumulation`);
/// - **edge**: empty inputs, NaN and ±∞, signed zeros and subnormals, shape mismatches, and each
///   loss's boundaries and error cases (`|ŷ − y| = δ`, `ŷ·y = 1`, `ŷ = 0` under a log with and
///   without `ϵ`, large logits, the DomainErrors of `log` and `xlogy`);
/// - **extreme**: magnitudes where a straightforward evaluation overflows or underflows in an
///   intermediate although the exact result is representable.
///
/// Last, Flux's shape rule (`_check_sizes`): pairs equal up to trailing dimensions of size 1
/// (tag `shape-trailing-one`) and pairs numpy or PyTorch would broadcast, DimensionMismatch errors
/// in Flux (tag `shape-broadcast-rejected`); and for logitcrossentropy, logits with a +∞ maximum
/// (NNlib's logsoftmax, tag `logsoftmax-infinite-max`).
///
/// The same seed gives the same requests, bit for bit, on every platform (`SeededRandom`);
/// the ids are content hashes of the requests (``GoldenCase/contentID(of:)``).
public struct VectorGenerator: Sendable {
  public static let defaultSeed: UInt64 = 20_250_501

  public var seed: UInt64

  public init(seed: UInt64 = VectorGenerator.defaultSeed) { self.seed = seed }

  /// Every planned case, loss by loss (in `LossID` order), float32 before float64; then the
  /// half-precision cases, loss by loss, float16 before bfloat16 (`CatalogueBuilder.buildHalfPrecision()`,
  /// with random streams of their own, so the Float32 and Float64 cases stay as they were).
  public func catalogue() -> [PlannedCase] {
    var all: [PlannedCase] = []
    for (lossIndex, loss) in LossID.allCases.enumerated() {
      for (dtypeIndex, dtype) in DType.standard.enumerated() {
        var builder = CatalogueBuilder(
          loss: loss, dtype: dtype, random: SeededRandom(seed: seed, stream: UInt64(lossIndex * 2 + dtypeIndex + 1)))
        builder.buildBenign()
        builder.buildEdge()
        builder.buildExtreme()
        // Appended last, so that the cases above (and their random draws) stay as they were.
        builder.buildShapeRule()
        builder.buildInfiniteLogits()
        all += builder.deduplicated()
      }
    }
    for (lossIndex, loss) in LossID.allCases.enumerated() {
      for (dtypeIndex, dtype) in DType.halfPrecision.enumerated() {
        var builder = CatalogueBuilder(
          loss: loss, dtype: dtype,
          random: SeededRandom(seed: seed, stream: UInt64(500 + lossIndex * 2 + dtypeIndex)))
        builder.buildHalfPrecision()
        all += builder.deduplicated()
      }
    }
    return all
  }

  /// The large cases of `--large`: per loss and dtype one case of `size` elements (a
  /// 10 × size/10 matrix for the class-reducing losses), random benign inputs, `agg = mean`.
  /// Their ids name the seed and size (`large-mse-f32-100000-s7`); their expectation is computed
  /// when the case is built.
  public func largeCases(size: Int, evaluate: @escaping ReferenceEvaluator) -> [CaseSource] {
    var sources: [CaseSource] = []
    for (lossIndex, loss) in LossID.allCases.enumerated() {
      for (dtypeIndex, dtype) in DType.standard.enumerated() {
        let seed = self.seed
        let id = "large-\(loss.rawValue)-\(dtype.shortName)-\(size)-s\(seed)"
        let tags = ["large", "size:\(size)"]
        sources.append(
          CaseSource(id: id, loss: loss, dtype: dtype, regime: .benign, tags: tags) {
            var builder = CatalogueBuilder(
              loss: loss, dtype: dtype,
              random: SeededRandom(seed: seed, stream: UInt64(1000 + lossIndex * 2 + dtypeIndex)))
            // Full-precision values: 10⁵ short decimals hit exact ratios such as 4.71/3.14 = 1.5,
            // on which LossSpec (as of this writing) recurses without end in msle.
            builder.shortDecimals = false
            let shape = loss.reducesOverDims ? [10, max(size / 10, 1)] : [size]
            let planned = builder.plan(shape: shape, params: LossParameters(), tags: tags)
            let golden = planned.golden(evaluate)
            return GoldenCase(id: id, request: golden.request, expectation: golden.expectation)
          })
      }
    }
    return sources
  }
}

/// Builds the catalogue of one loss and dtype.
struct CatalogueBuilder {
  let loss: LossID
  let dtype: DType
  var random: SeededRandom
  var cases: [PlannedCase] = []
  /// Whether half the random values are short decimals (golden vectors: short, readable lines);
  /// large cases use full-precision values only.
  var shortDecimals = true

  init(loss: LossID, dtype: DType, random: SeededRandom) {
    self.loss = loss
    self.dtype = dtype
    self.random = random
  }

  /// The largest finite value of the dtype, and magnitudes whose square overflows or underflows.
  var maxFinite: Double { dtype.greatestFiniteMagnitude }
  var big: Double {
    switch dtype {
    case .float16: 1000
    case .bfloat16, .float32: 1e20
    case .float64: 1e160
    }
  }
  var tiny: Double {
    switch dtype {
    case .float16: dtype.round(1e-5)
    case .bfloat16, .float32: dtype.round(1e-25)
    case .float64: 1e-170
    }
  }
  var smallestSubnormal: Double { dtype.leastNonzeroMagnitude }
  var eps: Double { dtype.machineEpsilon }

  // MARK: Adding cases

  mutating func add(
    _ shape: [Int], _ yhat: [Double], _ y: Target, _ params: LossParameters = LossParameters(),
    regime: Regime = .benign, tags: [String] = []
  ) {
    let request = LossRequest(
      loss: loss, dtype: dtype, yhat: tensor(shape, yhat.map(dtype.round)),
      y: rounded(y), params: params)
    cases.append(PlannedCase(request: request, regime: regime, tags: autoTags(request) + tags))
  }

  private func rounded(_ y: Target) -> Target {
    switch y {
    case .scalar(let v): .scalar(dtype.round(v))
    case .array(let t): .array(tensor(t.shape.dims, t.values.map(dtype.round)))
    }
  }

  /// Tags every case gets from its request: shape, agg, target, parameters, special values.
  private func autoTags(_ request: LossRequest) -> [String] {
    var tags: [String] = []
    let shape = request.yhat.shape
    if shape.count == 0 {
      tags.append("shape:empty")
    } else {
      switch shape.rank {
      case 0: tags.append("shape:scalar")
      case 1: tags.append("shape:vector")
      case 2: tags.append("shape:matrix")
      default: tags.append("shape:\(shape.rank)d")
      }
    }
    if shape.count >= 100 { tags.append("size:medium") }
    let p = request.params
    if loss.takesAggregation { tags.append("agg:\((p.agg ?? .mean).rawValue)") }
    if case .scalar = request.y { tags.append("y:scalar") }
    if case .array(let t) = request.y, !t.shape.agreesForLoss(with: shape) { tags.append("y:shape-mismatch") }
    if loss.reducesOverDims {
      let dims = p.dims ?? [1]
      if p.dims == nil {
        tags.append("dims:default")
      } else if dims.count > 1 {
        tags.append("dims:multi")
      } else {
        tags.append("dims:single")
      }
      if dims.contains(where: { $0 > shape.rank }) { tags.append("dims:beyond-rank") }
    }
    switch p.weight {
    case .scalar?: tags.append("weight:scalar")
    case .array(let w)?: tags.append(w.shape == shape ? "weight:full" : "weight:broadcast")
    case nil: break
    }
    if let e = p.eps { tags.append(e == 0 ? "eps:0" : "eps:custom") }
    if p.delta != nil { tags.append("param:delta") }
    if p.smooth != nil { tags.append(p.smooth == 0 ? "smooth:0" : "param:smooth") }
    if p.beta != nil { tags.append("param:beta") }
    var values = request.yhat.values
    if case .array(let t) = request.y {
      values += t.values
    } else if case .scalar(let v) = request.y {
      values.append(v)
    }
    if values.contains(where: \.isNaN) { tags.append("special:nan") }
    if values.contains(where: \.isInfinite) { tags.append("special:inf") }
    if values.contains(where: { $0 == 0 && $0.sign == .minus }) { tags.append("special:negative-zero") }
    if values.contains(where: { $0 != 0 && abs($0) < dtype.leastNormalMagnitude }) {
      tags.append("special:subnormal")
    }
    return tags
  }

  /// The cases, each request once (two random draws can coincide for tiny shapes).
  func deduplicated() -> [PlannedCase] {
    var seen: Set<String> = []
    return cases.filter { seen.insert(GoldenCase.contentID(of: $0.request)).inserted }
  }

  // MARK: Random inputs from the loss's domain

  mutating func values(_ count: Int, _ lo: Double, _ hi: Double) -> [Double] {
    (0..<count).map { _ in random.value(lo, hi, dtype, shortDecimals: shortDecimals) }
  }

  /// ŷ drawn from the loss's natural domain.
  mutating func randomYhat(_ shape: [Int]) -> [Double] {
    let n = Shape(shape).count
    switch loss {
    case .mae, .mse, .huberLoss: return values(n, -3, 3)
    case .msle: return values(n, 0, 5)
    case .crossentropy, .kldivergence: return probabilities(shape)
    case .logitcrossentropy, .logitbinarycrossentropy: return values(n, -6, 6)
    case .binarycrossentropy: return values(n, 0.01, 0.99)
    case .poissonLoss: return values(n, 0.05, 5)
    case .hinge, .squaredHinge: return values(n, -2, 2)
    case .diceCoeffLoss, .tverskyLoss: return values(n, 0, 1)
    }
  }

  /// y drawn from the loss's natural domain.
  mutating func randomY(_ shape: [Int]) -> [Double] {
    let n = Shape(shape).count
    switch loss {
    case .mae, .mse, .huberLoss: return values(n, -3, 3)
    case .msle: return values(n, 0, 5)
    case .crossentropy, .kldivergence, .logitcrossentropy:
      return random.chance(0.5) ? oneHot(shape) : probabilities(shape)
    case .binarycrossentropy, .logitbinarycrossentropy:
      return random.chance(0.5) ? (0..<n).map { _ in random.chance(0.5) ? 1 : 0 } : values(n, 0, 1)
    case .poissonLoss: return (0..<n).map { _ in Double(random.integer(0...6)) }
    case .hinge, .squaredHinge: return (0..<n).map { _ in random.chance(0.5) ? 1 : -1 }
    case .diceCoeffLoss, .tverskyLoss: return (0..<n).map { _ in random.chance(0.5) ? 1 : 0 }
    }
  }

  /// Positive values normalized along the first dimension (columns of a classes × batch array).
  mutating func probabilities(_ shape: [Int]) -> [Double] {
    let n = Shape(shape).count
    let rows = shape.first ?? 1
    var out = (0..<n).map { _ in random.uniform(0.02, 1) }
    if rows > 0 {
      for start in stride(from: 0, to: n, by: rows) {
        let total = out[start..<min(start + rows, n)].reduce(0, +)
        for i in start..<min(start + rows, n) { out[i] /= total }
      }
    }
    return out.map {
      shortDecimals && random.chance(0.5) ? dtype.round(Double(String(format: "%.3g", $0)) ?? $0) : dtype.round($0)
    }
  }

  /// One-hot columns along the first dimension.
  mutating func oneHot(_ shape: [Int]) -> [Double] {
    let n = Shape(shape).count
    let rows = max(shape.first ?? 1, 1)
    var out = [Double](repeating: 0, count: n)
    for start in stride(from: 0, to: n, by: rows) {
      out[start + random.integer(0...(min(rows, n - start) - 1))] = 1
    }
    return out
  }

  /// A random benign case of `shape`.
  mutating func plan(shape: [Int], params: LossParameters, tags: [String]) -> PlannedCase {
    let yhat = randomYhat(shape)
    let y = randomY(shape)
    add(shape, yhat, .array(tensor(shape, y)), params, tags: tags)
    return cases.removeLast()
  }

  mutating func addRandom(_ shape: [Int], _ params: LossParameters = LossParameters(), tags: [String] = []) {
    cases.append(plan(shape: shape, params: params, tags: tags))
  }
}

/// A tensor whose values fit its shape by construction (the generator's own arrays).
func tensor(_ shape: [Int], _ values: [Double]) -> Tensor {
  // The generator builds every array from its shape, so the counts agree.
  (try? Tensor(shape: Shape(shape), values: values)) ?? Tensor(values)
}
