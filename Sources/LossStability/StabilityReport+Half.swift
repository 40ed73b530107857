import Foundation
import LossCore
import LossReports

extension StabilityReport {
  /// The half-precision page's first table: per loss, implementation and half dtype, what a user
  /// gets — the worst bits of error over the scale sweeps and where, the bits at the largest n of
  /// each growing-n sweep, and where the result is NaN, ±∞ or an error although the exact value
  /// is finite (the first such input of each sweep).
  func halfPrecisionTable() -> HTML {
    var rows: [HTML] = [
      .element("tr", [:], [.element("th", text: "loss")] + names.map { .element("th", text: $0) })
    ]
    for loss in LossID.allCases {
      let results = run.results.filter { $0.sweep.loss == loss }
      guard !results.isEmpty else { continue }
      var cells: [HTML] = [.element("th", ["scope": "row"], text: loss.rawValue)]
      for k in names.indices {
        var lines: [HTML] = []
        var bad = false
        for dtype in dtypes {
          let mine = results.filter { $0.sweep.dtype == dtype }
          guard !mine.isEmpty else { continue }
          if !lines.isEmpty { lines.append(.element("br")) }
          lines.append(.element("b", text: Self.displayName(dtype) + ": "))
          if mine.allSatisfy({ $0.skippedCount(k) == $0.points.count }) {
            let reason = mine.lazy.flatMap(\.points).first?.accuracy[k].summary ?? "not run"
            lines.append(.element("small", text: reason))
            continue
          }
          let view = Self.userView(of: mine, k)
          if view.bad { bad = true }
          lines.append(.element("small", text: view.text))
        }
        cells.append(.element("td", ["class": bad ? "bad" : ""], lines))
      }
      rows.append(.element("tr", [:], cells))
    }
    return .element(
      "section", ["id": "user-view"],
      [
        .element("h2", text: "What a user gets in half precision"),
        .element(
          "p",
          text:
            "Per loss, implementation and half dtype: the worst bits of error over the sweeps against input scale (and where), "
            + "the bits of error at the largest n of each growing-n sweep, and where the result is NaN, ±∞ or an error although the exact value is finite "
            + "(the first such input of each sweep). Everything wrong is 11 bits in Float16 and 8 in BFloat16; an implementation that does not list a dtype is not run there."
        ),
        .element("div", ["class": "scroll"], [.element("table", [:], rows)]),
      ])
  }

  /// One cell line of `halfPrecisionTable()`: implementation `k` over the sweeps `results` of
  /// one loss and dtype, and whether it is worth marking (a non-finite result, or more than 4 bits).
  static func userView(of results: [SweepResult], _ k: Int) -> (text: String, bad: Bool) {
    var parts: [String] = []
    var bad = false
    // Against scale: the worst finite result.
    var worst: (bits: Double, result: SweepResult, point: SweepPoint)?
    for result in results where result.sweep.variable != "n" {
      for point in result.points where point.graded(k) {
        guard let bits = point.accuracy[k].bits else { continue }
        if worst == nil || bits > worst!.bits { worst = (bits, result, point) }
      }
    }
    if let worst {
      parts.append(
        String(format: "scale: worst %.1f bits", worst.bits)
          + " (\(worst.result.sweep.name) at \(worst.result.sweep.variable) = \(formatX(worst.point.x)))")
      if worst.bits > 4 { bad = true }
    }
    // Against n: the largest n graded of each growing-n sweep.
    for result in results where result.sweep.variable == "n" {
      guard let last = result.points.last(where: { $0.graded(k) }) else { continue }
      let label = result.sweep.name.replacingOccurrences(of: "growing n, ", with: "")
      let bits = last.accuracy[k].bits.map { String(format: "%.1f bits", $0) } ?? last.accuracy[k].summary
      parts.append("n = \(formatX(last.x)) (\(label)): \(bits)")
      if (last.accuracy[k].bits ?? .infinity) > 4 { bad = true }
    }
    // Non-finite where the exact value is finite: the first input of each sweep.
    var overflows: [String] = []
    for result in results {
      guard let first = result.points.first(where: { $0.graded(k) && $0.accuracy[k].bits == nil }) else { continue }
      let count = result.nonFiniteCount(k)
      overflows.append(
        "\(result.sweep.name): \(first.accuracy[k].summary.replacingOccurrences(of: "\"", with: "")) from \(result.sweep.variable) = \(formatX(first.x)) "
          + "(exact \(first.referenceSummary); \(count) point\(count == 1 ? "" : "s"))")
    }
    if overflows.isEmpty {
      parts.append("no NaN or ±∞ where the exact value is finite")
    } else {
      bad = true
      parts.append("NaN/±∞ where finite — " + overflows.joined(separator: "; "))
    }
    return (parts.joined(separator: ". "), bad)
  }

  /// How the half-precision page was made, after `method`.
  static let halfMethod = [
    "Half precision: inputs are exact values of Float16 or BFloat16, ϵ defaults to the dtype's eps (2⁻¹⁰, 2⁻⁷), and the reference is LossSpec's exact value correctly rounded to the dtype (±∞ beyond its range: an implementation returning the same ±∞ agrees). Bits of error are capped at 11 (Float16) and 8 (BFloat16).",
    "Flux order in Float16: Swift's Float16, every operation rounded to Float16 and log, exp, log1p evaluated in Float32 and rounded (as Julia's Base.Math does for Float16); sums are sequential, an upper envelope of Julia's pairwise sum. A sequential Float16 sum stops growing once half an ulp of the partial sum exceeds a term, where a pairwise sum keeps growing and can overflow 65504 instead (the sum of 10⁶ terms of about 0.3). A mean of n ≥ 65520 terms divides by n converted to Float16, which is ∞, and is 0 (Julia promotes the Int length to Float16 likewise). BFloat16 (BFloat16s.jl) is not emulated: not run.",
    "Growing n: 11 sizes log-spaced from 10 to 10⁶ (losscheck verify: up to 10⁴); the losses with a logarithm per term (crossentropy, binarycrossentropy, poisson_loss) stop at 10⁵, where LossSpec's exact logarithms take seconds per point; agg = sum scales its inputs by a power of two so that the exact sum stays far below 65504.",
    "An implementation is asked only for the dtypes it lists (an adapter's hello, LossFast's dtypes); elsewhere it is shown as not run.",
  ]
}
