import Foundation
import LossCore
import Testing

@testable import LossConformance

/// A case result with a given tier, for gate and report tests.
func result(
  _ id: String, loss: String = "binarycrossentropy", dtype: String = "float32", regime: Regime = .benign,
  tags: [String] = [], tier: Tier? = .correctlyRounded, status: CaseResult.Status = .graded
) -> CaseResult {
  let verdict = tier.map {
    Verdict(tier: $0, ulps: 3, scaled: 40, stableBound: 10, acceptableBound: 10, note: "note <\(id)> & \"quoted\"")
  }
  return CaseResult(
    id: id, loss: loss, dtype: dtype, regime: regime, tags: tags, terms: 1, status: status,
    verdict: status == .graded ? verdict : nil, fault: status == .fault ? .timeout : nil,
    detail: status == .graded ? "" : "detail of \(id)", expected: "1.5", answer: "100")
}

func report(_ cases: [CaseResult], divergences: [DivergenceEntry] = [], require: Tier = .acceptable)
  -> ConformanceReport
{
  ConformanceReport(
    implementation: "test <impl>", adapter: "python3 adapter.py", helloLosses: ["binarycrossentropy"],
    helloDTypes: ["float32"], options: .init(require: require), source: "unit", started: "2026-01-01T00:00:00Z",
    seconds: 1, divergences: divergences, cases: cases)
}

@Suite("Gate and known divergences")
struct GateTests {
  let clamp = DivergenceEntry(
    loss: ["binarycrossentropy"], tag: ["yhat:zero"], reason: "log clamped at -100",
    link: "https://example.org/bce")
  let stale = DivergenceEntry(id: ["gone"], reason: "was fixed", link: "https://example.org/fixed")

  @Test("a gated divergent case fails; an extreme one only reports; a listed one is known")
  func gate() {
    let cases = [
      result("ok"), result("bad", tier: .divergent),
      result("extreme", regime: .extreme, tier: .divergent),
      result("listed", tags: ["yhat:zero"], tier: .divergent),
      result("listed-pass", tags: ["yhat:zero"], tier: .faithful),
    ]
    let evaluation = GateEvaluation(report: report(cases, divergences: [clamp, stale]))
    #expect(evaluation.failures.map(\.id) == ["bad"])
    #expect(evaluation.knownDivergences.map(\.result.id) == ["listed"])
    #expect(evaluation.unexpectedPasses.map(\.result.id) == ["listed-pass"])
    #expect(evaluation.staleEntries == [1])
    #expect(evaluation.extremeGraded == 1 && evaluation.extremeMeeting == 0)
    #expect(!evaluation.passed)
    #expect(evaluation.exitStatus(runError: nil) == 1)
  }

  @Test("without the failing case the gate passes (known divergences do not fail it)")
  func passes() {
    let cases = [result("ok"), result("listed", tags: ["yhat:zero"], tier: .divergent)]
    let evaluation = GateEvaluation(report: report(cases, divergences: [clamp]))
    #expect(evaluation.passed)
    #expect(evaluation.exitStatus(runError: nil) == 0)
  }

  @Test("--gate-extreme gates the extreme regime; --require stable fails an acceptable case")
  func options() {
    var extreme = report([result("ok"), result("extreme", regime: .extreme, tier: .divergent)])
    extreme.options.gateExtreme = true
    #expect(!GateEvaluation(report: extreme).passed)
    let strict = report([result("accept", tier: .acceptable)], require: .stable)
    #expect(GateEvaluation(report: strict).failures.count == 1)
  }

  @Test("faults make exit status 2; nothing graded is not a pass; a run error is 2")
  func statuses() {
    let faulty = GateEvaluation(report: report([result("ok"), result("t", status: .fault)]))
    #expect(faulty.exitStatus(runError: nil) == 2)
    let nothing = GateEvaluation(report: report([result("u", status: .unsupported)]))
    #expect(!nothing.passed)
    #expect(nothing.exitStatus(runError: nil) == 1)
    #expect(nothing.exitStatus(runError: "no hello") == 2)
  }

