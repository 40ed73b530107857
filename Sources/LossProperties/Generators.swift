import Foundation
import LossCore

/// The generators of the property suite: shapes, values over the whole exponent range, special
/// values, probability columns, logits with huge spreads, labels, boundary placements, and the
/// natural inputs of each loss.
///
/// They are written to find bugs, not to exercise code: about a fifth of all values are drawn
/// with a uniformly random exponent over the dtype's *whole* range (subnormals to the largest
/// finite value), a tenth are special finite values (±0, the smallest subnormal, the smallest
/// normal, the largest finite, 1 ± ulp), arrays come in styles that stress reductions (a common
/// huge or tiny scale, clustered values that cancel), and targets are often placed on or next to
/// the prediction (perfect fits, one-ulp misses).
public enum Gen {
  // MARK: Element types and shapes

  /// Float32 or Float64, evenly.
  public static func dtype(_ r: inout SplitMix64) -> DType { r.chance(0.5) ? .float32 : .float64 }

  /// A shape of rank `minRank...maxRank` (rank 1 and 2 most often), dimensions 1 to 8, at most
  /// `maxCount` elements.
  public static func shape(_ r: inout SplitMix64, maxCount: Int = 64, minRank: Int = 1, maxRank: Int = 4) -> [Int] {
    var rank = r.weighted([(40, 1), (35, 2), (17, 3), (8, 4)])
    if minRank == 0 && r.chance(0.04) { rank = 0 }
    rank = Swift.min(Swift.max(rank, minRank), maxRank)
    var dims: [Int] = []
    var room = maxCount
    for _ in 0..<rank {
      var d = r.weighted([(22, 1), (30, 2), (22, 3), (26, r.int(4...8))])
      d = Swift.max(1, Swift.min(d, room))
      dims.append(d)
      room = Swift.max(1, room / d)
    }
    return dims
  }

  // MARK: Values

  /// The exponent range of `dtype`, subnormals included: `2^min` is the smallest subnormal.
  static func exponentRange(_ dtype: DType) -> ClosedRange<Int> {
    (dtype.minExponent - dtype.significandBits + 1)...dtype.maxExponent
  }

  /// `x` with its significand cut to `bits` bits (towards zero): dyadic values, ties, exact sums.
  static func truncate(_ x: Double, bits: Int) -> Double {
    guard x.isFinite, x != 0 else { return x }
    let e = x.exponent
    let scale = Double(sign: .plus, exponent: bits - 1 - Int(e), significand: 1)
    let scaled = (x * scale).rounded(.towardZero)
    return scaled / scale
  }

  /// `x` rounded to `dtype`, with an overflow clamped to the largest finite value.
  static func fit(_ x: Double, _ dtype: DType) -> Double {
    let v = dtype.round(x)
    // Also an x that overflowed Double in a generator's arithmetic (v·(1 + 2⁻ᵏ) near the largest
    // finite value): the generators draw finite values only; NaN and ±∞ are placed explicitly.
    if v.isInfinite {
      return x > 0 ? FloatFacts.greatestFinite(dtype) : -FloatFacts.greatestFinite(dtype)
    }
    return v
  }

  /// A special finite value of `dtype`: ±0, the smallest subnormal, the smallest normal, the
  /// largest finite value, 1 and its neighbours, ½, 2.
  static func specialFinite(_ r: inout SplitMix64, _ dtype: DType) -> Double {
    let one = 1.0
    return r.pick([
      0, -0.0, FloatFacts.leastNonzero(dtype), FloatFacts.leastNormal(dtype), FloatFacts.greatestFinite(dtype),
      one, one + FloatFacts.ulp(1, dtype), one - FloatFacts.ulp(1, dtype) / 2, 0.5, 2,
    ])
  }

  /// A value of `kind` in `dtype`.
  ///
  /// Mixture for `.real`: 30% moderate (|x| ≤ 4, often cut to a few significand bits), 12% small
  /// integers and halves, 20% a uniformly random exponent over the whole range, 10% special
  /// finite values, 8% powers of two near 1; the sign is random (−0 included).
  public static func value(_ r: inout SplitMix64, _ dtype: DType, _ kind: ValueKind) -> Double {
    switch kind {
    case .unit: return unitValue(&r, dtype)
    case .label01: return r.chance(0.5) ? 0 : 1
    case .labelPM1: return r.chance(0.5) ? -1 : 1
    case .probability: return unitValue(&r, dtype)
    case .real, .nonnegative, .positive, .fixed: break
    }
    var x: Double
    switch r.weighted([(30, 0), (12, 1), (20, 2), (10, 3), (8, 4)]) {
    case 0:
      x = Double.random(in: 0...4, using: &r)
      if r.chance(0.4) { x = truncate(x, bits: r.int(1...dtype.significandBits)) }
    case 1:
      x = Double(r.int(0...8)) / Double(r.pick([1, 2, 4]))
    case 2:
      let e = r.int(exponentRange(dtype))
      x = Double(sign: .plus, exponent: e, significand: 1 + r.unit())
    case 3:
      x = specialFinite(&r, dtype).magnitude
    default:
      x = Double(sign: .plus, exponent: r.int(-30...30), significand: 1)
    }
    x = fit(x, dtype)
    switch kind {
    case .positive:
      if x == 0 { x = r.chance(0.5) ? FloatFacts.leastNonzero(dtype) : 1 }
    case .nonnegative:
      break
    default:
      if r.chance(0.5) { x = -x }
    }
    return x
  }

