import Foundation
import LossCore
import LossReports

/// One verification that `losscheck verify` runs and reports as a row: a name, a group, and an
/// asynchronous body that returns a ``CheckResult``.
///
/// Checks are values, so any module can contribute some: a ``CheckRegistry`` provider turns a
/// ``VerificationContext`` into checks, and the verify command runs them in order.
public struct Check: Sendable {
  /// The family the check belongs to, e.g. `oracle`, `published`, `properties`.
  public var group: String
  /// What the check verifies, unique within its group.
  public var name: String
  /// The body. It must not throw or trap: a problem is a failed result with a detail.
  public var run: @Sendable () async -> CheckResult

  public init(group: String, name: String, run: @escaping @Sendable () async -> CheckResult) {
    self.group = group
    self.name = name
    self.run = run
  }
}

extension Check {
  /// A check that fails with `detail` (a missing or unreadable input of its family).
  static func failed(group: String, name: String, _ detail: String) -> Check {
    Check(group: group, name: name) { CheckResult(passed: false, detail: detail, cases: 0) }
  }
}

/// What a ``Check`` found.
public struct CheckResult: Sendable, Hashable {
  /// Whether the check holds. A skipped check holds (it found nothing wrong) but is shown as
  /// skipped, and a run in which every check was skipped does not pass.
  public var passed: Bool
  /// Whether the check did not run (a missing optional input), with the reason in `detail`.
  public var skipped: Bool
  /// One or two sentences: what was compared and what was found.
  public var detail: String
  /// The number of cases (requests, examples, properties × inputs) the check covered.
  public var cases: Int
  /// The individual failures or notes (at most a bounded number), each one self-contained.
  public var findings: [String]

  public init(passed: Bool, detail: String, cases: Int, findings: [String] = []) {
    self.passed = passed
    self.skipped = false
    self.detail = detail
    self.cases = cases
    self.findings = findings
  }

  /// A check that did not run, and why.
  public static func skipped(_ reason: String) -> CheckResult {
    var result = CheckResult(passed: true, detail: reason, cases: 0)
    result.skipped = true
    return result
  }
}

/// What the checks of one `verify` run share, given to every provider: the implementation under
/// verification, the input files, where pages go, the property options, the golden vectors (read
/// once per run), and where the conformance checks leave their summaries for the index page.
///
/// One value per run: two runs in one process (the CLI tests) share nothing.
public struct VerificationContext: Sendable {
  /// The implementation whose values are checked (LossSpec for `verify`).
  public var implementation: any LossImplementation
  /// The golden oracle file (JSON Lines), and whether it was named on the command line (then a
  /// missing file is an error rather than a skip).
  public var oracleFile: InputFile
  /// The mpmath oracle's Float16 and BFloat16 cases (`--half-oracle`).
  public var halfPrecisionOracleFile: InputFile
  /// The published Flux examples (a JSON array).
  public var publishedExamplesFile: InputFile
  /// Where checks that produce a report of their own (properties, conformance, stability)
  /// write it.
  public var reportsDirectory: String
  /// `--count`, `--seed`, `--law` of the properties family.
  public var properties: PropertyChecks.Options
  /// `--gradient-count`, `--gradient-oracle` of the gradients family (its seed is `--seed`'s).
  public var gradients: GradientChecks.Options
  /// The golden vectors of the conformance family, read on first use and shared by its checks.
  public var vectors: GoldenVectors
  /// What each conformance check found, for the matrix of `index.html`.
  public var conformanceSummaries: ConformanceChecks.SummaryStore
  /// Makes the progress display of a long check (`unit`: what is counted); silent by default.
  public var progress: @Sendable (_ unit: String) -> Progress

