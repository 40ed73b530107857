import BigInt

/// An exact rational number, for grading: the distance between an answer (a binary float) and a
/// golden vector's exact value (a decimal string) is computed without rounding, so that a
/// verdict of "0.99 ulps" or "exactly one ulp" is never an artefact of the grader's own arithmetic.
///
/// Magnitudes are clamped to `[10⁻⁴⁰⁰, 10⁴⁰⁰]` when parsed (``init(decimal:)``): far outside
/// both binary formats (the smallest Float64 subnormal is 4.9·10⁻³²⁴), so a value below the
/// range grades exactly like zero would and one above like a value beyond `greatestFiniteMagnitude`,
/// while exact values such as `e^(−10³⁰)` (whose decimal exponents have 30 digits) stay cheap.
struct ExactRational: Sendable, Hashable, Comparable {
  /// The sign (`true` for a negative number; zero is never negative).
  var isNegative: Bool
  var numerator: BigUInt
  /// Always positive.
  var denominator: BigUInt

  init(isNegative: Bool, numerator: BigUInt, denominator: BigUInt) {
    precondition(!denominator.isZero, "internal: zero denominator")
    self.isNegative = isNegative && !numerator.isZero
    self.numerator = numerator
    self.denominator = denominator
  }

  static let zero = ExactRational(isNegative: false, numerator: 0, denominator: 1)

  /// The exact value of a finite `Double` (`nil` for NaN and ±∞).
  init?(_ x: Double) {
    guard x.isFinite else { return nil }
    if x == 0 {
      self = .zero
      return
    }
    // x = significand · 2^(exponent − 52), significand an integer below 2⁵³.
    let magnitude = x.magnitude
    let exponent = Int(magnitude.exponent)
    let bits: UInt64 =
      magnitude.isSubnormal
      ? magnitude.significandBitPattern : magnitude.significandBitPattern | (1 << 52)
    let scale = (magnitude.isSubnormal ? -1022 : exponent) - 52
    if scale >= 0 {
      self.init(isNegative: x < 0, numerator: BigUInt(bits) << scale, denominator: 1)
    } else {
      self.init(isNegative: x < 0, numerator: BigUInt(bits), denominator: BigUInt(1) << -scale)
    }
  }

