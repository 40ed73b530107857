import LossCore

/// Floating-point facts the laws' tolerances are built from: units in the last place, the
/// overflow threshold, error-free transformations and an accurately bounded sum.
///
/// Every tolerance in the catalogue is an *absolute* bound in the dtype's units, derived from
/// two facts: a correctly rounded result `fl(a)` satisfies `|fl(a) − a| ≤ ½·ulp(fl(a))`, and
/// rounding is monotone (`a ≤ b` implies `fl(a) ≤ fl(b)`), so exact inequalities survive it.
public enum FloatFacts {
  /// The spacing of `dtype`'s values at `|x|`, LossCore's `DType/ulp(of:)`: the unit in the
  /// last place of `x` rounded to `dtype`; the smallest subnormal for 0; the ulp of the largest
  /// finite value for non-finite or out-of-range `x`.
  ///
  /// `ulp(1, .float32) == 0x1p-23`, `ulp(0, .float64) == 0x1p-1074`.
  public static func ulp(_ x: Double, _ dtype: DType) -> Double { dtype.ulp(of: x) }

  /// Half an ulp of `x` in `dtype`, rounded up to a Double: `ulp/2`, except that half of the
  /// smallest Float64 subnormal (2⁻¹⁰⁷⁵, not a Double) is taken as 2⁻¹⁰⁷⁴.
  ///
  /// The bound on the rounding error of a correctly rounded result `fl(x)`.
  public static func halfUlp(_ x: Double, _ dtype: DType) -> Double {
    Swift.max(ulp(x, dtype) / 2, .leastNonzeroMagnitude)
  }

  /// The largest finite value of `dtype`.
  public static func greatestFinite(_ dtype: DType) -> Double {
    dtype.greatestFiniteMagnitude
  }

  /// The smallest positive normal value of `dtype`.
  public static func leastNormal(_ dtype: DType) -> Double {
    dtype.leastNormalMagnitude
  }

  /// The smallest positive subnormal value of `dtype`.
  public static func leastNonzero(_ dtype: DType) -> Double {
    dtype.leastNonzeroMagnitude
  }

  /// The magnitude from which round-to-nearest gives infinity: `max + ½·ulp(max)`
  /// (`+∞` for Float64, whose threshold a Double cannot hold; Double arithmetic overflows there).
  public static func overflowThreshold(_ dtype: DType) -> Double {
    dtype == .float64 ? .infinity : dtype.greatestFiniteMagnitude + dtype.ulp(of: dtype.greatestFiniteMagnitude) / 2
  }

  /// `x` rounded to `dtype` (out-of-range values to ±∞).
  public static func round(_ x: Double, _ dtype: DType) -> Double { dtype.round(x) }

  /// Knuth's TwoSum: `s = fl(a + b)` and `e` with `a + b == s + e` exactly (finite inputs, no
  /// overflow).
  public static func twoSum(_ a: Double, _ b: Double) -> (sum: Double, error: Double) {
    let s = a + b
    let bv = s - a
    let av = s - bv
    return (s, (a - av) + (b - bv))
  }

  /// `p = fl(a·b)` and `e` with `a·b == p + e` exactly (no overflow or underflow), by one FMA.
  public static func twoProduct(_ a: Double, _ b: Double) -> (product: Double, error: Double) {
    let p = a * b
    return (p, (-p).addingProduct(a, b))
  }

  /// `a + b` when it is exactly a value of `dtype`, else `nil`.
  public static func exactSum(_ a: Double, _ b: Double, _ dtype: DType) -> Double? {
    guard a.isFinite && b.isFinite else { return nil }
    let (s, e) = twoSum(a, b)
    guard e == 0, s.isFinite, dtype.represents(s) else { return nil }
    return s
  }

  /// `a · b` when it is exactly a value of `dtype`, else `nil`.
  public static func exactProduct(_ a: Double, _ b: Double, _ dtype: DType) -> Double? {
    guard a.isFinite && b.isFinite else { return nil }
    if a == 0 || b == 0 { return a * b }
    let p = a * b
    // Far from the subnormals the FMA residual is exact, so a zero residual proves exactness.
    guard p.isFinite, p.magnitude >= 0x1p-960, (-p).addingProduct(a, b) == 0, dtype.represents(p) else {
      return nil
    }
    return p
  }

  /// Whether `x` lies in `dtype`'s normal range or is zero (its relative rounding error is
  /// then at most the unit roundoff).
  public static func isNormalOrZero(_ x: Double, _ dtype: DType) -> Bool {
    x == 0 || (x.magnitude >= leastNormal(dtype) && x.magnitude <= greatestFinite(dtype))
  }
}

/// A sum of Doubles with a rigorous bound on its error.
///
/// The terms are added with TwoSum into a double-double accumulator; the error of that is below
/// `n·2⁻¹⁰⁴·Σ|x|`, and the final rounding to one Double adds half an ulp. Terms beyond 2¹⁰⁰⁰
/// are scaled by 2⁻⁶⁴ first (exact, except for terms below 2⁻⁹⁶⁰ that the scaling pushes into
/// the subnormals: each loses at most 2⁻¹⁰⁷⁴·2⁶⁴, counted in the bound), so sums of Float64
/// values near the largest finite one do not overflow.
public struct AccurateSum: Sendable {
  /// The sum rounded to a Double (±∞ or NaN as IEEE addition of the terms gives them).
  public var value: Double
  /// A bound on `|value − Σ x|` (0 when the sum is not finite).
  public var error: Double

