/// The element types an implementation computes in: the two IEEE formats every framework has and
/// the two half-precision formats of mixed-precision training (SEMANTICS.md, "Half precision").
///
/// Every value of every dtype is exactly a `Double`, so the package carries values as `Double`
/// and asks the dtype how to round (``round(_:)``), how far apart its values are (``ulp(of:)``)
/// and how to spell them (``spelling(of:_:)``).
///
/// | dtype | precision p | normal exponents | largest finite | `eps` (Flux's ϵ) | u = 2⁻ᵖ |
/// |---|---|---|---|---|---|
/// | `float16` | 11 | −14 … 15 | 65504 | 2⁻¹⁰ | 2⁻¹¹ |
/// | `bfloat16` | 8 | −126 … 127 | ≈ 3.39e38 | 2⁻⁷ | 2⁻⁸ |
/// | `float32` | 24 | −126 … 127 | ≈ 3.40e38 | 2⁻²³ | 2⁻²⁴ |
/// | `float64` | 53 | −1022 … 1023 | ≈ 1.80e308 | 2⁻⁵² | 2⁻⁵³ |
public enum DType: String, CaseIterable, Sendable, Hashable, Codable {
  case float32
  case float64
  /// IEEE binary16 (`Float16`, numpy `float16`, torch `torch.half`).
  case float16
  /// Google's brain float: Float32's exponent range with an 8-bit significand (`torch.bfloat16`,
  /// `jnp.bfloat16`, `ml_dtypes.bfloat16`).
  case bfloat16

  /// The two single-rounding formats every layer has handled from the start; the half formats are
  /// ``halfPrecision``.
  public static let standard: [DType] = [.float32, .float64]

  /// Float16 and BFloat16.
  public static let halfPrecision: [DType] = [.float16, .bfloat16]

  /// Whether this is Float16 or BFloat16.
  public var isHalfPrecision: Bool { self == .float16 || self == .bfloat16 }

  /// The number of significand bits, including the implicit one.
  public var significandBits: Int {
    switch self {
    case .float16: 11
    case .bfloat16: 8
    case .float32: 24
    case .float64: 53
    }
  }

  /// The exponent of the smallest normal value, `2^minExponent`.
  public var minExponent: Int {
    switch self {
    case .float16: -14
    case .bfloat16, .float32: -126
    case .float64: -1022
    }
  }

  /// The exponent of the largest binade (the largest finite value is `(2 − 2^(1−p))·2^maxExponent`).
  public var maxExponent: Int {
    switch self {
    case .float16: 15
    case .bfloat16, .float32: 127
    case .float64: 1023
    }
  }

  /// The unit roundoff `u = 2⁻ᵖ` (half the machine epsilon): 2⁻¹¹ for Float16, 2⁻⁸ for BFloat16,
  /// 2⁻²⁴ for Float32, 2⁻⁵³ for Float64.
  public var unitRoundoff: Double { Double(sign: .plus, exponent: -significandBits, significand: 1) }

  /// Flux's default `ϵ`, `eps(eltype(ŷ))`: 2⁻¹⁰ for Float16, 2⁻⁷ for BFloat16, 2⁻²³ for Float32,
  /// 2⁻⁵² for Float64.
  public var machineEpsilon: Double { Double(sign: .plus, exponent: 1 - significandBits, significand: 1) }

  /// The largest finite value: 65504 for Float16.
  public var greatestFiniteMagnitude: Double {
    Double(sign: .plus, exponent: maxExponent, significand: 2 - machineEpsilon)
  }

  /// The smallest positive normal value, `2^minExponent`.
  public var leastNormalMagnitude: Double { Double(sign: .plus, exponent: minExponent, significand: 1) }

  /// The smallest positive subnormal value, `2^(minExponent − p + 1)`: 2⁻²⁴ for Float16.
  public var leastNonzeroMagnitude: Double {
    Double(sign: .plus, exponent: minExponent - significandBits + 1, significand: 1)
  }

  /// A short name for identifiers: `f16`, `bf16`, `f32`, `f64`.
  public var shortName: String {
    switch self {
    case .float16: "f16"
    case .bfloat16: "bf16"
    case .float32: "f32"
    case .float64: "f64"
    }
  }

