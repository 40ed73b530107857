import Foundation
import LossCore
import LossFast
import LossProperties
import LossSpec
import PropertyBased
import Testing

/// What the suite checks the laws on.
enum Subjects {
  /// LossSpec, correctly rounded: the hypothesis of every tolerance of the catalogue.
  static let reference = Subject(
    implementation: ReferenceImplementation(), accuracy: .correctlyRounded, reference: ReferenceImplementation())

  /// LossFast against LossSpec: the agreement laws. Bulk inputs of the thread-count law reach three
  /// chunks of LossFast's fixed chunking, so chunks are spread over threads.
  static let fast = Subject(
    implementation: FastImplementation(), accuracy: .stable(Catalogue.stableConstant),
    reference: ReferenceImplementation(), withThreads: { FastImplementation(threads: $0) },
    threadCounts: [1, 2, 3, 8], largeCount: 3 * LossFast.chunkLength, agreementCount: 64)

  /// The subject of a law: the agreement laws check LossFast, every other law LossSpec.
  static func subject(for law: Law) -> Subject { law.category == .agreement ? fast : reference }
}

/// The number of random cases per law.
///
/// 100 by default (the CI budget: the whole suite in about two minutes of a debug build on two
/// cores); `LOSSPROPERTIES_CASES=N` sets another. `losscheck verify --count N` runs the same laws
/// with any budget in a release build.
enum Budget {
  /// `LOSSPROPERTIES_TRACE=1`: each case's law and seed go to standard error before it runs, so a
  /// crash inside an implementation can be replayed with `losscheck verify --law L --seed S --count 1`.
  static let trace = ProcessInfo.processInfo.environment["LOSSPROPERTIES_TRACE"] != nil

  static func note(_ line: String) {
    FileHandle.standardError.write(Data(("case " + line + "\n").utf8))
  }

  static let cases: Int = {
    if let text = ProcessInfo.processInfo.environment["LOSSPROPERTIES_CASES"], let n = Int(text), n > 0 { return n }
    return 100
  }()
}

/// The replayed corpus: case seeds that once made a law fail, checked before the random cases.
///
/// `Corpus/failing-seeds.txt`, one `law-name seed` per line, `#` comments. A failure prints the
/// line to add.
enum Corpus {
  static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Corpus/failing-seeds.txt").path

  struct Entry: Hashable {
    var law: String
    var seed: UInt64
  }

  static let entries: [Entry] = {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return parse(text)
  }()

  static func parse(_ text: String) -> [Entry] {
    text.split(separator: "\n").compactMap { line in
      let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard words.count >= 2, let seed = UInt64(words[1]) else { return nil }
      return Entry(law: String(words[0]), seed: seed)
    }
  }

  static func seeds(for law: String) -> [UInt64] { entries.filter { $0.law == law }.map(\.seed) }
}

/// PropertyBased's generator of a law's inputs: each case draws a case seed from PropertyBased's
/// random source and generates from it, so every case — and its failure — is reproducible from
/// that one number; shrinking is the catalogue's shrinker.
func propertyGenerator(_ law: Law) -> Generator<LawInput, [LawInput]> {
  Generator(run: { rng in law.input(seed: rng.next()) }, shrink: { Shrinker.candidates($0) })
}

/// Collects one law's cases for the report while `propertyCheck` runs (it also calls the body for
/// shrinking candidates, which count as cases only when generated, once per seed).
actor LawRecorder {
  private var report: LawReport
  private var seen: Set<UInt64> = []
  private var firstFailure: LawInput?
  private var smallestFailure: (input: LawInput, finding: Finding, probe: Probe)?

  init(law: Law, subject: Subject) {
    report = LawReport(law: law, implementation: subject.name, seed: nil)
  }

  func record(_ input: LawInput, _ finding: Finding, _ probe: Probe, replayed: Bool) {
    if input.shrinks == 0 && !seen.contains(input.seed) {
      seen.insert(input.seed)
      report.record(finding, replayed: replayed)
    }
    guard finding.verdict == .fails else { return }
    if firstFailure == nil || input.shrinks == 0 && firstFailure!.seed != input.seed { firstFailure = input }
    // PropertyBased calls the body one last time with the shrunk input: the last failure.
    smallestFailure = (input, finding, probe)
  }

  func finish(seconds: Double, law: String) -> LawReport {
    if let smallest = smallestFailure {
      report.counterexample = Counterexample(
        law: law, caseSeed: smallest.input.seed, original: firstFailure ?? smallest.input, shrunk: smallest.input,
        shrinkSteps: smallest.input.shrinks, finding: smallest.finding, probe: smallest.probe)
    }
    report.seconds = seconds
    return report
  }
}

