import CLossFastKernels
import LossCore

/// How `sum(x; dims)` groups a column-major array, computed without allocating.
struct ClassLayout {
  /// The number of elements.
  var count: Int
  /// The number of reduced values (Julia's reduced array; the divisor of `mean`).
  var outputCount: Int
  /// When the reduced dimensions of size > 1 all precede the kept ones, group `g` is the
  /// contiguous block `g·length ..< (g + 1)·length`; `nil` otherwise.
  var groupLength: Int?

  init(shape: [Int], dims: [Int]) {
    var reducedCount = 1
    var outputs = 1
    var keptSeen = false
    var contiguous = true
    for (k, size) in shape.enumerated() {
      if dims.contains(k + 1) {
        reducedCount *= size
        if size != 1 && keptSeen { contiguous = false }
      } else {
        outputs *= size
        if size != 1 { keptSeen = true }
      }
    }
    count = reducedCount * outputs
    outputCount = outputs
    groupLength = contiguous || count == 0 ? reducedCount : nil
  }
}

/// A weight as the kernels see it.
enum WeightSpec {
  case none
  case scalar(Double)
  /// An array broadcast against ŷ (Julia's rule), read through `value`.
  case array(shape: [Int], value: (Int) -> Double)

  var scalarValue: Double {
    if case .scalar(let w) = self { return w }
    return 1
  }
  var isArray: Bool {
    if case .array = self { return true }
    return false
  }
}

/// `xlogy(y, ŷ + ϵ)`, the crossentropy term before weight and sign (Float64: the sum `ŷ + ϵ`
/// kept exact and its rounding error fed to the logarithm).
struct XlogyTerm: ElementwiseTerm {
  let eps: Double
  static var cost: Int { 8 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    if A.compensated {
      let (s, e) = twoSum(p, Lanes(repeating: eps))
      return (xlogy(y, s, plus: logCorrection(s, e)), .zero)
    }
    return (xlogy(y, p + eps), .zero)
  }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_XLOGY), eps) }
  static var hasShortForm: Bool { true }
  @inline(__always) func short(_ p: Lanes, _ y: Lanes) -> (value: Lanes, magnitude: Lanes) {
    let v = shortXlogy(y, p + eps)
    return (v, VectorMath.abs(v))
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double {
    try juliaXlogy(y, p + eps, "crossentropy: xlogy(y, ŷ + ϵ) at element \(index + 1)")
  }
}

/// `xlogx(y) − xlogy(y, ŷ + ϵ)`, the kldivergence term, as `y · log(y/(ŷ + ϵ))` (one logarithm;
/// `log1p` of `(y − q)/q` near a perfect fit, where the two logarithms would cancel).
/// NaN (the DomainError marker) where `y < 0` or `ŷ + ϵ < 0`.
///
/// Float64, near a fit (`|s| ≤ ¼` with `s = (q − y)/y`): the term is delivered as
/// `(y − q) + y·φ(s)`, `φ(s) = s − log1p(s)` (see ``nearFitTerm(_:_:eps:)``): the first-order parts
/// `y − q` are exact and cancel exactly in the compensated sum where Σŷ = Σy, which a rounded
/// `y·log1p(·)` per term does not (50 bits lost at ŷ = p(1 + 10⁻¹⁵)); what is left, `Σ y·φ`, is a
/// sum of non-negative terms, each a double-double within about 2⁻⁵⁵ relative. Elsewhere
/// `y·log(y/q)` with the ratio's rounding error recovered and a double-double logarithm
/// (``farTerm(_:_:)``).
struct KLTerm: ElementwiseTerm {
  let eps: Double
  static var cost: Int { 8 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    if A.compensated {
      let (hi, lo, nearFit) = Self.nearFitTerm(p, y, eps: eps)
      if all(nearFit) { return (hi, lo) }
      let (fh, fl) = farTerm(p, y)
      if !any(nearFit) { return (fh, fl) }
      return (fh.replacing(with: hi, where: nearFit), fl.replacing(with: lo, where: nearFit))
    }
    return (plain(p, y), .zero)
  }

