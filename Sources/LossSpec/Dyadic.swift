import BigInt
import LossCore

typealias BigIntType = BigInt

/// An exact dyadic rational `mantissa · 2^exponent`: the numbers LossSpec computes with.
///
/// Every finite Float32 or Float64 is one, and sums and products of dyadics are dyadics, so the
/// algebraic parts of every loss (differences, squares, products, sums over a million terms) are
/// computed *exactly*; only quotients and the elementary functions round, and those carry a
/// rigorous error bound in ``Ball``.
struct Dyadic: Sendable, CustomStringConvertible {
  var mantissa: BigInt
  var exponent: Int

  init(mantissa: BigInt, exponent: Int) {
    self.mantissa = mantissa
    self.exponent = mantissa.isZero ? 0 : exponent
  }

  static let zero = Dyadic(mantissa: 0, exponent: 0)
  static let one = Dyadic(mantissa: 1, exponent: 0)

  /// The exact value of a finite `Double`.
  init(_ x: Double) {
    precondition(x.isFinite, "internal: non-finite values are handled by ExtendedReal")
    if x == 0 {
      self = .zero
      return
    }
    // x = significandBitPattern-based integer · 2^(exponent − 52), exactly.
    let bits = x.significandBitPattern | (x.isNormal ? (1 << 52) : 0)
    let e = x.isNormal ? Int(x.exponent) - 52 : -1074
    self.init(mantissa: x < 0 ? -BigInt(bits) : BigInt(bits), exponent: e)
  }

  init(_ n: Int) { self.init(mantissa: BigInt(n), exponent: 0) }

  var isZero: Bool { mantissa.isZero }
  var isNegative: Bool { mantissa.sign == .minus && !mantissa.isZero }
  /// −1, 0 or 1.
  var signum: Int { mantissa.isZero ? 0 : (mantissa.sign == .minus ? -1 : 1) }
  var magnitude: Dyadic { Dyadic(mantissa: BigInt(mantissa.magnitude), exponent: exponent) }

  /// The number of significant bits of the mantissa.
  var bitCount: Int { mantissa.magnitude.bitWidth }

  /// ⌊log₂|x|⌋; `Int.min` for zero.
  var topExponent: Int { isZero ? Int.min : exponent + bitCount - 1 }

  /// `x · 2^k`, exactly.
  func scaled(by k: Int) -> Dyadic { Dyadic(mantissa: mantissa, exponent: exponent + k) }

  static prefix func - (x: Dyadic) -> Dyadic { Dyadic(mantissa: -x.mantissa, exponent: x.exponent) }

  static func + (a: Dyadic, b: Dyadic) -> Dyadic {
    if a.isZero { return b }
    if b.isZero { return a }
    if a.exponent == b.exponent {
      return Dyadic(mantissa: a.mantissa + b.mantissa, exponent: a.exponent)
    } else if a.exponent < b.exponent {
      return Dyadic(mantissa: a.mantissa + (b.mantissa << (b.exponent - a.exponent)), exponent: a.exponent)
    } else {
      return Dyadic(mantissa: (a.mantissa << (a.exponent - b.exponent)) + b.mantissa, exponent: b.exponent)
    }
  }

  static func - (a: Dyadic, b: Dyadic) -> Dyadic { a + (-b) }

  static func * (a: Dyadic, b: Dyadic) -> Dyadic {
    Dyadic(mantissa: a.mantissa * b.mantissa, exponent: a.exponent + b.exponent)
  }

  /// −1, 0, 1 as `a` is below, equal to, above `b`.
  /// Decided from the signs and top exponents when they differ, so that numbers far apart in
  /// magnitude are compared without aligning their mantissas.
  static func compare(_ a: Dyadic, _ b: Dyadic) -> Int {
    let (sa, sb) = (a.signum, b.signum)
    if sa != sb { return sa < sb ? -1 : 1 }
    if sa == 0 { return 0 }
    let (ta, tb) = (a.topExponent, b.topExponent)
    if ta != tb { return ta > tb ? sa : -sa }
    return (a - b).signum
  }

  static func < (a: Dyadic, b: Dyadic) -> Bool { compare(a, b) < 0 }

  /// `x` truncated toward zero to `bits` significant bits, with the truncation error bound
  /// (`|x − result| < 2^(topExponent − bits + 1)`, 0 when nothing was cut).
  func truncated(toBits bits: Int) -> (value: Dyadic, error: Bound) {
    let excess = bitCount - bits
    guard excess > 0 else { return (self, .zero) }
    let cut = mantissa.magnitude >> excess
    let value = Dyadic(mantissa: isNegative ? -BigInt(cut) : BigInt(cut), exponent: exponent + excess)
    return (value, Bound(powerOfTwo: exponent + excess))
  }

