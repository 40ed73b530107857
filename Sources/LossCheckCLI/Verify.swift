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
      try checkReportPaths()
      try checkInputFiles()
      let context = CheckContext(
        implementation: BuiltInImplementation.spec.implementation,
        oracleFile: .init(path: oracle ?? Self.defaultOraclePath, isExplicit: oracle != nil),
        publishedExamplesFile: .init(path: published ?? Self.defaultPublishedPath, isExplicit: published != nil),
        reportsDirectory: reports)
      let started = Date()
      let conformanceSummaries = ConformanceChecks.SummaryStore()
      let checks = await ConformanceChecks.$store.withValue(conformanceSummaries) {
        await PropertyChecks.$options.withValue(properties.resolved) {
          await CheckRegistry.checks(for: context)
        }
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
      report.groupTitles = Self.groupTitles
      let summaries = await conformanceSummaries.summaries
      if !summaries.isEmpty {
        var matrix = ConformanceChecks.matrix(summaries)
        matrix.group = "conformance"
        report.tables.append(matrix)
      }
      report.reproduce = reproduceCommands
      let directory = URL(fileURLWithPath: reports, isDirectory: true)
      // Pages other checks wrote next to index.html during this run.
      for (title, page) in Self.linkedPages
      where FileManager.default.fileExists(atPath: directory.appendingPathComponent(page).path) {
        report.related.append(.init(title, page))
      }
      let file = directory.appendingPathComponent("index.html")
      do throws(ReportFile.Failure) {
        try ReportFile.write(report.html(), to: file.path)
      } catch {
        throw CommandFailure(error.description)
      }
      if !quiet {
        console.write("\(verdict.passed ? "PASS" : "FAIL"): \(verdict.summary)\nreport: \(file.path)\n")
      }
      if !verdict.passed { throw ExitCode(1) }
    }

    /// The pages other checks write next to index.html, with their titles in its links.
    static let linkedPages = [
      ("Properties", "properties.html"), ("Conformance of LossSpec", "conformance-spec.html"),
      ("Conformance of LossFast", "conformance-fast.html"), ("Numerical stability and errata", "stability.html"),
    ]

    /// The pages a run writes into `--reports`.
    static let pages = ["index.html"] + linkedPages.map(\.1)

    /// Fails before any check runs if `--reports` cannot hold the pages (not a directory, not
    /// writable, a page path that is a directory), rather than after the whole run.
    private func checkReportPaths() throws {
      do throws(ReportFile.Failure) {
        try ReportFile.checkDirectory(reports)
        for page in Self.pages { try ReportFile.check(reports + "/" + page) }
      } catch {
        throw CommandFailure(error.description)
      }
    }

    /// An input file named on the command line that cannot be read or parsed is an input error
    /// (exit status 2, as for a missing one), found before any check runs.
    private func checkInputFiles() throws {
      func read(_ flag: String, _ path: String) throws -> String {
        do {
          return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
          throw CommandFailure("\(flag) \(path): \(ReportFile.describe(error))")
        }
      }
      if let oracle {
        let parsed = OracleChecks.parse(try read("--oracle", oracle))
        if let first = parsed.problems.first {
          throw CommandFailure(
            "--oracle \(oracle): \(parsed.problems.count) of \(parsed.lines) lines are malformed (first: \(first))")
        }
        if parsed.cases.isEmpty { throw CommandFailure("--oracle \(oracle) holds no cases") }
      }
      if let published {
        let text = try read("--published", published)
        let json: JSONValue
        do {
          json = try JSONValue(parsing: text)
        } catch {
          throw CommandFailure("--published \(published): \(error)")
        }
        guard case .array(let examples) = json, !examples.isEmpty else {
          throw CommandFailure("--published \(published) must hold a non-empty JSON array of examples")
        }
      }
    }

    /// The sections of index.html, in the order of the issue that asked for them: the laws, the
    /// conformance matrix, stability, the errata, then the reference's own checks.
    static let groupTitles: [VerificationReport.Pair] = [
      .init("properties", "Properties — the laws of the fourteen losses"),
      .init("conformance", "Conformance — golden vectors, graded by tier"),
      .init("stability", "Numerical stability"),
      .init("errata", "Errata of the Flux page"),
      .init("oracle", "LossSpec against the arbitrary-precision oracle"),
      .init("published", "LossSpec against Flux's published examples"),
    ]

    /// The commands behind every figure of the run and of the pages it links.
    var reproduceCommands: [VerificationReport.Pair] {
      [
        .init("This page", Self.commandLine(["losscheck verify", reproductionArguments])),
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
        .init(
          "Speed and memory (LossFast and its peers)",
          "losscheck bench --peers scripts/bench-peers.py; cd Benchmarks && swift package benchmark"),
        .init("The test suite and the format lint (CI)", "scripts/test.sh"),
        .init("A screenshot of a page", "scripts/screenshot.sh Reports/index.html"),
      ]
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
