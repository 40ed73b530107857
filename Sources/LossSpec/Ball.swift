/// A real number known to lie in `[mid − rad, mid + rad]`: midpoint-radius ("ball") arithmetic.
///
/// Operations on exact balls (`rad == 0`) whose result is a dyadic stay exact, whatever the
/// exponents: the algebra of the losses (differences, squares, products, sums) is computed without
/// error. Quotients and elementary functions round the midpoint to `precision` bits and add a
/// rigorous bound of everything they dropped to the radius, so the radius of a result bounds its
/// distance to the exact value. ``LossSpec`` raises `precision` until the ball rounds to a single
/// Float32/Float64 value (Ziv's strategy).
struct Ball: Sendable, CustomStringConvertible {
  var mid: Dyadic
  var rad: Bound
  /// The working precision in bits for rounded operations.
  var precision: Int

  init(_ mid: Dyadic, rad: Bound = .zero, precision: Int) {
    self.mid = mid
    self.rad = rad
    self.precision = precision
  }

  init(exactly x: Double, precision: Int) {
    self.init(Dyadic(x), precision: precision)
  }

  var isExact: Bool { rad.isZero }
  var lower: Dyadic { mid - rad.coarsened(relativeTo: mid, precision: precision).dyadic }
  var upper: Dyadic { mid + rad.coarsened(relativeTo: mid, precision: precision).dyadic }

  /// A lower bound on `c + x` for every `x` in the ball, formed without aligning mantissas
  /// across an astronomical exponent gap.
  func lowerBound(plus c: Dyadic) -> Dyadic {
    let center = c + mid
    return center - rad.coarsened(relativeTo: center, precision: precision).dyadic
  }

  /// −1 or 1 when every point of the ball has that sign, 0 when the ball is exactly zero, `nil`
  /// when the ball straddles or touches zero without being exactly zero.
  var certainSign: Int? {
    if isExact { return mid.signum }
    if lower.signum > 0 { return 1 }
    if upper.signum < 0 { return -1 }
    return nil
  }

  var description: String { "\(mid) ± \(rad.approximation)" }

  /// Rounds the midpoint to the working precision when the ball is inexact (exact balls stay
  /// exact), moving the rounding error into the radius.
  func normalized() -> Ball {
    guard !isExact, mid.bitCount > precision + 8 else { return self }
    let (value, error) = mid.truncated(toBits: precision + 8)
    return Ball(value, rad: rad + error, precision: precision)
  }

  static prefix func - (x: Ball) -> Ball { Ball(-x.mid, rad: x.rad, precision: x.precision) }

  static func + (a: Ball, b: Ball) -> Ball {
    let precision = Swift.max(a.precision, b.precision)
    if a.isExact && b.isExact {
      return Ball(a.mid + b.mid, precision: precision)
    }
    // Fold an operand far below the other's radius into the radius instead of aligning
    // mantissas across a huge exponent gap.
    let rad = a.rad + b.rad
    let radTop = rad.topExponent
    if !b.mid.isZero, b.mid.topExponent < radTop - precision - 16 {
      return Ball(a.mid, rad: rad + Bound(atLeast: b.mid), precision: precision).normalized()
    }
    if !a.mid.isZero, a.mid.topExponent < radTop - precision - 16 {
      return Ball(b.mid, rad: rad + Bound(atLeast: a.mid), precision: precision).normalized()
    }
    // Likewise an operand far below the other's midpoint: e^(x − m) of a logit 10¹² below the
    // maximum has an exponent near −1.4·10¹², and aligning it exactly would take terabits. Its
    // magnitude goes into the radius, 2^−(precision + 64) relative to the result.
    if !a.mid.isZero, !b.mid.isZero {
      let gap = a.mid.topExponent - b.mid.topExponent
      if gap > precision + 64 {
        return Ball(a.mid, rad: rad + Bound(atLeast: b.mid), precision: precision).normalized()
      }
      if gap < -(precision + 64) {
        return Ball(b.mid, rad: rad + Bound(atLeast: a.mid), precision: precision).normalized()
      }
    }
    return Ball(a.mid + b.mid, rad: rad, precision: precision).normalized()
  }

