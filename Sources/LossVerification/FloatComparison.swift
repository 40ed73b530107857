import LossCore

/// Comparison of values in a dtype: bitwise agreement and distances in ulps.
enum FloatComparison {
  /// How two values of a dtype compare bit for bit.
  enum Agreement: Equatable {
    /// The same bits, or both NaN (any payload).
    case identical
    /// `+0` and `-0`: equal as numbers, different in sign (counted as agreement, noted).
    case signedZero
    case different
  }

  /// Compares `a` and `b`, exact values of `dtype`, bit for bit.
  static func agreement(_ a: Double, _ b: Double, dtype: DType) -> Agreement {
    if a.isNaN && b.isNaN { return .identical }
    // Exact values of the dtype held as Doubles: the widening is exact and one-to-one.
    if a.bitPattern == b.bitPattern { return .identical }
    if a == 0 && b == 0 { return .signedZero }
    return .different
  }

  /// The unit in the last place of `x` rounded to `dtype` (for zero, the smallest subnormal).
  static func ulp(of x: Double, in dtype: DType) -> Double {
    dtype.ulp(of: x)
  }

  /// `|r − p| / ulp_T(p)`: how many units in the last place of `p` (in `dtype`) separate `r`
  /// from `p`. Zero when both are equal (infinities included); infinity when exactly one is
  /// non-finite or either is NaN but not both.
  static func ulpDistance(_ r: Double, from p: Double, in dtype: DType) -> Double {
    if r.isNaN || p.isNaN { return r.isNaN && p.isNaN ? 0 : .infinity }
    if r == p { return 0 }
    if !r.isFinite || !p.isFinite { return .infinity }
    return abs(r - p) / ulp(of: p, in: dtype)
  }

  /// Reads a value of `dtype` from its text: `NaN`, `Infinity`, `-Infinity` (also `Inf`,
  /// `-Inf`), or a decimal rounded once in `dtype`. `nil` if the text is not a number.
  static func parse(_ text: String, dtype: DType) -> Double? {
    switch text {
    case "NaN", "nan": return .nan
    case "Infinity", "+Infinity", "Inf", "+Inf", "inf": return .infinity
    case "-Infinity", "-Inf", "-inf": return -.infinity
    default:
      guard let first = text.unicodeScalars.first,
        first == "-" || first == "+" || first == "." || ("0"..."9").contains(first)
      else { return nil }
      return dtype.parse(text)
    }
  }

  /// A value given in a JSON document as a number or a string (`"NaN"`, `"0.1"`), in `dtype`.
  static func parse(_ json: JSONValue?, dtype: DType) -> Double? {
    switch json {
    case .number(let text)?: parse(text, dtype: dtype)
    case .string(let text)?: parse(text, dtype: dtype)
    default: nil
    }
  }

  /// A short, exact spelling of a value of `dtype` for messages.
  static func describe(_ x: Double, dtype: DType) -> String {
    ValueFormatting.format(x, dtype: dtype)
  }
}
