import LossCore

// The gradients of the nine elementwise losses (SEMANTICS.md, "Gradients"; the derivations are
// LossSpec's, `GradientFormulas.swift`, mirrored here term by term).
//
// A loss `agg(t(ŷᵢ, yᵢ))` has `∂L/∂ŷᵢ = fᵢ·∂t/∂ŷ(ŷᵢ, yᵢ)`, with `fᵢ = 1/N` for `mean` (the
// gradient of a mean does not depend on the sum), `1` for `sum` and the cotangent `cᵢ` for
// `none`: a pure map, fused here with the value's reduction in one pass over ŷ and y
// (``ElementwiseGradientChunks``). Float32 data are computed in Double and rounded once; Float64
// data carry each derivative as an unevaluated pair `hi + lo` (the rounding errors of `ŷ − y`,
// `ŷ + ϵ`, quotients and products recovered by error-free transformations) that the factor is
// applied to before the one final rounding (``GradientFactor``).

/// How the aggregation scales each element's derivative: `mean` divides by the element count
/// (with the quotient's remainder recovered, so `∂t/N` is rounded once), `sum` leaves it, `none`
/// multiplies by the cotangent.
struct GradientFactor {
  enum Kind {
    case unit
    case mean(Double)
    case cotangent
  }

  let kind: Kind
  /// The cotangent (`agg = none`), elements of the dtype.
  var floats: UnsafePointer<Float>? = nil
  var doubles: UnsafePointer<Double>? = nil
  #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    var halves: UnsafePointer<Float16>? = nil
  #endif
  /// BFloat16 elements, as their bit patterns.
  var brains: UnsafePointer<UInt16>? = nil
  /// The term's ``GradientTerm/derivativeScale`` (set by ``ElementwiseGradient/run``), which
  /// ``pair(_:_:_:)`` applies; ``scalar(_:cotangent:)``'s literal derivatives include it already.
  var scale: Double = 1

  /// Element `i` of the cotangent (1 when there is none).
  @inline(__always) func cotangent(_ i: Int) -> Double {
    if let doubles { return doubles[i] }
    if let floats { return Double(floats[i]) }
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
      if let halves { return Double(halves[i]) }
    #endif
    if let brains { return BFloat16Operand.widen(brains[i]) }
    return 1
  }

  /// The cotangent of elements `i ..< i + count` (`count ≤ 4`; the other lanes 1).
  @inline(__always) func cotangents(_ i: Int, count: Int) -> Lanes {
    guard case .cotangent = kind else { return Lanes(repeating: 1) }
    var v = Lanes(repeating: 1)
    for j in 0..<count { v[j] = cotangent(i + j) }
    return v
  }

  /// `f·scale·(hi + lo)` as an unevaluated pair, with `c` the cotangent lanes (used for `none`
  /// only) and ``scale`` a power of two, applied so that
  /// `scale·hi` beyond the largest finite number does not overflow when the scaled result does
  /// not: a mean divides by `n/scale` (exact), a cotangent's product is scaled after it where
  /// `scale·hi` would overflow. Without overflow the bits are those of `f·((scale·hi) +
  /// (scale·lo))`: scaling by a power of two is exact.
  @inline(__always) func pair(_ hi: Lanes, _ lo: Lanes, _ c: Lanes) -> (Lanes, Lanes) {
    switch kind {
    case .unit:
      return (hi * scale, lo * scale)
    case .mean(let n):
      // q = hi/d, and the remainder (hi − q·d + lo)/d (q·d split exactly), d = n/scale.
      let d = n / scale
      let q = hi / d
      let (p, e) = twoProduct(q, Lanes(repeating: d))
      return (q, (((hi - p) - e) + lo) / d)
    case .cotangent:
      let scaled = hi * scale
      // Scaled first (the old order, whose products round the same way in the subnormal range)
      // unless that overflows; then the product is scaled.
      let first = finiteLanes(scaled) .| .!finiteLanes(hi)
      let (p, e) = twoProduct(scaled.replacing(with: hi, where: .!first), c)
      let l = e + (lo * scale).replacing(with: lo, where: .!first) * c
      return (
        p.replacing(with: p * scale, where: .!first), l.replacing(with: l * scale, where: .!first)
      )
    }
  }

