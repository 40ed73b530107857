import CLossFastKernels
import LossCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The per-element term of an elementwise loss (`agg(term(ŷᵢ, yᵢ))`), twice: as a fused vector
/// kernel for the fast path and as the literal formula of SEMANTICS.md for the rare path.
///
/// Contract of the vector form: for finite inputs it equals the literal term in exact
/// arithmetic, evaluated in a numerically sound way; whenever the literal term is not finite (a
/// NaN, an infinity, a DomainError) the vector form is not finite either (NaN for a
/// DomainError), so a non-finite reduction is always re-evaluated literally and gets the
/// literal's outcome class. When `A.compensated`, the term is returned as `hi + lo` with `lo`
/// carrying (part of) its rounding error; otherwise `lo` is zero.
protocol ElementwiseTerm {
  /// Relative cost per element for the parallel threshold (1: a few flops; 8: logarithms).
  static var cost: Int { get }
  func vector<A: LaneAccumulator>(_ yhat: Lanes, _ y: Lanes, _ accumulator: A.Type) -> (hi: Lanes, lo: Lanes)
  /// The literal term, IEEE arithmetic, Julia's `log` (DomainError below zero) and `xlogy`.
  func literal(_ yhat: Double, _ y: Double, index: Int) throws(LossError) -> Double
  /// For a term homogeneous of degree `d` in its inputs and parameters
  /// (`term(sŷ, sy; sδ) = sᵈ·term(ŷ, y; δ)`): `d`, and the term with its parameters scaled by `s`.
  /// Used to rescale Float64 inputs whose intermediates overflow although the result need not.
  func scaled(by s: Double) -> (term: Self, degree: Int)?
  /// Whether ``short(_:_:)`` is cheaper than the vector form (the terms with logarithms or
  /// exponentials); Float32 data then take it.
  static var hasShortForm: Bool { get }
  /// Float32 data only: the term computed with ``ShortMath`` (about 2⁻³² relative per kernel),
  /// and its *magnitude* `m`, a bound such that the term errs by at most `2⁻³²·m`. Same special
  /// values and non-finite cases as `vector` (NaN where it has NaN, ±∞ where it has ±∞); the
  /// reductions use it only where the magnitudes show the sum is well conditioned.
  func short(_ yhat: Lanes, _ y: Lanes) -> (value: Lanes, magnitude: Lanes)
  /// The C kernel of the term (`LFK_TERM_…` of CLossFastKernels) and the ϵ it takes
  /// (huber_loss: δ), or nil (the Swift kernels then). For Float data it computes ``short(_:_:)``
  /// on eight lanes, or for a term without a short form its plain Double term (`vector(_:_:_:)`
  /// with `PlainAccumulator`, magnitude 0: the memory-bound losses). For Float64 data it computes
  /// the compensated term (`vector(_:_:_:)` with `CompensatedAccumulator`, the same formulas with
  /// fused multiply-adds; NaN where that is not finite or an argument is below 2⁻⁹⁶⁰).
  var vectorKernel: (term: Int32, eps: Double)? { get }
}

extension ElementwiseTerm {
  var vectorKernel: (term: Int32, eps: Double)? { nil }
  func scaled(by s: Double) -> (term: Self, degree: Int)? { nil }
  static var hasShortForm: Bool { false }
  @inline(__always) func short(_ yhat: Lanes, _ y: Lanes) -> (value: Lanes, magnitude: Lanes) {
    (vector(yhat, y, PlainAccumulator.self).hi, .zero)
  }
}

/// `xlogy(x, arg)` lanewise with ``ShortMath/log(_:)``: 0 where `x == 0` and `arg` is not
/// negative, NaN where `arg < 0`.
@inline(__always) func shortXlogy(_ x: Lanes, _ arg: Lanes) -> Lanes {
  let r = x * ShortMath.log(arg)
  return r.replacing(with: 0, where: (x .== 0) .& .!(arg .< 0))
}