  /// A value of `[0, 1]`: 0, 1, ½, uniform, dyadic, tiny (down to subnormal), or just below 1.
  static func unitValue(_ r: inout SplitMix64, _ dtype: DType) -> Double {
    let p = dtype.significandBits
    switch r.weighted([(10, 0), (10, 1), (5, 2), (35, 3), (15, 4), (10, 5), (10, 6), (5, 7)]) {
    case 0: return 0
    case 1: return 1
    case 2: return 0.5
    case 3: return fit(r.unit(), dtype)
    case 4:
      let m = r.int(1...p)
      return Double(r.int(0...(1 << Swift.min(m, 62)) - 1)) / Double(sign: .plus, exponent: m, significand: 1)
    case 5:
      let e = r.int(1...Swift.min(60, -exponentRange(dtype).lowerBound))
      return fit(Double(sign: .plus, exponent: -e, significand: 1 + r.unit()) / 2, dtype)
    case 6:
      return 1 - Double(sign: .plus, exponent: -r.int(1...p), significand: 1)
    default:
      return FloatFacts.leastNonzero(dtype) * Double(r.int(1...4))
    }
  }

  /// An array of `count` values of `kind`, in one of several styles: independent (55%); a
  /// common, uniformly random exponent over the whole range (15%: sums that overflow or
  /// underflow when evaluated naively); clustered around one value within a few ulps (10%:
  /// cancellation); benign moderate values (20%).
  public static func array(_ r: inout SplitMix64, count: Int, _ dtype: DType, _ kind: ValueKind) -> [Double] {
    switch kind {
    case .unit, .label01, .labelPM1, .probability:
      return (0..<count).map { _ in value(&r, dtype, kind) }
    case .real, .nonnegative, .positive, .fixed: break
    }
    let signed = kind != .nonnegative && kind != .positive
    switch r.weighted([(55, 0), (15, 1), (10, 2), (20, 3)]) {
    case 0:
      return (0..<count).map { _ in value(&r, dtype, kind) }
    case 1:
      let e = r.int(exponentRange(dtype))
      return (0..<count).map { _ in
        let x = fit(Double(sign: .plus, exponent: e, significand: 1 + r.unit()), dtype)
        return signed && r.chance(0.5) ? -x : x
      }
    case 2:
      let center = value(&r, dtype, kind == .real ? .real : .positive)
      let u = FloatFacts.ulp(center, dtype)
      return (0..<count).map { _ in
        let x = fit(center + Double(r.int(-3...3)) * u, dtype)
        return signed ? x : x.magnitude
      }
    default:
      return (0..<count).map { _ in
        let x = fit(Double.random(in: -2...2, using: &r), dtype)
        return signed ? x : (kind == .positive && x == 0 ? 1 : x.magnitude)
      }
    }
  }

  /// A target for `yhat`: independent (45%), equal (15%: a perfect fit), one to three ulps away
  /// (20%), equal at some elements (20%); always of `kind`.
  public static func target(_ r: inout SplitMix64, near yhat: [Double], _ dtype: DType, _ kind: ValueKind) -> [Double] {
    let independent = array(&r, count: yhat.count, dtype, kind)
    func inDomain(_ x: Double) -> Bool {
      switch kind {
      case .nonnegative: return x >= 0
      case .positive: return x > 0
      case .unit: return x >= 0 && x <= 1
      default: return true
      }
    }
    switch r.weighted([(45, 0), (15, 1), (20, 2), (20, 3)]) {
    case 0: return independent
    case 1: return yhat.map { inDomain($0) ? $0 : value(&r, dtype, kind) }
    case 2:
      return yhat.map { x in
        let moved = fit(x + Double(r.int(-3...3)) * FloatFacts.ulp(x, dtype), dtype)
        return inDomain(moved) ? moved : (inDomain(x) ? x : value(&r, dtype, kind))
      }
    default:
      return zip(yhat, independent).map { x, other in r.chance(0.5) && inDomain(x) ? x : other }
    }
  }

  // MARK: Probability columns

