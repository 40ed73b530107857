internal import CGSL

/// The elementary functions of LossSpec, on balls, with rigorous radii.
///
/// `log` and `log1p` start from GSL's double-precision `gsl_sf_log_1plusx_e` and refine it:
/// with `y₀` the seed, `log(1 + t) = y₀ + log1p(c)` exactly, where
/// `c = (1 + t)·e^(−y₀) − 1 = t·(1 + expm1(−y₀)) + expm1(−y₀)` is tiny (about 2⁻⁵² when the seed is
/// good), so a few terms of the `log1p` series finish the job; the series' tail is bounded and
/// added to the radius. GSL's accuracy affects only the speed: a poor seed costs a Newton step,
/// never a wrong bound. `exp` and `expm1` are Taylor series with argument reduction (`ln 2`) and
/// halving, all in ball arithmetic, so every rounding is accounted for.
enum Elementary {
  /// GSL's default error handler aborts the process; it is switched off once, before any call.
  static let gslReady: Bool = {
    gsl_set_error_handler_off()
    return true
  }()

  /// GSL's `log(1 + x)` in double precision, `nil` when GSL reports an error.
  static func gslLog1p(_ x: Double) -> Double? {
    guard gslReady else { return nil }
    var result = gsl_sf_result(val: 0, err: 0)
    let status = gsl_sf_log_1plusx_e(x, &result)
    return status == GSL_SUCCESS && result.val.isFinite ? result.val : nil
  }

  // MARK: ln 2

  /// The largest working precision the cached `ln 2` supports.
  static let maxPrecision = 12_000

  /// `ln 2` to `bits` bits: `ln 2 = 2·atanh(1/3) = Σ 2 / ((2j+1)·3^(2j+1))`, summed in fixed
  /// point. Each truncating division errs by less than one unit, so the radius is
  /// `2·(terms + 2)` units.
  static func computeLn2(bits: Int) -> Ball {
    var power = (BigIntType(2) << bits) / 3  // 2·2^N / 3
    var sum = BigIntType(0)
    var j = 0
    while !power.isZero {
      sum += power / BigIntType(2 * j + 1)
      power /= 9
      j += 1
    }
    return Ball(
      Dyadic(mantissa: sum, exponent: -bits), rad: Bound(m: UInt64(2 * (j + 2)), e: -bits),
      precision: bits)
  }

  /// `ln 2` for the first Ziv steps (up to 290 bits).
  static let ln2Short: Ball = computeLn2(bits: 400).withPrecision(300)

  /// `ln 2` for the arbitrary-precision steps (up to `maxPrecision`), computed on first use.
  static let ln2Cached: Ball = computeLn2(bits: maxPrecision + 64)

  /// `ln 2` at `precision` bits.
  static func ln2(precision: Int) -> Ball {
    var b = precision <= 290 ? ln2Short : ln2Cached
    b.precision = precision
    return b.normalized()
  }

  // MARK: exp

  /// The precision up to which the fixed-size ``Ball128`` kernels are used (their midpoints
  /// carry 128 bits; the guard bits of the kernels fit below that).
  static let fastPrecisionLimit = 112

  /// `e^x − 1` with a small *relative* error, for `|x| ≤ 1`.
  ///
  /// Halves `x` until `|x| ≤ 2⁻¹²`, sums the Taylor series with a bounded tail, and doubles back
  /// with `expm1(2a) = expm1(a)·(expm1(a) + 2)`, which loses at most one bit per doubling
  /// (covered by the guard bits).
  static func expm1Small<B: BallNumber>(_ x: B) -> B {
    if x.isExactZero { return x }
    let precision = x.precision
    let work = precision + 40
    let halvings = Swift.max(0, x.midTopExponent + 13)
    let t = x.withPrecision(work).scaled(by: -halvings)
    let tMag = t.magnitudeBound  // ≤ 2⁻¹² (plus the radius)
    var sum = t
    var term = t
    var k = 1
    let target = tMag.topExponent - work - 4
    while true {
      k += 1
      term = (term * t).divided(by: k)
      sum = sum + term
      let termBound = term.magnitudeBound
      if termBound.isZero || termBound.topExponent < target { break }
    }
    // Tail Σ_{i>k} |t|^i / i! ≤ |term_k|·|t|/(k+1) · 1/(1 − |t|) ≤ 2·|term_k|·|t|.
    sum = sum.widened(by: term.magnitudeBound * tMag.scaled(by: 1))
    let two = B.integer(2, precision: work)
    for _ in 0..<halvings {
      sum = sum * (sum + two)
    }
    return sum.withPrecision(precision)
  }

