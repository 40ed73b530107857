import Foundation
import LossCore
import Testing

@testable import LossSpec

/// LossSpec's gradients against the independent mpmath gradient oracle.
///
/// `Conformance/oracle/gradient_cases.jsonl` is written by
/// `Conformance/oracle/mpmath_gradient_oracle.py`: every gradient element is a numerical
/// derivative (`mpmath.diff` of the value oracle's loss in one input element, at two precisions and
/// step sizes, accepted only when the whole error interval rounds to one Float32 and one Float64),
/// never a hand-derived formula — LossSpec's derivatives are hand-derived, so the two share
/// nothing but SEMANTICS.md. Every element must match the correctly rounded value in the request's
/// dtype exactly; at a kink both one-sided derivatives must match; an oracle "0" (a derivative
/// within 2⁻¹²⁰⁰ of zero, of unresolved sign) matches ±0; an error outcome must be LossSpec's error.
@Suite struct GradientOracleTests {
  static func parse(_ value: JSONValue?, float32: Bool) -> Double? {
    guard case .string(let s)? = value else { return nil }
    return OracleTests.parse(s, float32: float32)
  }

  /// The mismatches of one argument's gradient (`yhat` or `y`), described.
  static func compare(
    _ mine: [GradientElement], _ oracle: JSONValue, dtype: DType, id: String, argument: String
  ) -> [String] {
    let key = dtype == .float32 ? "float32" : "float64"
    let float32 = dtype == .float32
    guard case .array(let values)? = oracle[key], case .array(let exact)? = oracle["exact"] else {
      return ["\(id) ∇\(argument): the oracle has no \(key) or exact array"]
    }
    var subgradients: [JSONValue] = []
    if case .array(let items)? = oracle["subgradient"] { subgradients = items }
    guard values.count == mine.count else {
      return ["\(id) ∇\(argument): \(mine.count) elements, the oracle has \(values.count)"]
    }
    var problems: [String] = []
    for (i, element) in mine.enumerated() {
      let at = "\(id) ∇\(argument)[\(i + 1)]"
      if case .null = values[i] {
        // A kink: the oracle's one-sided derivatives.
        guard i < subgradients.count, let lower = parse(subgradients[i]["lower"]?[key], float32: float32),
          let upper = parse(subgradients[i]["upper"]?[key], float32: float32)
        else {
          problems.append("\(at): a kink without both one-sided derivatives in the oracle")
          continue
        }
        guard case .subgradient(let myLower, let myUpper) = element, myLower == lower, myUpper == upper else {
          problems.append("\(at): LossSpec \(element), the oracle's subgradient [\(lower), \(upper)]")
          continue
        }
        continue
      }
      guard let expected = parse(values[i], float32: float32) else {
        problems.append("\(at): unreadable oracle value \(values[i])")
        continue
      }
      guard case .value(let v) = element else {
        problems.append("\(at): LossSpec gives \(element) where the oracle has the derivative \(expected)")
        continue
      }
      let unresolvedZero = i < exact.count && exact[i] == .string("0")
      if unresolvedZero ? v == 0 : OracleTests.same(v, expected) { continue }
      problems.append("\(at): LossSpec \(v), oracle \(expected)")
    }
    return problems
  }

  @Test("every gradient case agrees with the oracle bit for bit (kinks: both sides)")
  func everyCase() throws {
    let url = OracleTests.packageRoot.appendingPathComponent("Conformance/oracle/gradient_cases.jsonl")
    let text = try String(contentsOf: url, encoding: .utf8)
    var problems: [String] = []
    var elements: [String: Int] = [:]
    var cases = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      let json = try JSONValue(parsing: String(line))
      guard case .string(let id)? = json["id"], let oracle = json["oracle"],
        case .string(let outcome)? = oracle["outcome"]
      else {
        problems.append("a line without id or oracle outcome: \(line.prefix(80))")
        continue
      }
      cases += 1
      let request: LossRequest
      do {
        request = try ProtocolCodec.decodeRequest(json)
      } catch {
        if outcome != error.kind.rawValue {
          problems.append("\(id): codec rejected (\(error)), oracle says \(outcome)")
        }
        continue
      }
      let gradient: SpecGradient
      do {
        gradient = try LossSpec.gradient(request)
      } catch {
        if outcome != error.kind.rawValue { problems.append("\(id): LossSpec threw \(error), oracle says \(outcome)") }
        continue
      }
      if ["DomainError", "DimensionMismatch", "ArgumentError"].contains(outcome) {
        problems.append("\(id): LossSpec gave a gradient, the oracle says \(outcome)")
        continue
      }
      guard let grad = oracle["grad"], let yhat = grad["yhat"] else {
        problems.append("\(id): the oracle has no gradient")
        continue
      }
      if !gradient.decided { problems.append("\(id): undecided at \(gradient.precision) bits") }
      problems += Self.compare(gradient.yhat, yhat, dtype: request.dtype, id: id, argument: "ŷ")
      elements[request.loss.rawValue, default: 0] += gradient.yhat.count
      if let y = grad["y"] {
        guard let mine = gradient.y else {
          problems.append("\(id): the oracle has ∇y, LossSpec gave none")
          continue
        }
        problems += Self.compare(mine, y, dtype: request.dtype, id: id, argument: "y")
        elements[request.loss.rawValue, default: 0] += mine.count
      }
    }
    let summary = LossID.allCases.map { "\($0.rawValue) \(elements[$0.rawValue] ?? 0)" }.joined(separator: ", ")
    print("gradient oracle: \(cases) cases; elements compared per loss: \(summary)")
    #expect(cases >= 600)
    #expect(LossID.allCases.allSatisfy { (elements[$0.rawValue] ?? 0) > 0 })
    #expect(problems.isEmpty, "\(problems.count) mismatches, first: \(problems.prefix(10).joined(separator: "; "))")
  }
}