  /// The term near a fit as `hi + lo = (y − q) + y·φ(s)`, with `q = ŷ + ϵ` and `s = (q − y)/y`,
  /// where `nearFit` (`y > 0`, `q > 0`, `|s| ≤ ¼`, all finite).
  ///
  /// `y·log(y/q) = −y·log1p(s) = −y·s + y·(s − log1p(s)) = (y − q) + y·φ(s)`. `q` is split exactly
  /// (TwoSum), `y − q` is `a + (b − q_lo)` with `a + b = y − q_hi` exact. `φ` uses
  /// `log1p(s) = 2·atanh(w)`, `w = s/(2 + s)`: `φ(s) = s·w − 2w³·Σₖ w²ᵏ/(2k + 3)`, and
  /// `s − 2w = s·w` exactly in real arithmetic, so nothing cancels: `|w| ≤ 1/7` for `|s| ≤ ¼`,
  /// ten terms leave less than `w²¹/23 < 2⁻⁶²` relative. `s`, `w` and `s·w` are double-doubles
  /// (quotient remainders and products recovered exactly), the cubic tail (at most `s/6` of
  /// `φ`) is rounded: `φ` is within about 2⁻⁵⁶ relative, `y·φ` an error-free product, and
  /// `y − q` plus `y·φ`'s high part is split exactly, so `lo` is small beside `hi`.
  @inline(__always) static func nearFitTerm(_ p: Lanes, _ y: Lanes, eps: Double) -> (
    hi: Lanes, lo: Lanes, nearFit: SIMDMask<SIMD4<Int64>>
  ) {
    let (qh, ql) = twoSum(p, Lanes(repeating: eps))
    let (a, b) = twoSum(y, -qh)
    let dlo = b - ql
    // y − q = n0 + n1; s = −(n0 + n1)/y = sh + sl.
    let (n0, n1) = twoSum(a, dlo)
    let sh = -n0 / y
    let nearFit = (VectorMath.abs(sh) .<= 0.25) .& (y .> 0) .& (qh .> 0) .& (y .< .infinity) .& (qh .< .infinity)
    guard any(nearFit) else { return (.zero, .zero, nearFit) }
    let (ph, pl) = twoProduct(sh, y)
    let sl = (((-n0 - ph) - pl) - n1) / y
    // w = s/(2 + s) = wh + wl.
    let (dh, dl0) = twoSum(Lanes(repeating: 2), sh)
    let dl = dl0 + sl
    let wh = sh / dh
    let (qh2, ql2) = twoProduct(wh, dh)
    let wl = (((sh - qh2) - ql2) + sl - wh * dl) / dh
    let w2 = wh * wh
    var series = Lanes(repeating: 1.0 / 21)
    for k in stride(from: 8, through: 0, by: -1) { series = series * w2 + Lanes(repeating: 1 / Double(2 * k + 3)) }
    let cubic = 2 * wh * w2 * series
    // φ = s·w − cubic = fh + fl.
    let (swh, swl) = twoProduct(sh, wh)
    let fh = swh
    let fl = (swl + (sh * wl + sl * wh)) - cubic
    // y·φ = yh + yl; the term (y − q) + y·φ = a + yh + (dlo + yl), a + yh split exactly.
    let (yh, yl0) = twoProduct(y, fh)
    let yl = yl0 + y * fl
    let (hi, e) = twoSum(a, yh)
    return (hi, e + (dlo + yl), nearFit)
  }

  /// The Float64 term away from a fit: `y·log(r·(1 + δ))` with `r = fl(y/q)`, `q = ŷ + ϵ` split
  /// exactly and `δ` the quotient's relative error (recovered by an error-free product), the
  /// logarithm a double-double and the product error-free; where the ratio overflows or
  /// underflows, `y·(log y − log q)`. Same zero, NaN and non-finite lanes as ``plain(_:_:)``.
  @inline(__always) func farTerm(_ p: Lanes, _ y: Lanes) -> (hi: Lanes, lo: Lanes) {
    let (qh, ql) = twoSum(p, Lanes(repeating: eps))
    let r = y / qh
    let (pr, er) = twoProduct(r, qh)
    let delta = logCorrection(y, ((y - pr) - er) - r * ql)
    var (lh, ll) = VectorMath.logDD(r, plus: delta)
    let magnitude = VectorMath.abs(r)
    // Beyond 2⁹⁹⁶ the ratio's error-free product overflows without FMA (Dekker's split).
    let outOfRange = (magnitude .< 0x1p-996) .| (magnitude .> 0x1p996)
    if any(outOfRange) {
      let (ha, la) = VectorMath.logDD(y)
      let (hb, lb) = VectorMath.logDD(qh, plus: logCorrection(qh, ql))
      let (dh, dl) = twoSum(ha, -hb)
      let use = outOfRange .& (y .> 0) .& (y .< .infinity) .& (qh .> 0) .& (qh .< .infinity)
      lh = lh.replacing(with: dh, where: use)
      ll = ll.replacing(with: dl + (la - lb), where: use)
    }
    var (hi, lo) = VectorMath.scaledDD(y, (lh, ll))
    let zero = (y .== 0) .& .!(qh .< 0)
    hi = hi.replacing(with: 0, where: zero)
    lo = lo.replacing(with: 0, where: zero)
    hi = hi.replacing(with: .nan, where: (y .< 0) .| (qh .< 0))
    return (hi, lo)
  }