  /// The value of a decimal string such as `"2.2959768424431482950846354166666666666666667e+0"`,
  /// `"-0.0"`, `"0"` or `"1e-5"`; `nil` for anything else (including `"NaN"`, `"Infinity"`).
  init?(decimal text: String) {
    var bytes = Substring(text).utf8[...]
    var negative = false
    if bytes.first == UInt8(ascii: "-") {
      negative = true
      bytes = bytes.dropFirst()
    } else if bytes.first == UInt8(ascii: "+") {
      bytes = bytes.dropFirst()
    }
    var digits: [UInt8] = []
    var fractionDigits = 0
    var seenPoint = false
    var exponentText: Substring.UTF8View.SubSequence?
    var index = bytes.startIndex
    while index < bytes.endIndex {
      let b = bytes[index]
      if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
        digits.append(b - UInt8(ascii: "0"))
        if seenPoint { fractionDigits += 1 }
      } else if b == UInt8(ascii: ".") && !seenPoint {
        seenPoint = true
      } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
        exponentText = bytes[bytes.index(after: index)...]
        break
      } else {
        return nil
      }
      index = bytes.index(after: index)
    }
    guard !digits.isEmpty else { return nil }
    var exponent = 0
    if let exponentText {
      var expBytes = exponentText
      var expNegative = false
      if expBytes.first == UInt8(ascii: "-") || expBytes.first == UInt8(ascii: "+") {
        expNegative = expBytes.first == UInt8(ascii: "-")
        expBytes = expBytes.dropFirst()
      }
      guard !expBytes.isEmpty, expBytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
      else { return nil }
      // An exponent of more than six digits is far outside the clamp range either way.
      if expBytes.count > 6 {
        exponent = expNegative ? -10_000_000 : 10_000_000
      } else {
        exponent = Int(String(decoding: expBytes, as: UTF8.self))! * (expNegative ? -1 : 1)
      }
    }
    // Drop leading zeros; an all-zero mantissa is zero whatever the exponent.
    while digits.count > 1 && digits[0] == 0 {
      digits.removeFirst()
    }
    if digits.allSatisfy({ $0 == 0 }) {
      self = .zero
      return
    }
    var mantissa = BigUInt(0)
    for d in digits { mantissa = mantissa * 10 + BigUInt(d) }
    var power = exponent - fractionDigits  // value = mantissa · 10^power
    // The decimal exponent of the leading digit.
    let leading = power + digits.count - 1
    if leading < -400 {
      mantissa = 1
      power = -400
    } else if leading > 400 {
      mantissa = 1
      power = 400
    }
    if power >= 0 {
      self.init(isNegative: negative, numerator: mantissa * BigUInt(10).power(power), denominator: 1)
    } else {
      self.init(isNegative: negative, numerator: mantissa, denominator: BigUInt(10).power(-power))
    }
  }

  var isZero: Bool { numerator.isZero }

  var magnitude: ExactRational {
    ExactRational(isNegative: false, numerator: numerator, denominator: denominator)
  }

  static func - (a: ExactRational, b: ExactRational) -> ExactRational {
    a + ExactRational(isNegative: !b.isNegative, numerator: b.numerator, denominator: b.denominator)
  }

  static func + (a: ExactRational, b: ExactRational) -> ExactRational {
    let left = a.numerator * b.denominator
    let right = b.numerator * a.denominator
    let denominator = a.denominator * b.denominator
    if a.isNegative == b.isNegative {
      return ExactRational(isNegative: a.isNegative, numerator: left + right, denominator: denominator)
    }
    if left >= right {
      return ExactRational(isNegative: a.isNegative, numerator: left - right, denominator: denominator)
    }
    return ExactRational(isNegative: b.isNegative, numerator: right - left, denominator: denominator)
  }

  static func * (a: ExactRational, b: ExactRational) -> ExactRational {
    ExactRational(
      isNegative: a.isNegative != b.isNegative, numerator: a.numerator * b.numerator,
      denominator: a.denominator * b.denominator)
  }

  /// `a / b`; `b` must not be zero.
  static func / (a: ExactRational, b: ExactRational) -> ExactRational {
    precondition(!b.isZero, "internal: division by zero")
    return ExactRational(
      isNegative: a.isNegative != b.isNegative, numerator: a.numerator * b.denominator,
      denominator: a.denominator * b.numerator)
  }

  static func < (a: ExactRational, b: ExactRational) -> Bool {
    if a.isNegative != b.isNegative { return a.isNegative }
    let left = a.numerator * b.denominator
    let right = b.numerator * a.denominator
    return a.isNegative ? left > right : left < right
  }

  static func == (a: ExactRational, b: ExactRational) -> Bool {
    a.isNegative == b.isNegative && a.numerator * b.denominator == b.numerator * a.denominator
  }

  func hash(into hasher: inout Hasher) {
    // Equal values may have different representations; hash a canonical approximation.
    hasher.combine(isNegative)
    hasher.combine(doubleValue)
  }

  /// `2^e` exactly.
  static func powerOfTwo(_ e: Int) -> ExactRational {
    e >= 0
      ? ExactRational(isNegative: false, numerator: BigUInt(1) << e, denominator: 1)
      : ExactRational(isNegative: false, numerator: 1, denominator: BigUInt(1) << -e)
  }

  /// `⌊log₂ |self|⌋`; `self` must not be zero.
  var binade: Int {
    precondition(!isZero, "internal: binade of zero")
    let k = Self.bitLength(numerator) - Self.bitLength(denominator)
    // 2^(k−1) < |self| < 2^(k+1): decide whether |self| ≥ 2^k.
    let atLeast: Bool =
      k >= 0 ? numerator >= denominator << k : numerator << -k >= denominator
    return atLeast ? k : k - 1
  }

  /// The nearest `Double` (within one unit in the last place; ±∞ beyond the range, 0 below it).
  var doubleValue: Double {
    if isZero { return 0 }
    // Scale so that the integer quotient has 64 to 65 bits, then let Double round it.
    let shift = 64 - (Self.bitLength(numerator) - Self.bitLength(denominator))
    let quotient: BigUInt =
      shift >= 0 ? (numerator << shift) / denominator : numerator / (denominator << -shift)
    let approximate = Double(quotient)
    let value: Double
    if -shift < Int(Double.greatestFiniteMagnitude.exponent) + 200 && -shift > -1400 {
      value = Double(sign: .plus, exponent: -shift, significand: approximate)
    } else {
      value = -shift > 0 ? .infinity : 0
    }
    return isNegative ? -value : value
  }

  /// The number of significant bits (BigUInt's `bitWidth` is already that: ⌊log₂(2x + 1)⌋).
  private static func bitLength(_ x: BigUInt) -> Int { x.bitWidth }
}
