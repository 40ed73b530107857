import BigInt

/// A fixed-size float with a 128-bit significand, `±m · 2^e`, `m` normalized (bit 127 set) or
/// zero. Operations truncate and *return* a bound on what they dropped, so ``Ball128`` can carry
/// every error in its radius. It exists for speed: the first Ziv step evaluates the elementary
/// functions with these (no heap allocation), the later steps with `BigInt` balls.
struct Wide: Sendable {
  var negative: Bool
  var m: UInt128
  var e: Int

  static let zero = Wide(negative: false, m: 0, e: 0)

  var isZero: Bool { m == 0 }

  /// ⌊log₂|x|⌋, `Int.min` for zero.
  var topExponent: Int { m == 0 ? Int.min : e + 127 }

  /// The value truncated to 128 bits and the truncation bound.
  init(_ x: Dyadic) {
    self.init(negative: false, m: 0, e: 0)
    (self, _) = Wide.from(x)
  }

  init(negative: Bool, m: UInt128, e: Int) {
    self.negative = negative
    self.m = m
    self.e = e
  }

  static func from(_ x: Dyadic) -> (Wide, Bound) {
    if x.isZero { return (.zero, .zero) }
    let bits = x.bitCount
    let magnitude = x.mantissa.magnitude
    if bits <= 128 {
      var m: UInt128 = 0
      for (i, word) in magnitude.words.enumerated() where i < 2 { m |= UInt128(word) << (64 * i) }
      let shift = 128 - bits
      return (Wide(negative: x.isNegative, m: m << shift, e: x.exponent - shift), .zero)
    }
    let top = magnitude >> (bits - 128)
    var m: UInt128 = 0
    for (i, word) in top.words.enumerated() where i < 2 { m |= UInt128(word) << (64 * i) }
    let e = x.exponent + bits - 128
    return (Wide(negative: x.isNegative, m: m, e: e), Bound(powerOfTwo: e))
  }

  var dyadic: Dyadic {
    let magnitude = BigUInt(words: [UInt(truncatingIfNeeded: m), UInt(truncatingIfNeeded: m >> 64)])
    return Dyadic(mantissa: negative ? -BigInt(magnitude) : BigInt(magnitude), exponent: e)
  }

  /// An upper bound on `|x|`.
  var magnitudeBound: Bound {
    m == 0 ? .zero : Bound(m: UInt64(truncatingIfNeeded: m >> 66) + 1, e: e + 66)
  }

  var approximation: Double {
    m == 0
      ? 0
      : Double(
        sign: negative ? .minus : .plus, exponent: e + 64, significand: Double(UInt64(truncatingIfNeeded: m >> 64)))
  }

  static prefix func - (x: Wide) -> Wide { x.m == 0 ? x : Wide(negative: !x.negative, m: x.m, e: x.e) }

  /// Normalizes an unnormalized significand (shifting left introduces no error).
  private static func normalized(negative: Bool, m: UInt128, e: Int) -> Wide {
    if m == 0 { return .zero }
    let shift = m.leadingZeroBitCount
    return Wide(negative: negative, m: m << shift, e: e - shift)
  }

  static func add(_ a: Wide, _ b: Wide) -> (Wide, Bound) {
    if a.m == 0 { return (b, .zero) }
    if b.m == 0 { return (a, .zero) }
    var (x, y) = (a, b)
    if y.e > x.e || (y.e == x.e && y.m > x.m) { swap(&x, &y) }
    let d = x.e - y.e
    if d >= 128 { return (x, y.magnitudeBound) }
    let shifted = y.m >> d
    var error = Bound.zero
    if d > 0 && (y.m << (128 - d)) != 0 { error = Bound(powerOfTwo: x.e) }
    if x.negative == y.negative {
      let (sum, overflow) = x.m.addingReportingOverflow(shifted)
      if overflow {
        let lost = sum & 1
        let m = (sum >> 1) | (UInt128(1) << 127)
        return (Wide(negative: x.negative, m: m, e: x.e + 1), lost == 0 ? error : error + Bound(powerOfTwo: x.e))
      }
      return (Wide(negative: x.negative, m: sum, e: x.e), error)
    }
    return (normalized(negative: x.negative, m: x.m - shifted, e: x.e), error)
  }

  static func multiply(_ a: Wide, _ b: Wide) -> (Wide, Bound) {
    if a.m == 0 || b.m == 0 { return (.zero, .zero) }
    let (high, low) = a.m.multipliedFullWidth(by: b.m)
    let negative = a.negative != b.negative
    if high >> 127 == 1 {
      let e = a.e + b.e + 128
      return (Wide(negative: negative, m: high, e: e), low == 0 ? .zero : Bound(powerOfTwo: e))
    }
    let m = (high << 1) | (low >> 127)
    let e = a.e + b.e + 127
    return (Wide(negative: negative, m: m, e: e), (low << 1) == 0 ? .zero : Bound(powerOfTwo: e))
  }