  /// `f·v` for one element (the rare literal paths): `v/n`, `v`, or `cᵢ·v`.
  @inline(__always) func scalar(_ v: Double, cotangent c: Double) -> Double {
    switch kind {
    case .unit: return v
    case .mean(let n): return v / n
    case .cotangent: return v * c
    }
  }
}

/// `hi + lo` rounded once, a non-finite `lo` (an error term whose computation overflowed) left
/// out, and −0 made +0 (as LossSpec rounds an exact zero).
@inline(__always) func settle(_ v: (Lanes, Lanes)) -> Lanes {
  let lo = v.1.replacing(with: 0, where: .!finiteLanes(v.1))
  return v.0 + lo + 0
}

/// `(n + nl)/(d + dl)` as an unevaluated pair `q + r` (`q = n/d`, the remainder `n − q·d`
/// recovered by an error-free product; first order in `nl` and `dl`).
@inline(__always) func quotient(_ n: Lanes, _ nl: Lanes, _ d: Lanes, _ dl: Lanes) -> (Lanes, Lanes) {
  let q = n / d
  let (p, e) = twoProduct(q, d)
  return (q, (((n - p) - e) + nl - q * dl) / d)
}

/// `(hi + lo)·b` as an unevaluated pair.
@inline(__always) func product(_ hi: Lanes, _ lo: Lanes, _ b: Lanes) -> (Lanes, Lanes) {
  let (p, e) = twoProduct(hi, b)
  return (p, e + lo * b)
}

/// The sign of each lane (`−1`, `0`, `1`; NaN for NaN).
@inline(__always) func signLanes(_ d: Lanes) -> Lanes {
  Lanes.zero.replacing(with: 1, where: d .> 0).replacing(with: -1, where: d .< 0).replacing(with: d, where: d .!= d)
}

/// An elementwise term with its derivatives.
protocol GradientTerm: ElementwiseTerm {
  /// `∂t/∂ŷ` and (when `target`) `∂t/∂y` lanewise, each as `hi + lo` (`lo` zero unless
  /// compensated). Contract as for the value: for finite inputs equal to the derivative in exact
  /// arithmetic, evaluated soundly; a lane the literal formula makes non-finite is non-finite.
  func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  )
  /// The literal derivatives of SEMANTICS.md in IEEE arithmetic (the rare path for a
  /// non-finite fast lane).
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double)
  /// A power of two the derivatives of ``derivatives(_:_:target:_:)`` are to be multiplied by,
  /// applied with the aggregation factor (``GradientFactor/pair(_:_:_:)``): mse's and
  /// squared_hinge's 2, so that `2·(1 − ŷ·y)·y` beyond the largest Double does not overflow when
  /// the mean's `2·(1 − ŷ·y)·y/N` is finite.
  static var derivativeScale: Double { get }
}

extension GradientTerm {
  static var derivativeScale: Double { 1 }
}

extension MAETerm: GradientTerm {
  /// `sign(ŷ − y)`, `−sign(ŷ − y)`; at the kink `ŷ = y` the convention 0 (ChainRules'
  /// `sign(0) = 0`, inside LossSpec's subgradient `[−f, f]`). `fl(ŷ − y)` has the exact sign.
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let s = signLanes(p - y)
    return ((s, .zero), (-s, .zero))
  }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) {
    let s = signLanes(Lanes(repeating: p - y))[0]
    return (s, -s)
  }
}

