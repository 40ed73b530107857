import LossCore
import Testing

/// The IEEE 754 constants of the two element types.
@Suite("DType constants")
struct DTypeConstantTests {
  @Test("machine epsilon is Flux's eps(T): 2⁻²³ for Float32, 2⁻⁵² for Float64")
  func machineEpsilon() {
    // binary32 has a 24-bit significand (23 stored), binary64 53 (52 stored): eps = 2^(1 − p).
    #expect(DType.float32.machineEpsilon == 1.0 / 8_388_608)  // 2²³ = 8 388 608
    #expect(DType.float64.machineEpsilon == 1.0 / 4_503_599_627_370_496)  // 2⁵² = 4 503 599 627 370 496
    #expect(DType.float32.machineEpsilon == Double(Float.ulpOfOne))
    #expect(DType.float64.machineEpsilon == Double.ulpOfOne)
  }

  @Test("unit roundoff is half the machine epsilon, 2⁻ᵖ", arguments: DType.allCases)
  func unitRoundoff(dtype: DType) {
    #expect(dtype.unitRoundoff == dtype.machineEpsilon / 2)
    #expect(dtype.unitRoundoff == Double(sign: .plus, exponent: -dtype.significandBits, significand: 1))
  }

  @Test("significand bits include the implicit one: 24 and 53")
  func significandBits() {
    #expect(DType.float32.significandBits == 24)
    #expect(DType.float64.significandBits == 53)
    #expect(DType.float32.significandBits == Float.significandBitCount + 1)
    #expect(DType.float64.significandBits == Double.significandBitCount + 1)
  }

  @Test("raw values are the protocol's dtype names")
  func rawValues() {
    #expect(DType.allCases.map(\.rawValue) == ["float32", "float64", "float16", "bfloat16"])
  }
}

/// Rounding a Double to the element type, as Flux's `ofeltype` does.
@Suite("DType rounding")
struct DTypeRoundingTests {
  @Test("Float32(0.7) is 0.699999988079071044921875 exactly")
  func pointSeven() {
    let rounded = DType.float32.round(0.7)
    #expect(rounded == Double(Float(0.7)))
    // The decimal has 24 fractional digits and is a multiple of 2⁻²⁴, so the Double literal is exact.
    #expect(rounded == 0.699999988079071044921875)
    #expect(rounded == Float32Facts.pointSeven)
  }

  /// Hand-rounded cases: (x, Float32 nearest, ties to even).
  static let float32Cases: [(Double, Double)] = [
    (0.1, Float32Facts.pointOne),
    (0.5, 0.5),
    (-0.7, -Float32Facts.pointSeven),
    // 1 + 2⁻²⁴ is the midpoint of 1 (even significand) and 1 + 2⁻²³ (odd): ties go to 1.
    (Float32Facts.midpointAboveOne, 1),
    // 1 + 3·2⁻²⁴ is the midpoint of 1 + 2⁻²³ (odd) and 1 + 2⁻²² (even): ties go up.
    (1 + 3 * 0x1p-24, Float32Facts.secondSuccessorOfOne),
    // Just above the first midpoint (by 2⁻⁵², one Double ulp): rounds up.
    (Float32Facts.midpointAboveOne + 0x1p-52, Float32Facts.successorOfOne),
    // 2²⁴ + 1 is odd and needs 25 bits: the tie goes to the even 2²⁴.
    (16_777_217, 16_777_216),
    // Below half the least subnormal 2⁻¹⁴⁹: rounds to zero.
    (1e-46, 0),
    (Float32Facts.leastSubnormal, Float32Facts.leastSubnormal),
    // (2 − 2⁻²⁴)·2¹²⁷ is the midpoint of the largest Float32 (odd significand) and 2¹²⁸: ties go
    // to 2¹²⁸, which overflows to +∞.
    ((2 - 0x1p-24) * 0x1p127, .infinity),
    (1e39, .infinity),
    (-1e39, -.infinity),
    (Float32Facts.greatest, Float32Facts.greatest),
  ]

  @Test("Float32 rounds to nearest, ties to even", arguments: float32Cases)
  func float32Rounding(x: Double, expected: Double) {
    #expect(DType.float32.round(x) == expected)
  }

  @Test("Float32 rounding keeps the sign of zero and NaN")
  func float32SignedZeroAndNaN() {
    #expect(DType.float32.round(-0.0).sign == .minus)
    #expect(DType.float32.round(-0.0) == 0)
    #expect(DType.float32.round(.nan).isNaN)
  }

  @Test(
    "Float64 rounding is the identity",
    arguments: [0.1, 0.7, -0.0, 0x1p-1070, 1e300, .infinity, Double.greatestFiniteMagnitude])
  func float64Identity(x: Double) {
    #expect(DType.float64.round(x).bitPattern == x.bitPattern)
  }
}

/// Whether a Double is exactly a value of the element type.
@Suite("DType represents")
struct DTypeRepresentsTests {
  static let float32Cases: [(Double, Bool)] = [
    (0.5, true),
    (0.1, false),  // 0.1 has an infinite binary expansion; its Double needs 53 bits
    (Float32Facts.pointOne, true),
    (16_777_216, true),  // 2²⁴
    (16_777_217, false),  // 2²⁴ + 1 needs 25 bits
    (Float32Facts.midpointAboveOne, false),
    (Float32Facts.successorOfOne, true),
    (Float32Facts.leastSubnormal, true),
    (0x1p-150, false),  // half the least subnormal
    (Float32Facts.greatest, true),
    (1e39, false),  // beyond the range: it would become +∞
    (-0.0, true),
    (.infinity, true),
    (-.infinity, true),
    (.nan, true),
  ]

  @Test("Float32 represents exactly its own values (and the non-finite ones)", arguments: float32Cases)
  func float32Represents(x: Double, expected: Bool) {
    #expect(DType.float32.represents(x) == expected)
  }

  @Test("Float64 represents every Double", arguments: [0.1, 0x1p-1074, 1e300, -0.0, .nan, .infinity])
  func float64RepresentsEverything(x: Double) {
    #expect(DType.float64.represents(x))
  }
}
