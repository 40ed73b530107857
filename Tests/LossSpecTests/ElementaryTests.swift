import Testing

@testable import LossSpec

/// The elementary functions of LossSpec against published constants (100 digits, as printed by
/// mpmath 1.3.0 at 110 digits and listed in OEIS:
/// A002162 ln 2, A001113 e, A002392 ln 10, A068985 1/e) — an independent source.
@Suite struct ElementaryTests {
  static let ln2Digits =
    "0.693147180559945309417232121458176568075500134360255254120680009493393621969694715605863326996418687"
  static let eDigits =
    "2.718281828459045235360287471352662497757247093699959574966967627724076630353547594571382178525166427"
  static let ln10Digits =
    "2.302585092994045684017991454684364207601101488628772976033327900967572609677352480235997205089598298"
  static let invEDigits =
    "0.367879441171442321595523770161460867445811131031767834507836801697461495744899803357147274345919643"

  /// Checks that `ball` contains the decimal constant and is narrower than 2^-(bits − 4).
  func check(_ ball: Ball, _ decimal: String, bits: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let exact = parseDecimal(decimal)
    // The published constants have 99 decimals: they are exact to 1e-99 ≈ 2^-329.
    let slack = Dyadic(mantissa: 1, exponent: -328)
    let distance = (ball.mid - exact).magnitude
    let allowed = ball.rad.dyadic + slack
    #expect(!(allowed < distance), "ball \(ball) excludes \(decimal)", sourceLocation: sourceLocation)
    #expect(
      ball.rad.topExponent < -(bits - 4) + 2, "radius \(ball.rad.approximation) too wide",
      sourceLocation: sourceLocation)
  }

  @Test func ln2() {
    for bits in [64, 200, 300] {
      check(Elementary.ln2(precision: bits), Self.ln2Digits, bits: bits)
    }
  }

  @Test func expOfOneAndMinusOne() {
    for bits in [60, 128, 300] {
      check(Elementary.exp(Ball(.one, precision: bits)), Self.eDigits, bits: bits - 2)
      check(Elementary.exp(Ball(Dyadic(-1), precision: bits)), Self.invEDigits, bits: bits)
    }
  }

  @Test func logOfTen() {
    for bits in [60, 128, 300] {
      check(Elementary.log(Ball(Dyadic(10), precision: bits)), Self.ln10Digits, bits: bits - 2)
    }
  }

  @Test func logOfE() {
    // log(e) = 1 on a ball around e: the result must contain 1.
    let e = Elementary.exp(Ball(.one, precision: 200))
    let l = Elementary.log(e)
    let distance = (l.mid - .one).magnitude
    #expect(!(l.rad.dyadic < distance))
  }
}

/// Parses a plain decimal `[-]d.ddd` into the exact dyadic nearest below it with 400 fractional
/// bits (error < 2⁻⁴⁰⁰, far below the 1e-99 of the constants).
func parseDecimal(_ s: String) -> Dyadic {
  let negative = s.hasPrefix("-")
  let body = negative ? String(s.dropFirst()) : s
  let parts = body.split(separator: ".")
  let digits = parts.joined()
  let decimals = parts.count > 1 ? parts[1].count : 0
  let numerator = BigIntType(digits)! << 400
  var ten = BigIntType(1)
  for _ in 0..<decimals { ten *= 10 }
  let q = numerator / ten
  return Dyadic(mantissa: negative ? -q : q, exponent: -400)
}
