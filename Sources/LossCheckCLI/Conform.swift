import ArgumentParser
import Foundation
import LossConformance
import LossCore
import LossReports
import LossVerification

extension LossCheck {
  /// `losscheck conform`: runs the golden vectors against an external implementation.
  struct Conform: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Grade an external implementation (an adapter speaking losscheck/1) on the golden vectors.",
      discussion: """
        Starts the adapter once (`/bin/sh -c "<command>"`; a command starting with `losscheck` runs \
        this executable), checks its hello line, sends every case and grades each answer: \
        correctlyRounded, faithful (< 1 ulp), stable (within the pairwise-summation error bound), \
        acceptable (within the recursive-summation bound), divergent (beyond, or another outcome \
        class). Prints a table of tiers per loss and dtype and the findings; writes JUnit, JSON and \
        HTML reports on request. The gate (--require) applies to benign and edge cases; extreme \
        cases are reported as a robustness score unless --gate-extreme is given. A case the \
        adapter crashes on, hangs on or answers unreadably is a per-case fault: the adapter is \
        restarted and the run goes on. Exit status: 0 the gate holds; 1 a gated case is below \
        the required tier (or nothing was graded); 2 a usage or input error, or an adapter fault.
        """
    )

    @Option(help: ArgumentHelp("The adapter's command line (run with /bin/sh -c).", valueName: "command"))
    var adapter: String?

    @Option(
      name: .customLong("merge"), parsing: .upToNextOption,
      help: ArgumentHelp("Merge the JSON reports of shards (no adapter is run).", valueName: "report.json"))
    var merge: [String] = []

    @Option(help: ArgumentHelp("Golden vectors: a directory of .jsonl files or one file.", valueName: "path"))
    var vectors = Vectors.defaultDirectory

    @Option(
      help: ArgumentHelp(
        "Golden gradient vectors: a directory of .jsonl files or one file (default: the gradients/ subdirectory of --vectors, when it has one).",
        valueName: "path"))
    var gradientVectors: String?

    @Option(
      help: ArgumentHelp(
        "Whether the gradient vectors run: auto (when the adapter's hello says \"gradients\":true), on, off.",
        valueName: "auto|on|off"))
    var gradients: GradientSelection = .auto

    @Flag(
      inversion: .prefixedNo,
      help:
        "Gate gradient verdicts of benign and edge cases with --require (default: when the hello advertises gradients)."
    )
    var gateGradients: Bool?

    @Option(help: "The tier every gated case must meet.")
    var require: Tier = .acceptable

    @Flag(help: "Gate the extreme regime too (by default it is reported as a robustness score).")
    var gateExtreme = false

    @Flag(help: "Accept NaN where Flux throws a DomainError (reported as its own outcome class).")
    var allowNaNForDomainError = false

    @Option(
      help: ArgumentHelp(
        "A known-divergence manifest (repeatable): listed divergences do not fail the gate.", valueName: "file"))
    var divergences: [String] = []

    @Option(help: ArgumentHelp("Run only shard K of N (1-based), for CI matrices.", valueName: "K/N"))
    var shard: String?

    @Flag(help: "Add generated large cases (one per loss and dtype, --large-size elements each).")
    var large = false

    @Option(help: "The number of elements of each large case.")
    var largeSize = 100_000

    @Option(help: "The seed of the large cases.")
    var largeSeed: UInt64 = 7

    @Option(name: .customLong("loss"), help: "Run only these losses (repeatable).")
    var losses: [LossID] = []

    @Option(name: .customLong("dtype"), help: "Run only this dtype (repeatable).")
    var dtypes: [DType] = []

    @Option(name: .customLong("tag"), help: "Run only cases with one of these tags (repeatable).")
    var tags: [String] = []

    @Option(name: .customLong("regime"), help: "Run only these regimes (repeatable).")
    var regimes: [Regime] = []

    @Option(name: .customLong("id"), help: "Run only these case ids (repeatable).")
    var ids: [String] = []

    @Option(help: "Seconds one case may take (large cases get one more second per 100000 elements).")
    var timeout: Double = 10

    @Option(help: "Seconds the adapter may take to write its hello line.")
    var startupTimeout: Double = 120

    @Option(help: "How often a crashed or hung adapter is restarted before the remaining cases are given up.")
    var maxRestarts = 10

    @Option(help: ArgumentHelp("Write a JUnit XML report.", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Write the JSON report (input of --merge).", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report.", valueName: "file"))
    var html: String?

    @Flag(help: "Print only the verdict line.")
    var quiet = false

    func validate() throws {
      if adapter == nil && merge.isEmpty { throw ValidationError("give --adapter \"<command>\" (or --merge reports)") }
      if adapter != nil && !merge.isEmpty { throw ValidationError("--adapter and --merge exclude each other") }
      if let shard, Self.parseShard(shard) == nil {
        throw ValidationError("--shard must be K/N with 1 ≤ K ≤ N, got '\(shard)'")
      }
      try OptionBounds.seconds("--timeout", timeout)
      try OptionBounds.seconds("--startup-timeout", startupTimeout)
      try OptionBounds.integer("--large-size", largeSize, in: 1...10_000_000)
      try OptionBounds.integer("--max-restarts", maxRestarts, in: 0...10_000)
    }

    static func parseShard(_ text: String) -> (index: Int, count: Int)? {
      let parts = text.split(separator: "/")
      guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else { return nil }
      return (k, n)
    }

    func run() async throws {
      try checkOutputPaths()
      var entries: [DivergenceEntry] = []
      for path in divergences {
        do {
          entries += try DivergenceManifest.load(path).divergences
        } catch {
          throw CommandFailure("\(error)")
        }
      }
      let report: ConformanceReport
      if !merge.isEmpty {
        report = try mergeReports(entries)
      } else {
        report = try await runAdapter(entries)
      }
      try finish(report)
    }

    // MARK: Running

    private func runAdapter(_ entries: [DivergenceEntry]) async throws -> ConformanceReport {
      let console = Console.current
      var golden: [GoldenCase]
      do {
        golden = try LossConformance.VectorFiles.load(vectors)
      } catch {
        throw CommandFailure("cannot read the golden vectors: \(error)")
      }
      var sources = golden.map(CaseSource.golden)
      var source = vectors
      var gradientSource = ""
      // Appended after every value case (large ones too), so that the shards of a value-only run
      // are the same with or without gradient vectors.
      var gradientSources: [CaseSource] = []
      if gradients != .off, let path = gradientVectorsPath() {
        let cases: [GoldenCase]
        do {
          cases = try LossConformance.VectorFiles.load(path)
        } catch {
          throw CommandFailure("cannot read the gradient vectors: \(error)")
        }
        if let plain = cases.first(where: { $0.expectation.gradient == nil }) {
          throw CommandFailure("\(path): the case \(plain.id) has no expect.gradient: not a gradient vector")
        }
        let known = Set(golden.map(\.id))
        if let twice = cases.first(where: { known.contains($0.id) }) {
          throw CommandFailure("\(path): the case \(twice.id) is also a value vector")
        }
        gradientSources = cases.map(CaseSource.golden)
        gradientSource = " + gradient vectors \(path)"
      }
      if large {
        sources += VectorGenerator(seed: largeSeed).largeCases(size: largeSize, evaluate: Vectors.reference)
        source += " + large cases of \(largeSize) elements (seed \(largeSeed))"
      }
      sources += gradientSources
      sources = sources.filter(selected)
      if let shard, let (k, n) = Self.parseShard(shard) {
        sources = sources.enumerated().filter { $0.offset % n == k - 1 }.map(\.element)
        source += ", shard \(k)/\(n)"
      }
      golden = []
      if sources.isEmpty {
        throw CommandFailure("no case matches the selection (--loss, --dtype, --tag, --regime, --id)")
      }
      let command = Self.resolvedCommand(adapter ?? "")
      let options = ConformanceReport.Options(
        require: require, gateExtreme: gateExtreme,
        grading: GradingOptions(allowNaNForDomainError: allowNaNForDomainError), shard: shard)
      let runner = ConformanceRunner(
        configuration: RunnerConfiguration(
          command: command, caseTimeout: OptionBounds.duration(timeout),
          startupTimeout: OptionBounds.duration(startupTimeout), maxRestarts: maxRestarts,
          grading: options.grading, gradients: gradients))
      let started = Date()
      let showProgress = console.errorIsTerminal && !quiet
      let total = sources.count
      do {
        let outcome = try await runner.run(sources) { done, total in
          if showProgress && (done % 50 == 0 || done == total) {
            console.writeError("\r\(done)/\(total) cases" + (done == total ? "\n" : ""))
          }
        }
        var options = options
        let ranGradients = gradients.runs(hello: outcome.hello) && sources.contains(where: \.isGradient)
        if ranGradients { options.gateGradients = gateGradients ?? outcome.hello.gradients }
        let ran = ranGradients ? total : sources.filter { !$0.isGradient }.count
        return ConformanceReport(
          implementation: outcome.hello.implementation, adapter: adapter ?? "", helloLosses: outcome.hello.losses,
          helloDTypes: outcome.hello.dtypes, options: options,
          source: source + (ranGradients ? gradientSource : "") + " (\(ran) cases)",
          started: started.formatted(.iso8601), seconds: outcome.seconds, notes: outcome.notes, divergences: entries,
          cases: outcome.results)
      } catch {
        return ConformanceReport(
          implementation: "(not started)", adapter: adapter ?? "", helloLosses: [], helloDTypes: [], options: options,
          source: source + " (\(total) cases)", started: started.formatted(.iso8601),
          seconds: Date().timeIntervalSince(started), runError: error.message, divergences: entries, cases: [])
      }
    }

    /// The gradient vectors: `--gradient-vectors`, else the `gradients/` subdirectory of a
    /// `--vectors` directory when it exists.
    private func gradientVectorsPath() -> String? {
      if let gradientVectors { return gradientVectors }
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: vectors, isDirectory: &isDirectory), isDirectory.boolValue else {
        return nil
      }
      let path = (vectors as NSString).appendingPathComponent(VectorSet.gradientDirectoryName)
      return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        ? path : nil
    }

    private func selected(_ source: CaseSource) -> Bool {
      if !losses.isEmpty && !losses.contains(source.loss) { return false }
      if !dtypes.isEmpty && !dtypes.contains(source.dtype) { return false }
      if !regimes.isEmpty && !regimes.contains(source.regime) { return false }
      if !ids.isEmpty && !ids.contains(source.id) { return false }
      if !tags.isEmpty && !tags.contains(where: source.tags.contains) { return false }
      return true
    }

    private func mergeReports(_ entries: [DivergenceEntry]) throws -> ConformanceReport {
      do {
        var merged = try ConformanceReport.merge(try merge.map(ConformanceReport.load))
        if !divergences.isEmpty { merged.divergences = entries }
        return merged
      } catch {
        throw CommandFailure("\(error)")
      }
    }

    /// Prints the summary, writes the reports and ends with the exit status of the verdict.
    private func finish(_ report: ConformanceReport) throws {
      let console = Console.current
      let evaluation = GateEvaluation(report: report)
      if quiet {
        let verdict = report.runError == nil && evaluation.passed ? "PASS" : "FAIL"
        console.write("\(verdict): \(evaluation.summary(report: report))\n")
      } else {
        console.write(report.textSummary(evaluation))
      }
      var failures: [String] = []
      for (path, text) in outputs(report, evaluation) {
        do throws(ReportFile.Failure) {
          try ReportFile.write(text(), to: path)
          if !quiet { console.write("wrote \(path)\n") }
        } catch {
          failures.append(error.description)
        }
      }
      if let error = report.runError {
        console.writeError("error: \(error)\n")
      }
      for failure in failures { console.writeError("error: \(failure)\n") }
      let status = failures.isEmpty ? evaluation.exitStatus(runError: report.runError) : 2
      if status != 0 { throw ExitCode(status) }
    }

    /// The report files asked for, with their texts (made only when written).
    private func outputs(_ report: ConformanceReport, _ evaluation: GateEvaluation) -> [(String, () -> String)] {
      let all: [(String?, () -> String)] = [
        (junit, { report.junitXML(evaluation) }), (html, { report.html(evaluation) }),
        (json, { (try? report.jsonText()) ?? "" }),
      ]
      return all.compactMap { path, text in path.map { ($0, text) } }
    }

    /// Fails before any work if a report path cannot be written (a directory, a missing
    /// permission, a read-only file system), rather than after the whole run.
    private func checkOutputPaths() throws {
      for path in [junit, html, json].compactMap(\.self) {
        do throws(ReportFile.Failure) {
          try ReportFile.check(path)
        } catch {
          throw CommandFailure(error.description)
        }
      }
    }

    /// The adapter command with a leading `losscheck` replaced by this executable (or the
    /// `losscheck` next to it, when the running program is a test runner).
    static func resolvedCommand(_ command: String) -> String {
      let trimmed = command.drop { $0 == " " }
      guard trimmed == "losscheck" || trimmed.hasPrefix("losscheck ") else { return command }
      guard let executable = Self.executablePath() else { return command }
      return Verify.shellQuoted(executable) + trimmed.dropFirst("losscheck".count)
    }

    static func executablePath() -> String? {
      let manager = FileManager.default
      guard let running = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return nil }
      if running.lastPathComponent == "losscheck" { return running.path }
      let sibling = running.deletingLastPathComponent().appendingPathComponent("losscheck").path
      return manager.isExecutableFile(atPath: sibling) ? sibling : nil
    }
  }
}

extension Tier: ExpressibleByArgument {}
extension GradientSelection: ExpressibleByArgument {}
extension Regime: ExpressibleByArgument {}