  public init(
    implementation: any LossImplementation, oracleFile: InputFile,
    halfPrecisionOracleFile: InputFile? = nil,
    publishedExamplesFile: InputFile, reportsDirectory: String = "Reports",
    properties: PropertyChecks.Options = .init(),
    gradients: GradientChecks.Options? = nil,
    vectors: GoldenVectors = GoldenVectors(directory: ConformanceChecks.defaultVectors),
    progress: @escaping @Sendable (_ unit: String) -> Progress = { _ in .silent }
  ) {
    self.implementation = implementation
    self.oracleFile = oracleFile
    self.halfPrecisionOracleFile =
      halfPrecisionOracleFile ?? InputFile(path: OracleChecks.defaultHalfPrecisionPath, isExplicit: false)
    self.publishedExamplesFile = publishedExamplesFile
    self.reportsDirectory = reportsDirectory
    self.properties = properties
    self.gradients = gradients ?? GradientChecks.Options(seed: properties.seed)
    self.vectors = vectors
    self.conformanceSummaries = ConformanceChecks.SummaryStore()
    self.progress = progress
  }

  /// A path and whether the user asked for it explicitly.
  public struct InputFile: Sendable, Hashable {
    public var path: String
    public var isExplicit: Bool

    public init(path: String, isExplicit: Bool) {
      self.path = path
      self.isExplicit = isExplicit
    }

    /// The contents, `nil` if the file does not exist; a read error of an existing file throws.
    func contents() throws -> String? {
      guard FileManager.default.fileExists(atPath: path) else { return nil }
      return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// What reading the input of a family gave: its text, or the checks that stand for the
    /// whole family when there is none.
    enum Reading {
      case text(String)
      case standIn([Check])
    }

    /// The text of the file, or the family's stand-in: a failed `file` check when the file
    /// cannot be read or was named but does not exist; a single skipped check `name` when the
    /// default file is absent (`what` says what was then not checked).
    func read(group: String, name: String, what: String) -> Reading {
      let text: String?
      do {
        text = try contents()
      } catch {
        return .standIn([.failed(group: group, name: "file", "cannot read \(path): \(ReportFile.describe(error))")])
      }
      if let text { return .text(text) }
      if isExplicit { return .standIn([.failed(group: group, name: "file", "\(path) does not exist")]) }
      return .standIn([Check(group: group, name: name) { .skipped("\(path) not found; \(what) were not checked") }])
    }
  }

  /// The progress display of one long check: `update(done, total)` as it goes, `finish()` at
  /// the end.
  public struct Progress: Sendable {
    public var update: @Sendable (_ done: Int, _ total: Int) -> Void
    public var finish: @Sendable () -> Void

    public init(update: @escaping @Sendable (Int, Int) -> Void, finish: @escaping @Sendable () -> Void) {
      self.update = update
      self.finish = finish
    }

    /// Shows nothing.
    public static let silent = Progress(update: { _, _ in }, finish: {})
  }
}

/// The checks `losscheck verify` runs: the union of what every provider contributes, in the
/// order of ``providers``.
///
/// This is the extension point of the verify command. A new family of checks (properties, fast
/// versus reference, stability sweeps) is one more entry in ``providers``.
public enum CheckRegistry {
  /// Makes the checks of one family for a run.
  public typealias Provider = @Sendable (VerificationContext) async -> [Check]

  /// The families of checks, in report order.
  public static let providers: [(family: String, make: Provider)] = [
    ("oracle", OracleChecks.checks(for:)),
    ("oracle-half", OracleChecks.halfPrecisionChecks(for:)),
    ("gradients", GradientChecks.checks(for:)),
    ("published", PublishedExampleChecks.checks(for:)),
    ("properties", PropertyChecks.checks(for:)),
    ("conformance", ConformanceChecks.checks(for:)),
    ("errata", StabilityChecks.errata(for:)),
    ("stability", StabilityChecks.sweeps(for:)),
  ]

  /// Every check of a run, in report order.
  public static func checks(for context: VerificationContext) async -> [Check] {
    var checks: [Check] = []
    for provider in providers { checks += await provider.make(context) }
    return checks
  }
}

/// Collects findings up to a limit and counts the ones left out, so a report stays readable
/// when thousands of cases fail alike.
struct FindingList {
  let limit: Int
  private(set) var items: [String] = []
  private(set) var omitted = 0

  init(limit: Int = 50) { self.limit = limit }

  mutating func append(_ finding: String) {
    if items.count < limit {
      items.append(finding)
    } else {
      omitted += 1
    }
  }

  var all: [String] { omitted == 0 ? items : items + ["… and \(omitted) more"] }
}