  /// `e^x` for `x ≤ 2⁴⁰`; below `−2⁴⁰` the result is the ball `[0, 2^x]` (far below every
  /// subnormal).
  static func exp(_ x: Ball) -> Ball {
    let precision = x.precision
    if x.isExactZero { return Ball(.one, precision: precision) }
    let approx = x.mid.approximation
    precondition(approx <= 0x1p40, "internal: exp overflow is not reachable from the losses")
    if approx < -0x1p40 {
      // e^x < 2^x for x < 0.
      let upper = Swift.max(x.upper.approximation, -0x1p50)
      return Ball(.zero, rad: Bound(powerOfTwo: Int(upper.rounded(.up))), precision: precision)
    }
    if precision <= fastPrecisionLimit {
      return expKernel(Ball128(x)).ball.normalized()
    }
    return expKernel(x).normalized()
  }

  /// `e^x = 2^k·(1 + expm1(x − k·ln 2))` for moderate `x`.
  static func expKernel<B: BallNumber>(_ x: B) -> B {
    let precision = x.precision
    let one = B.integer(1, precision: precision + 40)
    let approx = x.midApproximation
    if abs(approx) <= 0.5 {
      return (one + expm1Small(x.withPrecision(precision + 8))).withPrecision(precision)
    }
    let k = Int((approx / 0.6931471805599453).rounded())
    let kBits = Swift.max(1, 64 - UInt64(k.magnitude).leadingZeroBitCount)
    let ln2 = ln2(precision: precision + kBits + 24)
    let ln2B = B(exact: ln2.mid, precision: ln2.precision).widened(by: ln2.rad)
    let r = x.withPrecision(precision + 24) - B.integer(k, precision: precision) * ln2B
    return (one + expm1Small(r)).scaled(by: k).withPrecision(precision)
  }

  // MARK: log

  /// `log(1 + t)` with a small relative error, for a ball `t > −1`.
  static func log1p(_ t: Ball) -> Ball {
    let precision = t.precision
    if t.isExactZero { return t }
    if !t.isExact {
      // |log1p(a) − log1p(b)| ≤ |a − b| / (1 + min(a, b)).
      return logarithmOfInexact(t, argumentShift: .one, log1p)
    }
    // Exact bounds (an approximation rounding to ±0.25 or 1.5 made log and log1p call each other forever).
    guard !(t.mid < Dyadic(-0.25)), !(Dyadic(0.5) < t.mid) else {
      return log(Ball(.one, precision: precision) + t)
    }
    if precision <= fastPrecisionLimit {
      return log1pKernel(Ball128(t)).ball.normalized()
    }
    return log1pKernel(t).normalized()
  }

  /// `log(1 + t)` for `t ∈ [−0.25, 0.5]`: GSL's seed `y₀`, then `log(1 + t) = y₀ + log1p(c)` with
  /// `c = t·(1 + expm1(−y₀)) + expm1(−y₀)`, tiny.
  static func log1pKernel<B: BallNumber>(_ t: B) -> B {
    let precision = t.precision
    let work = precision + 24
    let tw = t.withPrecision(work)
    let approx = t.midApproximation
    var y0 = B(exact: Dyadic(gslLog1p(approx) ?? approx), precision: work)
    let one = B.integer(1, precision: work)
    var c = tw
    for _ in 0..<64 {
      let e = expm1Small(-y0)
      c = tw * (one + e) + e
      // A good seed leaves |c| ≈ 2⁻⁵²; otherwise take a Newton step and try again.
      if c.midTopExponent < -40 { break }
      y0 = B(exact: y0.midDyadic + c.midDyadic, precision: work)
    }
    return (y0 + log1pSeries(c)).withPrecision(precision)
  }