extension MSETerm: GradientTerm {
  /// `2(ŷ − y)`, `−2(ŷ − y)` (Float64: `ŷ − y` split exactly), returned without the 2
  /// (``derivativeScale``).
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    if A.compensated {
      let (dh, dl) = twoSum(p, -y)
      return ((dh, dl), (-dh, -dl))
    }
    let d = p - y
    return ((d, .zero), (-d, .zero))
  }
  static var derivativeScale: Double { 2 }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) { (2 * (p - y), -2 * (p - y)) }
}

extension HuberTerm: GradientTerm {
  /// `e = ŷ − y`: `e` where `|e| < δ`, else `δ·sign(e)` (equal at `|e| = δ`: no kink); `∂/∂y`
  /// the negation. Float64: `e` split exactly, and `|e| < δ` decided on the exact `e`.
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let d = Lanes(repeating: delta)
    let (dh, dl) = A.compensated ? twoSum(p, -y) : (p - y, .zero)
    let e = VectorMath.abs(dh)
    let towardZero = dl.replacing(with: -dl, where: dh .< 0) .< 0
    let quadratic = (e .< d) .| ((e .== d) .& towardZero)
    let hi = (d * signLanes(dh)).replacing(with: dh, where: quadratic)
    let lo = Lanes.zero.replacing(with: dl, where: quadratic)
    return ((hi, lo), (-hi, -lo))
  }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) {
    let e = p - y
    let g = Swift.abs(e) < delta ? e : (e.isNaN ? e : delta * signLanes(Lanes(repeating: e))[0])
    return (g, -g)
  }
}

extension MSLETerm: GradientTerm {
  /// With `l = log((ŷ + ϵ)/(y + ϵ))` (the value's own logarithm): `2l/(ŷ + ϵ)`, `−2l/(y + ϵ)`,
  /// the arguments' rounding errors folded into the quotients (Float64).
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _ acc: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let (l, ll, a, al, b, bl) = logRatio(p, y, acc)
    let twoL = 2 * l
    if A.compensated {
      let g = quotient(twoL, 2 * ll, a, al)
      let h = target ? quotient(-twoL, -2 * ll, b, bl) : (.zero, .zero)
      return (g, h)
    }
    return ((twoL / a, .zero), (-twoL / b, .zero))
  }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) {
    let a = p + eps
    let b = y + eps
    let l = libmLog(a / b)
    return (2 * l / a, -2 * l / b)
  }
}

extension BinaryCrossentropyTerm: GradientTerm {
  /// `−y/(ŷ + ϵ) + (1 − y)/(1 − ŷ + ϵ)`, each quotient exactly 0 where its label factor is 0;
  /// `∂/∂y = −log(ŷ + ϵ) + log(1 − ŷ + ϵ)` (exactly 0 where both arguments are equal). Float64:
  /// both arguments and `1 − y` as exact pairs, the quotients with their remainders.
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let e = Lanes(repeating: eps)
    if A.compensated {
      let (s1, e1) = twoSum(p, e)
      let (u, ue) = twoSum(Lanes(repeating: 1), -p)
      let (s2, e2) = twoSum(u, e)
      let l2 = ue + e2
      let (ch, cl) = twoSum(Lanes(repeating: 1), -y)
      var (q1h, q1l) = quotient(y, .zero, s1, e1)
      let yZero = y .== 0
      q1h = q1h.replacing(with: 0, where: yZero)
      q1l = q1l.replacing(with: 0, where: yZero)
      var (q2h, q2l) = quotient(ch, cl, s2, l2)
      let cZero = (ch .== 0) .& (cl .== 0)
      q2h = q2h.replacing(with: 0, where: cZero)
      q2l = q2l.replacing(with: 0, where: cZero)
      let (gh, gl) = twoSum(-q1h, q2h)
      var dy = (Lanes.zero, Lanes.zero)
      if target {
        let la = VectorMath.log(s1, plus: logCorrection(s1, e1))
        let lb = VectorMath.log(s2, plus: logCorrection(s2, l2))
        dy = (lb - la, .zero)
      }
      return ((gh, gl + (q2l - q1l)), dy)
    }
    let a = p + e
    let b = (1 - p) + e
    let c = 1 - y
    let first = (y / a).replacing(with: 0, where: y .== 0)
    let second = (c / b).replacing(with: 0, where: c .== 0)
    var dy = Lanes.zero
    if target { dy = VectorMath.log(b) - VectorMath.log(a) }
    return ((second - first, .zero), (dy, .zero))
  }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) {
    let a = p + eps
    let b = 1 - p + eps
    let first = y == 0 ? 0 : -y / a
    let second = 1 - y == 0 ? 0 : (1 - y) / b
    return (first + second, -libmLog(a) + libmLog(b))
  }
}