/// The failure text of one case: the law, the case, how to reproduce it, how to keep it.
func failureText(_ law: Law, _ input: LawInput, _ finding: Finding, _ probe: Probe) -> String {
  let c = Counterexample(
    law: law.name, caseSeed: input.seed, original: input, shrunk: input, shrinkSteps: input.shrinks,
    finding: finding, probe: probe)
  return c.text
    + "\nkeep it: add the line `\(law.name) \(input.seed)` to Tests/LossPropertiesTests/Corpus/failing-seeds.txt"
}

/// Checks one law of the catalogue: the corpus seeds first, then `Budget.cases` random cases with
/// PropertyBased (shrinking on); the result goes to the suite's HTML report.
func checkLaw(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
  let law = try #require(Catalogue.law(named: name), "no law \(name) in the catalogue", sourceLocation: sourceLocation)
  let subject = Subjects.subject(for: law)
  let recorder = LawRecorder(law: law, subject: subject)
  let started = Date()
  for seed in Corpus.seeds(for: name) {
    await Task.yield()
    let input = law.input(seed: seed)
    let (finding, probe) = await law.evaluate(input, on: subject)
    await recorder.record(input, finding, probe, replayed: true)
    #expect(
      finding.holds, "corpus seed \(seed): \(failureText(law, input, finding, probe))", sourceLocation: sourceLocation)
  }
  await propertyCheck(
    count: Budget.cases, input: propertyGenerator(law),
    perform: { input in
      // LossSpec computes without suspending: yield once per case, so that this suite does not
      // hold the few cooperative threads that timing-sensitive tests elsewhere wait for.
      await Task.yield()
      if Budget.trace { Budget.note("\(law.name) \(input.seed)\(input.shrinks > 0 ? " shrunk \(input.shrinks)" : "")") }
      let (finding, probe) = await law.evaluate(input, on: subject)
      await recorder.record(input, finding, probe, replayed: false)
      #expect(finding.holds, "\(failureText(law, input, finding, probe))", sourceLocation: sourceLocation)
    }, sourceLocation: sourceLocation)
  let report = await recorder.finish(seconds: Date().timeIntervalSince(started), law: name)
  await SuiteReport.shared.add(report)
}

/// The HTML report of the test run, `Reports/properties-test.html` (or `LOSSPROPERTIES_REPORT`):
/// rewritten, atomically, after each law and each wrong implementation, so the last write of the
/// run holds every result of this process and parallel tests never see a half-written file.
actor SuiteReport {
  static let shared = SuiteReport()

  static let path: String = {
    if let path = ProcessInfo.processInfo.environment["LOSSPROPERTIES_REPORT"], !path.isEmpty { return path }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Reports/properties-test.html").path
  }()

  private var laws: [String: LawReport] = [:]
  private var mutants: [String: MutantFinding] = [:]
  private let started = Date()

  func add(_ report: LawReport) {
    laws[report.name] = report
    write()
  }

  func add(_ mutant: MutantFinding) {
    mutants[mutant.name] = mutant
    write()
  }

  private func write() {
    let ordered = Catalogue.laws.compactMap { laws[$0.name] }
    let page = PropertyReport(
      title: "Property suite — swift test",
      run:
        "\(ordered.count) of \(Catalogue.laws.count) laws run by PropertyBased's propertyCheck, \(Budget.cases) random "
        + "cases each after the replayed corpus, shrinking on (LOSSPROPERTIES_CASES sets the budget).",
      subjects: [
        "Laws: \(Subjects.reference.name), \(Subjects.reference.accuracy.summary).",
        "Agreement laws: \(Subjects.fast.name) against LossSpec, \(Subjects.fast.accuracy.summary).",
      ],
      laws: ordered,
      mutants: mutants.values.sorted { $0.name < $1.name },
      environment: [
        ("Written", Date().formatted(.iso8601)),
        ("Elapsed in this process", String(format: "%.1f s", Date().timeIntervalSince(started))),
        ("Reproduce", "swift test --filter LossPropertiesTests"),
        ("A larger budget", "scripts/verify.sh --count 10000 (release build; writes Reports/properties.html)"),
      ])
    let url = URL(fileURLWithPath: Self.path)
    do {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(page.html().utf8).write(to: url, options: .atomic)
    } catch {
      Issue.record("cannot write the property report to \(url.path): \(error)")
    }
  }
}