  /// The term as one rounded value: `y·log(y/q)` with one logarithm.
  @inline(__always) func plain(_ p: Lanes, _ y: Lanes) -> Lanes {
    let q = p + eps
    let ratio = y / q
    let t = (y - q) / q
    let near = VectorMath.abs(t) .<= 0.25
    var l = either(near, VectorMath.log1p(t), VectorMath.log(ratio))
    let magnitude = VectorMath.abs(ratio)
    let outOfRange = .!near .& ((magnitude .< 0x1p-1022) .| (magnitude .== .infinity))
    if any(outOfRange) {
      let direct = VectorMath.log(y) - VectorMath.log(q)
      l = l.replacing(with: direct, where: outOfRange .& (y .> 0) .& (y .< .infinity) .& (q .> 0) .& (q .< .infinity))
    }
    var v = (y * l).replacing(with: 0, where: (y .== 0) .& .!(q .< 0))
    v = v.replacing(with: .nan, where: (y .< 0) .| (q .< 0))
    return v
  }
  var vectorKernel: (term: Int32, eps: Double)? { (Int32(LFK_TERM_KLDIVERGENCE), eps) }
  static var hasShortForm: Bool { true }
  @inline(__always) func short(_ p: Lanes, _ y: Lanes) -> (value: Lanes, magnitude: Lanes) {
    let q = p + eps
    // A zero label's lane computes log(1) (its term is 0): no −∞, no slow special path.
    let l = shortLogRatio(y, q, zero: y .== 0)
    var v = (y * l).replacing(with: 0, where: (y .== 0) .& .!(q .< 0))
    v = v.replacing(with: .nan, where: (y .< 0) .| (q .< 0))
    let m = VectorMath.abs(v)
    return (v, m + m)
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double {
    let entropy = try juliaXlogy(y, y, "kldivergence: xlogx(y) at element \(index + 1)")
    return entropy - (try juliaXlogy(y, p + eps, "kldivergence: xlogy(y, ŷ + ϵ) at element \(index + 1)"))
  }
}

/// The class-reducing losses: crossentropy, logitcrossentropy, kldivergence.
enum ClassKernel {
  enum Kind { case crossentropy, logitcrossentropy, kldivergence }

  /// The result before rounding: one value, or the reduced array (`agg = none`).
  enum Result {
    case scalar(Double)
    case array([Double])
  }

  /// Evaluates a class-reducing loss. The fast paths cover contiguous groups (the default
  /// `dims = 1`, or any leading block of dimensions) with no weight or a scalar weight, and any
  /// layout for crossentropy and kldivergence with `agg` mean or sum (whose total ignores the
  /// grouping); everything else, and every non-finite fast result, goes through ``general``.
  static func evaluate<P: Operand, Y: Operand>(
    _ kind: Kind, _ p: P, _ y: Y, shape: [Int], dims: [Int], weight: WeightSpec, eps: Double,
    agg: Aggregation, compensated: Bool, threads: Int
  ) throws(LossError) -> Result {
    let result = try unscaled(
      kind, p, y, shape: shape, dims: dims, weight: weight, eps: eps, agg: agg, compensated: compensated,
      threads: threads)
    // Float64 only (Float32 data are far from Double's subnormals): a result below 2⁻⁹⁶⁹ may
    // have lost bits to terms `y·log q` rounded in the subnormal range, or to a weight applied
    // to such a sum. crossentropy and logitcrossentropy are linear in y, so they are evaluated
    // again with y·2⁶⁰⁰ (exact) and scaled back with one more rounding (faithful).
    // kldivergence, `y·log(y/(ŷ + ϵ))`, is homogeneous of degree 1 in (ŷ, y, ϵ) together, so it is
    // evaluated again with all three scaled by 2⁶⁰⁰ (e.g. labels of 5e-324 against ŷ = 0, whose
    // terms were rounded to subnormals). A rescaled evaluation that is not finite (large inputs)
    // keeps the first result.
    guard compensated else { return result }
    let tiny = { (v: Double) in Swift.abs(v) < 0x1p-969 }
    switch result {
    case .scalar(let v):
      guard tiny(v) else { return result }
    case .array(let values):
      guard values.contains(where: tiny) else { return result }
    }
    let rescaled =
      kind == .kldivergence
      ? try? unscaled(
        kind, ScaledOperand(base: p, scale: 0x1p600), ScaledOperand(base: y, scale: 0x1p600), shape: shape,
        dims: dims, weight: weight, eps: eps * 0x1p600, agg: agg, compensated: compensated, threads: threads)
      : try? unscaled(
        kind, p, ScaledOperand(base: y, scale: 0x1p600), shape: shape, dims: dims, weight: weight, eps: eps,
        agg: agg, compensated: compensated, threads: threads)
    switch (result, rescaled) {
    case (.scalar(let v), .scalar(let s)?) where s.isFinite:
      return .scalar(tiny(v) ? s * 0x1p-600 : v)
    case (.array(let values), .array(let scaled)?) where scaled.count == values.count:
      return .array(zip(values, scaled).map { v, s in tiny(v) && s.isFinite ? s * 0x1p-600 : v })
    default:
      return result
    }
  }