extension LogitBinaryCrossentropyTerm: GradientTerm {
  /// `(1 − y) − σ(−ŷ)`, evaluated as `σ(ŷ)·(1 − y) − y·σ(−ŷ)` (equal: `σ(ŷ) + σ(−ŷ) = 1`), which
  /// cancels neither where `σ(ŷ)` is tiny (y = 0) nor where it is near 1 (y = 1, large ŷ: `σ(ŷ) − 1`
  /// lost every bit at ŷ = 63 in Float32, found by the gradient stability sweeps); `σ(±ŷ)` from
  /// `t = e^−|ŷ|` as `1/(1 + t)` and `t/(1 + t)` (no positive exponent). `∂/∂y = −ŷ`.
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let t = VectorMath.exp(-VectorMath.abs(p))
    let negative = p .< 0
    let plusNumerator = Lanes(repeating: 1).replacing(with: t, where: negative)  // σ(ŷ)·(1 + t)
    let minusNumerator = t.replacing(with: 1, where: negative)  // σ(−ŷ)·(1 + t)
    if A.compensated {
      let (d, dl) = twoSum(Lanes(repeating: 1), t)
      let (sph, spl) = quotient(plusNumerator, .zero, d, dl)
      let (smh, sml) = quotient(minusNumerator, .zero, d, dl)
      let (oh, ol) = twoSum(Lanes(repeating: 1), -y)
      let (ah, al) = product(sph, spl, oh)
      let (bh, bl) = product(smh, sml, y)
      let (gh, gl) = twoSum(ah, -bh)
      return ((gh.replacing(with: p, where: p .!= p), gl + al - bl + sph * ol), (-p, .zero))
    }
    let d = 1 + t
    let g = (plusNumerator / d) * (1 - y) - y * (minusNumerator / d)
    return ((g.replacing(with: p, where: p .!= p), .zero), (-p, .zero))
  }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) {
    ((1 - y) - 1 / (1 + VectorMath.exp(p)), -p)
  }
}

extension PoissonTerm: GradientTerm {
  /// `1 − y/ŷ` (the quotient exactly 0 where `y = 0`), `∂/∂y = −log ŷ`.
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let zero = y .== 0
    var dy = Lanes.zero
    if target { dy = -VectorMath.log(p) }
    if A.compensated {
      var (qh, ql) = quotient(y, .zero, p, .zero)
      qh = qh.replacing(with: 0, where: zero)
      ql = ql.replacing(with: 0, where: zero)
      let (gh, gl) = twoSum(Lanes(repeating: 1), -qh)
      return ((gh, gl - ql), (dy, .zero))
    }
    return ((1 - (y / p).replacing(with: 0, where: zero), .zero), (dy, .zero))
  }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) {
    (1 - (y == 0 ? 0 : y / p), -libmLog(p))
  }
}

