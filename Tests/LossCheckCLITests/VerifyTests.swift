import Foundation
import LossCore
import LossReports
import Testing

@testable import LossCheckCLI
@testable import LossVerification

@Suite("verify")
struct VerifyTests {
  @Test("a missing explicit --oracle is a usage error (status 2)")
  func missingOracle() async {
    let run = await runLossCheck(["verify", "--oracle", "/nonexistent/oracle.jsonl", "--reports", "/nonexistent"])
    #expect(run.status == 2)
    #expect(run.error.contains("--oracle: no such file"))
  }

  @Test("the verdict: a skipped check does not fail, but a run of only skipped checks is not a pass")
  func verdict() {
    typealias Row = VerificationReport.Row
    let pass = Row(group: "g", name: "a", cases: 3, status: .passed, detail: "")
    let skip = Row(group: "g", name: "b", cases: 0, status: .skipped, detail: "")
    let fail = Row(group: "g", name: "c", cases: 1, status: .failed, detail: "")
    #expect(Verification.verdict([pass, skip]).passed)
    #expect(!Verification.verdict([pass, fail]).passed)
    #expect(!Verification.verdict([skip]).passed)
    #expect(!Verification.verdict([]).passed)
  }

  @Test("the report: verdict first, every row, escaped, no scripts or external references")
  func report() async throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let oracle = directory.appendingPathComponent("oracle <&>.jsonl")
    try (OracleCheckTests.lines.joined(separator: "\n") + "\n").write(to: oracle, atomically: true, encoding: .utf8)
    let reports = directory.appendingPathComponent("out")
    let run = await runLossCheck([
      "verify", "--reports", reports.path, "--oracle", oracle.path, "--published", oracle.path + ".absent",
    ])
    // The usage check rejects the absent explicit file before anything runs.
    #expect(run.status == 2)

    // Twice in this process: the second page must not carry the first run's conformance results.
    _ = await runLossCheck([
      "verify", "--reports", reports.path, "--oracle", oracle.path, "--quiet", "--count", "2", "--gradient-count", "1",
    ])
    let second = await runLossCheck([
      "verify", "--reports", reports.path, "--oracle", oracle.path, "--quiet", "--gradient-count", "2",
    ])
    #expect(second.status == 0 || second.status == 1)
    #expect(second.output.isEmpty, "--quiet prints nothing")
    let html = try String(contentsOf: reports.appendingPathComponent("index.html"), encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    let verdictPosition = try #require(html.range(of: #"class="badge""#)).lowerBound
    let tablePosition = try #require(html.range(of: "<table")).lowerBound
    #expect(verdictPosition < tablePosition)
    #expect(html.contains("oracle &lt;&amp;&gt;.jsonl"))
    #expect(!html.contains("oracle <&>"))
    #expect(!html.lowercased().contains("<script"))
    #expect(!html.contains("http://") && !html.contains("https://"))
    #expect(html.contains("losscheck verify --reports"))
    // verify.json: the same run's verdict and rows, machine-readable.
    let summaryText = try String(contentsOf: reports.appendingPathComponent("verify.json"), encoding: .utf8)
    let summary = try JSONValue(parsing: summaryText)
    #expect(summary["verdict"] == .string(second.status == 0 ? "PASS" : "FAIL"))
    guard case .string(let sentence) = summary["summary"], case .array(let checks) = summary["checks"] else {
      Issue.record("verify.json lacks summary or checks: \(summaryText.prefix(200))")
      return
    }
    #expect(html.contains(sentence))
    #expect(!checks.isEmpty)
    for check in checks {
      guard case .string(let group) = check["group"], case .string(let name) = check["name"],
        case .string(let status) = check["status"], case .string(let detail) = check["detail"]
      else {
        Issue.record("a check without group, name, status or detail: \(check)")
        continue
      }
      #expect(["passed", "failed", "skipped"].contains(status))
      #expect(html.contains(HTML.escape(group)) && !name.isEmpty && !detail.isEmpty)
    }
    #expect(checks.contains { $0["group"] == .string("oracle") })
    // The conformance matrix of this run only (earlier runs in this process kept out): one column
    // per built-in implementation, when the golden vectors are at hand.
    if FileManager.default.fileExists(atPath: "Conformance/vectors/MANIFEST.json") {
      #expect(html.components(separatedBy: "— gate correctlyRounded</th>").count - 1 == 1)
      #expect(html.components(separatedBy: "— gate stable</th>").count - 1 == 1)
    }
  }

  @Test("shell quoting of the reproduction command")
  func quoting() {
    #expect(LossCheck.Verify.shellQuoted("Reports") == "Reports")
    #expect(LossCheck.Verify.shellQuoted("my reports") == "'my reports'")
    #expect(LossCheck.Verify.shellQuoted("it's") == #"'it'\''s'"#)
    #expect(LossCheck.Verify.shellQuoted("") == "''")
  }
}