/// `log(r)` for the ratio `r = n/d` of msle and kldivergence, Float32 data, with
/// ``ShortMath/log(_:)``: near a perfect fit (`|t| ≤ ½` for `t = (n − d)/d`, whose numerator is
/// exact for Floats) as `log(1 + t)` with the rounding error of `1 + t` added (see
/// ``ShortMath/log1p(_:)``), elsewhere as `log(n·(1/d))` (one division for both). `n` is
/// replaced by `d` where `zero` (a term that is 0 whatever its logarithm).
@inline(__always) func shortLogRatio(_ n: Lanes, _ d: Lanes, zero: SIMDMask<SIMD4<Int64>>) -> Lanes {
  let inv = 1 / d
  let t = (n - d) * inv
  let near = VectorMath.abs(t) .<= 0.5
  let x = (1 + t).replacing(with: (n * inv).replacing(with: 1, where: zero), where: .!near)
  let c = (t - (x - 1)).replacing(with: 0, where: .!near)
  return ShortMath.log(x) + c
}

// MARK: Scalar helpers with Julia's semantics

/// The C library's `log` (the rare literal paths only).
@inline(__always) func libmLog(_ x: Double) -> Double { log(x) }

/// Julia's `log`: DomainError for `x < 0` (−∞ at ±0, NaN for NaN).
@inline(never) func juliaLog(_ x: Double, _ what: @autoclosure () -> String) throws(LossError) -> Double {
  if x < 0 { throw .domainError("\(what()): log of a negative number, \(x)") }
  return libmLog(x)
}

/// Julia's `xlogy(x, y)`: DomainError for `y < 0` (even when `x == 0`), 0 when `x == 0`, else
/// `x · log(y)`.
@inline(never) func juliaXlogy(_ x: Double, _ y: Double, _ what: @autoclosure () -> String) throws(LossError)
  -> Double
{
  if y < 0 { throw .domainError("\(what()): log of a negative number, \(y)") }
  if x == 0 { return 0 }
  return x * libmLog(y)
}

/// Julia's `max(0, x)`: NaN propagates.
@inline(__always) func juliaMaxZero(_ x: Double) -> Double { x.isNaN ? x : (x < 0 ? 0 : x) }

/// `softplus(x) = log(1 + eˣ)` with IEEE's limits (+∞ → +∞, −∞ → 0, NaN → NaN).
@inline(never) func literalSoftplus(_ x: Double) -> Double {
  if x.isNaN { return x }
  if x == .infinity { return x }
  if x == -.infinity { return 0 }
  return Swift.max(x, 0) + VectorMath.log1p(VectorMath.exp(-Swift.abs(x)))
}

// MARK: Vector helpers

/// `xlogy(x, arg)` lanewise with a correction `c` of the logarithm (see `VectorMath.log`):
/// 0 where `x == 0` and `arg` is not negative; NaN where `arg < 0` (the DomainError marker).
@inline(__always) func xlogy(_ x: Lanes, _ arg: Lanes, plus c: Lanes = .zero) -> Lanes {
  let r = x * VectorMath.log(arg, plus: c)
  return r.replacing(with: 0, where: (x .== 0) .& .!(arg .< 0))
}

/// `e/s`, the first-order correction of `log(s + e)` against `log(s)`; 0 where `e == 0` (so an
/// exact zero or infinite `s` is left alone).
@inline(__always) func logCorrection(_ s: Lanes, _ e: Lanes) -> Lanes {
  (e / s).replacing(with: 0, where: e .== 0)
}

/// `near ? whenNear : otherwise` lanewise, evaluating only the side some lane needs (the
/// arguments are autoclosures: data near a perfect fit, or far from it, pays for one kernel).
@inline(__always) func either(
  _ near: SIMDMask<SIMD4<Int64>>, _ whenNear: @autoclosure () -> Lanes, _ otherwise: @autoclosure () -> Lanes
) -> Lanes {
  if all(near) { return whenNear() }
  if !any(near) { return otherwise() }
  return otherwise().replacing(with: whenNear(), where: near)
}

