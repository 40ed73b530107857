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

  /// Whether `x` is exactly representable in this type (non-finite values are).
  public func represents(_ x: Double) -> Bool {
    self == .float64 || x.isNaN || Double(Float(x)) == x
  }
}