  static func - (a: Ball, b: Ball) -> Ball { a + (-b) }

  static func * (a: Ball, b: Ball) -> Ball {
    let precision = Swift.max(a.precision, b.precision)
    let product = a.mid * b.mid
    if a.isExact && b.isExact { return Ball(product, precision: precision) }
    // |ab − a'b'| ≤ |a'|·rb + |b'|·ra + ra·rb.
    let rad = Bound(atLeast: a.mid) * b.rad + Bound(atLeast: b.mid) * a.rad + a.rad * b.rad
    return Ball(product, rad: rad, precision: precision).normalized()
  }

  /// `x · 2^k`, exactly.
  func scaled(by k: Int) -> Ball { Ball(mid.scaled(by: k), rad: rad.scaled(by: k), precision: precision) }

  /// `a / b`. The divisor must not contain zero (the caller decides signs on exact values).
  ///
  /// An exact quotient of exact operands that is a dyadic (the odd part of the divisor divides
  /// the dividend) stays exact; otherwise the midpoint is the quotient truncated to
  /// `precision + 8` bits.
  static func / (a: Ball, b: Ball) -> Ball {
    let precision = Swift.max(a.precision, b.precision)
    precondition(b.certainSign != nil && b.certainSign != 0, "internal: division by a ball containing 0")
    if a.mid.isZero && a.isExact { return Ball(.zero, precision: precision) }
    if a.mid.isZero {
      // 0/b′ = 0 exactly: no truncation error (an absolute 2^−bits one would never shrink, and the
      // series that divide powers of a ball centred on 0 would not end); |a/b| ≤ ra/(|b′| − rb).
      let bLow = b.magnitude.lowerBound(plus: .zero)
      return Ball(.zero, rad: a.rad * Bound.reciprocal(ofAtLeast: bLow).scaled(by: 1), precision: precision)
    }
    let bits = precision + 8
    let bm = b.mid.mantissa
    if a.isExact && b.isExact {
      let twos = bm.trailingZeroBitCount
      let odd = bm >> twos
      let (q, r) = a.mid.mantissa.quotientAndRemainder(dividingBy: odd)
      if r.isZero {
        return Ball(Dyadic(mantissa: q, exponent: a.mid.exponent - b.mid.exponent - twos), precision: precision)
      }
    }
    // Scale the dividend so the integer quotient has at least `bits` bits.
    let shift = Swift.max(0, bits + b.mid.bitCount - a.mid.bitCount + 1)
    let (q, _) = (a.mid.mantissa << shift).quotientAndRemainder(dividingBy: bm)
    let quotient = Dyadic(mantissa: q, exponent: a.mid.exponent - shift - b.mid.exponent)
    // Truncation error < 1 unit of the quotient's last place.
    var rad = Bound(powerOfTwo: a.mid.exponent - shift - b.mid.exponent)
    if !a.isExact || !b.isExact {
      // |a/b − a'/b'| ≤ (ra + |a'/b'|·rb) / (|b'| − rb).
      let bLow = b.magnitude.lowerBound(plus: .zero)
      let numerator = a.rad + Bound(atLeast: quotient) * b.rad + rad * b.rad
      rad = rad + numerator * Bound.reciprocal(ofAtLeast: bLow).scaled(by: 1)
    }
    return Ball(quotient, rad: rad, precision: precision).normalized()
  }

  /// `|x|` for a ball of certain sign (exact zero included).
  var magnitude: Ball { mid.isNegative ? -self : self }

  /// Adds `error` to the radius.
  func widened(by error: Bound) -> Ball { Ball(mid, rad: rad + error, precision: precision) }
}
