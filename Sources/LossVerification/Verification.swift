import Foundation
import LossCore
import LossReports

/// One `losscheck verify` run without its printing: the checks of the registry run in order,
/// each giving a row; the verdict on the rows; and the model of `index.html` (the rows, the
/// conformance matrix, the links to the pages the checks wrote, the reproduction commands, the
/// environment).
public enum Verification {
  /// Runs one check and makes its row of the report.
  public static func row(of check: Check) async -> VerificationReport.Row {
    let result = await check.run()
    let status: VerificationReport.Status = result.skipped ? .skipped : result.passed ? .passed : .failed
    return .init(
      group: check.group, name: check.name, cases: result.cases, status: status, detail: result.detail,
      findings: result.findings)
  }

  /// PASS when no check failed and at least one ran: a run that verified nothing is not a pass.
  public static func verdict(_ rows: [VerificationReport.Row]) -> (passed: Bool, summary: String) {
    let failed = rows.filter { $0.status == .failed }
    let ran = rows.filter { $0.status != .skipped }
    let cases = ran.reduce(0) { $0 + $1.cases }
    if rows.isEmpty || ran.isEmpty {
      return (false, "no check ran (\(rows.count) skipped), so nothing was verified")
    }
    if failed.isEmpty {
      return (true, "all \(ran.count) checks hold (\(cases) cases)")
    }
    let names = failed.prefix(5).map { "\($0.group) / \($0.name)" }.joined(separator: ", ")
    return (false, "\(failed.count) of \(ran.count) checks failed: \(names)\(failed.count > 5 ? ", …" : "")")
  }

  /// The page of a run: its rows and verdict, the conformance matrix of `context`'s summaries,
  /// the links to the pages the checks wrote into the reports directory, the reproduction
  /// commands and the environment.
  ///
  /// - Parameters:
  ///   - rows: the rows of the run's checks, in order.
  ///   - context: the run's context (implementation, summaries, reports directory).
  ///   - started: when the run started (shown in the environment).
  ///   - arguments: the command-line options of the run that differ from the defaults,
  ///     shell-quoted (`--reports out --seed 7`), for the reproduction commands.
  public static func report(
    _ rows: [VerificationReport.Row], context: VerificationContext, started: Date, arguments: String
  ) async -> VerificationReport {
    let verdict = verdict(rows)
    var report = VerificationReport(
      title: "losscheck verify — \(context.implementation.name)",
      passed: verdict.passed,
      summary: verdict.summary,
      rows: rows,
      environment: environment(started: started, implementation: context.implementation, arguments: arguments))
    report.groupTitles = groupTitles
    let summaries = await context.conformanceSummaries.summaries
    if !summaries.isEmpty {
      var matrix = ConformanceChecks.matrix(summaries)
      matrix.group = "conformance"
      report.tables.append(matrix)
    }
    report.reproduce = reproduceCommands(arguments: arguments)
    let directory = URL(fileURLWithPath: context.reportsDirectory, isDirectory: true)
    // Pages other checks wrote next to index.html during this run.
    for (title, page) in linkedPages
    where FileManager.default.fileExists(atPath: directory.appendingPathComponent(page).path) {
      report.related.append(.init(title, page))
    }
    return report
  }

  /// The pages other checks write next to index.html, with their titles in its links.
  public static let linkedPages = [
    ("Properties", "properties.html"), ("Conformance of LossSpec", "conformance-spec.html"),
    ("Conformance of LossFast", "conformance-fast.html"), ("Numerical stability and errata", "stability.html"),
    ("Gradient stability", "stability-gradients.html"), ("Stability in half precision", "stability-half.html"),
  ]

  /// The pages a run writes into the reports directory (with `verify.json`, the summary).
  public static let pages = ["index.html", summaryFile] + linkedPages.map(\.1)

  /// The machine-readable summary of a run, next to index.html.
  public static let summaryFile = "verify.json"

  /// The summary of a run as JSON: the verdict and its sentence, the implementation, the
  /// property seed, and one object per check in order (group, name, status, cases, detail —
  /// the line `verify` prints). Two runs with the same seed are compared by diffing their
  /// summaries (the details' durations masked: `sed -E 's/[0-9.]+ (ms|s)\b/… s/g'`).
  ///
  /// ```json
  /// {"verdict": "PASS", "summary": "all 66 checks hold (8405 cases)", "implementation": "LossSpec 1",
  ///  "seed": "42", "checks": [{"group": "oracle", "name": "mae", "status": "passed", "cases": 33, "detail": "…"}]}
  /// ```
  public static func summaryJSON(_ rows: [VerificationReport.Row], context: VerificationContext) -> String {
    let verdict = verdict(rows)
    let checks: [JSONValue] = rows.map { row in
      .object([
        (key: "group", value: .string(row.group)), (key: "name", value: .string(row.name)),
        (key: "status", value: .string(row.status.rawValue)), (key: "cases", value: .number(String(row.cases))),
        (key: "detail", value: .string(row.detail)),
      ])
    }
    let summary: JSONValue = .object([
      (key: "verdict", value: .string(verdict.passed ? "PASS" : "FAIL")),
      (key: "summary", value: .string(verdict.summary)),
      (key: "implementation", value: .string(context.implementation.name)),
      (key: "seed", value: .string(String(context.properties.seed))),
      (key: "checks", value: .array(checks)),
    ])
    return summary.serialized() + "\n"
  }

