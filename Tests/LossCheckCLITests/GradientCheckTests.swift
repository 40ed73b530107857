import Foundation
import LossCore
import Testing

@testable import LossVerification

/// The gradients family of `losscheck verify` (``GradientChecks``): LossSpec's hand-derived
/// gradients against the mpmath gradient oracle and against exact central differences.
@Suite("The gradient checks")
struct GradientCheckTests {
  static let oracleFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Conformance/oracle/gradient_cases.jsonl").path

  /// The checks of the oracle file at `path`; the per-loss comparisons (CPU-heavy) run off the
  /// cooperative pool, by the same function as their checks.
  func runOracle(_ path: String) async -> [(name: String, result: CheckResult)] {
    let checks = GradientChecks.oracleChecks(.init(path: path, isExplicit: true))
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    let byLoss = Dictionary(grouping: GradientChecks.parseOracle(text).cases, by: \.lossName)
    var results: [(String, CheckResult)] = []
    for check in checks {
      if check.name.hasPrefix("oracle "), let cases = byLoss[String(check.name.dropFirst("oracle ".count))] {
        results.append((check.name, await offCooperativePool { GradientChecks.runOracle(cases) }))
      } else {
        results.append((check.name, await check.run()))
      }
    }
    return results
  }

  /// The committed oracle file (`mpmath_gradient_oracle.py`: numerical derivatives of the value
  /// oracle's loss, never a hand-derived formula): every loss is there and every element of
  /// every case agrees bit for bit.
  @Test("LossSpec agrees with the mpmath gradient oracle on every case, every loss present")
  func committedOracle() async {
    let results = await runOracle(Self.oracleFile)
    #expect(results.first?.name == "oracle file" && results.first?.result.passed == true)
    let perLoss = results.dropFirst()
    #expect(Set(perLoss.map(\.name)) == Set(LossID.allCases.map { "oracle \($0.rawValue)" }))
    for (name, result) in perLoss {
      #expect(result.passed, "\(name): \(result.detail) \(result.findings.prefix(5))")
      #expect(result.cases >= 20, "\(name): only \(result.cases) cases")
    }
    #expect(perLoss.reduce(0) { $0 + $1.result.cases } >= 600)
  }

  /// The check can fail: one element of one case moved by one ulp, and a kink's end changed,
  /// are each reported with the case and element.
  @Test("a corrupted oracle element is reported")
  func corruptedOracle() async throws {
    let text = try String(contentsOfFile: Self.oracleFile, encoding: .utf8)
    var lines = text.split(separator: "\n").map(String.init)
    // mae's benign Float32 case 1: ∇ŷ[1] is −0.2 (−1/5: mean of five |e|); one ulp off is
    // −0.20000002.
    let index = try #require(lines.firstIndex { $0.contains(#""id":"grad-mae-f32-benign-1""#) })
    let original = lines[index]
    lines[index] = original.replacingOccurrences(
      of: #""float32":["-0.2","-0.2""#, with: #""float32":["-0.20000002","-0.2""#)
    #expect(lines[index] != original)
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("gradients.jsonl")
    try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
    let results = await runOracle(file.path)
    let mae = try #require(results.first { $0.name == "oracle mae" }?.result)
    #expect(!mae.passed)
    #expect(mae.detail.hasPrefix("1 of "))
    let finding = mae.findings.first ?? ""
    #expect(finding.contains("grad-mae-f32-benign-1"))
    #expect(finding.contains("∇ŷ[1]"))
    let others = results.filter { $0.name != "oracle mae" }.map(\.result.passed)
    #expect(!others.contains(false))
  }

  @Test("a malformed oracle line fails the file check with its line number")
  func malformedOracle() async throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("gradients.jsonl")
    try "{\"id\":\"x\"}\n{not json\n".write(to: file, atomically: true, encoding: .utf8)
    let results = await runOracle(file.path)
    #expect(results.count == 1)
    #expect(results[0].result.passed == false)
    #expect(results[0].result.findings.contains { $0.hasPrefix("line 1:") })
    #expect(results[0].result.findings.contains { $0.hasPrefix("line 2:") })
  }

  /// A small run of the central differences (verify's default is 100 cases per loss in
  /// release; 10 000 per loss is `losscheck verify --gradient-count 10000`).
  @Test("the exact central differences hold on random natural cases of every loss", arguments: LossID.allCases)
  func centralDifferences(_ loss: LossID) async {
    let result = await offCooperativePool { GradientChecks.centralDifferences(loss, count: 3, seed: 20_261_206) }
    #expect(result.passed, "\(loss): \(result.detail) \(result.findings.prefix(3))")
    #expect(result.cases == 3)
  }
}
