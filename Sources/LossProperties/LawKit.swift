import Foundation
import LossCore

/// Building blocks shared by the laws: the loss of a multi-loss law, natural inputs, and
/// comparisons of whole results.
public enum LawKit {
  /// The `loss` choice of a law about several losses (not shrinkable: it decides the domain).
  static func lossChoice(_ loss: LossID, among losses: [LossID]) -> Choice {
    Choice("loss", losses.firstIndex(of: loss) ?? 0, options: losses.map(\.rawValue), shrinkable: false)
  }

  /// The loss an input was drawn for.
  static func loss(_ input: LawInput) -> LossID {
    input.choices.first { $0.name == "loss" }.flatMap { LossID(rawValue: $0.label) } ?? .mse
  }

  /// A generator of natural inputs for one of `losses`, optionally adjusted.
  static func natural(
    _ losses: [LossID], aggs: [Aggregation] = [.mean, .sum, .none], dims: Bool = true, weights: Bool = true,
    maxCount: Int = 64, minRank: Int = 1, dtypes: [DType]? = nil,
    adjust: (@Sendable (inout SplitMix64, inout LawInput, LossID) -> Void)? = nil
  ) -> @Sendable (inout SplitMix64, UInt64) -> LawInput {
    { r, seed in
      let loss = r.pick(losses)
      let shape = Gen.shape(&r, maxCount: maxCount, minRank: minRank)
      // A random one of `dtypes` (drawn only when given, so other laws' streams stay as they were).
      let dtype = dtypes.map { r.pick($0) }
      var input = LossCases.draw(
        &r, seed: seed, loss: loss, dtype: dtype, shape: shape, aggs: aggs, dims: dims, weights: weights,
        maxCount: maxCount)
      input.choices.insert(lossChoice(loss, among: losses), at: 0)
      adjust?(&r, &input, loss)
      return input
    }
  }

  /// Discards a case whose parts (unreduced values, partial sums) were combined into `combined`
  /// that is ±∞ or NaN while `whole`, the loss of the whole input, is another value, and every
  /// input is finite: a part whose exact value is finite but beyond the dtype rounded to ±∞ (and
  /// +∞ + −∞ is NaN). The aggregation identities are about representable parts.
  static func requireRepresentableParts(
    _ combined: Double, whole: Double, _ input: LawInput, _ part: String
  ) throws(LawError) {
    guard !combined.isFinite, !(combined == whole || combined.isNaN && whole.isNaN) else { return }
    if (input[field: "yhat"] + input[field: "y"]).allSatisfy(\.isFinite) {
      throw .discard("\(part) overflows the dtype")
    }
  }

  /// The shortest round-trip spelling of `x` in `dtype`.
  static func show(_ x: Double, _ dtype: DType) -> String { format(x, dtype) }

  /// `[a, b, …]`, at most 8 values.
  static func show(_ xs: [Double], _ dtype: DType) -> String {
    let shown = xs.prefix(8).map { format($0, dtype) }.joined(separator: ", ")
    return "[" + shown + (xs.count > 8 ? ", …" : "") + "]"
  }

  /// "2.5 ulps ≤ 1" style text for a deviation.
  static func show(_ d: Deviation) -> String {
    "\(number(d.ulps)) ulp \(d.holds ? "≤" : ">") \(number(d.boundUlps))"
  }

  /// Three significant digits; integers below 10⁶ in full; ∞.
  public static func number(_ x: Double) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "∞" : "−∞" }
    if x == x.rounded() && x.magnitude < 1e6 { return String(Int(x)) }
    return String(format: "%.3g", x)
  }

  /// Compares two outcomes whose exact values are equal: the same outcome class and, for values,
  /// the same numbers (see ``Compare/sameValue(_:_:dtype:identical:errors:)``).
  static func sameOutcome(_ a: LossOutcome, _ b: LossOutcome, _ ra: LossRequest, _ rb: LossRequest, probe: Probe)
    -> (Deviation, String)
  {
    let dtype = ra.dtype
    switch (a, b) {
    case (.value(let x), .value(let y)):
      let xs = x.values
      let ys = y.values
      guard xs.count == ys.count else {
        return (.differentClass, "\(xs.count) values against \(ys.count)")
      }
      let ex = probe.errors(of: xs, ra)
      let ey = probe.errors(of: ys, rb)
      let identical = probe.subject.accuracy == .correctlyRounded
      var worst = Deviation.exact
      var at = 0
      for i in 0..<xs.count {
        let d = Compare.sameValue(xs[i], ys[i], dtype: dtype, identical: identical, errors: (ex[i], ey[i]))
        if !d.holds && worst.holds || (d.holds == worst.holds && d.ratio > worst.ratio) {
          worst = d
          at = i
        }
      }
      if xs.isEmpty { return (.exact, "both empty") }
      let position = xs.count > 1 ? " (element \(at + 1) of \(xs.count))" : ""
      return (worst, "\(show(xs[at], dtype)) vs \(show(ys[at], dtype))\(position)")
    case (.error(let e), .error(let f)) where e.kind == f.kind:
      return (.exact, "both \(e.kind.rawValue)")
    default:
      return (.differentClass, "\(Probe.describe(a)) vs \(Probe.describe(b))")
    }
  }
}