/// ``either(_:_:_:)`` for double-double values.
@inline(__always) func eitherDD(
  _ near: SIMDMask<SIMD4<Int64>>, _ whenNear: @autoclosure () -> (hi: Lanes, lo: Lanes),
  _ otherwise: @autoclosure () -> (hi: Lanes, lo: Lanes)
) -> (hi: Lanes, lo: Lanes) {
  if all(near) { return whenNear() }
  if !any(near) { return otherwise() }
  let (nh, nl) = whenNear()
  let (oh, ol) = otherwise()
  return (oh.replacing(with: nh, where: near), ol.replacing(with: nl, where: near))
}

// MARK: The nine elementwise losses

/// `mae`: `|ŷ − y|`.
struct MAETerm: ElementwiseTerm {
  static var cost: Int { 1 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    if A.compensated {
      // ŷ − y = dh + dl exactly; |ŷ − y| = |dh| + sign(dh)·dl.
      let (dh, dl) = twoSum(p, -y)
      return (VectorMath.abs(dh), dl.replacing(with: -dl, where: dh .< 0))
    }
    return (VectorMath.abs(p - y), .zero)
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double { Swift.abs(p - y) }
  func scaled(by s: Double) -> (term: MAETerm, degree: Int)? { (self, 1) }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_MAE), 0) }
}

/// `mse`: `(ŷ − y)²`.
struct MSETerm: ElementwiseTerm {
  static var cost: Int { 1 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    if A.compensated {
      let (dh, dl) = twoSum(p, -y)
      return (dh * dh, 2 * dh * dl)
    }
    let d = p - y
    return (d * d, .zero)
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double { (p - y) * (p - y) }
  func scaled(by s: Double) -> (term: MSETerm, degree: Int)? { (self, 2) }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_MSE), 0) }
}

/// `huber_loss`: with `e = |ŷ − y|`, `0.5·e²` if `e < δ`, else `δ·(e − 0.5·δ)`.
struct HuberTerm: ElementwiseTerm {
  let delta: Double
  static var cost: Int { 1 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    let halfDelta = 0.5 * delta
    if A.compensated {
      let (dh, dl) = twoSum(p, -y)
      let e = VectorMath.abs(dh)
      let el = dl.replacing(with: -dl, where: dh .< 0)
      let quadratic = e .< Lanes(repeating: delta)
      // δ·(e − δ/2) with e − δ/2 = sh + sl + el exactly.
      let (sh, sl) = twoSum(e, Lanes(repeating: -halfDelta))
      let hi = (delta * sh).replacing(with: 0.5 * dh * dh, where: quadratic)
      let lo = (delta * (sl + el)).replacing(with: dh * dl, where: quadratic)
      return (hi, lo)
    }
    let e = VectorMath.abs(p - y)
    let linear = delta * (e - halfDelta)
    return (linear.replacing(with: 0.5 * e * e, where: e .< Lanes(repeating: delta)), .zero)
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double {
    let e = Swift.abs(p - y)
    return e < delta ? 0.5 * e * e : delta * (e - 0.5 * delta)
  }
  func scaled(by s: Double) -> (term: HuberTerm, degree: Int)? { (HuberTerm(delta: delta * s), 2) }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_HUBER), delta) }
}

/// `msle`: `log((ŷ + ϵ)/(y + ϵ))²`, DomainError for a negative ratio.
///
/// Near a perfect fit the logarithm is `log1p(t)` with `t = (ŷ − y)/(y + ϵ)` (the numerator
/// `(ŷ + ϵ) − (y + ϵ)` is `ŷ − y`, one rounding), which keeps the relative accuracy of a tiny
/// result; elsewhere `log` of the rounded ratio (an absolute error of about `u`, relative
/// `u/|log r| ≤ 4u`); where the ratio overflows or underflows (Float64 only),
/// `log(ŷ + ϵ) − log(y + ϵ)`, which cannot cancel there.
struct MSLETerm: ElementwiseTerm {
  let eps: Double
  static var cost: Int { 8 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _ accumulator: A.Type) -> (
    hi: Lanes, lo: Lanes
  ) {
    let r = logRatio(p, y, accumulator)
    if A.compensated {
      // l² of the double-double l: an error-free square of its high part.
      let (sh, sl) = twoProduct(r.l, r.l)
      return (sh, sl + 2 * r.l * r.ll)
    }
    return (r.l * r.l, .zero)
  }

