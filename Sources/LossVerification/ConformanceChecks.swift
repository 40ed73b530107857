import Foundation
import LossConformance
import LossCore
import LossReports

/// `verify`'s conformance family: the golden vectors (`Conformance/vectors`) graded in-process for
/// the built-in implementations — LossSpec at `correctlyRounded`, LossFast at `stable`, the gates
/// of DESIGN.md — each run written as a conformance page (`conformance-spec.html`,
/// `conformance-fast.html`) and summed up in the matrix of `index.html`.
///
/// The same grading as `losscheck conform --adapter "losscheck serve --impl …"` without the
/// process: the adapters of other frameworks are graded by `conform` (scripts/conform-peers.sh).
public enum ConformanceChecks {
  public static let defaultVectors = "Conformance/vectors"

  /// What each implementation's run found, for the matrix of `index.html`.
  package struct Summary: Sendable {
    var implementation: String
    var gate: Tier
    var page: String
    /// Per loss: tier counts over every regime, and how many gated cases miss the gate.
    var counts: [LossID: [Tier: Int]]
    var failures: [LossID: Int]
    var passed: Bool
  }

  /// Where the checks of one `verify` run put their summaries (one per ``VerificationContext``).
  public actor SummaryStore {
    package private(set) var summaries: [Summary] = []
    func add(_ summary: Summary) { summaries.append(summary) }
  }

  static func checks(for context: VerificationContext) async -> [Check] {
    let targets: [(BuiltInImplementation, Tier)] = [(.spec, .correctlyRounded), (.fast, .stable)]
    return targets.map { impl, gate in
      Check(group: "conformance", name: "\(impl.rawValue): golden vectors at \(gate.rawValue)") {
        await run(impl, gate: gate, context: context)
      }
    }
  }

  static func run(_ impl: BuiltInImplementation, gate: Tier, context: VerificationContext) async -> CheckResult {
    let vectors = context.vectors
    let golden: [GoldenCase]
    switch await vectors.cases() {
    case .success(let cases): golden = cases
    case .failure(.absent):
      return .skipped("no golden vectors at \(vectors.directory) (run from the repository root)")
    case .failure(.unreadable(let message)):
      return CheckResult(passed: false, detail: "cannot read the golden vectors: \(message)", cases: 0)
    }
    let implementation = impl.implementation
    let started = Date()
    let results = await ConformanceRunner.grade(implementation, on: golden)
    let report = ConformanceReport(
      implementation: implementation.name, adapter: "(in-process: losscheck verify)",
      helloLosses: implementation.losses.map(\.rawValue), helloDTypes: implementation.dtypes.map(\.rawValue),
      options: .init(require: gate, gateExtreme: false, grading: GradingOptions(), shard: nil),
      source: "\(vectors.directory) (\(golden.count) cases)", started: started.formatted(.iso8601),
      seconds: Date().timeIntervalSince(started), notes: [], divergences: [], cases: results)
    let evaluation = GateEvaluation(report: report)
    let page = "conformance-\(impl.rawValue).html"
    var findings = FindingList(limit: 20)
    do throws(ReportFile.Failure) {
      try ReportFile.write(report.html(evaluation), to: context.reportsDirectory + "/" + page)
    } catch {
      findings.append(error.description)
    }
    var counts: [LossID: [Tier: Int]] = [:]
    var failures: [LossID: Int] = [:]
    for r in results {
      guard let loss = LossID(name: r.loss), let tier = r.tier else { continue }
      counts[loss, default: [:]][tier, default: 0] += 1
    }
    for f in evaluation.failures {
      if let loss = LossID(name: f.loss) { failures[loss, default: 0] += 1 }
      findings.append("\(f.id) (\(f.loss), \(f.dtype), \(f.regime.rawValue)): expected \(f.expected), got \(f.answer)")
    }
    let passed = evaluation.passed
    await context.conformanceSummaries.add(
      Summary(
        implementation: implementation.name, gate: gate, page: page, counts: counts, failures: failures,
        passed: passed))
    let tally = Tier.allCases.map { tier in
      "\(results.filter { $0.tier == tier }.count) \(tier.shortLabel)"
    }.joined(separator: ", ")
    let extreme = "extreme cases meeting the gate: \(evaluation.extremeMeeting)/\(evaluation.extremeGraded) (not gated)"
    return CheckResult(
      passed: passed,
      detail: "\(implementation.name): \(golden.count) vectors, \(tally); "
        + (passed
          ? "every gated case meets \(gate.rawValue)"
          : "\(evaluation.failures.count) gated cases below \(gate.rawValue)")
        + "; \(extreme); \(String(format: "%.1f", report.seconds)) s; \(page)",
      cases: golden.count, findings: findings.all)
  }

  /// The matrix of `index.html`: one row per loss, per implementation the tier counts, marked
  /// where a gated case misses the gate.
  package static func matrix(_ summaries: [Summary]) -> VerificationReport.Table {
    var header = ["loss"]
    for s in summaries {
      let short = s.implementation.split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) }
      header.append("\(short ?? s.implementation) — gate \(s.gate.rawValue)")
    }
    var rows: [[String]] = []
    var failing: [[Bool]] = []
    for loss in LossID.allCases {
      var row = [loss.rawValue]
      var marks = [false]
      for s in summaries {
        let c = s.counts[loss] ?? [:]
        let text = Tier.allCases.compactMap { tier in c[tier].map { "\($0) \(tier.shortLabel)" } }.joined(
          separator: " · ")
        let f = s.failures[loss] ?? 0
        row.append(text.isEmpty ? "—" : text + (f > 0 ? " — \(f) below the gate" : ""))
        marks.append(f > 0)
      }
      rows.append(row)
      failing.append(marks)
    }
    return VerificationReport.Table(
      id: "conformance", title: "Conformance matrix",
      intro: "The golden vectors of Conformance/vectors graded per loss (every dtype and regime) by the tiers of "
        + "DESIGN.md: "
        + Tier.allCases.map { "\($0.shortLabel) = \($0.rawValue)" }.joined(separator: ", ")
        + ". Extreme-regime cases are counted but not gated. Each implementation's full page: "
        + summaries.map(\.page).joined(separator: ", ")
        + ". Other frameworks (numpy, JAX, PyTorch) are graded through their adapters by scripts/conform-peers.sh; "
        + "committed example pages are in conformance/ (Reports/conformance/README.md).",
      header: header, rows: rows, flagged: failing,
      links: summaries.map { VerificationReport.Pair($0.implementation, $0.page) })
  }
}

/// The golden vectors of a `verify` run: read from `directory` on first use, then shared by every
/// check of the run (LossSpec's and LossFast's conformance checks grade the same cases).
public actor GoldenVectors {
  /// Why there are no cases.
  public enum Problem: Error, Sendable {
    /// No vectors at the directory (a run outside the repository): the checks are skipped.
    case absent
    /// The vectors exist but cannot be read or parsed.
    case unreadable(String)
  }

  public nonisolated let directory: String
  private var loaded: Result<[GoldenCase], Problem>?

  public init(directory: String) { self.directory = directory }

  /// The cases, read on the first call.
  public func cases() -> Result<[GoldenCase], Problem> {
    if let loaded { return loaded }
    let result: Result<[GoldenCase], Problem>
    do {
      result = .success(try VectorFiles.load(directory))
    } catch {
      result = .failure(FileManager.default.fileExists(atPath: directory) ? .unreadable("\(error)") : .absent)
    }
    loaded = result
    return result
  }
}
