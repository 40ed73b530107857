#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How the non-finite values are written when a number is spelled (``DType/spelling(of:_:)``).
public enum NumberSpelling: Sendable, Hashable {
  /// `NaN`, `Infinity`, `-Infinity`: the `losscheck/1` protocol's strings (JSON has no
  /// non-finite numbers), also what `losscheck eval` prints and the conformance notes show.
  case json
  /// `NaN`, `Inf`, `-Inf`: Julia's spelling, as the property suite shows its cases.
  case julia
}

extension DType {
  /// `x`, an exact value of this type, as the shortest decimal that reads back to the same value
  /// in this type (`0.1` for Float32's 0.100000001490116…, `1.0e-7`, `-0.0`); NaN and the
  /// infinities as `spelling` writes them.
  ///
  /// The one spelling of numbers in the package: the protocol codec, `eval`'s output, the
  /// conformance notes and the law inputs all use it, so golden files and reports agree.
  ///
  /// ```swift
  /// DType.float32.spelling(of: Double(Float(0.1)))    // "0.1"
  /// DType.float64.spelling(of: -.infinity)            // "-Infinity"
  /// DType.float64.spelling(of: .infinity, .julia)     // "Inf"
  /// ```
  public func spelling(of x: Double, _ spelling: NumberSpelling = .json) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite {
      switch spelling {
      case .json: return x > 0 ? "Infinity" : "-Infinity"
      case .julia: return x > 0 ? "Inf" : "-Inf"
      }
    }
    switch self {
    case .float32: return Float(x).description
    case .float64: return x.description
    case .float16, .bfloat16: return shortestHalfDecimal(x)
    }
  }

  /// The nearest decimal to `x` with the fewest significant digits that reads back to `x` in this
  /// half format, written as `Double`'s description of that decimal writes it (`0.1`, `65504.0`,
  /// `6e-08`), so every dtype is spelled in one style.
  private func shortestHalfDecimal(_ x: Double) -> String {
    for digits in 1...17 {
      let text = String(decimal: x, significantDigits: digits)
      if let back = Double(text), round(back) == x { return back.description }
    }
    return x.description
  }

  /// Reads a decimal (or `inf`/`nan` as Swift's parsers do) into this type, rounding the exact
  /// decimal value once: Float32 and Float64 by their own correctly rounded parsers; the half
  /// formats through the correctly rounded Double, which can only mislead at a decimal within
  /// half a Double ulp of a midpoint between two half values. There the exact decimal is compared
  /// with the midpoint digit by digit, so the result is the correctly rounded value of the exact
  /// decimal in every case.
  ///
  /// `DType.float16.parse("0.1") == 0.0999755859375`; `nil` for a malformed number; a decimal
  /// beyond the range is `±∞` (the caller decides whether that is an error).
  public func parse(_ text: String) -> Double? {
    switch self {
    case .float32: return Float(text).map(Double.init)
    case .float64: return Double(text)
    case .float16, .bfloat16:
      guard let d = Double(text) else { return nil }
      let r = round(d)
      guard d.isFinite, r != d else { return r }
      // The dtype's neighbours of d; their midpoint is a Double (p + 1 ≤ 12 bits).
      let (below, above) = r > d ? (nextDown(r), r) : (r, nextUp(r))
      let midpoint: Double
      if below.isFinite && above.isFinite {
        midpoint = (below + above) / 2
      } else if below.isFinite {
        midpoint = below + ulp(of: below) / 2
      } else {
        midpoint = above - ulp(of: above) / 2
      }
      guard d == midpoint else { return r }
      switch DecimalNumeral.compare(text, withExactValueOf: d) {
      case .equal: return r
      case .above: return above
      case .below: return below
      }
    }
  }
}

extension String {
  /// `x` with `digits` significant decimal digits (`%.*e`), rounded to nearest.
  init(decimal x: Double, significantDigits digits: Int) {
    // Digits, sign, point, "e-308" and the terminating NUL fit in digits + 16 bytes.
    let size = digits + 16
    var buffer = [CChar](repeating: 0, count: size)
    let count = buffer.withUnsafeMutableBufferPointer { p in
      withVaList([Int32(digits - 1), x]) { vsnprintf(p.baseAddress, size, "%.*e", $0) }
    }
    let written = Swift.max(0, Swift.min(Int(count), size - 1))
    self = String(decoding: buffer.prefix(written).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// Exact comparison of a decimal numeral with a Double.
enum DecimalNumeral {
  enum Order { case below, equal, above }

  /// Whether the decimal `text` is below, equal to or above the exact value of `d` (a finite
  /// Double that `Double(text)` returned, so the two agree in sign and are within half an ulp).
  ///
  /// Both are normalized to `0.d₁d₂… · 10^k` digit strings: the Double's by printing all of its
  /// digits (`%.*e` with 1100 digits is exact in glibc and every C library that is correctly
  /// rounding, since a Double's decimal expansion has at most 767 significant digits).
  static func compare(_ text: String, withExactValueOf d: Double) -> Order {
    guard let a = normalized(text) else { return .equal }
    let exact = String(decimal: d.magnitude, significantDigits: 1100)
    guard let b = normalized(exact) else { return .equal }
    let magnitudeOrder: Order
    if a.exponent != b.exponent {
      magnitudeOrder = a.exponent > b.exponent ? .above : .below
    } else {
      let n = Swift.max(a.digits.count, b.digits.count)
      let x = a.digits + [UInt8](repeating: 0, count: n - a.digits.count)
      let y = b.digits + [UInt8](repeating: 0, count: n - b.digits.count)
      magnitudeOrder = x == y ? .equal : (x.lexicographicallyPrecedes(y) ? .below : .above)
    }
    if d > 0 || magnitudeOrder == .equal { return magnitudeOrder }
    return magnitudeOrder == .above ? .below : .above
  }

  /// The significant digits (no leading or trailing zeros) and the exponent `k` of
  /// `0.d₁d₂… · 10^k`; `nil` for zero or a malformed numeral.
  static func normalized(_ text: String) -> (digits: [UInt8], exponent: Int)? {
    var mantissa = Substring(text.lowercased())
    var exponent = 0
    if let e = mantissa.firstIndex(of: "e") {
      guard let k = Int(mantissa[mantissa.index(after: e)...]) else { return nil }
      exponent = k
      mantissa = mantissa[..<e]
    }
    if mantissa.first == "-" || mantissa.first == "+" { mantissa = mantissa.dropFirst() }
    var digits: [UInt8] = []
    var pointSeen = false
    var integerDigits = 0
    for c in mantissa {
      if c == "." {
        guard !pointSeen else { return nil }
        pointSeen = true
      } else if let v = c.wholeNumberValue, c.isASCII {
        digits.append(UInt8(v))
        if !pointSeen { integerDigits += 1 }
      } else {
        return nil
      }
    }
    guard let first = digits.firstIndex(where: { $0 != 0 }) else { return nil }
    let significant = Array(digits[first...])
    let trimmed = Array(significant.prefix(through: significant.lastIndex(where: { $0 != 0 })!))
    return (trimmed, exponent + integerDigits - first)
  }
}
