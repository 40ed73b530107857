import Foundation
import LossCore

/// Runs laws on random cases without Swift Testing: the engine of `losscheck verify`'s
/// properties family, with the same generators and the same shrinker as the test suite.
///
/// A run of `count` cases with seed `S` checks the cases with seeds
/// `SplitMix64.caseSeed(run: S, index: 0..<count)` (case 0 has seed `S` itself), after any
/// replayed seeds; it stops at the first failing case and shrinks it.
public enum PropertyRunner {
  /// `LOSSCHECK_TRACE=1`: each case's law, seed and input go to standard error before it runs, so a case
  /// that crashes or runs away can be replayed with `losscheck verify --law L --seed S --count 1`.
  static let trace = ProcessInfo.processInfo.environment["LOSSCHECK_TRACE"] != nil

  /// Runs `law` on `subject`.
  ///
  /// - Parameters:
  ///   - law: the law to check.
  ///   - subject: the implementation under test, its claimed accuracy and its reference.
  ///   - count: the number of generated cases.
  ///   - seed: the run's seed.
  ///   - replay: case seeds checked first (a corpus of once-failing seeds).
  ///   - parallelism: how many cases are evaluated at once.
  ///   - shrinkBudget: the most evaluations spent shrinking a failure.
  ///   - progress: called after each case with (done, total).
  /// - Complexity: `count` evaluations of the law, plus at most `shrinkBudget`.
  public static func run(
    _ law: Law, on subject: Subject, count: Int, seed: UInt64, replay: [UInt64] = [], parallelism: Int = 2,
    shrinkBudget: Int = 3000, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
  ) async -> LawReport {
    let started = Date()
    var report = LawReport(law: law, implementation: subject.name, seed: seed)
    // The seeds are made as the cases are checked (a run of 10⁸ cases holds one batch of them).
    let total = replay.count + Swift.max(0, count)
    func caseSeed(_ position: Int) -> UInt64 {
      position < replay.count ? replay[position] : SplitMix64.caseSeed(run: seed, index: position - replay.count)
    }
    var position = 0
    let width = Swift.max(1, parallelism)
    while position < total {
      let batch = (position..<Swift.min(total, position + width)).map(caseSeed)
      let results = await withTaskGroup(of: (Int, LawInput, Finding, Probe).self) { group in
        for (offset, caseSeed) in batch.enumerated() {
          group.addTask {
            let input = law.input(seed: caseSeed)
            if trace { FileHandle.standardError.write(Data("case \(law.name) \(caseSeed): \(input)\n".utf8)) }
            let (finding, probe) = await law.evaluate(input, on: subject)
            return (offset, input, finding, probe)
          }
        }
        var collected: [(Int, LawInput, Finding, Probe)] = []
        for await result in group { collected.append(result) }
        return collected.sorted { $0.0 < $1.0 }
      }
      for (offset, input, finding, probe) in results {
        report.record(finding, replayed: position + offset < replay.count)
        if finding.verdict == .fails {
          let shrunk = await shrink(law, input, finding, probe, on: subject, budget: shrinkBudget)
          report.counterexample = Counterexample(
            law: law.name, caseSeed: input.seed, original: input, shrunk: shrunk.input, shrinkSteps: shrunk.steps,
            finding: shrunk.finding, probe: shrunk.probe)
          report.seconds = Date().timeIntervalSince(started)
          return report
        }
      }
      position += batch.count
      progress?(position, total)
    }
    report.seconds = Date().timeIntervalSince(started)
    return report
  }

  /// Shrinks a failing input: moves to the first candidate that still fails, until none does or
  /// the budget is spent (the strategy of PropertyBased's `propertyCheck`).
  public static func shrink(
    _ law: Law, _ input: LawInput, _ finding: Finding, _ probe: Probe, on subject: Subject, budget: Int
  ) async -> (input: LawInput, finding: Finding, probe: Probe, steps: Int) {
    var current = (input: input, finding: finding, probe: probe)
    var steps = 0
    var spent = 0
    search: while spent < budget {
      for candidate in Shrinker.candidates(current.input) {
        spent += 1
        if spent > budget { break search }
        let (f, p) = await law.evaluate(candidate, on: subject)
        if f.verdict == .fails {
          current = (candidate, f, p)
          steps += 1
          continue search
        }
      }
      break
    }
    return (current.input, current.finding, current.probe, steps)
  }
}

