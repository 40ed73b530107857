import Foundation
import LossCore

extension ConformanceRunner {
  /// Grades an implementation of this process on golden cases: the grading of ``run(_:progress:)``
  /// without the adapter process (no hello, timeouts or restarts: a Swift implementation cannot
  /// hang the pipe); a case of a dtype the implementation does not list is skipped, as the
  /// runner skips one its adapter's hello does not list. What `losscheck verify` uses for LossSpec and LossFast. A gradient case is
  /// answered with `LossImplementation.answer(_:)` and its gradient graded too.
  public static func grade(
    _ implementation: any LossImplementation, on golden: [GoldenCase], options: GradingOptions = .init()
  ) async -> [CaseResult] {
    var results: [CaseResult] = []
    results.reserveCapacity(golden.count)
    for g in golden {
      let started = Date()
      var result = CaseResult(.golden(g))
      result.expecting(g)
      // As an adapter whose hello does not list the dtype: the case is skipped, not failed.
      guard implementation.dtypes.contains(g.request.dtype) else {
        result.detail = "\(implementation.name) does not list the dtype \(g.request.dtype.rawValue)"
        results.append(result)
        continue
      }
      if g.expectation.gradient != nil {
        result.record(await implementation.answer(g.request), for: g, options: options)
      } else {
        result.record(await implementation.evaluate(g.request), for: g, options: options)
      }
      result.seconds = Date().timeIntervalSince(started)
      results.append(result)
    }
    return results
  }
}
