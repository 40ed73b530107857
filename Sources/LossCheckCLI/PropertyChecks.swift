import ArgumentParser
import Foundation
import LossCore
import LossFast
import LossProperties
import LossReports
import LossSpec

/// The options of the properties family of `losscheck verify`: `--count`, `--seed`, `--law`.
struct PropertyOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Random cases per law of the property catalogue (default: \(PropertyChecks.defaultCount)\(PropertyChecks.debugNote)).",
      valueName: "n"))
  var count: Int?

  @Option(
    help: ArgumentHelp(
      "The seed of the property run; case 0 has this seed, so a failing case seed S is replayed by --seed S --count 1 (default: a fresh seed, shown in the report).",
      valueName: "seed"))
  var seed: UInt64?

  @Option(
    name: .customLong("law"),
    help: ArgumentHelp("Check only this law of the catalogue (repeatable; default: every law).", valueName: "name"))
  var laws: [String] = []

  func validate() throws {
    if let count { try OptionBounds.integer("--count", count, in: 0...PropertyChecks.maxCount) }
    for name in laws where Catalogue.law(named: name) == nil {
      throw ValidationError(
        "--law: no law '\(name)' in the catalogue (known: \(Catalogue.laws.map(\.name).joined(separator: ", ")))")
    }
  }

  /// What the provider uses.
  var resolved: PropertyChecks.Options {
    .init(count: count ?? PropertyChecks.defaultCount, seed: seed ?? SplitMix64.freshSeed(), laws: laws)
  }

  /// The options given, for the reproduction line.
  var reproductionArguments: [String] {
    var words: [String] = []
    if let count { words += ["--count", String(count)] }
    if let seed { words += ["--seed", String(seed)] }
    for law in laws { words += ["--law", law] }
    return words
  }
}

/// The properties family of `losscheck verify`: every law of the catalogue (``Catalogue``) on its
/// subject — LossSpec for the mathematical laws, LossFast against LossSpec for the agreement laws
/// — with `--count` random cases from `--seed`, then `<reports>/properties.html`.
///
/// The same laws, generators and shrinker as the Swift Testing suite (`Tests/LossPropertiesTests`),
/// with any budget: the suite runs 100 cases per law in a debug build; a release `losscheck verify
/// --count 10000` runs a hundred times that.
enum PropertyChecks {
  static let group = "properties"

  /// Cases per law: 200 in a release build; 12 in a debug build, where LossSpec is 10 to 50 times
  /// slower (the CLI tests run verify in a debug build).
  static var defaultCount: Int {
    #if DEBUG
      12
    #else
      200
    #endif
  }

  static var debugNote: String {
    #if DEBUG
      " in this debug build, 200 in a release build"
    #else
      ""
    #endif
  }

  /// The most cases per law `--count` accepts (cases are generated as they are checked, so the
  /// bound is one of time: 10⁹ cases of one law run for days).
  static let maxCount = 1_000_000_000

  struct Options: Sendable {
    var count: Int
    var seed: UInt64
    var laws: [String]
  }

  /// The options of the current verify run (set by `Verify` around the registry).
  @TaskLocal static var options = Options(count: defaultCount, seed: SplitMix64.freshSeed(), laws: [])

  /// The subjects: LossSpec (correctly rounded) for the laws, LossFast for the agreement laws.
  static func subject(for law: Law, implementation: any LossImplementation) -> Subject {
    if law.category == .agreement {
      return Subject(
        implementation: FastImplementation(), accuracy: .stable(Catalogue.stableConstant),
        reference: ReferenceImplementation(), withThreads: { FastImplementation(threads: $0) },
        threadCounts: [1, 2, 3, 8], largeCount: 4 * LossFast.chunkLength, agreementCount: 4096)
    }
    return Subject(implementation: implementation, accuracy: .correctlyRounded, reference: ReferenceImplementation())
  }

  static func checks(for context: CheckContext) async -> [Check] {
    let options = Self.options
    let laws = options.laws.isEmpty ? Catalogue.laws : Catalogue.laws.filter { options.laws.contains($0.name) }
    let collector = Collector()
    let parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)
    var checks = laws.map { law in
      Check(group: group, name: law.name) {
        let subject = subject(for: law, implementation: context.implementation)
        let progress = ProgressLine(console: Console.current, unit: "cases")
        let report = await PropertyRunner.run(
          law, on: subject, count: options.count, seed: options.seed, parallelism: parallelism,
          progress: progress.update)
        progress.finish()
        await collector.add(report)
        return result(report)
      }
    }
    let directory = context.reportsDirectory
    checks.append(
      Check(group: group, name: "report: properties.html") {
        let reports = await collector.reports
        let page = PropertyReport(
          title: "Property suite — losscheck verify",
          run:
            "\(reports.count) laws, \(options.count) random cases each from seed \(options.seed). Reproduce: "
            + "losscheck verify --seed \(options.seed) --count \(options.count)"
            + options.laws.map { " --law \($0)" }.joined(),
          subjects: [
            "Laws: \(context.implementation.name), correctly rounded (½ ulp).",
            "Agreement laws: \(FastImplementation().name) against LossSpec, "
              + "\(Accuracy.stable(Catalogue.stableConstant).summary).",
          ],
          laws: reports,
          environment: [("Written", Date().formatted(.iso8601)), ("Seed", String(options.seed))])
        do throws(ReportFile.Failure) {
          try ReportFile.write(page.html(), to: directory + "/properties.html")
        } catch {
          return CheckResult(passed: false, detail: error.description, cases: 0)
        }
        let failed = reports.filter { !$0.passed }.count
        return CheckResult(
          passed: true,
          detail:
            "\(reports.count) laws, \(reports.reduce(0) { $0 + $1.cases }) cases, \(failed) failed, seed \(options.seed); "
            + "every law with its statement, tolerance, deviations and counterexamples in properties.html",
          cases: 0)
      })
    return checks
  }

  /// The row of one law.
  static func result(_ report: LawReport) -> CheckResult {
    let seed = report.seed.map(String.init) ?? "?"
    if let c = report.counterexample {
      return CheckResult(
        passed: false,
        detail: "fails after \(report.cases) cases (seed \(seed)): \(c.message)",
        cases: report.cases, findings: c.text.split(separator: "\n").map(String.init))
    }
    if report.cases == 0 {
      return CheckResult(
        passed: report.discarded == 0, detail: "no case judged (\(report.discarded) discarded)", cases: 0)
    }
    let worst =
      report.worst.ulps == 0
      ? "every case exact"
      : "worst \(LawKit.number(report.worst.ulps)) ulp against a bound of \(LawKit.number(report.worst.boundUlps))"
    return CheckResult(
      passed: true,
      detail:
        "holds on \(report.cases) cases (\(report.discarded) discarded, seed \(seed)); \(worst); \(String(format: "%.2f s", report.seconds))",
      cases: report.cases)
  }

  /// The reports of the laws, in catalogue order.
  actor Collector {
    private var byName: [String: LawReport] = [:]
    func add(_ report: LawReport) { byName[report.name] = report }
    var reports: [LawReport] { Catalogue.laws.compactMap { byName[$0.name] } }
  }
}