  public init(_ terms: [Double]) {
    var naive = 0.0
    var largest = 0.0
    for x in terms {
      naive += x
      largest = Swift.max(largest, x.magnitude)
    }
    if naive.isNaN || terms.contains(where: { $0.isInfinite }) {
      value = naive.isNaN ? .nan : naive
      error = 0
      return
    }
    let scale = largest > 0x1p1000 ? 0x1p-64 : 1.0
    var hi = 0.0
    var lo = 0.0
    var magnitude = 0.0
    var scalingLoss = 0.0
    for x in terms {
      let scaled = x * scale
      if scale != 1 && scaled != 0 && scaled.magnitude < 0x1p-1000 { scalingLoss += 0x1p-1074 }
      let (s, e) = FloatFacts.twoSum(hi, scaled)
      hi = s
      lo += e
      magnitude += scaled.magnitude
    }
    let total = hi + lo
    let n = Double(terms.count)
    let bound = n * 0x1p-104 * magnitude + total.magnitude.ulp / 2 + scalingLoss
    value = total / scale
    error = value.isFinite ? bound / scale : 0
  }
}

/// How an observed value compares with what a law says it must be.
public struct Deviation: Sendable, Hashable {
  /// How far the observation departs from the exact relation, in ulps of the dtype at the
  /// compared value (0 when it holds exactly, `+∞` for a different outcome class).
  public var ulps: Double
  /// The departure the law allows, in the same ulps.
  public var boundUlps: Double
  /// Whether the observation is within the bound.
  public var holds: Bool

  public init(ulps: Double, boundUlps: Double, holds: Bool) {
    self.ulps = ulps
    self.boundUlps = boundUlps
    self.holds = holds
  }

  public static let exact = Deviation(ulps: 0, boundUlps: 0, holds: true)
  public static let differentClass = Deviation(ulps: .infinity, boundUlps: 0, holds: false)

  /// The worse of two deviations (a failure first, then the larger ratio to its bound).
  public func worse(_ other: Deviation) -> Deviation {
    if holds != other.holds { return holds ? other : self }
    return other.ratio > ratio ? other : self
  }

  /// `ulps / boundUlps` (0 for an exact match, `+∞` for a departure beyond a zero bound).
  public var ratio: Double {
    if ulps == 0 { return 0 }
    return boundUlps == 0 ? .infinity : ulps / boundUlps
  }
}

/// Comparisons of observed results with values a law computes, with their tolerances.
///
/// Each takes the *total* absolute error allowed: the claimed errors of the observed results
/// involved plus the error of the law's own computation, so the bound a law states is exactly
/// what is checked. Deviations are reported in ulps of the dtype at the observed value.
public enum Compare {
  /// An observed result `r` of `dtype` against a real value `x`, allowing `|r − x| ≤ error`.
  ///
  /// A non-finite `r` holds only against the same class: NaN against NaN; `±∞` against an `x`
  /// of the same sign whose enclosure reaches the overflow threshold of `dtype`.
  public static func approximately(_ r: Double, _ x: Double, error: Double, dtype: DType) -> Deviation {
    if r.isNaN || x.isNaN { return r.isNaN && x.isNaN ? .exact : .differentClass }
    if r.isInfinite {
      let reaches = x.sign == r.sign && (x.isInfinite || x.magnitude + error >= FloatFacts.overflowThreshold(dtype))
      return reaches ? .exact : .differentClass
    }
    if x.isInfinite { return .differentClass }
    let u = FloatFacts.ulp(r, dtype)
    let deviation = (r - x).magnitude
    return Deviation(ulps: deviation / u, boundUlps: error / u, holds: deviation <= error)
  }

  /// `r ≥ x` up to `error`.
  public static func atLeast(_ r: Double, _ x: Double, error: Double, dtype: DType) -> Deviation {
    if r.isNaN || x.isNaN { return .differentClass }
    if r == .infinity || x == -.infinity || r >= x { return .exact }
    if r == -.infinity {
      return x - error <= -FloatFacts.overflowThreshold(dtype) ? .exact : .differentClass
    }
    if x == .infinity { return .differentClass }
    let u = Swift.max(FloatFacts.ulp(r, dtype), FloatFacts.ulp(x, dtype))
    let violation = x - r
    return Deviation(ulps: violation / u, boundUlps: error / u, holds: violation <= error)
  }

  /// `r ≤ x` up to `error`.
  public static func atMost(_ r: Double, _ x: Double, error: Double, dtype: DType) -> Deviation {
    atLeast(-r, -x, error: error, dtype: dtype)
  }

  /// Two results whose exact values are equal: the same number (NaN equals NaN, `+0` equals
  /// `−0`) when `identical` (both correctly rounded), else within the sum of their errors.
  public static func sameValue(
    _ a: Double, _ b: Double, dtype: DType, identical: Bool, errors: (Double, Double)
  ) -> Deviation {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? .exact : .differentClass }
    if a == b { return .exact }
    if a.isInfinite || b.isInfinite {
      if identical { return .differentClass }
      let finite = a.isInfinite ? b : a
      let other = a.isInfinite ? a : b
      let reaches =
        finite.sign == other.sign
        && finite.magnitude + errors.0 + errors.1 >= FloatFacts.overflowThreshold(dtype)
      return reaches ? .exact : .differentClass
    }
    let u = FloatFacts.ulp(a, dtype)
    let deviation = (a - b).magnitude
    let bound = identical ? 0 : errors.0 + errors.1
    return Deviation(ulps: deviation / u, boundUlps: bound / u, holds: deviation <= bound)
  }
}
