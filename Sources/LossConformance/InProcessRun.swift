import Foundation
import LossCore

extension ConformanceRunner {
  /// Grades an implementation of this process on golden cases: the grading of ``run(_:progress:)``
  /// without the adapter process (no hello, timeouts or restarts: a Swift implementation cannot
  /// hang the pipe). What `losscheck verify` uses for LossSpec and LossFast.
  public static func grade(
    _ implementation: any LossImplementation, on golden: [GoldenCase], options: GradingOptions = .init()
  ) async -> [CaseResult] {
    var results: [CaseResult] = []
    results.reserveCapacity(golden.count)
    for g in golden {
      let started = Date()
      var result = CaseResult(
        id: g.id, loss: g.loss.rawValue, dtype: g.dtype.rawValue, regime: g.regime, tags: g.tags,
        terms: Grader.termCount(g.request), status: .graded,
        expected: CaseResult.describe(g.expectation, dtype: g.dtype))
      let outcome = await implementation.evaluate(g.request)
      result.answer = CaseResult.describe(outcome, dtype: g.dtype)
      if case .unsupported(let reason) = outcome {
        result.status = .unsupported
        result.detail = reason.isEmpty ? "unsupported (no reason given)" : reason
      } else {
        result.verdict = Grader.grade(g, outcome: outcome, options: options)
      }
      result.seconds = Date().timeIntervalSince(started)
      results.append(result)
    }
    return results
  }
}