  private static func unscaled<P: Operand, Y: Operand>(
    _ kind: Kind, _ p: P, _ y: Y, shape: [Int], dims: [Int], weight: WeightSpec, eps: Double,
    agg: Aggregation, compensated: Bool, threads: Int
  ) throws(LossError) -> Result {
    let layout = ClassLayout(shape: shape, dims: dims)
    let n = layout.count
    let w = weight.scalarValue
    if !weight.isArray {
      switch (kind, agg) {
      case (.crossentropy, .sum), (.crossentropy, .mean), (.kldivergence, .sum), (.kldivergence, .mean):
        let total =
          kind == .crossentropy
          ? ElementwiseKernel.total(XlogyTerm(eps: eps), p, y, count: n, compensated: compensated, threads: threads)
          : ElementwiseKernel.total(KLTerm(eps: eps), p, y, count: n, compensated: compensated, threads: threads)
        if total.isFinite {
          // crossentropy: −w·Σ; kldivergence: Σ (no weight).
          let signed = kind == .crossentropy ? DoubleDouble(-total.hi, -total.lo) : total
          let scaled = kind == .crossentropy && w != 1 ? DoubleDouble(signed.multiplied(by: w)) : signed
          if agg == .mean {
            return .scalar(layout.outputCount == 0 ? .nan : scaled.divided(by: Double(layout.outputCount)) + 0)
          }
          return .scalar(scaled.value + 0)
        }
      default:
        if let length = layout.groupLength {
          if let result = grouped(
            kind, p, y, layout: layout, groupLength: length, weight: w, eps: eps, agg: agg,
            compensated: compensated, threads: threads)
          {
            return result
          }
        }
      }
    }
    return try general(
      kind, p, y, shape: shape, dims: dims, weight: weight, eps: eps, agg: agg, compensated: compensated)
  }

  /// The group value `Σ_group term` (before sign and weight) of group `g`, contiguous, and its
  /// magnitude (the short kernels' error bound over 2⁻³²; 0 for the full-precision kernels).
  ///
  /// With `short` (Float32 data) the group is first computed with ``ShortMath``, kept when finite
  /// and well conditioned (magnitude ≤ 16·|value|), else recomputed with the full precision.
  @inline(__always)
  static func groupValue<P: Operand, Y: Operand, A: LaneAccumulator>(
    _ kind: Kind, _ p: P, _ y: Y, start: Int, length: Int, eps: Double, short: Bool, _: A.Type
  ) -> (value: DoubleDouble, magnitude: Double) {
    let range = start..<start + length
    if short {
      let pair: SumPair
      switch kind {
      case .crossentropy: pair = ElementwiseKernel.shortChunkSum(XlogyTerm(eps: eps), p, y, range)
      case .kldivergence: pair = ElementwiseKernel.shortChunkSum(KLTerm(eps: eps), p, y, range)
      case .logitcrossentropy: pair = logitGroup(p, y, start: start, length: length, short: true, A.self)
      }
      let magnitude = pair.second.value
      if pair.first.isFinite && magnitude.isFinite
        && magnitude <= ElementwiseKernel.shortConditionLimit * Swift.abs(pair.first.value)
      {
        return (pair.first, magnitude)
      }
    }
    switch kind {
    case .crossentropy:
      return (ElementwiseKernel.chunkSum(XlogyTerm(eps: eps), p, y, range, A.self), 0)
    case .kldivergence:
      return (ElementwiseKernel.chunkSum(KLTerm(eps: eps), p, y, range, A.self), 0)
    case .logitcrossentropy:
      return (logitGroup(p, y, start: start, length: length, short: false, A.self).first, 0)
    }
  }

  /// The signed group values `±Σ_group term` of contiguous groups; as a chunk body, their sum
  /// and the sum of their magnitudes.
  struct GroupValues<P: Operand, Y: Operand>: ChunkBody {
    let kind: Kind
    let p: P
    let y: Y
    let groupLength: Int
    let eps: Double
    let compensated: Bool
    /// Float32 data: try the short kernels first.
    let short: Bool

    @inline(__always) func value(_ g: Int) -> (value: DoubleDouble, magnitude: Double) {
      let (v, m) =
        compensated
        ? groupValue(
          kind, p, y, start: g * groupLength, length: groupLength, eps: eps, short: false,
          CompensatedAccumulator.self)
        : groupValue(
          kind, p, y, start: g * groupLength, length: groupLength, eps: eps, short: short, PlainAccumulator.self)
      return (kind == .kldivergence ? v : DoubleDouble(-v.hi, -v.lo), m)
    }