  /// The logarithm `l + ll = log((ŷ + ϵ)/(y + ϵ))` of the term (shared with the gradient,
  /// `2l/(ŷ + ϵ)`; `ll` is 0 unless compensated), and the arguments `ŷ + ϵ = a + al`,
  /// `y + ϵ = b + bl` (`al`, `bl` their rounding errors when compensated, else 0).
  @inline(__always) func logRatio<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (
    l: Lanes, ll: Lanes, a: Lanes, al: Lanes, b: Lanes, bl: Lanes
  ) {
    let a: Lanes
    let b: Lanes
    var al = Lanes.zero
    var bl = Lanes.zero
    var l: Lanes
    var ll = Lanes.zero
    var near: SIMDMask<SIMD4<Int64>>
    if A.compensated {
      // Float64: near a perfect fit t = (ŷ − y)/(y + ϵ) as the unevaluated sum q + dq (both
      // sums split exactly, the quotient's remainder recovered by an error-free product) and
      // log1p(q + dq); elsewhere log(r) with r = fl((ŷ + ϵ)/(y + ϵ)) and its relative error
      // recovered the same way. Both logarithms are double-doubles (2⁻⁵⁸ relative), so the
      // square keeps its last bit.
      let e = Lanes(repeating: eps)
      let (ah, ael) = twoSum(p, e)
      let (bh, bel) = twoSum(y, e)
      let (dh, dl) = twoSum(p, -y)
      let q = dh / bh
      let (pq, eq) = twoProduct(q, bh)
      let dq = (((dh - pq) - eq) + (dl - q * bel)) / bh
      let r = ah / bh
      let (pr, er) = twoProduct(r, bh)
      let c = (((ah - pr) - er) + ael) / ah - bel / bh
      near = (VectorMath.abs(q) .<= 0.5)
      (l, ll) = eitherDD(
        near, VectorMath.log1pDD(q, plus: logCorrection(1 + q, dq)),
        VectorMath.logDD(r, plus: logCorrection(ah, ah * c)))
      a = ah
      b = bh
      al = ael
      bl = bel
    } else {
      // Float32 data: the sums and the quotient in Double err by 2⁻⁵³, far below a Float ulp
      // of the result except near a perfect fit, where log1p of the difference takes over
      // (ŷ − y of two nearby Floats is exact in Double). Not log1p everywhere: far from 1 the
      // difference ŷ − y may round, and 1 + t then loses the relative accuracy of a small ratio.
      a = p + eps
      b = y + eps
      let t = (p - y) / b
      near = (VectorMath.abs(t) .<= 0.25)
      l = either(near, VectorMath.log1p(t), VectorMath.log(a / b))
    }
    let ratio = a / b
    let magnitude = VectorMath.abs(ratio)
    // Beyond the range, and (Float64) beyond 2⁹⁹⁶ where the ratio's error-free product overflows
    // without FMA (Dekker's split): the difference of the two logarithms, which cannot cancel.
    let (low, high) = A.compensated ? (0x1p-996, 0x1p996) : (0x1p-1022, Double.greatestFiniteMagnitude)
    let outOfRange = .!near .& ((magnitude .< low) .| (magnitude .> high))
    if any(outOfRange) {
      let sameSign = ((a .> 0) .& (b .> 0)) .| ((a .< 0) .& (b .< 0))
      let use = outOfRange .& sameSign .& (VectorMath.abs(a) .< .infinity) .& (VectorMath.abs(b) .< .infinity)
      if A.compensated {
        let (ha, la) = VectorMath.logDD(VectorMath.abs(a))
        let (hb, lb) = VectorMath.logDD(VectorMath.abs(b))
        let (dh, dl) = twoSum(ha, -hb)
        l = l.replacing(with: dh, where: use)
        ll = ll.replacing(with: dl + (la - lb), where: use)
      } else {
        // Unreachable for Float32 and half data (their ratios stay within 2^±300), kept so that
        // the term does not depend on that.
        l = l.replacing(with: VectorMath.log(VectorMath.abs(a)) - VectorMath.log(VectorMath.abs(b)), where: use)
      }
    }
    return (l, ll, a, al, b, bl)
  }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_MSLE), eps) }
  static var hasShortForm: Bool { true }
  @inline(__always) func short(_ p: Lanes, _ y: Lanes) -> (value: Lanes, magnitude: Lanes) {
    // (ŷ + ϵ) − (y + ϵ) = ŷ − y exactly for Floats; the sums and the quotient err by 2⁻⁵³.
    let l = shortLogRatio(p + eps, y + eps, zero: SIMDMask(repeating: false))
    let v = l * l
    return (v, v + v)
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double {
    let a = p + eps
    let b = y + eps
    let what = "msle: log((ŷ + ϵ)/(y + ϵ)) at element \(index + 1)"
    if a.isFinite && b.isFinite && a != 0 && b != 0 {
      guard (a < 0) == (b < 0) else {
        throw .domainError("\(what): the ratio \(a)/\(b) is negative")
      }
      return vector(Lanes(repeating: p), Lanes(repeating: y), PlainAccumulator.self).hi[0]
    }
    // IEEE's quotient; a zero divisor is +0 here (y + ϵ == 0 only as +0).
    let ratio = a / b
    let l = try juliaLog(ratio, what)
    return l * l
  }
}

