/// Google's brain floating-point format: the sign and 8-bit exponent of a Float32 and the top 7
/// of its 23 fraction bits, stored in 16 bits.
///
/// Swift has no BFloat16, so the package carries this small value type: a bit pattern with exact
/// conversions to wider types and correctly rounded conversions (round to nearest, ties to even)
/// from them. It is a storage type, as in the frameworks: arithmetic happens after widening to
/// Float (exact) or Double.
///
/// ```swift
/// BFloat16(0.1 as Float).bitPattern   // 0x3DCD: 0.10009765625
/// Float(BFloat16(bitPattern: 0x7F7F)) // 3.3895314e+38, the largest finite value
/// ```
public struct BFloat16: Sendable, Hashable, CustomStringConvertible {
  /// The 16 bits: sign, 8 exponent bits, 7 fraction bits.
  public var bitPattern: UInt16

  /// The value with these bits.
  public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

  /// `x` rounded to the nearest BFloat16, ties to even; NaN stays NaN (quiet, sign kept), values
  /// at or beyond the midpoint above the largest finite become ±∞.
  ///
  /// The upper 16 bits of `x` rounded on the lower 16: adding `0x7FFF` plus the kept part's last
  /// bit carries into the kept part exactly when the discarded part is above half, or half with
  /// an odd kept part (a carry out of the fraction increments the exponent, which is right, and
  /// out of the largest finite gives the infinity's bits).
  public init(_ x: Float) {
    let bits = x.bitPattern
    if x.isNaN {
      bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
      return
    }
    let lastKept = (bits >> 16) & 1
    bitPattern = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lastKept) >> 16)
  }

  /// `x` rounded once to the nearest BFloat16 (not through Float, which would round twice).
  public init(_ x: Double) {
    if x.isNaN {
      self.init(Float.nan)
      if x.sign == .minus { bitPattern |= 0x8000 }
      return
    }
    // DType.bfloat16.round gives an exact BFloat16 value; its Float conversion is exact.
    self.init(Float(DType.bfloat16.round(x)))
  }

  /// The value as a Double (exact).
  public var doubleValue: Double { Double(Float(self)) }

  /// Whether this is a NaN.
  public var isNaN: Bool { bitPattern & 0x7F80 == 0x7F80 && bitPattern & 0x007F != 0 }

  /// The shortest decimal that reads back to this value (``DType/spelling(of:_:)``).
  public var description: String { DType.bfloat16.spelling(of: doubleValue) }
}

extension Float {
  /// The BFloat16 value `x`, exactly: its bits are the upper half of a Float's.
  public init(_ x: BFloat16) { self.init(bitPattern: UInt32(x.bitPattern) << 16) }
}

extension Double {
  /// The BFloat16 value `x`, exactly.
  public init(_ x: BFloat16) { self.init(Float(x)) }
}