    /// Calls `body(g, value, magnitude)` for each group `g` of `range`, in order. Short
    /// logitcrossentropy groups of up to ``ClassKernel/acrossGroupsLength`` classes are computed
    /// four at a time (``ClassKernel/logitGroupsShort``), a lane that is not finite or ill
    /// conditioned recomputed alone at full precision.
    @inline(__always) func forEachValue(in range: Range<Int>, _ body: (Int, DoubleDouble, Double) -> Void) {
      var g = range.lowerBound
      // A short group value kept when finite and well conditioned, else the group again at full
      // precision.
      func emit(_ group: Int, _ v: Double, _ m: Double) {
        if v.isFinite && m <= ElementwiseKernel.shortConditionLimit * Swift.abs(v) {
          body(group, DoubleDouble(-v), m)
        } else {
          let (precise, _) = groupValue(
            kind, p, y, start: group * groupLength, length: groupLength, eps: eps, short: false,
            PlainAccumulator.self)
          body(group, DoubleDouble(-precise.hi, -precise.lo), 0)
        }
      }
      if short && kind == .logitcrossentropy && groupLength <= acrossGroupsLength {
        // Float data: eight groups at a time with the C kernel (VectorKernels.swift).
        while g + 8 <= range.upperBound, let pf = p.floats(from: g * groupLength),
          let yf = y.floats(from: g * groupLength),
          let (v, m) = VectorKernels.logitGroups8(pf, yf, length: groupLength)
        {
          for j in 0..<8 { emit(g + j, v[j], m[j]) }
          g += 8
        }
        while g + 4 <= range.upperBound {
          let (v, m) = logitGroupsShort(p, y, first: g, length: groupLength)
          for j in 0..<4 { emit(g + j, v[j], m[j]) }
          g += 4
        }
      }
      if compensated && kind == .logitcrossentropy && groupLength <= acrossGroupsLength {
        // Float64 data: eight groups at a time with the C kernel; a group that is not finite
        // there is computed again alone (and found not finite: the general path decides it).
        while g + 8 <= range.upperBound, let pd = p.doubles(from: g * groupLength),
          let yd = y.doubles(from: g * groupLength),
          let (h, l) = VectorKernels.logitGroups8(pd, yd, length: groupLength)
        {
          for j in 0..<8 {
            if h[j].isFinite && l[j].isFinite {
              body(g + j, DoubleDouble(-h[j], -l[j]), 0)
            } else {
              let (v, m) = value(g + j)
              body(g + j, v, m)
            }
          }
          g += 8
        }
      }
      while g < range.upperBound {
        let (v, m) = value(g)
        body(g, v, m)
        g += 1
      }
    }

    func callAsFunction(_ range: Range<Int>) -> SumPair {
      var t = DoubleDouble.zero
      var m = DoubleDouble.zero
      var g = range.lowerBound
      if short && kind == .logitcrossentropy && groupLength <= acrossGroupsLength {
        // Float data: whole blocks of eight groups summed in C, each group kept there on the
        // same condition as `emit`'s; a block with a group that is not is taken group by group.
        while g + 8 <= range.upperBound, let pf = p.floats(from: g * groupLength),
          let yf = y.floats(from: g * groupLength),
          let sums = VectorKernels.logitSum(pf, yf, length: groupLength, blocks: (range.upperBound - g) / 8)
        {
          t += DoubleDouble(-sums.value.hi, -sums.value.lo)
          m += sums.magnitude
          g += 8 * sums.blocks
          guard g + 8 <= range.upperBound else { break }
          forEachValue(in: g..<(g + 8)) { _, v, vm in
            t += v
            m += DoubleDouble(vm)
          }
          g += 8
        }
      }
      forEachValue(in: g..<range.upperBound) { _, v, vm in
        t += v
        m += DoubleDouble(vm)
      }
      return SumPair(first: t, second: m)
    }
  }

  /// Groups of at most this many classes are computed four groups at a time, a group per lane
  /// (Float32 logitcrossentropy): within a group of 10 classes, 4-lane vectors would be
  /// partly empty and the per-group scalar work would dominate.
  static let acrossGroupsLength = 32