  @Test("manifests: selectors, validation, strings or arrays")
  func manifests() throws {
    let directory = try Fixtures.temporaryDirectory("manifest")
    defer { try? FileManager.default.removeItem(at: directory) }
    let good = directory.appendingPathComponent("good.json")
    try
      #"{"schema":"losscheck-divergences/1","divergences":[{"loss":"mse","dtype":["float32"],"tag":"x","reason":"r","link":"https://a.b"}]}"#
      .write(to: good, atomically: true, encoding: .utf8)
    let manifest = try DivergenceManifest.load(good.path)
    let entry = try #require(manifest.divergences.first)
    #expect(entry.matches(result("a", loss: "mse", dtype: "float32", tags: ["x", "y"])))
    #expect(!entry.matches(result("a", loss: "mse", dtype: "float64", tags: ["x"])))
    #expect(!entry.matches(result("a", loss: "mse", dtype: "float32", tags: ["y"])))
    for bad in [
      #"{"schema":"losscheck-divergences/1","divergences":[{"reason":"r","link":"https://a.b"}]}"#,
      #"{"schema":"losscheck-divergences/1","divergences":[{"loss":"mse","reason":"r","link":"javascript:alert(1)"}]}"#,
      #"{"schema":"other","divergences":[]}"#,
    ] {
      let file = directory.appendingPathComponent("bad.json")
      try bad.write(to: file, atomically: true, encoding: .utf8)
      #expect(throws: VectorFileError.self) { try DivergenceManifest.load(file.path) }
    }
  }

  @Test("the committed manifests are valid and every entry links to documentation")
  func committedManifests() throws {
    let directory = Fixtures.path("Conformance/divergences")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
    #expect(!files.isEmpty)
    for file in files {
      let manifest = try DivergenceManifest.load((directory as NSString).appendingPathComponent(file))
      #expect(!manifest.divergences.isEmpty, "\(file)")
      for entry in manifest.divergences { #expect(entry.link.hasPrefix("https://"), "\(file): \(entry.link)") }
    }
  }
}

@Suite("Reports: JSON, merge, JUnit, HTML, text")
struct ReportWriterTests {
  let sample = report(
    [
      result("ok"), result("bad", tier: .divergent), result("u", status: .unsupported),
      result("t", status: .fault), result("x", regime: .extreme, tier: .acceptable),
    ],
    divergences: [DivergenceEntry(id: ["nothing"], reason: "stale <entry>", link: "https://example.org/?a=1&b=2")])

  @Test("JSON round-trips (non-finite numbers included)")
  func json() throws {
    var withInfinity = sample
    withInfinity.cases[0].verdict?.scaled = .infinity
    let directory = try Fixtures.temporaryDirectory("report")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("r.json")
    try withInfinity.jsonText().write(to: file, atomically: true, encoding: .utf8)
    let read = try ConformanceReport.load(file.path)
    #expect(read.cases == withInfinity.cases)
    #expect(read.divergences == withInfinity.divergences)
    #expect(read.cases[0].verdict?.scaled == .infinity)
  }

  @Test("merging shards: all cases once, the options checked, the gate evaluated again")
  func merge() throws {
    var first = report([result("a"), result("b", tier: .divergent)])
    first.options.shard = "1/2"
    var second = report([result("c")])
    second.options.shard = "2/2"
    let merged = try ConformanceReport.merge([first, second])
    #expect(merged.cases.map(\.id) == ["a", "b", "c"])
    #expect(merged.source.contains("1/2, 2/2"))
    #expect(GateEvaluation(report: merged).failures.map(\.id) == ["b"])
    var other = second
    other.options.require = .stable
    #expect(throws: VectorFileError.self) { try ConformanceReport.merge([first, other]) }
  }