  /// The nearest value of a binary format with `precision` significand bits and minimum normal
  /// exponent `minExponent`, ties to even, with gradual underflow; `nil` when it overflows
  /// (the caller turns that into ±∞ if the value is beyond the largest finite by half an ulp).
  ///
  /// Returns the rounded value as a `Double` (exact for Float32 and Float64 formats).
  func rounded(precision: Int, minExponent: Int, maxExponent: Int) -> Double {
    if isZero { return 0 }
    let top = topExponent
    // Far below half the smallest subnormal, or far above the largest finite: no shifting needed.
    if top < minExponent - precision - 2 { return isNegative ? -0.0 : 0.0 }
    if top > maxExponent + 1 { return isNegative ? -.infinity : .infinity }
    // The exponent of the unit in the last place of the result.
    let quantum = Swift.max(top - precision + 1, minExponent - precision + 1)
    var m = mantissa.magnitude
    var e = exponent
    if e < quantum {
      let shift = quantum - e
      let kept = m >> shift
      let rest = m - (kept << shift)
      let half = BigUInt(1) << (shift - 1)
      m = kept
      if rest > half || (rest == half && kept.words.first.map { $0 & 1 == 1 } == true) {
        m += 1
      }
      e = quantum
    }
    let negative = isNegative
    if m.isZero { return negative ? -0.0 : 0.0 }
    // m < 2^(precision + 1) here (a carry may have made it 2^precision).
    let resultTop = e + m.bitWidth - 1
    if resultTop > maxExponent { return negative ? -.infinity : .infinity }
    let significand = Double(UInt64(m))
    let value = Double(sign: negative ? .minus : .plus, exponent: e, significand: significand)
    return value
  }

  /// The correctly rounded value in `dtype` (round to nearest, ties to even).
  func rounded(to dtype: DTypeFormat) -> Double {
    rounded(precision: dtype.precision, minExponent: dtype.minExponent, maxExponent: dtype.maxExponent)
  }

  /// A `Double` close to the value (correctly rounded), for estimates.
  var approximation: Double { rounded(to: .float64) }

  /// The value in decimal with `digits` significant digits (rounded half-even), e.g.
  /// `1.2345e-7`; exact integers and short values are printed in full.
  func decimal(digits: Int) -> String {
    if isZero { return "0" }
    // value = m · 2^e = m · 5^(−e) / 10^(−e) for e < 0.
    var integer = mantissa.magnitude
    var tenExponent = 0
    if exponent >= 0 {
      integer <<= exponent
    } else {
      integer *= BigUInt(5).power(-exponent)
      tenExponent = exponent
    }
    var text = String(integer)
    // Round to `digits` significant digits.
    if text.count > digits {
      let dropped = text.count - digits
      let head = BigUInt(String(text.prefix(digits)))!
      let tail = text.suffix(dropped)
      let firstDropped = tail.first!
      let restZero = tail.dropFirst().allSatisfy { $0 == "0" }
      var rounded = head
      if firstDropped > "5" || (firstDropped == "5" && (!restZero || head.words.first.map { $0 & 1 == 1 } == true)) {
        rounded += 1
      }
      text = String(rounded)
      tenExponent += dropped + (text.count > digits ? 1 : 0)
      if text.count > digits { text.removeLast() }
    }
    // Strip trailing zeros into the exponent.
    while text.count > 1 && text.hasSuffix("0") {
      text.removeLast()
      tenExponent += 1
    }
    let scientific = tenExponent + text.count - 1
    var body = String(text.first!)
    if text.count > 1 { body += "." + text.dropFirst() }
    let sign = isNegative ? "-" : ""
    return scientific == 0 ? sign + body : sign + body + "e" + String(scientific)
  }

  var description: String { decimal(digits: 40) }
}

/// The parameters of a binary floating-point format.
struct DTypeFormat: Sendable {
  var precision: Int
  var minExponent: Int
  var maxExponent: Int

  static let float32 = DTypeFormat(precision: 24, minExponent: -126, maxExponent: 127)
  static let float64 = DTypeFormat(precision: 53, minExponent: -1022, maxExponent: 1023)