  /// logitcrossentropy of the four contiguous groups `g₀ ..< g₀ + 4` (lane `j`: group `g₀ + j`),
  /// Float32 data, with ``ShortMath``: lane values `Σ y·(x − m) − L·Σ y` (as ``logitGroup``:
  /// `L = log1p(Σ' e^(x − m))`, the first maximal class left out) and magnitudes `2·|L·Σ y|`.
  /// NaN in a lane whose group has a NaN or an infinite maximum.
  @inline(__always)
  static func logitGroupsShort<P: Operand, Y: Operand>(
    _ p: P, _ y: Y, first g0: Int, length: Int
  ) -> (value: Lanes, magnitude: Lanes) {
    let b0 = g0 * length
    let b1 = b0 + length
    let b2 = b1 + length
    let b3 = b2 + length
    var m = Lanes(repeating: -.infinity)
    var nan = SIMDMask<SIMD4<Int64>>(repeating: false)
    for c in 0..<length {
      let x = Lanes(p[b0 + c], p[b1 + c], p[b2 + c], p[b3 + c])
      nan .|= x .!= x
      m = pointwiseMax(m, x)
    }
    var s = Lanes.zero
    var a = Lanes.zero
    var b = Lanes.zero
    var found = SIMDMask<SIMD4<Int64>>(repeating: false)
    for c in 0..<length {
      let x = Lanes(p[b0 + c], p[b1 + c], p[b2 + c], p[b3 + c])
      let t = Lanes(y[b0 + c], y[b1 + c], y[b2 + c], y[b3 + c])
      let first = (x .== m) .& .!found
      found .|= first
      let d = x - m
      s += ShortMath.exp(d).replacing(with: 0, where: first)
      a += t * d
      b += t
    }
    let product = ShortMath.log1p(s) * b
    let value = (a - product).replacing(with: .nan, where: nan .| .!finiteLanes(m))
    return (value, 2 * VectorMath.abs(product))
  }

  /// The weighted group values written to `out` (`agg = none`), and the first non-finite one.
  struct GroupOutputs<P: Operand, Y: Operand>: ChunkBody {
    let values: GroupValues<P, Y>
    let weight: Double
    let out: UnsafeMutablePointer<Double>

    func callAsFunction(_ range: Range<Int>) -> FirstIndex {
      var bad = FirstIndex.zero
      values.forEachValue(in: range) { g, v, _ in
        let r = (weight == 1 ? v.value : v.multiplied(by: weight)) + 0
        if !r.isFinite && bad.index == .max { bad.index = g }
        out[g] = r
      }
      return bad
    }
  }

  /// The contiguous-group fast path; `nil` if a group value is not finite (the caller then
  /// takes the general path, which decides the outcome class literally).
  static func grouped<P: Operand, Y: Operand>(
    _ kind: Kind, _ p: P, _ y: Y, layout: ClassLayout, groupLength: Int, weight w: Double, eps: Double,
    agg: Aggregation, compensated: Bool, threads: Int
  ) -> Result? {
    let groups = layout.outputCount
    // Float32 data (short kernels): the short sums' chunk length (ElementwiseKernel.total).
    let chunkLength = compensated ? Chunking.length : ElementwiseKernel.shortChunkLength
    let perChunk = Swift.max(1, chunkLength / Swift.max(1, groupLength))
    var groupValues = GroupValues(
      kind: kind, p: p, y: y, groupLength: groupLength, eps: eps, compensated: compensated, short: !compensated)
    let cost = 8 * Swift.max(1, groupLength)
    if agg == .none {
      var out = [Double](repeating: 0, count: groups)
      let bad = out.withUnsafeMutableBufferPointer { buffer -> FirstIndex in
        // Each chunk writes only the outputs of its own groups.
        guard let base = buffer.baseAddress else { return .zero }  // no groups
        return Parallel.reduce(
          count: groups, chunk: perChunk, threads: threads, cost: cost,
          GroupOutputs(values: groupValues, weight: w, out: base))
      }
      return bad.index == .max ? .array(out) : nil
    }
    var pair = Parallel.reduce(count: groups, chunk: perChunk, threads: threads, cost: cost, groupValues)
    if pair.first.isFinite
      && !(pair.second.value <= ElementwiseKernel.shortConditionLimit * Swift.abs(pair.first.value))
    {
      // The groups' short-kernel values cancel: all of them again at full precision.
      groupValues = GroupValues(
        kind: kind, p: p, y: y, groupLength: groupLength, eps: eps, compensated: compensated, short: false)
      pair = Parallel.reduce(count: groups, chunk: perChunk, threads: threads, cost: cost, groupValues)
    }
    let total = pair.first
    guard total.isFinite else { return nil }
    let weighted = w == 1 ? total : DoubleDouble(total.multiplied(by: w))
    if agg == .mean {
      return .scalar(groups == 0 ? .nan : weighted.divided(by: Double(groups)) + 0)
    }
    return .scalar(weighted.value + 0)
  }