  /// Julia's name of the type (`BFloat16` is the BFloat16s.jl package's).
  public var juliaName: String {
    switch self {
    case .float16: "Float16"
    case .bfloat16: "BFloat16"
    case .float32: "Float32"
    case .float64: "Float64"
    }
  }

  /// Rounds a Double to this type (round to nearest, ties to even) and back, as `ofeltype` does;
  /// a value beyond the type's range rounds to ±∞ (at or above the midpoint between the largest
  /// finite value and the next power of two, as IEEE specifies).
  ///
  /// For Float64 this is the identity; Float32 uses the hardware conversion. The half formats
  /// round by scaling with the spacing `2^(e − p + 1)` of `x`'s binade (exact: a power of two),
  /// rounding the quotient to an integer, and scaling back, one rounding: the test suite checks
  /// it against `Float16`'s own conversion and ``BFloat16``'s bit arithmetic on every value.
  ///
  /// `DType.float16.round(0.1) == 0.0999755859375`, `DType.float16.round(65520) == .infinity`.
  public func round(_ x: Double) -> Double {
    switch self {
    case .float64: return x
    case .float32: return Double(Float(x))
    case .float16, .bfloat16:
      guard x.isFinite, x != 0 else { return x }
      let binade = Swift.max(Int(x.exponent), minExponent)
      let quantum = Double(sign: .plus, exponent: binade - significandBits + 1, significand: 1)
      let r = (x / quantum).rounded(.toNearestOrEven) * quantum
      if r.magnitude > greatestFiniteMagnitude { return x < 0 ? -.infinity : .infinity }
      return r == 0 ? (x < 0 ? -0.0 : 0.0) : r
    }
  }

  /// The spacing of this type's values at `|x|`: the unit in the last place of `x` rounded to
  /// this type; the smallest subnormal for 0; the ulp of the largest finite value for a
  /// non-finite `x` or one beyond the type's range.
  ///
  /// `DType.float32.ulp(of: 1) == 0x1p-23`, `DType.float64.ulp(of: 0) == 0x1p-1074`,
  /// `DType.float32.ulp(of: -3) == 0x1p-22` (the sign does not matter),
  /// `DType.float16.ulp(of: 1000) == 0.5`.
  public func ulp(of x: Double) -> Double {
    switch self {
    case .float64:
      return x.isFinite ? x.magnitude.ulp : Double.greatestFiniteMagnitude.ulp
    case .float32:
      let f = Float(x.magnitude)
      return f.isFinite ? Double(f.ulp) : Double(Float.greatestFiniteMagnitude.ulp)
    case .float16, .bfloat16:
      let r = round(x.magnitude)
      let binade = r.isFinite ? (r == 0 ? minExponent : Swift.max(Int(r.exponent), minExponent)) : maxExponent
      return Double(sign: .plus, exponent: binade - significandBits + 1, significand: 1)
    }
  }

  /// Whether `x` is exactly representable in this type (non-finite values are).
  public func represents(_ x: Double) -> Bool {
    switch self {
    case .float64: return true
    case .float32: return x.isNaN || Double(Float(x)) == x
    case .float16, .bfloat16: return x.isNaN || round(x) == x
    }
  }

  /// The next value of this type above `x` (an exact value of the type); `+∞` above the largest
  /// finite value, like `Double.nextUp`.
  public func nextUp(_ x: Double) -> Double {
    switch self {
    case .float64: return x.nextUp
    case .float32: return Double(Float(x).nextUp)
    case .float16, .bfloat16:
      if x.isNaN || x == .infinity { return x }
      if x == -.infinity { return -greatestFiniteMagnitude }
      if x == greatestFiniteMagnitude { return .infinity }
      if x.sign == .plus || x == 0 { return x + ulp(of: x) }
      // Up from a negative value is down in magnitude: below a power of two (above the
      // subnormals) the spacing is half the binade's.
      let m = x.magnitude
      let spacing = m.significand == 1 && m > leastNormalMagnitude ? ulp(of: m) / 2 : ulp(of: m)
      let next = -(m - spacing)
      return next == 0 ? -0.0 : next
    }
  }

  /// The next value of this type below `x` (an exact value of the type); `−∞` below the most
  /// negative finite value.
  public func nextDown(_ x: Double) -> Double {
    if x == 0 { return -leastNonzeroMagnitude }
    return -nextUp(-x)
  }
}
