import Foundation
import LossCore
import LossSpec

/// LossSpec with one bug planted in one loss: the mutants the catalogue must catch.
///
/// Every other loss, and every request the bug does not touch, is answered by LossSpec itself,
/// so a law that flags a mutant flags exactly its bug.
struct Mutant: LossImplementation {
  /// A short kebab-case name.
  var id: String
  /// The planted bug, in one sentence.
  var bug: String
  /// The loss the bug lives in.
  var loss: LossID
  var answer: @Sendable (LossRequest) async -> LossOutcome

  var name: String { "LossSpec with \(id)" }
  var losses: [LossID] { LossID.allCases }
  var dtypes: [DType] { DType.allCases }

  func evaluate(_ request: LossRequest) async -> LossOutcome {
    request.loss == loss ? await answer(request) : await Mutant.reference.evaluate(request)
  }

  static let reference = ReferenceImplementation()

  /// The reference on a modified request.
  static func reference(_ request: LossRequest) async -> LossOutcome { await reference.evaluate(request) }

  static let all: [Mutant] = [
    crossentropyWithoutEpsilon, binarycrossentropyWithoutEpsilon, logsoftmaxWithoutMaxShift,
    kldivergenceWithoutEntropy, hingeDropsNaN, squaredHingeSquaredAfterAggregation, huberPageFormula,
  ]

  static let crossentropyWithoutEpsilon = Mutant(
    id: "crossentropy-without-epsilon", bug: "crossentropy ignores ϵ: −Σ y·log(ŷ) instead of −Σ y·log(ŷ + ϵ).",
    loss: .crossentropy
  ) { request in
    var r = request
    r.params.eps = 0
    return await reference(r)
  }

  static let binarycrossentropyWithoutEpsilon = Mutant(
    id: "binarycrossentropy-without-epsilon", bug: "binarycrossentropy ignores ϵ, so ŷ = 0 or 1 gives ∞.",
    loss: .binarycrossentropy
  ) { request in
    var r = request
    r.params.eps = 0
    return await reference(r)
  }

  static let kldivergenceWithoutEntropy = Mutant(
    id: "kldivergence-without-entropy",
    bug: "kldivergence drops the entropy term agg(Σ xlogx(y)): it returns crossentropy(ŷ, y).",
    loss: .kldivergence
  ) { request in
    var r = request
    r.loss = .crossentropy
    return await reference(r)
  }

  static let hingeDropsNaN = Mutant(
    id: "hinge-drops-nan",
    bug: "hinge uses Swift's max(0, 1 − ŷ·y), which returns 0 for NaN: a NaN input contributes 0 instead of NaN.",
    loss: .hinge
  ) { request in
    guard case .array(let t) = request.y else { return await reference(request) }
    var r = request
    var y = t
    for i in 0..<r.yhat.values.count where (r.yhat.values[i] * y.values[i]).isNaN {
      r.yhat.values[i] = 1
      y.values[i] = 1
    }
    r.y = .array(y)
    return await reference(r)
  }

  static let squaredHingeSquaredAfterAggregation = Mutant(
    id: "squared-hinge-squared-after-aggregation",
    bug: "squared_hinge squares the aggregated hinge, agg(h)², instead of aggregating the squares, agg(h²).",
    loss: .squaredHinge
  ) { request in
    guard request.params.agg != Aggregation.none else { return await reference(request) }
    var r = request
    r.loss = .hinge
    let outcome = await reference(r)
    guard case .value(.scalar(let h)) = outcome else { return outcome }
    return .value(.scalar(request.dtype.round(h * h)))
  }

  static let huberPageFormula = Mutant(
    id: "huber-page-formula",
    bug: "huber_loss uses the seed page's first branch ½|ŷ − y| instead of ½|ŷ − y|² (erratum 1).",
    loss: .huberLoss
  ) { request in
    // |ŷ − y| per element from LossSpec (mae, agg = none), then the page's branches in Double.
    var r = request
    r.loss = .mae
    r.params = LossParameters(agg: Aggregation.none)
    guard case .value(let v) = await reference(r) else { return await reference(request) }
    let delta = request.dtype.round(request.params.delta ?? 1)
    let terms = v.values.map { e in e < delta ? 0.5 * e : delta * (e - 0.5 * delta) }
    let dtype = request.dtype
    switch request.params.agg ?? .mean {
    case .none:
      return .value(.array((try? Tensor(shape: request.yhat.shape, values: terms.map(dtype.round))) ?? Tensor(terms)))
    case .sum: return .value(.scalar(dtype.round(terms.reduce(0, +))))
    case .mean: return .value(.scalar(dtype.round(terms.reduce(0, +) / Double(terms.count))))
    }
  }

  static let logsoftmaxWithoutMaxShift = Mutant(
    id: "logsoftmax-without-max-shift",
    bug: "logitcrossentropy computes log Σ exp(x) in the dtype without subtracting the column maximum, so exp "
      + "overflows (or, for very negative columns, every term underflows to 0).",
    loss: .logitcrossentropy
  ) { request in
    // The value is the reference's wherever exp(x) neither overflows nor underflows entirely;
    // those columns become what the naive formula gives there: ±∞ or NaN.
    var r = request
    let agg = request.params.agg ?? .mean
    r.params.agg = Aggregation.none
    guard case .value(let v) = await reference(r), case .array(let yt) = request.y else {
      return await reference(request)
    }
    let dtype = request.dtype
    let top = dtype == .float32 ? Double(log(Float.greatestFiniteMagnitude)) : log(Double.greatestFiniteMagnitude)
    let bottom = dtype == .float32 ? Double(log(Float.leastNonzeroMagnitude)) : log(Double.leastNonzeroMagnitude)
    let reduction = Reduction(request.yhat.shape, dims: Set(request.params.dims ?? [1]))
    let column = reduction.outputIndices()
    var columnMax = [Double](repeating: -.infinity, count: reduction.output.count)
    for (i, c) in column.enumerated() { columnMax[c] = max(columnMax[c], request.yhat.values[i]) }
    var values = v.values
    for c in 0..<values.count where columnMax[c] > top || columnMax[c] < bottom {
      // log Σ exp(x) is +∞ (overflow) or −∞ (all underflow); −y·(x − L) is then ±∞, or NaN where y = 0.
      let overflow = columnMax[c] > top
      let targets = column.indices.filter { column[$0] == c }.map { yt.values[$0] }
      values[c] = targets.contains(0) ? .nan : (overflow ? .infinity : -.infinity)
    }
    switch agg {
    case .none: return .value(.array((try? Tensor(shape: reduction.output, values: values)) ?? Tensor(values)))
    case .sum: return .value(.scalar(dtype.round(values.reduce(0, +))))
    case .mean: return .value(.scalar(dtype.round(values.reduce(0, +) / Double(values.count))))
    }
  }
}