/// `binarycrossentropy`: `−xlogy(y, ŷ + ϵ) − xlogy(1 − y, 1 − ŷ + ϵ)`.
struct BinaryCrossentropyTerm: ElementwiseTerm {
  let eps: Double
  static var cost: Int { 12 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    let e = Lanes(repeating: eps)
    if A.compensated {
      // Both arguments as exact unevaluated sums; their rounding errors go into the logs.
      let (s1, e1) = twoSum(p, e)
      let (u, ue) = twoSum(Lanes(repeating: 1), -p)
      let (s2, e2) = twoSum(u, e)
      let first = xlogy(y, s1, plus: logCorrection(s1, e1))
      let second = xlogy(1 - y, s2, plus: logCorrection(s2, ue + e2))
      return twoSum(-first, -second)
    }
    let first = xlogy(y, p + e)
    let second = xlogy(1 - y, (1 - p) + e)
    return (-first - second, .zero)
  }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_BINARYCROSSENTROPY), eps) }
  static var hasShortForm: Bool { true }
  @inline(__always) func short(_ p: Lanes, _ y: Lanes) -> (value: Lanes, magnitude: Lanes) {
    let first = shortXlogy(y, p + eps)
    let second = shortXlogy(1 - y, (1 - p) + eps)
    return (-first - second, VectorMath.abs(first) + VectorMath.abs(second))
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double {
    let first = try juliaXlogy(y, p + eps, "binarycrossentropy: xlogy(y, ŷ + ϵ) at element \(index + 1)")
    let second = try juliaXlogy(
      1 - y, 1 - p + eps, "binarycrossentropy: xlogy(1 − y, 1 − ŷ + ϵ) at element \(index + 1)")
    return -first - second
  }
}

/// `logitbinarycrossentropy`: `(1 − y)·ŷ − logσ(ŷ)`, evaluated as
/// `(1 − y)·ŷ + log1p(e^−ŷ)` for `ŷ > 0` and `−y·ŷ + log1p(e^ŷ)` otherwise (both equal to the
/// literal `(1 − y)·ŷ + max(−ŷ, 0) + log1p(e^−|ŷ|)`, without its cancellation).
struct LogitBinaryCrossentropyTerm: ElementwiseTerm {
  static var cost: Int { 10 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    let softplusTail = VectorMath.log1p(VectorMath.exp(-VectorMath.abs(p)))
    let linear = (-(y * p)).replacing(with: (1 - y) * p, where: p .> 0)
    if A.compensated { return twoSum(linear, softplusTail) }
    return (linear + softplusTail, .zero)
  }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_LOGITBINARYCROSSENTROPY), 0) }
  static var hasShortForm: Bool { true }
  @inline(__always) func short(_ p: Lanes, _ y: Lanes) -> (value: Lanes, magnitude: Lanes) {
    let softplusTail = ShortMath.log1p(ShortMath.exp(-VectorMath.abs(p)))
    let linear = (-(y * p)).replacing(with: (1 - y) * p, where: p .> 0)
    // The linear part errs by at most 2⁻⁵²·|linear| ((1 − y)·ŷ may round for Floats).
    return (linear + softplusTail, 2 * softplusTail + 0x1p-20 * VectorMath.abs(linear))
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double {
    (1 - y) * p + literalSoftplus(-p)
  }
}