/// The sign of the margin `m = 1 − ŷ·y`, exactly (Float64: `ŷ·y` split by an error-free
/// product; Float data: `ŷ·y` is exact in Double), and `m` as a pair.
@inline(__always) func exactMargin<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (
  hi: Lanes, lo: Lanes, sign: Lanes
) {
  if A.compensated {
    let (q, qe) = twoProduct(p, y)
    let (r, re) = twoSum(Lanes(repeating: 1), -q)
    let e = re - qe
    let hi = r + e
    let lo = e - (hi - r)
    // qe is NaN where ŷ·y overflows in the split: the sign is then the rounded product's.
    let s = signLanes(hi).replacing(with: signLanes(lo), where: hi .== 0)
    let plain = signLanes(1 - p * y)
    let ok = finiteLanes(lo)
    return (
      hi.replacing(with: r, where: .!ok), lo.replacing(with: 0, where: .!ok), s.replacing(with: plain, where: .!ok)
    )
  }
  let r = 1 - p * y
  return (r, .zero, signLanes(r))
}

extension HingeTerm: GradientTerm {
  /// `m = 1 − ŷ·y > 0`: `−y`, `−ŷ`; `m < 0`: 0; at the kink `m = 0` the convention 0 (the
  /// one-sided derivative of the flat side, inside LossSpec's subgradient); NaN: NaN.
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _ acc: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let s = exactMargin(p, y, acc).sign
    let active = s .> 0
    let nan = s .!= s
    let g = Lanes.zero.replacing(with: -y, where: active).replacing(with: .nan, where: nan)
    let h = Lanes.zero.replacing(with: -p, where: active).replacing(with: .nan, where: nan)
    return ((g, .zero), (h, .zero))
  }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) {
    let m = 1 - p * y
    if m.isNaN { return (m, m) }
    return m > 0 ? (-y, -p) : (0, 0)
  }
}

extension SquaredHingeTerm: GradientTerm {
  /// `m = 1 − ŷ·y > 0`: `−2m·y`, `−2m·ŷ`; `m ≤ 0`: 0 (differentiable at 0); NaN: NaN. Returned
  /// without the 2 (``derivativeScale``): at `ŷ = −10³⁰⁸`, `y = 1` the mean of two elements has
  /// the finite derivative `−(1 + 10³⁰⁸)`, while `−2m·y` alone overflows.
  @inline(__always) func derivatives<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, target: Bool, _ acc: A.Type) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let (mh, ml, s) = exactMargin(p, y, acc)
    let inactive = .!(s .> 0)
    let nan = s .!= s
    func part(_ v: Lanes) -> (Lanes, Lanes) {
      let (h, l) = A.compensated ? product(mh, ml, v) : (mh * v, .zero)
      let hi = (-h).replacing(with: 0, where: inactive).replacing(with: .nan, where: nan)
      let lo = (-l).replacing(with: 0, where: inactive .| nan)
      return (hi, lo)
    }
    return (part(y), target ? part(p) : (.zero, .zero))
  }
  static var derivativeScale: Double { 2 }
  func literalDerivatives(_ p: Double, _ y: Double) -> (yhat: Double, y: Double) {
    let m = 1 - p * y
    if m.isNaN { return (m, m) }
    return m > 0 ? (-2 * m * y, -2 * m * p) : (0, 0)
  }
}

/// What a chunk of a value-and-gradient pass produces.
struct GradientPartial: ChunkPartial {
  /// `Σ term` (agg mean or sum).
  var value: DoubleDouble
  /// `Σ f·∂t/∂y` (a scalar y whose gradient is asked for: the sum over the broadcast).
  var target: DoubleDouble
  /// The lowest index whose value or gradient lane was not finite, `Int.max` for none.
  var bad: Int
  static var zero: GradientPartial { GradientPartial(value: .zero, target: .zero, bad: .max) }
  mutating func combine(_ other: GradientPartial) {
    value += other.value
    target += other.target
    bad = Swift.min(bad, other.bad)
  }
}

/// The outputs of a value-and-gradient pass, elements of the dtype.
struct GradientOutputs<O: OutputStore> {
  /// `∂L/∂ŷ`, ŷ's length.
  var yhat: O
  /// `∂L/∂y` for an array y (`nil`: not asked for, or y is a scalar).
  var y: O?
  /// `agg = none`: the unreduced values (`nil`: the caller did not ask for them).
  var values: O?
  /// A scalar y whose gradient is asked for (summed over the broadcast into the partial).
  var scalarTarget: Bool
  /// The value's terms are summed (`agg` mean or sum).
  var sumsValue: Bool
}

