import LossCore

/// Decodes one `losscheck/1` request line.
func decodeRequest(_ line: String) throws -> LossRequest {
  try ProtocolCodec.decodeRequest(JSONValue(parsing: line))
}

/// A request's JSON line, serialized.
func encodeLine(_ request: LossRequest) -> String {
  ProtocolCodec.encode(request).serialized()
}

/// Float32's spacing facts, written as exact binary fractions so that the tests never derive an
/// expected value from the code under test.
enum Float32Facts {
  /// 1 + 2⁻²⁴: the midpoint between 1 and its Float32 successor 1 + 2⁻²³ (decimal
  /// 1.000000059604644775390625, exact). Round-to-nearest-even sends it down to 1.
  static let midpointAboveOne = 1 + 0x1p-24
  /// 1 + 2⁻²³, the Float32 successor of 1: 1.00000011920928955078125 exactly.
  static let successorOfOne = 1 + 0x1p-23
  /// 1 + 2⁻²², the next Float32 after that: 1.0000002384185791015625 exactly.
  static let secondSuccessorOfOne = 1 + 0x1p-22
  /// Float32(0.1) = round(0.1 · 2²⁷) · 2⁻²⁷ = 13 421 773 · 2⁻²⁷ (0.1 · 2²⁷ = 13 421 772.8), whose exact
  /// decimal is 0.100000001490116119384765625.
  static let pointOne = 13_421_773 * 0x1p-27
  /// Float32(0.7) = round(0.7 · 2²⁴) · 2⁻²⁴ = 11 744 051 · 2⁻²⁴ (0.7 · 2²⁴ = 11 744 051.2), whose exact
  /// decimal is 0.699999988079071044921875.
  static let pointSeven = 11_744_051 * 0x1p-24
  /// The largest finite Float32, (2 − 2⁻²³) · 2¹²⁷ = 340282346638528859811704183484516925440.
  static let greatest = (2 - 0x1p-23) * 0x1p127
  /// The smallest positive (subnormal) Float32, 2⁻¹⁴⁹ ≈ 1.4013e-45.
  static let leastSubnormal = 0x1p-149
}
