import ArgumentParser
import Foundation
import LossCore
import LossReports
import LossVerification

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
        "The mpmath oracle's Float16 and BFloat16 cases, JSON Lines (default: \(OracleChecks.defaultHalfPrecisionPath), skipped if absent).",
        valueName: "file"))
    var halfOracle: String?

    @Option(
      help: ArgumentHelp(
        "The published Flux examples (default: \(Verify.defaultPublishedPath), skipped if absent).",
        valueName: "file"))
    var published: String?

    @Option(
      help: ArgumentHelp(
        "The mpmath gradient oracle cases, JSON Lines (default: \(GradientChecks.defaultOraclePath), skipped if absent).",
        valueName: "file"))
    var gradientOracle: String?

    @Option(
      help: ArgumentHelp(
        "Random cases per loss of the exact central-difference checks of LossSpec's gradients (default: \(GradientChecks.defaultCount); 0: none).",
        valueName: "n"))
    var gradientCount: Int?

    @Flag(help: "Print nothing on standard output (the exit status and the report tell the result).")
    var quiet = false

    @OptionGroup(title: "Properties") var properties: PropertyOptions

    func validate() throws {
      if let gradientCount { try OptionBounds.integer("--gradient-count", gradientCount, in: 0...1_000_000) }
      for (flag, path) in [
        ("--oracle", oracle), ("--half-oracle", halfOracle), ("--published", published),
        ("--gradient-oracle", gradientOracle),
      ] {
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
      let resolvedProperties = properties.resolved
      let context = VerificationContext(
        implementation: BuiltInImplementation.spec.implementation,
        oracleFile: .init(path: oracle ?? Self.defaultOraclePath, isExplicit: oracle != nil),
        halfPrecisionOracleFile: .init(
          path: halfOracle ?? OracleChecks.defaultHalfPrecisionPath, isExplicit: halfOracle != nil),
        publishedExamplesFile: .init(path: published ?? Self.defaultPublishedPath, isExplicit: published != nil),
        reportsDirectory: reports, properties: resolvedProperties,
        gradients: .init(
          count: gradientCount ?? GradientChecks.defaultCount, seed: resolvedProperties.seed,
          oracleFile: .init(
            path: gradientOracle ?? GradientChecks.defaultOraclePath, isExplicit: gradientOracle != nil)),
        progress: { unit in
          let line = ProgressLine(console: console, unit: unit)
          return .init(update: line.update, finish: line.finish)
        })
      let started = Date()
      let checks = await CheckRegistry.checks(for: context)
      var rows: [VerificationReport.Row] = []
      for (index, check) in checks.enumerated() {
        if console.errorIsTerminal && !quiet {
          console.writeError("[\(index + 1)/\(checks.count)] \(check.group) / \(check.name)\n")
        }
        let row = await Verification.row(of: check)
        rows.append(row)
        if !quiet {
          console.write("\(row.status.label.uppercased().padding(7)) \(row.group) / \(row.name): \(row.detail)\n")
        }
      }
      let report = await Verification.report(
        rows, context: context, started: started, arguments: reproductionArguments)
      let file = URL(fileURLWithPath: reports, isDirectory: true).appendingPathComponent("index.html")
      let summaryFile = URL(fileURLWithPath: reports, isDirectory: true)
        .appendingPathComponent(Verification.summaryFile)
      do throws(ReportFile.Failure) {
        try ReportFile.write(report.html(), to: file.path)
        try ReportFile.write(Verification.summaryJSON(rows, context: context), to: summaryFile.path)
      } catch {
        throw CommandFailure(error.description)
      }
      if !quiet {
        console.write("\(report.passed ? "PASS" : "FAIL"): \(report.summary)\nreport: \(file.path)\n")
      }
      if !report.passed { throw ExitCode(1) }
    }

    /// Fails before any check runs if `--reports` cannot hold the pages (not a directory, not
    /// writable, a page path that is a directory), rather than after the whole run.
    private func checkReportPaths() throws {
      do throws(ReportFile.Failure) {
        try ReportFile.checkDirectory(reports)
        for page in Verification.pages { try ReportFile.check(reports + "/" + page) }
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

    /// The options of this run that differ from the defaults, shell-quoted, e.g.
    /// `--reports out --oracle cases.jsonl`.
    var reproductionArguments: String {
      var words: [String] = []
      if reports != "Reports" { words += ["--reports", reports] }
      if let oracle { words += ["--oracle", oracle] }
      if let published { words += ["--published", published] }
      if let gradientOracle { words += ["--gradient-oracle", gradientOracle] }
      if let gradientCount { words += ["--gradient-count", String(gradientCount)] }
      words += properties.reproductionArguments
      return words.map(Self.shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
      let safe = word.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
          || "-_./=:,+@".unicodeScalars.contains($0)
      }
      return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
  }
}

extension String {
  /// The string padded with spaces to at least `width` characters.
  func padding(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
