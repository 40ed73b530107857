/// What the elementary-function kernels need of a ball type: ``Ball`` (BigInt midpoints, any
/// precision) and ``Ball128`` (128-bit midpoints, no allocation) both provide it, so one kernel
/// serves the fast first Ziv step and the arbitrary-precision later ones.
protocol BallNumber: Sendable {
  /// `x` itself, or (for a fixed-size type) `x` truncated with the truncation in the radius.
  init(exact x: Dyadic, precision: Int)
  var precision: Int { get }
  var rad: Bound { get }
  var midDyadic: Dyadic { get }
  /// An upper bound on `|mid|`.
  var midMagnitudeBound: Bound { get }
  /// ⌊log₂|mid|⌋, `Int.min` for zero.
  var midTopExponent: Int { get }
  var midApproximation: Double { get }
  var isExactZero: Bool { get }

  static prefix func - (x: Self) -> Self
  static func + (a: Self, b: Self) -> Self
  static func - (a: Self, b: Self) -> Self
  static func * (a: Self, b: Self) -> Self
  /// The divisor must be far from zero (the kernels divide by small integers and by 2 + z).
  static func / (a: Self, b: Self) -> Self
  /// `x / k` for a small positive integer `k`.
  func divided(by k: Int) -> Self
  func scaled(by k: Int) -> Self
  func widened(by error: Bound) -> Self
  func withPrecision(_ bits: Int) -> Self
}

extension BallNumber {
  /// An upper bound on every `|x|` in the ball.
  var magnitudeBound: Bound { midMagnitudeBound + rad }

  static func integer(_ k: Int, precision: Int) -> Self { Self(exact: Dyadic(k), precision: precision) }
}

extension Ball: BallNumber {
  init(exact x: Dyadic, precision: Int) { self.init(x, precision: precision) }
  var midDyadic: Dyadic { mid }
  var midMagnitudeBound: Bound { Bound(atLeast: mid) }
  var midTopExponent: Int { mid.topExponent }
  var midApproximation: Double { mid.approximation }
  var isExactZero: Bool { isExact && mid.isZero }
  func divided(by k: Int) -> Ball { self / Ball(Dyadic(k), precision: precision) }
}