/// One fused pass of an elementwise loss: per 4-lane step the term (summed, or stored for
/// `agg = none`) and its derivatives scaled by the factor and stored, with the lowest index of a
/// non-finite lane. A chunk writes only its own elements; the partial sums are combined in chunk
/// order (``Parallel/reduce``), so the bits do not depend on the thread count.
struct ElementwiseGradientChunks<T: GradientTerm, P: Operand, Y: Operand, O: OutputStore, A: LaneAccumulator>:
  ChunkBody
{
  let term: T
  let p: P
  let y: Y
  let factor: GradientFactor
  let out: GradientOutputs<O>

  func callAsFunction(_ range: Range<Int>) -> GradientPartial {
    var value = A()
    var target = A()
    var bad = Int.max
    let wantsTarget = out.y != nil || out.scalarTarget
    var i = range.lowerBound
    while i < range.upperBound {
      let count = Swift.min(4, range.upperBound - i)
      let keep = leadingLanes(count)
      let a = count == 4 ? p.load(i) : p.loadPartial(i, count: count)
      let b = count == 4 ? y.load(i) : y.loadPartial(i, count: count)
      let c = factor.cotangents(i, count: count)
      // The value: finite exactly where the literal term is (the DomainError marker is NaN).
      let (h, l) = term.vector(a, b, A.self)
      var finite = finiteLanes(h)
      if let values = out.values {
        values.store(settle((h, l)), at: i, count: count)
      } else if out.sumsValue {
        value.add(h.replacing(with: 0, where: .!keep), l.replacing(with: 0, where: .!keep))
      }
      let (dp, dy) = term.derivatives(a, b, target: wantsTarget, A.self)
      let g = settle(factor.pair(dp.0, dp.1, c))
      out.yhat.store(g, at: i, count: count)
      finite .&= finiteLanes(g)
      if let targetOut = out.y {
        let gy = settle(factor.pair(dy.0, dy.1, c))
        targetOut.store(gy, at: i, count: count)
        finite .&= finiteLanes(gy)
      } else if out.scalarTarget {
        let (th, tl) = factor.pair(dy.0, dy.1, c)
        finite .&= finiteLanes(th)
        target.add(th.replacing(with: 0, where: .!keep), tl.replacing(with: 0, where: .!keep .| .!finiteLanes(tl)))
      }
      if bad == .max && !all(finite .| .!keep) { bad = i }
      i += count
    }
    return GradientPartial(value: value.total, target: target.total, bad: bad)
  }
}