  /// The sections of index.html, in the order of the issue that asked for them: the laws, the
  /// conformance matrix, stability, the errata, then the reference's own checks.
  static let groupTitles: [VerificationReport.Pair] = [
    .init("properties", "Properties — the laws of the fourteen losses"),
    .init("conformance", "Conformance — golden vectors, graded by tier"),
    .init("stability", "Numerical stability"),
    .init("errata", "Errata of the Flux page"),
    .init("oracle", "LossSpec against the arbitrary-precision oracle"),
    .init("gradients", "LossSpec's exact gradients against the mpmath oracle and exact central differences"),
    .init("published", "LossSpec against Flux's published examples"),
  ]

  /// The commands behind every figure of the run and of the pages it links.
  static func reproduceCommands(arguments: String) -> [VerificationReport.Pair] {
    [
      .init("This page", commandLine(["losscheck verify", arguments])),
      .init("The property suite, 100× the CI budget", "losscheck verify --count 10000 --seed <seed>"),
      .init("One law, one case", "losscheck verify --law <law> --seed <case seed> --count 1"),
      .init(
        "The full stability report, with peers",
        "losscheck stability --adapter 'python3 Conformance/adapters/numpy_adapter.py' "
          + "--adapter 'python3 Conformance/adapters/jax_adapter.py' --adapter 'python3 Conformance/adapters/torch_adapter.py'"
      ),
      .init("Conformance of numpy, JAX and PyTorch", "scripts/conform-peers.sh"),
      .init(
        "Conformance of one adapter",
        "losscheck conform --adapter 'python3 Conformance/adapters/numpy_adapter.py' --html numpy.html --junit numpy.xml"
      ),
      .init("The golden vectors and their drift check", "losscheck vectors --check"),
      .init("The oracle cases", "python3 Conformance/oracle/mpmath_oracle.py"),
      .init("The gradient oracle cases", "python3 Conformance/oracle/mpmath_gradient_oracle.py"),
      .init("The central differences, 10 000 cases per loss", "losscheck verify --gradient-count 10000 --seed <seed>"),
      .init(
        "Speed and memory (LossFast and its peers)",
        "losscheck bench --peers scripts/bench-peers.py; cd Benchmarks && swift package benchmark"),
      .init("The test suite and the format lint (CI)", "scripts/test.sh"),
      .init("A screenshot of a page", "scripts/screenshot.sh Reports/index.html"),
    ]
  }

  static func commandLine(_ parts: [String]) -> String {
    parts.filter { !$0.isEmpty }.joined(separator: " ")
  }

  static func environment(
    started: Date, implementation: any LossImplementation, arguments: String
  ) -> [VerificationReport.Pair] {
    let seconds = Date().timeIntervalSince(started)
    return [
      .init("Date (UTC)", started.formatted(.iso8601)),
      .init("Duration", String(format: "%.2f s", seconds)),
      .init("Implementation", implementation.name),
      .init("Compiler", "Swift \(compilerVersion)"),
      .init("Machine", machine),
      .init("Working directory", FileManager.default.currentDirectoryPath),
      .init("Reproduce", commandLine(["scripts/verify.sh", arguments])),
      .init("Or, with a built losscheck", commandLine(["losscheck verify", arguments])),
    ]
  }

  /// The compiler's version, as far as `#if compiler` tells it.
  package static var compilerVersion: String {
    #if compiler(>=6.5)
      "6.5 or later"
    #elseif compiler(>=6.4)
      "6.4"
    #elseif compiler(>=6.3)
      "6.3"
    #elseif compiler(>=6.2)
      "6.2"
    #else
      "6.1 or earlier"
    #endif
  }

  /// `uname -s -r -m`.
  package static var machine: String {
    var name = utsname()
    guard uname(&name) == 0 else { return "unknown" }
    func string<T>(_ field: T) -> String {
      withUnsafeBytes(of: field) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
      }
    }
    return "\(string(name.sysname)) \(string(name.release)) \(string(name.machine))"
  }
}
