import BigInt
import Foundation
import LossCore
import Testing

@testable import LossSpec

/// Every LossSpec ball must contain the exact value: checked against the oracle's 45-digit exact
/// values (mpmath at 1200 bits, confirmed at 3000) at the first, least precise, Ziv step, where
/// the radii are widest and a wrong error bound would show.
@Suite struct EnclosureTests {
  /// Parses "d.ddd…e±x" into a dyadic within 2⁻²⁰⁰ relative of it; nil for exponents beyond ±600.
  static func parseScientific(_ s: String) -> Dyadic? {
    let negative = s.hasPrefix("-")
    let body = negative ? String(s.dropFirst()) : s
    let parts = body.split(separator: "e")
    guard parts.count == 2, let e10 = Int(parts[1]) else { return nil }
    let mantissaParts = parts[0].split(separator: ".")
    let digits = mantissaParts.joined()
    let exponent = e10 - (mantissaParts.count > 1 ? mantissaParts[1].count : 0)
    guard abs(exponent) < 700, let integer = BigInt(digits) else { return nil }
    let value: Dyadic
    if exponent >= 0 {
      value = Dyadic(mantissa: integer * BigInt(10).power(exponent), exponent: 0)
    } else {
      let shift = 2600
      value = Dyadic(mantissa: (integer << shift) / BigInt(10).power(-exponent), exponent: -shift)
    }
    return negative ? -value : value
  }

  @Test func ballsContainTheOracleValues() throws {
    let cases = try OracleTests.loadCases()
    var checked = 0
    var widest = 0.0
    for c in cases {
      guard let oracle = c.json["oracle"], case .string("finite")? = oracle["outcome"],
        case .string(let exactText)? = oracle["exact"], let exact = Self.parseScientific(exactText),
        let request = try? ProtocolCodec.decodeRequest(c.json), let (y, params) = try? request.validated()
      else { continue }
      let formulas = Formulas(request: request, y: y, params: params, precision: LossSpec.precisions[0])
      guard let result = try? formulas.evaluate(), case .finite(let ball)? = result.values.first else { continue }
      // The oracle's 45 digits are within 10⁻⁴⁴ relative of the exact value (< 2⁻¹⁴⁵).
      let slack = Bound(atLeast: exact).scaled(by: -140) + Bound(powerOfTwo: -2500)
      let distance = (ball.mid - exact).magnitude
      #expect(
        !((ball.rad + slack).dyadic < distance),
        "\(c.id): \(ball.mid) ± \(ball.rad.approximation) excludes the oracle's \(exactText)")
      if !exact.isZero {
        widest = max(widest, ball.rad.approximation / abs(exact.approximation))
      }
      checked += 1
    }
    print(
      "enclosure: \(checked) finite oracle values inside their \(LossSpec.precisions[0])-bit balls; widest relative radius \(widest)"
    )
    #expect(checked >= 250)
  }
}

/// `exactDigits` raises the precision until the midpoint is right to that many digits: the
/// 45-digit strings then agree with the oracle's in their first 40 significant digits.
@Suite struct ExactDigitsTests {
  @Test func fortyDigitsAgreeWithTheOracle() throws {
    var compared = 0
    for c in try OracleTests.loadCases() {
      guard let oracle = c.json["oracle"], case .string("finite")? = oracle["outcome"],
        case .string(let exactText)? = oracle["exact"], let exact = EnclosureTests.parseScientific(exactText),
        !exact.isZero, let request = try? ProtocolCodec.decodeRequest(c.json),
        let result = try? LossSpec.evaluate(request, exactDigits: 40),
        let mine = EnclosureTests.parseScientific(
          result.exact[0].contains("e") ? result.exact[0] : result.exact[0] + "e0")
      else { continue }
      // |mine − exact| ≤ 10⁻⁴⁰·|exact| (< 2⁻¹³²) plus the oracle's own 45-digit rounding.
      let allowed = Bound(atLeast: exact).scaled(by: -132)
      #expect(!(allowed.dyadic < (mine - exact).magnitude), "\(c.id): \(result.exact[0]) vs \(exactText)")
      compared += 1
    }
    #expect(compared >= 250)
  }
}