/// `poisson_loss`: `ŷ − xlogy(y, ŷ)`.
struct PoissonTerm: ElementwiseTerm {
  static var cost: Int { 8 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    if A.compensated {
      // Float64: ŷ − y·log ŷ cancels near its minimum (ŷ ≈ y; at y = 3 the term is a tenth of
      // y·log ŷ), so the logarithm is a double-double (``VectorMath/logDD(_:plus:)``, 2⁻⁵⁸) and
      // y·log ŷ an error-free product: the term is within 2⁻⁵⁸ of |y·log ŷ|, not 2⁻⁵³.
      let (ph, pl) = VectorMath.scaledDD(y, VectorMath.logDD(p))
      let (th, tl) = twoSum(p, -ph)
      // xlogy's rule: 0 where y == 0 and ŷ is not negative (NaN there otherwise, from the log).
      let zero = (y .== 0) .& .!(p .< 0)
      return (th.replacing(with: p, where: zero), (tl - pl).replacing(with: 0, where: zero))
    }
    return (p - xlogy(y, p), .zero)
  }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_POISSON), 0) }
  static var hasShortForm: Bool { true }
  @inline(__always) func short(_ p: Lanes, _ y: Lanes) -> (value: Lanes, magnitude: Lanes) {
    let l = shortXlogy(y, p)
    return (p - l, VectorMath.abs(l) + 0x1p-20 * VectorMath.abs(p))
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double {
    p - (try juliaXlogy(y, p, "poisson_loss: xlogy(y, ŷ) at element \(index + 1)"))
  }
}

/// `1 − ŷ·y` as `hi + lo` (exactly for Float64, via an error-free product), clamped below at 0
/// with NaN propagated (Julia's `max(0, x)`).
@inline(__always) func hingeMargin<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
  if A.compensated {
    let (q, qe) = twoProduct(p, y)
    let (r, re) = twoSum(Lanes(repeating: 1), -q)
    let e = re - qe
    // Renormalize: when ŷ·y rounds to 1 the margin lives in the low part alone.
    let hi = r + e
    let lo = e - (hi - r)
    let negative = (hi .< 0) .| ((hi .== 0) .& (lo .< 0))
    return (hi.replacing(with: 0, where: negative), lo.replacing(with: 0, where: negative))
  }
  let r = 1 - p * y  // ŷ·y of two Floats is exact in Double
  return (r.replacing(with: 0, where: r .< 0), .zero)
}

/// `hinge`: `max(0, 1 − ŷ·y)`.
struct HingeTerm: ElementwiseTerm {
  static var cost: Int { 1 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _ a: A.Type) -> (hi: Lanes, lo: Lanes) {
    hingeMargin(p, y, a)
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double { juliaMaxZero(1 - p * y) }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_HINGE), 0) }
}

/// `squared_hinge`: `max(0, 1 − ŷ·y)²`.
struct SquaredHingeTerm: ElementwiseTerm {
  static var cost: Int { 1 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _ a: A.Type) -> (hi: Lanes, lo: Lanes) {
    let (h, l) = hingeMargin(p, y, a)
    return (h * h, 2 * h * l)
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double {
    let h = juliaMaxZero(1 - p * y)
    return h * h
  }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_SQUARED_HINGE), 0) }
}