  /// `a / k` for `0 < k < 2⁶⁴`, with two hardware divisions.
  static func divide(_ a: Wide, by k: UInt64) -> (Wide, Bound) {
    if a.m == 0 { return (.zero, .zero) }
    let high = UInt64(truncatingIfNeeded: a.m >> 64)
    let low = UInt64(truncatingIfNeeded: a.m)
    let (qHigh, r) = high.quotientAndRemainder(dividingBy: k)
    let (qLow, remainder) = k.dividingFullWidth((high: r, low: low))
    let q = (UInt128(qHigh) << 64) | UInt128(qLow)
    return (normalized(negative: a.negative, m: q, e: a.e), remainder == 0 ? .zero : Bound(powerOfTwo: a.e))
  }

  static func divide(_ a: Wide, _ b: Wide) -> (Wide, Bound) {
    precondition(b.m != 0, "internal: Wide division by zero")
    if a.m == 0 { return (.zero, .zero) }
    // q = ⌊a.m · 2¹²⁷ / b.m⌋ ∈ [2¹²⁶, 2¹²⁸).
    let (q, r) = b.m.dividingFullWidth((high: a.m >> 1, low: a.m << 127))
    let e = a.e - b.e - 127
    let result = normalized(negative: a.negative != b.negative, m: q, e: e)
    return (result, r == 0 ? .zero : Bound(powerOfTwo: e))
  }
}

/// Midpoint-radius arithmetic on ``Wide`` midpoints: the fast twin of ``Ball``.
struct Ball128: BallNumber {
  var mid: Wide
  var rad: Bound
  var precision: Int

  init(mid: Wide, rad: Bound, precision: Int) {
    self.mid = mid
    self.rad = rad
    self.precision = precision
  }

  init(exact x: Dyadic, precision: Int) {
    let (w, error) = Wide.from(x)
    self.init(mid: w, rad: error, precision: precision)
  }

  init(_ ball: Ball) {
    let (w, error) = Wide.from(ball.mid)
    self.init(mid: w, rad: ball.rad + error, precision: ball.precision)
  }

  var ball: Ball { Ball(mid.dyadic, rad: rad, precision: precision) }

  var midDyadic: Dyadic { mid.dyadic }
  var midMagnitudeBound: Bound { mid.magnitudeBound }
  var midTopExponent: Int { mid.topExponent }
  var midApproximation: Double { mid.approximation }
  var isExactZero: Bool { mid.isZero && rad.isZero }

  static prefix func - (x: Ball128) -> Ball128 { Ball128(mid: -x.mid, rad: x.rad, precision: x.precision) }

  static func + (a: Ball128, b: Ball128) -> Ball128 {
    let (sum, error) = Wide.add(a.mid, b.mid)
    return Ball128(mid: sum, rad: a.rad + b.rad + error, precision: max(a.precision, b.precision))
  }

  static func - (a: Ball128, b: Ball128) -> Ball128 { a + (-b) }

  static func * (a: Ball128, b: Ball128) -> Ball128 {
    let (product, error) = Wide.multiply(a.mid, b.mid)
    let rad = a.mid.magnitudeBound * b.rad + b.mid.magnitudeBound * a.rad + a.rad * b.rad + error
    return Ball128(mid: product, rad: rad, precision: max(a.precision, b.precision))
  }

  static func / (a: Ball128, b: Ball128) -> Ball128 {
    let (quotient, error) = Wide.divide(a.mid, b.mid)
    var rad = error
    if !a.rad.isZero || !b.rad.isZero {
      // |a/b − a'/b'| ≤ (ra + |a'/b'|·rb) / (|b'| − rb); |b'| − rb ≥ |b'|/2 is required.
      let bTop = b.mid.topExponent
      precondition(b.rad.topExponent < bTop - 1, "internal: divisor ball too wide")
      let numerator = a.rad + (quotient.magnitudeBound + error) * b.rad
      rad = rad + numerator * Bound(powerOfTwo: -bTop + 1)
    }
    return Ball128(mid: quotient, rad: rad, precision: max(a.precision, b.precision))
  }

  func divided(by k: Int) -> Ball128 {
    let (quotient, error) = Wide.divide(mid, by: UInt64(k))
    // |x/k − mid/k| ≤ rad/k ≤ rad.
    return Ball128(mid: quotient, rad: rad + error, precision: precision)
  }

  func scaled(by k: Int) -> Ball128 {
    Ball128(
      mid: mid.isZero ? mid : Wide(negative: mid.negative, m: mid.m, e: mid.e + k), rad: rad.scaled(by: k),
      precision: precision)
  }

  func widened(by error: Bound) -> Ball128 { Ball128(mid: mid, rad: rad + error, precision: precision) }

  func withPrecision(_ bits: Int) -> Ball128 { Ball128(mid: mid, rad: rad, precision: bits) }
}
