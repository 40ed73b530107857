/// The element types an implementation computes in.
public enum DType: String, CaseIterable, Sendable, Hashable, Codable {
  case float32
  case float64

  /// The unit roundoff `u = 2⁻ᵖ` (half the machine epsilon): 2⁻²⁴ for Float32, 2⁻⁵³ for Float64.
  public var unitRoundoff: Double { self == .float32 ? 0x1p-24 : 0x1p-53 }

  /// Flux's default `ϵ`, `eps(eltype(ŷ))`: 2⁻²³ for Float32, 2⁻⁵² for Float64.
  public var machineEpsilon: Double { self == .float32 ? 0x1p-23 : 0x1p-52 }

  /// The number of significand bits, including the implicit one.
  public var significandBits: Int { self == .float32 ? 24 : 53 }

  /// Rounds a Double to this type (round to nearest, ties to even) and back, as `ofeltype` does.
  ///
  /// For Float64 this is the identity. A Double is converted to Float32 with a single rounding.
  public func round(_ x: Double) -> Double {
    self == .float32 ? Double(Float(x)) : x
  }

  /// The spacing of this type's values at `|x|`: the unit in the last place of `x` rounded to
  /// this type; the smallest subnormal for 0; the ulp of the largest finite value for a
  /// non-finite `x` or one beyond the type's range.
  ///
  /// `DType.float32.ulp(of: 1) == 0x1p-23`, `DType.float64.ulp(of: 0) == 0x1p-1074`,
  /// `DType.float32.ulp(of: -3) == 0x1p-22` (the sign does not matter).
  public func ulp(of x: Double) -> Double {
    switch self {
    case .float64:
      return x.isFinite ? x.magnitude.ulp : Double.greatestFiniteMagnitude.ulp
    case .float32:
      let f = Float(x.magnitude)
      return f.isFinite ? Double(f.ulp) : Double(Float.greatestFiniteMagnitude.ulp)
    }
  }

  /// Whether `x` is exactly representable in this type (non-finite values are).
  public func represents(_ x: Double) -> Bool {
    self == .float64 || x.isNaN || Double(Float(x)) == x
  }
}