  /// `Σ y·logsoftmax(x)` over one contiguous group, as `Σ y·(x − m) − L·Σ y` with
  /// `m = max x` and `L = log Σ e^(x − m) = log1p(Σ' e^(x − m))`, where `Σ'` leaves out the first
  /// maximal element (whose term is exactly 1): no cancellation in `L` when one class dominates.
  ///
  /// With `short` (Float32 data), `e^(x − m)` and `L` come from ``ShortMath`` and the second
  /// component of the result is the magnitude `2·|L·Σ y|` (the error is at most 2⁻³² of it);
  /// otherwise it is 0.
  @inline(__always)
  static func logitGroup<P: Operand, Y: Operand, A: LaneAccumulator>(
    _ p: P, _ y: Y, start: Int, length: Int, short: Bool, _: A.Type
  ) -> SumPair {
    if length == 0 { return .zero }
    let end = start + length
    // m = maximum(x), NaN if any element is NaN (Julia's maximum).
    var mv = Lanes(repeating: -.infinity)
    var nan = SIMDMask<SIMD4<Int64>>(repeating: false)
    var i = start
    while i < end {
      let count = Swift.min(4, end - i)
      var v = count == 4 ? p.load(i) : p.loadPartial(i, count: count)
      v = v.replacing(with: -.infinity, where: .!leadingLanes(count))
      nan .|= v .!= v
      mv = pointwiseMax(mv, v)
      i += count
    }
    if any(nan) { return SumPair(first: DoubleDouble(.nan), second: .zero) }
    let m = mv.max()
    if !m.isFinite { return SumPair(first: DoubleDouble(.nan), second: .zero) }
    var argmax = start
    while p[argmax] != m { argmax += 1 }
    // Σ' e^(x − m).
    var s = Lanes.zero
    let mLanes = Lanes(repeating: m)
    i = start
    while i < end {
      let count = Swift.min(4, end - i)
      let v = count == 4 ? p.load(i) : p.loadPartial(i, count: count)
      let index = SIMD4<Int64>(0, 1, 2, 3) &+ Int64(i)
      let skip = .!leadingLanes(count) .| (index .== Int64(argmax))
      let e = short ? ShortMath.exp(v - mLanes) : VectorMath.exp(v - mLanes)
      s += e.replacing(with: 0, where: skip)
      i += count
    }
    let logSum = short ? ShortMath.log1p(Lanes(repeating: s.sum()))[0] : VectorMath.log1p(s.sum())
    // Σ y·(x − m) and Σ y.
    var a = A()
    var b = A()
    i = start
    while i < end {
      let count = Swift.min(4, end - i)
      let keep = leadingLanes(count)
      let v = count == 4 ? p.load(i) : p.loadPartial(i, count: count)
      let t = (count == 4 ? y.load(i) : y.loadPartial(i, count: count)).replacing(with: 0, where: .!keep)
      if A.compensated {
        let (dh, dl) = twoSum(v, -mLanes)
        a.add(t * dh, t * dl)
      } else {
        a.add(t * (v - mLanes), .zero)
      }
      b.add(t, .zero)
      i += count
    }
    let yTotal = b.total.value
    let product = logSum * yTotal
    return SumPair(first: a.total + DoubleDouble(-product), second: DoubleDouble(short ? 2 * Swift.abs(product) : 0))
  }

