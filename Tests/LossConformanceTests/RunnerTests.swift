import Foundation
import LossCore
import Testing

@testable import LossConformance

@Suite("Runner: built-in and numpy adapters on the golden vectors")
struct RunnerTests {
  @Test(
    "losscheck serve --impl spec answers every case correctly rounded",
    .enabled(if: Fixtures.losscheck != nil, "the losscheck executable is not built"),
    .enabled(if: !Fixtures.vectors.isEmpty, "Conformance/vectors is missing"),
    .timeLimit(.minutes(5)))
  func referenceIsCorrectlyRounded() async throws {
    let executable = try #require(Fixtures.losscheck)
    // Every fifth case: every loss, dtype, regime and outcome class is represented.
    let sample = Fixtures.vectors.enumerated().filter { $0.offset % 5 == 0 }.map { CaseSource.golden($0.element) }
    // LossSpec itself needs seconds for a few cases in a debug build (exact cancellations).
    let (report, evaluation) = try await conform(
      "'\(executable)' serve --impl spec", sample, require: .correctlyRounded, timeout: .seconds(120))
    #expect(evaluation.faults.isEmpty, "\(evaluation.faults.map(\.detail))")
    #expect(evaluation.unsupported.isEmpty)
    let notCR = report.cases.filter { $0.tier != .correctlyRounded }
    #expect(notCR.isEmpty, "\(notCR.prefix(5).map { "\($0.id): \($0.verdict?.note ?? $0.detail)" })")
    #expect(evaluation.passed)
    #expect(report.implementation.hasPrefix("LossSpec"))
  }

  @Test(
    "the numpy adapter passes the default gate on every golden vector",
    .enabled(if: Fixtures.pythonWithNumpy, "python3 with numpy is not installed"),
    .enabled(if: !Fixtures.vectors.isEmpty, "Conformance/vectors is missing"),
    .timeLimit(.minutes(3)))
  func numpyPassesDefaultGate() async throws {
    let all = Fixtures.vectors.map(CaseSource.golden)
    let (report, evaluation) = try await conform(Fixtures.python("numpy_adapter.py"), all)
    #expect(evaluation.faults.isEmpty, "\(evaluation.faults.prefix(3).map(\.detail))")
    // Without ml_dtypes the adapter does not offer bfloat16 (its hello says so, and stderr): those
    // cases, and only those, are unsupported then.
    let unsupported = evaluation.unsupported.filter { Fixtures.pythonWithMLDtypes || $0.dtype != "bfloat16" }
    #expect(unsupported.isEmpty, "\(unsupported.prefix(3).map { "\($0.id): \($0.detail)" })")
    #expect(
      evaluation.failures.isEmpty,
      "\(evaluation.failures.prefix(5).map { "\($0.id): \($0.verdict?.note ?? "")" })")
    #expect(evaluation.passed)
    #expect(report.cases.count == Fixtures.vectors.count)
    // A careful port is mostly correctly rounded or faithful in Float32 and Float64 (in the half
    // dtypes numpy computes in the dtype: bfloat16 sums through ml_dtypes are sequential).
    let standard = report.cases.filter { DType.standard.map(\.rawValue).contains($0.dtype) }
    let good = standard.filter { ($0.tier ?? .divergent) <= .faithful }.count
    #expect(Double(good) > 0.8 * Double(standard.count))
  }
}

/// One seeded bug: the cases it is run on, and the tags (or loss) the runner must flag.
struct SeededBug: Sendable, CustomTestStringConvertible {
  var name: String
  var losses: [LossID]
  /// The tier the gate requires (accuracy bugs are flagged below `stable`).
  var require: Tier = .acceptable
  /// A divergent case must carry one of these tags (empty: any case of the losses).
  var flaggedTags: [String] = []
  /// Restrict to these dtypes.
  var dtypes: [DType] = DType.allCases

  var testDescription: String { name }