  @Test("an incomplete or repeated merge is an error, not a pass")
  func incompleteMerge() throws {
    func shard(_ text: String?, _ ids: [String], implementation: String = "test <impl>") -> ConformanceReport {
      var r = report(ids.map { result($0) })
      r.options.shard = text
      r.implementation = implementation
      return r
    }
    func message(_ reports: [ConformanceReport]) -> String? {
      do {
        _ = try ConformanceReport.merge(reports)
        return nil
      } catch {
        return "\(error)"
      }
    }
    // Shard 2/2 missing (the defect: this passed, with no word of the missing shard).
    #expect(message([shard("1/2", ["a"])])?.contains("missing: 2/2") == true)
    #expect(message([shard("1/3", ["a"]), shard("3/3", ["c"])])?.contains("missing: 2/3") == true)
    // The same shard twice (the same file given twice).
    let twice = message([shard("1/2", ["a"]), shard("1/2", ["a"]), shard("2/2", ["b"])])
    #expect(twice?.contains("given twice: 1/2") == true)
    // Shards of different runs, a mix of shards and whole runs.
    #expect(message([shard("1/2", ["a"]), shard("2/3", ["b"])])?.contains("different runs") == true)
    #expect(message([shard("1/2", ["a"]), shard(nil, ["b"])])?.contains("some reports are shards") == true)
    // A whole run given twice: every case in two reports.
    #expect(
      message([shard(nil, ["a", "b"]), shard(nil, ["a", "b"])])?.contains("2 case(s) appear in more than one") == true)
    // Shards of two implementations.
    let mixed = message([shard("1/2", ["a"]), shard("2/2", ["b"], implementation: "other")])
    #expect(mixed?.contains("different implementations") == true)
    // Disjoint whole runs (e.g. one per loss) still merge.
    #expect(try ConformanceReport.merge([shard(nil, ["a"]), shard(nil, ["b"])]).cases.count == 2)
  }

  @Test("JUnit: failures, errors, skips; everything escaped; well-formed")
  func junit() throws {
    let xmlText = sample.junitXML(GateEvaluation(report: sample))
    #expect(
      xmlText.contains(
        #"<testsuites name="losscheck conform: test &lt;impl&gt;" tests="5" failures="1" errors="1" skipped="1""#))
    #expect(xmlText.contains("<failure type=\"divergent\""))
    #expect(xmlText.contains("<error type=\"timeout\""))
    #expect(xmlText.contains("<skipped message=\"unsupported: detail of u\"/>"))
    #expect(!xmlText.contains("<bad>"))
    #expect(xmlText.contains("note &lt;bad&gt; &amp; &quot;quoted&quot;"))
    #expect(xmlText.components(separatedBy: "<testcase ").count - 1 == 5)
    #expect(xmlText.components(separatedBy: "</testsuite>").count - 1 == 1)
  }

  @Test("HTML: self-contained, escaped, with the matrix, the constants and the findings")
  func html() {
    let page = sample.html(GateEvaluation(report: sample))
    #expect(page.hasPrefix("<!DOCTYPE html>"))
    #expect(!page.contains("<script"))
    #expect(!page.contains("src=\"http"))
    #expect(page.contains("test &lt;impl&gt;"))
    #expect(page.contains("note &lt;bad&gt; &amp;"))
    #expect(page.contains("href=\"https://example.org/?a=1&amp;b=2\""))
    #expect(page.contains("Tiers per loss and dtype"))
    #expect(page.contains("2·log₂(n+1) + 8"))
    #expect(page.contains("stale: selects no divergent case"))
    #expect(page.contains("FAIL"))
    // The page's style rules follow the frame's, unchanged.
    #expect(page.contains("\(ConformanceReport.styleSheet)</style>"))
  }

  @Test("text summary: the table row, the failures, the faults, the verdict")
  func text() {
    let text = sample.textSummary(GateEvaluation(report: sample))
    #expect(text.contains("binarycrossentropy"))
    #expect(text.contains("FAILED (below acceptable, gated) (1)"))
    #expect(text.contains("FAULTS (adapter errors) (1)"))
    #expect(text.contains("warning: stale divergence entries"))
    #expect(text.hasSuffix("\n"))
    #expect(text.contains("FAIL: 1 of 3 graded cases are below acceptable"))
  }
}