  /// The general path: any layout, weight arrays, and the literal re-evaluation of non-finite
  /// fast results. Sequential and allocating (the group maps of LossCore's `Reduction`).
  ///
  /// For each group it sums the literal terms by IEEE's rules (the outcome class, DomainErrors
  /// in index order as LossSpec raises them) and, alongside, the fast terms compensated; a finite
  /// group takes the compensated value.
  @inline(never)
  static func general<P: Operand, Y: Operand>(
    _ kind: Kind, _ p: P, _ y: Y, shape: [Int], dims: [Int], weight: WeightSpec, eps: Double,
    agg: Aggregation, compensated: Bool
  ) throws(LossError) -> Result {
    let shapeValue = Shape(shape)
    let reduction = Reduction(shapeValue, dims: Set(dims))
    let groupOf = reduction.outputIndices()
    let groups = reduction.output.count
    let n = groupOf.count
    var weightAt: (Int) -> Double = { _ in 1 }
    switch weight {
    case .none: break
    case .scalar(let w): weightAt = { _ in w }
    case .array(let wshape, let value):
      let indices = Shape(wshape).broadcastIndices(to: shapeValue)
      weightAt = { i in value(indices[i]) }
    }
    func accurate(_ term: some ElementwiseTerm, _ i: Int) throws(LossError) -> DoubleDouble {
      let (h, l) =
        compensated
        ? term.vector(Lanes(repeating: p[i]), Lanes(repeating: y[i]), CompensatedAccumulator.self)
        : term.vector(Lanes(repeating: p[i]), Lanes(repeating: y[i]), PlainAccumulator.self)
      if h[0].isFinite && l[0].isFinite { return DoubleDouble(h[0], l[0]) }
      return DoubleDouble(try term.literal(p[i], y[i], index: i))
    }
    var parts: [[Double]] = []
    func finish(_ plain: [Double], _ precise: [DoubleDouble], sign: Double) -> [Double] {
      (0..<groups).map { g in sign * (plain[g].isFinite ? precise[g].value : plain[g]) }
    }
    switch kind {
    case .kldivergence:
      // The literal parts Σ xlogx(y) and Σ xlogy(y, ŷ + ϵ) decide the class (and raise the
      // DomainErrors); a finite group takes the compensated sum of the one-logarithm terms.
      var entropy = [Double](repeating: 0, count: groups)
      var cross = [Double](repeating: 0, count: groups)
      var precise = [DoubleDouble](repeating: .zero, count: groups)
      let term = KLTerm(eps: eps)
      for i in 0..<n {
        entropy[groupOf[i]] += try juliaXlogy(y[i], y[i], "kldivergence: xlogx(y) at element \(i + 1)")
      }
      for i in 0..<n {
        cross[groupOf[i]] += try juliaXlogy(y[i], p[i] + eps, "kldivergence: xlogy(y, ŷ + ϵ) at element \(i + 1)")
        precise[groupOf[i]] += try accurate(term, i)
      }
      parts.append(
        (0..<groups).map { g in
          let literal = entropy[g] - cross[g]
          return literal.isFinite ? precise[g].value : literal
        })
    case .crossentropy:
      var plain = [Double](repeating: 0, count: groups)
      var precise = [DoubleDouble](repeating: .zero, count: groups)
      let term = XlogyTerm(eps: eps)
      for i in 0..<n {
        let w = weightAt(i)
        let t = w * (try juliaXlogy(y[i], p[i] + eps, "crossentropy: xlogy(y, ŷ + ϵ) at element \(i + 1)"))
        plain[groupOf[i]] += t
        let a = try accurate(term, i)
        precise[groupOf[i]] += w == 1 ? a : DoubleDouble(a.multiplied(by: w))
      }
      parts.append(finish(plain, precise, sign: -1))
    case .logitcrossentropy:
      var maxima = [Double](repeating: -.infinity, count: groups)
      for i in 0..<n {
        let g = groupOf[i]
        if p[i].isNaN || maxima[g].isNaN {
          maxima[g] = .nan
        } else if p[i] > maxima[g] {
          maxima[g] = p[i]
        }
      }
      var argmax = [Int](repeating: -1, count: groups)
      for i in 0..<n where argmax[groupOf[i]] < 0 && p[i] == maxima[groupOf[i]] { argmax[groupOf[i]] = i }
      // x − m, by NNlib's rule where m = +∞ (`_logsoftmax!`, src/softmax.jl): 0 for the entries
      // equal to +∞, −∞ for the others (not IEEE's ∞ − ∞ = NaN). Exact in that case; otherwise
      // the rounded difference, whose error the compensated path below recovers.
      func shifted(_ i: Int) -> Double {
        let m = maxima[groupOf[i]]
        if m == .infinity { return p[i] == .infinity ? 0 : -.infinity }
        return p[i] - m
      }
      var sums = [Double](repeating: 0, count: groups)
      var others = [Double](repeating: 0, count: groups)
      for i in 0..<n {
        let g = groupOf[i]
        let e = VectorMath.exp(shifted(i))
        sums[g] += e
        if i != argmax[g] { others[g] += e }
      }
      let literalLog = try sums.map { (s: Double) throws(LossError) -> Double in
        try juliaLog(s, "logsoftmax normaliser")
      }
      let logs = others.map { VectorMath.log1p($0) }
      var plain = [Double](repeating: 0, count: groups)
      var precise = [DoubleDouble](repeating: .zero, count: groups)
      for i in 0..<n {
        let g = groupOf[i]
        let w = weightAt(i)
        let d = shifted(i)
        plain[g] += w * (y[i] * (d - literalLog[g]))
        // x − m exactly as a pair (with m = +∞ the shifted entry is 0 or −∞, exact).
        let (dh, dl) =
          maxima[g] == .infinity
          ? (Lanes(repeating: d), Lanes.zero) : twoSum(Lanes(repeating: p[i]), Lanes(repeating: -maxima[g]))
        let (sh, sl) = twoSum(dh, Lanes(repeating: -logs[g]))
        let v = DoubleDouble(sh[0], sl[0] + dl[0])
        let t = DoubleDouble(v.multiplied(by: y[i]))
        precise[g] += w == 1 ? t : DoubleDouble(t.multiplied(by: w))
      }
      parts.append(finish(plain, precise, sign: -1))
    }
    switch agg {
    case .none:
      return .array((0..<groups).map { g in parts.reduce(0) { $0 + $1[g] } + 0 })
    case .sum, .mean:
      var value = 0.0
      for part in parts {
        var plain = 0.0
        var precise = DoubleDouble.zero
        for v in part {
          plain += v
          precise += DoubleDouble(v)
        }
        let total = plain.isFinite ? precise : DoubleDouble(plain)
        value += agg == .mean ? (groups == 0 ? .nan : total.divided(by: Double(groups))) : total.value
      }
      return .scalar(value + 0)
    }
  }

}