  init(precision: Int, minExponent: Int, maxExponent: Int) {
    self.precision = precision
    self.minExponent = minExponent
    self.maxExponent = maxExponent
  }

  /// The format of `dtype`.
  init(_ dtype: DType) {
    self.init(precision: dtype.significandBits, minExponent: dtype.minExponent, maxExponent: dtype.maxExponent)
  }
}

/// A non-negative upper bound `m · 2^e` (m < 2⁶²), every operation rounded upward.
///
/// Radii of balls are these: cheap to combine, never underflowing to zero.
struct Bound: Sendable, Hashable, Comparable {
  var m: UInt64
  var e: Int

  static let zero = Bound(m: 0, e: 0)

  init(m: UInt64, e: Int) {
    self.m = m
    self.e = m == 0 ? 0 : e
    normalize()
  }

  init(powerOfTwo k: Int) { self.init(m: 1, e: k) }

  /// An upper bound on `|x|`.
  init(atLeast x: Dyadic) {
    if x.isZero {
      self = .zero
      return
    }
    let bits = x.bitCount
    if bits <= 60 {
      self.init(m: UInt64(x.mantissa.magnitude), e: x.exponent)
    } else {
      let top = x.mantissa.magnitude >> (bits - 60)
      self.init(m: UInt64(top) + 1, e: x.exponent + bits - 60)
    }
  }

  /// Keeps `m` below 2⁶², rounding up.
  private mutating func normalize() {
    while m >= 1 << 62 {
      m = (m >> 1) + (m & 1)
      e += 1
    }
  }

  var isZero: Bool { m == 0 }

  /// This bound, enlarged (still a valid bound) to at least `2^(top(x) − precision − 64)`, so
  /// that `x ± bound` is formed without aligning mantissas across an astronomical exponent gap
  /// (an underflowed `exp` has a radius like `2^(−2⁴⁰)`). Unchanged when `x` is zero.
  func coarsened(relativeTo x: Dyadic, precision: Int) -> Bound {
    guard !isZero, !x.isZero else { return self }
    let floor = x.topExponent - precision - 64
    return topExponent < floor ? Bound(powerOfTwo: floor) : self
  }

  var dyadic: Dyadic { Dyadic(mantissa: BigInt(m), exponent: e) }

  /// ⌊log₂ value⌋ (`Int.min` for zero).
  var topExponent: Int { m == 0 ? Int.min : e + (63 - m.leadingZeroBitCount) }

  static func + (a: Bound, b: Bound) -> Bound {
    if a.isZero { return b }
    if b.isZero { return a }
    if a.e == b.e { return Bound(m: a.m + b.m, e: a.e) }
    let (big, small) = a.e > b.e ? (a, b) : (b, a)
    let d = big.e - small.e
    if d < 62 && big.m.leadingZeroBitCount >= d + 2 {
      // big.m << d < 2^62: the sum is exact.
      return Bound(m: (big.m << UInt64(d)) + small.m, e: small.e)
    }
    // Drop small's low bits, rounding up.
    let shifted: UInt64 =
      d >= 64 ? 1 : (small.m >> UInt64(d)) + (small.m & ((1 << UInt64(d)) - 1) == 0 ? 0 : 1)
    return Bound(m: big.m + shifted, e: big.e)
  }

  static func * (a: Bound, b: Bound) -> Bound {
    if a.isZero || b.isZero { return .zero }
    let (high, low) = a.m.multipliedFullWidth(by: b.m)
    if high == 0 { return Bound(m: low, e: a.e + b.e) }
    // Keep the top 62 bits of the 128-bit product, rounding up.
    let shift = 64 - high.leadingZeroBitCount + 2
    let top = (high << UInt64(64 - shift)) | (low >> UInt64(shift))
    return Bound(m: top + 1, e: a.e + b.e + shift)
  }

  /// `a · 2^k`.
  func scaled(by k: Int) -> Bound { isZero ? self : Bound(m: m, e: e + k) }

  static func < (a: Bound, b: Bound) -> Bool { Dyadic.compare(a.dyadic, b.dyadic) < 0 }

  /// An upper bound on `1 / x` for a positive dyadic `x`.
  static func reciprocal(ofAtLeast x: Dyadic) -> Bound {
    // 1/x ≤ 2^(−topExponent(x)).
    Bound(powerOfTwo: -x.topExponent)
  }

  /// A Double upper bound (may be +∞ or round up to a tiny positive), for estimates only.
  var approximation: Double { Double(sign: .plus, exponent: e, significand: Double(m)) }
}