enum ElementwiseGradient {
  /// The value (`nil` for `agg = none`) and the gradient of an elementwise loss, written to
  /// `out`; one fused pass, then the rare literal path from the first non-finite lane on.
  ///
  /// A value that is not finite is recomputed by the value path (``ElementwiseKernel/reduce``:
  /// the literal outcome class, DomainErrors in index order, rescaling); for `agg = none` the
  /// literal terms from the first non-finite lane on decide (and may throw). A derivative lane
  /// that is not finite is recomputed literally (IEEE arithmetic applied to the derivative).
  static func run<T: GradientTerm, P: Operand, Y: Operand, O: OutputStore>(
    _ term: T, _ p: P, _ y: Y, count n: Int, agg: Aggregation, factor: GradientFactor, out: GradientOutputs<O>,
    compensated: Bool, threads: Int
  ) throws(LossError) -> (value: Double?, target: Double?) {
    let cost = (compensated ? 8 : 2) * T.cost
    var factor = factor
    factor.scale = T.derivativeScale
    let partial =
      compensated
      ? Parallel.reduce(
        count: n, threads: threads, cost: cost,
        ElementwiseGradientChunks<T, P, Y, O, CompensatedAccumulator>(term: term, p: p, y: y, factor: factor, out: out))
      : Parallel.reduce(
        count: n, threads: threads, cost: cost,
        ElementwiseGradientChunks<T, P, Y, O, PlainAccumulator>(term: term, p: p, y: y, factor: factor, out: out))
    var value: Double? = nil
    if agg != .none {
      if partial.value.isFinite {
        value = agg == .mean ? (n == 0 ? .nan : partial.value.divided(by: Double(n)) + 0) : partial.value.value + 0
      } else {
        value = try ElementwiseKernel.reduce(
          term, p, y, count: n, mean: agg == .mean, compensated: compensated, threads: threads)
      }
    }
    var target: Double? = out.scalarTarget ? partial.target.value + 0 : nil
    guard partial.bad != .max else { return (value, target) }
    // The rare path, from the first non-finite lane on: the literal value decides DomainErrors
    // (lowest index first) and the unreduced values; the literal derivatives replace the
    // non-finite fast ones.
    let wantsTarget = out.y != nil || out.scalarTarget
    var literalTarget = 0.0
    for i in partial.bad..<n {
      let a = Lanes(repeating: p[i])
      let b = Lanes(repeating: y[i])
      let c = factor.cotangent(i)
      let fastValue =
        compensated
        ? settle(term.vector(a, b, CompensatedAccumulator.self)) : settle(term.vector(a, b, PlainAccumulator.self))
      let literal = try term.literal(p[i], y[i], index: i)
      if !fastValue[0].isFinite { out.values?.store(literal + 0, at: i) }
      let (dp, dy) =
        compensated
        ? term.derivatives(a, b, target: wantsTarget, CompensatedAccumulator.self)
        : term.derivatives(a, b, target: wantsTarget, PlainAccumulator.self)
      let g = settle(factor.pair(dp.0, dp.1, Lanes(repeating: c)))[0]
      let gy = settle(factor.pair(dy.0, dy.1, Lanes(repeating: c)))[0]
      let exact = term.literalDerivatives(p[i], y[i])
      if !g.isFinite { out.yhat.store(factor.scalar(exact.yhat, cotangent: c) + 0, at: i) }
      if let targetOut = out.y, !gy.isFinite { targetOut.store(factor.scalar(exact.y, cotangent: c) + 0, at: i) }
      literalTarget += gy.isFinite ? 0 : factor.scalar(exact.y, cotangent: c)
    }
    if out.scalarTarget, !(target ?? 0).isFinite {
      // The sum over the broadcast by IEEE's rules: the fast terms of the elements before the
      // first bad one are finite, the rest literal where not.
      var total = DoubleDouble.zero
      for i in 0..<partial.bad {
        let a = Lanes(repeating: p[i])
        let b = Lanes(repeating: y[i])
        let (_, dy) =
          compensated
          ? term.derivatives(a, b, target: true, CompensatedAccumulator.self)
          : term.derivatives(a, b, target: true, PlainAccumulator.self)
        let (h, l) = factor.pair(dy.0, dy.1, Lanes(repeating: factor.cotangent(i)))
        total += DoubleDouble(h[0], l[0].isFinite ? l[0] : 0)
      }
      for i in partial.bad..<n {
        let a = Lanes(repeating: p[i])
        let b = Lanes(repeating: y[i])
        let (_, dy) =
          compensated
          ? term.derivatives(a, b, target: true, CompensatedAccumulator.self)
          : term.derivatives(a, b, target: true, PlainAccumulator.self)
        let (h, l) = factor.pair(dy.0, dy.1, Lanes(repeating: factor.cotangent(i)))
        if h[0].isFinite {
          total += DoubleDouble(h[0], l[0].isFinite ? l[0] : 0)
        }
      }
      target = total.isFinite ? (total.value + literalTarget) + 0 : total.value + literalTarget
    }
    return (value, target)
  }
}