  /// The column (distribution) index of every element of `shape` when `groupDims` form the
  /// distributions: Julia's `sum(x; dims = groupDims)` groups.
  public static func columns(_ shape: [Int], groupDims: [Int]) -> (index: [Int], count: Int) {
    let reduction = Reduction(Shape(shape), dims: Set(groupDims))
    return (reduction.outputIndices(), reduction.output.count)
  }

  /// Probability columns over `groupDims`, each summing to exactly 1: every entry is `k·2⁻ᵐ` with
  /// integers `k` summing to `2ᵐ` (`m` up to the significand width, so sums and the values
  /// `1 − p` are exact). Styles per column: one-hot (20%), Dirichlet-like (35%), uniform
  /// integers (15%), nearly degenerate (one entry `1 − (C−1)·2⁻ᵐ`, 15%), sparse with zeros (15%).
  public static func probabilityColumns(_ r: inout SplitMix64, shape: [Int], groupDims: [Int], _ dtype: DType)
    -> [Double]
  {
    let (index, columnCount) = columns(shape, groupDims: groupDims)
    var members = [[Int]](repeating: [], count: columnCount)
    for (i, c) in index.enumerated() { members[c].append(i) }
    var values = [Double](repeating: 0, count: index.count)
    for column in members where !column.isEmpty {
      let size = column.count
      let p = dtype.significandBits
      let m = r.int(Swift.min(p, Swift.max(1, Int((Double(size).squareRoot()).rounded(.up)) + 2))...p)
      let total = UInt64(1) << UInt64(m)
      var ks = [UInt64](repeating: 0, count: size)
      switch r.weighted([(20, 0), (35, 1), (15, 2), (15, 3), (15, 4)]) {
      case 0:
        ks[r.int(0...(size - 1))] = total
      case 3:
        let small = UInt64(r.int(1...4))
        if small * UInt64(size - 1) < total {
          for j in 0..<size { ks[j] = small }
          ks[r.int(0...(size - 1))] = total - small * UInt64(size - 1)
        } else {
          ks[0] = total
        }
      default:
        var weights = (0..<size).map { _ -> Double in
          let u = Swift.max(r.unit(), 0x1p-60)
          return -log(u)
        }
        if r.weighted([(35, 1), (15, 2), (15, 4)]) == 4 {
          for j in 0..<size where r.chance(0.5) { weights[j] = 0 }
        }
        if r.chance(0.3) { weights = weights.map { $0 * $0 * $0 } }
        let sum = weights.reduce(0, +)
        if sum == 0 {
          ks[0] = total
        } else {
          var used: UInt64 = 0
          for j in 0..<(size - 1) {
            let k = UInt64((weights[j] / sum * Double(total)).rounded(.down))
            ks[j] = Swift.min(k, total - used)
            used += ks[j]
          }
          ks[size - 1] = total - used
        }
      }
      let scale = Double(sign: .plus, exponent: -m, significand: 1)
      for (j, i) in column.enumerated() { values[i] = Double(ks[j]) * scale }
      if r.chance(0.5) {
        // Shuffle within the column so the large entry is not always first.
        let shuffled = column.shuffled(using: &r)
        let old = column.map { values[$0] }
        for (j, i) in shuffled.enumerated() { values[i] = old[j] }
      }
    }
    return values
  }

  /// Logits: a base plus a spread times values in [−1, 1]; spreads from 1 to 10³, then 10¹⁵ and
  /// 10³⁰ (huge spreads underflow `exp(x − max)` and overflow `exp(x)`), bases up to ±10³ and
  /// sometimes 10²⁰.
  ///
  /// Differences between 2·10³ and 10¹⁵ are left out: there `exp(x − max)` (and `logσ`) underflow
  /// so far that LossSpec needs seconds to minutes per element in a debug build to round them
  /// correctly (a performance cliff of the reference, reported with the suite); values in that
  /// range are moved to ±10¹⁵.
  public static func logits(_ r: inout SplitMix64, count: Int, _ dtype: DType) -> [Double] {
    let spread = r.pick([1.0, 4, 30, 100, 1e3, 1e15, 1e30])
    var base = r.weighted([(50, 0.0), (30, Double(r.int(-100...100))), (12, r.pick([1e3, -1e3])), (8, 1e20)])
    if r.chance(0.5) { base = -base }
    let limit = FloatFacts.greatestFinite(dtype) / 4
    return (0..<count).map { _ in
      let x = base + spread * Double.random(in: -1...1, using: &r)
      var v = Swift.min(Swift.max(x, -limit), limit)
      if r.chance(0.2) { v = truncate(v, bits: r.int(1...8)) }
      if v.magnitude > 2e3 && v.magnitude < 1e15 { v = v > 0 ? 1e15 : -1e15 }
      return fit(v, dtype)
    }
  }
}