  static let all: [SeededBug] = [
    SeededBug(name: "missing-eps", losses: [.crossentropy, .binarycrossentropy], flaggedTags: ["yhat:zero"]),
    SeededBug(
      name: "keras-clip", losses: [.crossentropy, .binarycrossentropy], flaggedTags: ["yhat:zero", "yhat:one"]),
    SeededBug(
      name: "wrong-dims", losses: [.crossentropy, .logitcrossentropy], flaggedTags: ["shape:matrix", "shape:3d"]),
    SeededBug(name: "beta-swapped", losses: [.tverskyLoss]),
    SeededBug(name: "mean-wrong-count", losses: [.mse], flaggedTags: ["agg:mean"]),
    SeededBug(name: "nan-dropped", losses: [.mse, .hinge], flaggedTags: ["special:nan"]),
    SeededBug(name: "squared-hinge-after-agg", losses: [.squaredHinge]),
    SeededBug(
      name: "f32-sequential", losses: [.mae, .mse], require: .stable, flaggedTags: ["accumulation"], dtypes: [.float32]),
    SeededBug(name: "logsoftmax-no-shift", losses: [.logitcrossentropy], flaggedTags: ["logits:large"]),
    SeededBug(name: "xlogy-product", losses: [.crossentropy, .kldivergence], flaggedTags: ["eps:0", "y:zero"]),
    SeededBug(name: "naive-logsigmoid", losses: [.logitbinarycrossentropy], flaggedTags: ["logits:large"]),
    SeededBug(name: "huber-erratum", losses: [.huberLoss]),
    SeededBug(name: "torch-bce-clamp", losses: [.binarycrossentropy], flaggedTags: ["yhat:zero", "yhat:one"]),
  ]
}

@Suite(
  "Runner: seeded bugs are flagged",
  .enabled(if: Fixtures.pythonWithNumpy, "python3 with numpy is not installed"),
  .enabled(if: !Fixtures.vectors.isEmpty, "Conformance/vectors is missing"))
struct SeededBugTests {
  func cases(for bug: SeededBug) -> [CaseSource] {
    Fixtures.cases { bug.losses.contains($0.loss) && bug.dtypes.contains($0.dtype) }
  }

  @Test("each seeded bug fails the gate, on the cases it affects", arguments: SeededBug.all)
  func bugIsFlagged(_ bug: SeededBug) async throws {
    let command = Fixtures.python("testing/buggy_adapter.py", "--bug \(bug.name)")
    let (_, evaluation) = try await conform(command, cases(for: bug), require: bug.require)
    #expect(evaluation.faults.isEmpty, "\(evaluation.faults.prefix(3).map(\.detail))")
    #expect(!evaluation.passed, "the bug \(bug.name) went unnoticed")
    #expect(!evaluation.failures.isEmpty)
    if !bug.flaggedTags.isEmpty {
      let flagged = evaluation.failures.filter { !Set($0.tags).isDisjoint(with: bug.flaggedTags) }
      #expect(!flagged.isEmpty, "no failing case has a tag of \(bug.flaggedTags)")
    }
  }

  @Test("the bug-free variant passes the same gates on the same cases", arguments: [Tier.acceptable, .stable])
  func bugFreePasses(_ require: Tier) async throws {
    let losses = Set(SeededBug.all.flatMap(\.losses))
    let (_, evaluation) = try await conform(
      // Float32 and Float64: the seeded bugs are about them; numpy's own BFloat16 sums (through
      // ml_dtypes, sequential in the dtype) are only acceptable, which the numpy test covers.
      Fixtures.python("testing/buggy_adapter.py", "--bug none"),
      Fixtures.cases { losses.contains($0.loss) && DType.standard.contains($0.dtype) },
      require: require)
    #expect(
      evaluation.passed,
      "\(evaluation.failures.prefix(5).map { "\($0.id): \($0.verdict?.note ?? "")" }) \(evaluation.faults.prefix(2).map(\.detail))"
    )
  }
}
