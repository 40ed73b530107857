import ArgumentParser
import Foundation
import LossCore
import LossReports
import LossSpec

extension LossCheck {
  /// `losscheck verify`, the main job: runs every registered check on the built-in reference and
  /// writes `Reports/index.html`.
  struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run the built-in checks and write Reports/index.html (the default command).",
      discussion: """
        Runs every check of the registry (the golden oracle cases, the published Flux \
        examples, and more as they are added) on LossSpec, prints one line per check, and \
        writes a self-contained HTML report. Exit status: 0 if every check holds, 1 if one \
        fails (or none could run), 2 on a usage error.
        """
    )

    static let defaultOraclePath = "Conformance/oracle/oracle_cases.jsonl"
    static let defaultPublishedPath = "Conformance/published/flux_examples.json"

    @Option(help: ArgumentHelp("The directory the report is written to.", valueName: "directory"))
    var reports = "Reports"

    @Option(
      help: ArgumentHelp(
        "The golden oracle cases, JSON Lines (default: \(Verify.defaultOraclePath), skipped if absent).",
        valueName: "file"))
    var oracle: String?

    @Option(
      help: ArgumentHelp(
        "The published Flux examples (default: \(Verify.defaultPublishedPath), skipped if absent).",
        valueName: "file"))
    var published: String?

    @Flag(help: "Print nothing on standard output (the exit status and the report tell the result).")
    var quiet = false

    @OptionGroup(title: "Properties") var properties: PropertyOptions

    func validate() throws {
      for (flag, path) in [("--oracle", oracle), ("--published", published)] {
        if let path, !FileManager.default.fileExists(atPath: path) {
          throw ValidationError("\(flag): no such file: \(path)")
        }
      }
      if reports.isEmpty { throw ValidationError("--reports needs a directory") }
    }

    func run() async throws {
      let console = Console.current
      let context = CheckContext(
        implementation: BuiltInImplementation.spec.implementation,
        oracleFile: .init(path: oracle ?? Self.defaultOraclePath, isExplicit: oracle != nil),
        publishedExamplesFile: .init(path: published ?? Self.defaultPublishedPath, isExplicit: published != nil),
        reportsDirectory: reports)
      let started = Date()
      let checks = await PropertyChecks.$options.withValue(properties.resolved) {
        await CheckRegistry.checks(for: context)
      }
      var rows: [VerificationReport.Row] = []
      for (index, check) in checks.enumerated() {
        if console.errorIsTerminal && !quiet {
          console.writeError("[\(index + 1)/\(checks.count)] \(check.group) / \(check.name)\n")
        }
        let result = await check.run()
        let status: VerificationReport.Status = result.skipped ? .skipped : result.passed ? .passed : .failed
        rows.append(
          .init(
            group: check.group, name: check.name, cases: result.cases, status: status, detail: result.detail,
            findings: result.findings))
        if !quiet {
          console.write("\(status.label.uppercased().padding(7)) \(check.group) / \(check.name): \(result.detail)\n")
        }
      }
      let verdict = Self.verdict(rows)
      var report = VerificationReport(
        title: "losscheck verify — \(context.implementation.name)",
        passed: verdict.passed,
        summary: verdict.summary,
        rows: rows,
        environment: environment(started: started, implementation: context.implementation))
      let directory = URL(fileURLWithPath: reports, isDirectory: true)
      // Pages other checks wrote next to index.html during this run.
      for (title, page) in [("Numerical stability and errata", "stability.html"), ("Properties", "properties.html")]
      where FileManager.default.fileExists(atPath: directory.appendingPathComponent(page).path) {
        report.related.append(.init(title, page))
      }
      let file = directory.appendingPathComponent("index.html")
      do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(report.html().utf8).write(to: file, options: .atomic)
      } catch {
        throw CommandFailure("cannot write the report to \(file.path): \(error.localizedDescription)")
      }
      if !quiet {
        console.write("\(verdict.passed ? "PASS" : "FAIL"): \(verdict.summary)\nreport: \(file.path)\n")
      }
      if !verdict.passed { throw ExitCode(1) }
    }

    /// PASS when no check failed and at least one ran: a run that verified nothing is not a pass.
    static func verdict(_ rows: [VerificationReport.Row]) -> (passed: Bool, summary: String) {
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

    /// The options of this run that differ from the defaults, shell-quoted, e.g.
    /// `--reports out --oracle cases.jsonl`.
    var reproductionArguments: String {
      var words: [String] = []
      if reports != "Reports" { words += ["--reports", reports] }
      if let oracle { words += ["--oracle", oracle] }
      if let published { words += ["--published", published] }
      words += properties.reproductionArguments
      return words.map(Self.shellQuoted).joined(separator: " ")
    }

    static func commandLine(_ parts: [String]) -> String {
      parts.filter { !$0.isEmpty }.joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
      let safe = word.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
          || "-_./=:,+@".unicodeScalars.contains($0)
      }
      return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    func environment(started: Date, implementation: any LossImplementation) -> [VerificationReport.Pair] {
      let seconds = Date().timeIntervalSince(started)
      return [
        .init("Date (UTC)", started.formatted(.iso8601)),
        .init("Duration", String(format: "%.2f s", seconds)),
        .init("Implementation", implementation.name),
        .init("Compiler", "Swift \(Self.compilerVersion)"),
        .init("Machine", Self.machine),
        .init("Working directory", FileManager.default.currentDirectoryPath),
        .init("Reproduce", Self.commandLine(["scripts/verify.sh", reproductionArguments])),
        .init("Or, with a built losscheck", Self.commandLine(["losscheck verify", reproductionArguments])),
      ]
    }

    /// The compiler's version, as far as `#if compiler` tells it.
    static var compilerVersion: String {
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
    static var machine: String {
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
}

extension String {
  /// The string padded with spaces to at least `width` characters.
  func padding(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