extension Probe {
  /// Evaluates two requests whose exact values are equal and compares the outcomes.
  mutating func same(_ a: LossRequest, _ b: LossRequest, _ relation: String) async -> Finding {
    let oa = await evaluate(a)
    let ob = await evaluate(b)
    let (d, detail) = LawKit.sameOutcome(oa, ob, log[log.count - 2].request, log[log.count - 1].request, probe: self)
    return .judge(d, "\(relation): \(detail) — \(LawKit.show(d))")
  }
}

extension LawKit {
  /// The weight paired with each element, as the loss resolves it (converted to the dtype;
  /// 1 for `weight = nothing`).
  static func weights(_ input: LawInput, _ loss: LossID) -> [Double] {
    let n = input.count
    let p = LossCases.parameters(input, loss)
    switch p.weight {
    case nil: return [Double](repeating: 1, count: n)
    case .scalar(let w)?: return [Double](repeating: input.dtype.round(w), count: n)
    case .array(let t)?:
      guard t.shape.broadcasts(to: Shape(input.shape)) else { return [Double](repeating: .nan, count: n) }
      let index = t.shape.broadcastIndices(to: Shape(input.shape))
      return index.map { input.dtype.round(t.values[$0]) }
    }
  }

  /// Per-column bounds aggregated like the loss: the array for `none`, their sum for `sum`, their
  /// mean for `mean`. Sums are rounded upwards (a factor `1 + n·2⁻⁵²`), so they stay bounds.
  static func aggregate(_ perColumn: [Double], _ agg: Aggregation) -> [Double] {
    switch agg {
    case .none: return perColumn
    case .sum, .mean:
      let total = perColumn.reduce(0, +) * (1 + Double(perColumn.count + 2) * 0x1p-52)
      return [agg == .sum ? total : total / Double(Swift.max(perColumn.count, 1)) * (1 + 0x1p-52)]
    }
  }

  /// Per-element bounds summed per column (the groups of `sum(…; dims)`).
  static func perColumn(_ perElement: [Double], shape: [Int], dims: [Int]) -> [Double] {
    let (index, count) = Gen.columns(shape, groupDims: dims)
    var out = [Double](repeating: 0, count: count)
    for (i, c) in index.enumerated() { out[c] += perElement[i] }
    return out
  }

  /// The smallest power of two that divides `x` (its last significand bit); 0 for 0.
  static func grain(_ x: Double) -> Double {
    guard x != 0, x.isFinite else { return 0 }
    return Double(sign: .plus, exponent: Int(x.exponent) - x.significandWidth, significand: 1)
  }

  /// `x` moved to a nearby value `v` with `v + shift` exact in `dtype` (`x` itself when it is).
  static func shiftable(_ x: Double, by shift: Double, _ dtype: DType) -> Double {
    if FloatFacts.exactSum(x, shift, dtype) != nil { return x }
    let g = grain(shift)
    guard g > 0 else { return x }
    let v = (x / g).rounded() * g
    if FloatFacts.exactSum(v, shift, dtype) != nil && dtype.represents(v) { return v }
    return 0
  }

  /// `x` of [0, 1] moved so that `1 − x` is exact in `dtype` (a multiple of 2⁻ᵖ).
  static func complementable(_ x: Double, _ dtype: DType) -> Double {
    if FloatFacts.exactSum(1, -x, dtype) != nil { return x }
    let scale = Double(sign: .plus, exponent: dtype.significandBits, significand: 1)
    return (x * scale).rounded(.down) / scale
  }

  /// Evaluates and compares result arrays elementwise with `compare(observed, other, index)`.
  static func elementwise(
    _ a: [Double], _ b: [Double], _ what: String, dtype: DType,
    _ compare: (Double, Double, Int) -> Deviation
  ) -> Finding {
    guard a.count == b.count else {
      return .fails(.differentClass, "\(what): \(a.count) values against \(b.count)")
    }
    var parts: [(Deviation, String)] = []
    for i in 0..<a.count {
      let d = compare(a[i], b[i], i)
      let at = a.count > 1 ? " at \(i + 1)" : ""
      parts.append((d, "\(what)\(at): \(show(a[i], dtype)) vs \(show(b[i], dtype)) — \(show(d))"))
    }
    if parts.isEmpty { return .judge(.exact, "\(what): empty results") }
    return .all(parts)
  }
}