  /// `log(1 + c)` for `|c| ≤ 2⁻²⁰` by its alternating series, with the tail bounded.
  static func log1pSeries<B: BallNumber>(_ c: B) -> B {
    if c.isExactZero { return c }
    let work = c.precision
    let cMag = c.magnitudeBound
    // The refinement leaves |c| ≈ 2⁻⁵²; a larger c means the ball is useless anyway.
    guard cMag.topExponent < -20 else { return c.widened(by: Bound(powerOfTwo: 1 << 20)) }
    var sum = c
    var power = c
    var k = 1
    let target = cMag.topExponent - work - 4
    while true {
      k += 1
      power = power * c
      let term = power.divided(by: k)
      sum = k % 2 == 0 ? sum - term : sum + term
      let bound = term.magnitudeBound
      if bound.isZero || bound.topExponent < target { break }
    }
    // Tail ≤ Σ_{i>k} |c|^i / i ≤ |c|^(k+1) · 2 ≤ |power|·|c|·2.
    return sum.widened(by: power.magnitudeBound * cMag.scaled(by: 1))
  }

  /// `log x` for a ball `x > 0`: `x = 2^k·f` with `f ∈ [0.75, 1.5)`, `log x = k·ln 2 + log1p(f − 1)`,
  /// so a result near zero (`x ≈ 1`) keeps a small relative error.
  static func log(_ x: Ball) -> Ball {
    let precision = x.precision
    if x.isExact && x.mid == .one { return Ball(.zero, precision: precision) }
    if !x.isExact {
      // |log a − log b| ≤ |a − b| / min(a, b).
      return logarithmOfInexact(x, argumentShift: .zero, log)
    }
    var k = x.mid.topExponent
    var f = x.scaled(by: -k)
    if !(f.mid < Dyadic(1.5)) {
      k += 1
      f = f.scaled(by: -1)
    }
    let t = f - Ball(.one, precision: precision)
    var result = log1p(Ball(t.mid, rad: t.rad, precision: precision + 8))
    if k != 0 {
      let kBits = 64 - UInt64(k.magnitude).leadingZeroBitCount
      result = result + Ball(Dyadic(k), precision: precision) * ln2(precision: precision + kBits + 16)
    }
    return result.withPrecision(precision)
  }

  /// A logarithm `f(x) = log(c + x)` (`c` = `argumentShift`: 0 for `log`, 1 for `log1p`) of an
  /// inexact ball `x`, from its Lipschitz bound: `|f(a) − f(b)| ≤ |a − b| / (c + min(a, b))`, so
  /// `f` is evaluated at the exact midpoint and widened by twice the radius over (an upper bound
  /// of the reciprocal of) the ball's lowest point of `c + x`. A ball that reaches `c + x ≤ 0`
  /// gives a useless ball (radius 2^(2²⁰)) around the midpoint.
  private static func logarithmOfInexact(_ x: Ball, argumentShift c: Dyadic, _ f: (Ball) -> Ball) -> Ball {
    let precision = x.precision
    let lowest = x.lowerBound(plus: c)
    guard lowest.signum > 0 else { return Ball(x.mid, rad: Bound(powerOfTwo: 1 << 20), precision: precision) }
    return f(Ball(x.mid, precision: precision)).widened(by: x.rad * Bound.reciprocal(ofAtLeast: lowest).scaled(by: 1))
  }
}

extension Ball {
  func withPrecision(_ bits: Int) -> Ball {
    var b = self
    b.precision = bits
    return b.normalized()
  }
}

extension Dyadic {
  static func == (a: Dyadic, b: Dyadic) -> Bool {
    a.mantissa == b.mantissa && a.exponent == b.exponent || (a - b).isZero
  }
}

/// The version of the GSL library linked.
public enum GSLVersion {
  public static var string: String { GSL_VERSION }
}