/// The result of running one law: counts, the worst deviation, the distribution of deviations,
/// and the shrunk counterexample of a failure.
public struct LawReport: Sendable {
  public var name: String
  public var category: Law.Category
  public var losses: [LossID]
  public var statement: String
  public var tolerance: String
  public var generator: String
  public var implementation: String
  /// The run's seed (`nil` when each case's seed was drawn by PropertyBased; every case seed is
  /// still in its counterexample).
  public var seed: UInt64?
  /// Cases judged (held or failed), replayed ones included.
  public var cases = 0
  /// Replayed corpus seeds among `cases`.
  public var replayed = 0
  /// Generated cases outside the law's hypotheses.
  public var discarded = 0
  public var failed = 0
  /// The largest `deviation / bound` observed, with its message.
  public var worst = Deviation.exact
  public var worstMessage = ""
  /// Counts of `deviation / bound` per bucket of ``LawReport/buckets``.
  public var histogram = [Int](repeating: 0, count: LawReport.buckets.count)
  public var counterexample: Counterexample?
  public var seconds = 0.0

  public init(law: Law, implementation: String, seed: UInt64?) {
    name = law.name
    category = law.category
    losses = law.losses
    statement = law.statement
    tolerance = law.tolerance
    generator = law.generator
    self.implementation = implementation
    self.seed = seed
  }

  /// Whether every judged case held (and at least one was judged).
  public var passed: Bool { failed == 0 && counterexample == nil && cases > 0 }

  /// The buckets of the deviation chart, by `deviation / bound`.
  public static let buckets: [(label: String, upper: Double)] = [
    ("exact", 0), ("≤ 1/64", 1.0 / 64), ("≤ 1/8", 1.0 / 8), ("≤ 1/2", 0.5), ("≤ 1", 1), ("> 1", .infinity),
  ]

  /// Counts one finding.
  public mutating func record(_ finding: Finding, replayed isReplayed: Bool = false) {
    switch finding.verdict {
    case .discarded:
      discarded += 1
      return
    case .fails:
      failed += 1
    case .holds:
      break
    }
    cases += 1
    if isReplayed { replayed += 1 }
    let d = finding.deviation
    let ratio = d.holds ? d.ratio : .infinity
    let bucket = LawReport.buckets.firstIndex { ratio <= $0.upper } ?? LawReport.buckets.count - 1
    histogram[bucket] += 1
    if worstMessage.isEmpty || d.worse(worst) == d && d != worst {
      worst = d
      worstMessage = finding.message
    }
  }
}

/// A failing case, shrunk, with the requests that show it and the commands that reproduce it.
public struct Counterexample: Sendable {
  public var law: String
  /// The seed of the generated case that failed first.
  public var caseSeed: UInt64
  public var original: LawInput
  public var shrunk: LawInput
  public var shrinkSteps: Int
  public var message: String
  public var deviation: Deviation
  /// The shrunk case's evaluations: the request line and what the implementation answered.
  public var evaluations: [(request: String, outcome: String)]

  public init(
    law: String, caseSeed: UInt64, original: LawInput, shrunk: LawInput, shrinkSteps: Int, finding: Finding,
    probe: Probe
  ) {
    self.law = law
    self.caseSeed = caseSeed
    self.original = original
    self.shrunk = shrunk
    self.shrinkSteps = shrinkSteps
    message = finding.message
    deviation = finding.deviation
    evaluations = probe.log.map { evaluation in
      let request = ProtocolCodec.encode(evaluation.request).serialized()
      let response = ProtocolCodec.encode(
        LossResponse(id: evaluation.request.id, outcome: evaluation.outcome), dtype: evaluation.request.dtype)
      return (request, response.serialized())
    }
  }

  /// `losscheck verify --law NAME --seed S --count 1`: reruns the failing case and shrinks it
  /// again (shrinking is deterministic).
  public var verifyCommand: String { "losscheck verify --law \(law) --seed \(caseSeed) --count 1" }

  /// `losscheck eval --json '…'` for each request of the shrunk case.
  public var evalCommands: [String] {
    evaluations.map { "losscheck eval --json '\($0.request.replacingOccurrences(of: "'", with: "'\\''"))'" }
  }

  /// A multi-line account for test failures and terminals.
  public var text: String {
    var lines = [
      "law \(law) fails: \(message)",
      "counterexample (\(shrinkSteps) shrinking step\(shrinkSteps == 1 ? "" : "s") from case seed \(caseSeed)): \(shrunk)",
    ]
    if shrinkSteps > 0 { lines.append("original case: \(original)") }
    lines.append("reproduce: \(verifyCommand)")
    for (command, evaluation) in zip(evalCommands, evaluations) {
      lines.append("  \(command)")
      lines.append("    → \(evaluation.outcome)")
    }
    return lines.joined(separator: "\n")
  }
}
