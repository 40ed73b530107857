import Foundation
import LossCore
import Testing

@testable import LossSpec

/// LossSpec against the independent arbitrary-precision oracle.
///
/// `Conformance/oracle/oracle_cases.jsonl` is written by `Conformance/oracle/mpmath_oracle.py`,
/// which implements SEMANTICS.md from scratch in Python with exact fractions and mpmath (1200
/// bits, confirmed at 3000 bits) and rounds with its own self-tested integer rounding. Every
/// case's outcome class and correctly rounded Float32 and Float64 values must match LossSpec's
/// exactly: no tolerance.
@Suite struct OracleTests {
  struct OracleCase: Sendable {
    var line: Int
    var id: String
    var json: JSONValue
  }

  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func loadCases() throws -> [OracleCase] {
    let url = packageRoot.appendingPathComponent("Conformance/oracle/oracle_cases.jsonl")
    let text = try String(contentsOf: url, encoding: .utf8)
    var cases: [OracleCase] = []
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
      let json = try JSONValue(parsing: String(line))
      guard case .string(let id)? = json["id"] else { continue }
      cases.append(OracleCase(line: i + 1, id: id, json: json))
    }
    return cases
  }

  /// Parses an oracle value string in `format` (one rounding, in that format).
  static func parse(_ s: String, float32: Bool) -> Double? {
    switch s {
    case "NaN": return .nan
    case "Infinity": return .infinity
    case "-Infinity": return -.infinity
    default: return float32 ? Float(s).map(Double.init) : Double(s)
    }
  }

  static func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

  /// Compares one case; returns a description of the mismatch, or nil.
  static func check(_ c: OracleCase) -> String? {
    guard let oracle = c.json["oracle"], case .string(let outcome)? = oracle["outcome"] else {
      return "line \(c.line): no oracle outcome"
    }
    let request: LossRequest
    do {
      request = try ProtocolCodec.decodeRequest(c.json)
    } catch {
      // Requests the codec itself rejects must be ArgumentErrors in the oracle too.
      return outcome == error.kind.rawValue ? nil : "\(c.id): codec rejected (\(error)), oracle says \(outcome)"
    }
    let result: SpecResult
    do {
      result = try LossSpec.evaluate(request)
    } catch {
      return outcome == error.kind.rawValue ? nil : "\(c.id): LossSpec threw \(error), oracle says \(outcome)"
    }
    if !result.decided { return "\(c.id): undecided at \(result.precision) bits" }
    if ["DomainError", "DimensionMismatch", "ArgumentError"].contains(outcome) {
      return "\(c.id): LossSpec returned \(result.float64), oracle says \(outcome)"
    }
    for (key, isFloat32, mine) in [("float32", true, result.float32), ("float64", false, result.float64)] {
      var expected: [String] = []
      switch oracle[key] {
      case .string(let s)?: expected = [s]
      case .array(let items)?:
        expected = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
      default: return "\(c.id): oracle has no \(key)"
      }
      guard expected.count == mine.count else {
        return "\(c.id): \(mine.count) values, oracle has \(expected.count)"
      }
      for (k, text) in expected.enumerated() {
        guard let want = parse(text, float32: isFloat32) else { return "\(c.id): bad oracle value \(text)" }
        if !same(want, mine[k]) {
          return
            "\(c.id) [\(key)] element \(k + 1): LossSpec \(mine[k]), oracle \(text) (exact \(result.exact[k]) ± \(result.radius[k]))"
        }
      }
    }
    if outcome == "array" {
      guard result.shape != nil else { return "\(c.id): scalar result, oracle has an array" }
    } else {
      let cls = OutcomeClass(value: result.rounded[0]).rawValue
      if result.shape != nil || (cls != outcome && !(outcome == "finite" && result.rounded[0].isInfinite)) {
        return "\(c.id): outcome \(cls), oracle says \(outcome)"
      }
    }
    return nil
  }

  @Test func everyOracleCaseMatchesExactly() throws {
    let cases = try Self.loadCases()
    #expect(cases.count >= 600, "the oracle file should hold the full corpus")
    var mismatches: [String] = []
    let clock = ContinuousClock()
    for c in cases {
      let start = clock.now
      if let problem = Self.check(c) { mismatches.append(problem) }
      let elapsed = clock.now - start
      if elapsed > .seconds(1) { print("  slow case \(c.id): \(elapsed)") }
    }
    var precisions: [Int: Int] = [:]
    for c in cases {
      if let r = try? ProtocolCodec.decodeRequest(c.json), let result = try? LossSpec.evaluate(r) {
        precisions[result.precision, default: 0] += 1
      }
    }
    print("oracle: \(cases.count) cases, \(cases.count - mismatches.count) match exactly")
    print("oracle: working precision that decided each case (bits: cases): \(precisions.sorted { $0.key < $1.key })")
    for m in mismatches.prefix(40) { print("  MISMATCH", m) }
    #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) cases differ from the oracle")
  }
}
