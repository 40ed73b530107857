import Foundation
import LossCore
import LossFast
import LossProperties
import LossReports
import LossSpec

/// The properties family of `losscheck verify`: every law of the catalogue (`Catalogue`) on its
/// subject — LossSpec for the mathematical laws, LossFast against LossSpec for the agreement laws
/// — with `--count` random cases from `--seed`, then `<reports>/properties.html`.
///
/// The same laws, generators and shrinker as the Swift Testing suite (`Tests/LossPropertiesTests`),
/// with any budget: the suite runs 100 cases per law in a debug build; a release `losscheck verify
/// --count 10000` runs a hundred times that.
public enum PropertyChecks {
  static let group = "properties"

  /// Cases per law: 200 in a release build; 12 in a debug build, where LossSpec is 10 to 50 times
  /// slower (the CLI tests run verify in a debug build).
  public static var defaultCount: Int {
    #if DEBUG
      12
    #else
      200
    #endif
  }

  package static var debugNote: String {
    #if DEBUG
      " in this debug build, 200 in a release build"
    #else
      ""
    #endif
  }

  /// The most cases per law `--count` accepts (cases are generated as they are checked, so the
  /// bound is one of time: 10⁹ cases of one law run for days).
  package static let maxCount = 1_000_000_000

  /// The options of a run: cases per law, the seed of case 0, the laws to check (empty: every
  /// law).
  public struct Options: Sendable {
    public var count: Int
    public var seed: UInt64
    public var laws: [String]

    public init(count: Int = PropertyChecks.defaultCount, seed: UInt64 = SplitMix64.freshSeed(), laws: [String] = []) {
      self.count = count
      self.seed = seed
      self.laws = laws
    }
  }

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

  static func checks(for context: VerificationContext) async -> [Check] {
    let options = context.properties
    let laws = options.laws.isEmpty ? Catalogue.laws : Catalogue.laws.filter { options.laws.contains($0.name) }
    let collector = Collector()
    let parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)
    var checks = laws.map { law in
      Check(group: group, name: law.name) {
        let subject = subject(for: law, implementation: context.implementation)
        let progress = context.progress("cases")
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
