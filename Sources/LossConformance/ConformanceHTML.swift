import Foundation
import LossReports

extension ConformanceReport {
  /// The self-contained HTML page of the report (inline CSS, no scripts, no external resources),
  /// built with LossReports' escaping `HTML` builder: the verdict, the tier matrix per loss and
  /// dtype with the worst case of each row, the tier definitions and their constants, the
  /// failures, faults, known divergences (with their links), unexpected passes, stale entries,
  /// the extreme-regime robustness score, unsupported cases by reason, and the run's settings.
  ///
  /// - Parameters:
  ///   - evaluation: the gate's evaluation of the run (the verdict and the cases it counts).
  ///   - maxRows: the most rows listed per section (the JSON report has every case).
  public func html(_ evaluation: GateEvaluation, maxRows: Int = 200) -> String {
    var body: [HTML] = []
    if runError == nil {
      body.append(matrixSection(evaluation))
      body.append(tiersSection())
      body.append(
        casesSection(
          "Failures", "Gated cases below \(options.require.rawValue), not listed as known divergences.",
          evaluation.failures, maxRows: maxRows, css: "fail"))
      if hasGradients {
        body.append(
          gradientCasesSection(
            "Gradient failures",
            "Gradient cases whose gated gradient verdict is below \(options.require.rawValue), not listed as known "
              + "divergences.", evaluation.gradientFailures, maxRows: maxRows, css: "fail"))
        body.append(
          gradientCasesSection(
            "Gradients below \(options.require.rawValue), not gated",
            evaluation.gradientsGated
              ? "Extreme-regime gradient cases (gated only with --gate-extreme)."
              : "Gradient verdicts are not gated in this run (--no-gate-gradients, or the hello has no gradients).",
            evaluation.gradientBelowUngated, maxRows: maxRows, css: "note"))
        body.append(
          gradientCasesSection(
            "Known gradient divergences",
            "Gradient verdicts below \(options.require.rawValue) that a part: gradient "
              + "entry of a divergence manifest lists.", evaluation.gradientKnown.map(\.result), maxRows: maxRows,
            css: "note"))
      }
      body.append(faultsSection(evaluation, maxRows: maxRows))
      body.append(knownSection(evaluation))
      body.append(extremeSection(evaluation, maxRows: maxRows))
      if !evaluation.nanForDomainError.isEmpty {
        body.append(
          casesSection(
            "NaN for DomainError",
            "Flux throws a DomainError (the log of a negative number) where these answers are NaN: a separate "
              + "outcome class, \(options.grading.allowNaNForDomainError ? "accepted by --allow-nan-for-domain-error" : "divergent by default").",
            evaluation.nanForDomainError, maxRows: maxRows, css: "note"))
      }
      body.append(unsupportedSection(evaluation))
    }
    var page = ReportPage(
      title: "losscheck conform — \(implementation)", verdict: verdict(evaluation), body: body,
      styles: [Self.styleSheet])
    page.environmentTitle = "Run"
    page.environment = settings
    return page.html()
  }

  private func verdict(_ evaluation: GateEvaluation) -> ReportPage.Verdict {
    let tierCounts = Tier.allCases.map { tier in
      "\(cases.filter { $0.tier == tier }.count) \(tier.rawValue)"
    }
    let figures =
      [
        "gate: \(options.require.rawValue) on \(options.gateExtreme ? "every regime" : "benign and edge cases")",
        "\(cases.count) cases",
      ] + tierCounts + [
        "\(evaluation.unsupported.count) unsupported", "\(evaluation.faults.count) faults",
        "\(evaluation.knownDivergences.count) known divergences",
      ]
    return .init(
      passed: runError == nil && evaluation.passed, summary: evaluation.summary(report: self), figures: figures)
  }

  private func matrixSection(_ evaluation: GateEvaluation) -> HTML {
    let withGradients = hasGradients
    let headers =
      ["Loss", "dtype"] + Tier.allCases.map(\.rawValue) + ["known", "unsupported", "faults"]
      + (withGradients ? ["Gradient"] : []) + ["Worst gated case"]
    let header = HTML.element("tr", [:], headers.map { .element("th", ["scope": "col"], text: $0) })
    var rows: [HTML] = []
    for row in tallies(evaluation) {
      let t = row.tally
      var cells: [HTML] = [.element("td", text: row.loss), .element("td", text: row.dtype)]
      for tier in Tier.allCases {
        let count = t.tiers[tier, default: 0]
        let css = count == 0 ? "num zero" : "num t-\(tier.rawValue)"
        cells.append(.element("td", ["class": css], text: String(count)))
      }
      cells.append(.element("td", ["class": t.known == 0 ? "num zero" : "num known"], text: String(t.known)))
      cells.append(
        .element("td", ["class": t.unsupported == 0 ? "num zero" : "num unsup"], text: String(t.unsupported)))
      cells.append(.element("td", ["class": t.faults == 0 ? "num zero" : "num t-divergent"], text: String(t.faults)))
      if withGradients {
        let worstGradient = t.gradientTiers.keys.max()
        cells.append(
          .element(
            "td", ["class": worstGradient.map { "grad t-\($0.rawValue)" } ?? "grad zero"], text: t.gradientCell))
      }
      var worst: [HTML] = []
      if let w = t.worst, let v = w.verdict {
        worst.append(.element("span", ["class": "t-\(v.tier.rawValue)"], text: v.tier.rawValue))
        if let ulps = v.ulps, let scaled = v.scaled {
          worst.append(
            .text(" \(ulps.formatted(significantDigits: 3)) ulps, \(scaled.formatted(significantDigits: 3)) u·S "))
        } else {
          worst.append(.text(" "))
        }
        worst.append(.element("code", text: w.id))
      }
      cells.append(.element("td", ["class": "worst"], worst))
      rows.append(.element("tr", [:], cells))
    }
    return .element(
      "section", [:],
      [
        .element("h2", text: "Tiers per loss and dtype"),
        .element(
          "p",
          text: (withGradients
            ? "Gradient: the worst gradient tier of the row's gradient cases with its count over the graded ones, "
              + "then known gradient divergences, subgradient elements (inside a kink's interval) and unsupported "
              + "gradients. " : "")
            + "Counts over every regime. Worst gated case: the gated case with the worst tier that no divergence "
            + "entry lists, ties broken by the largest scaled error; ulps = |r − v|/ulp(v), u·S = |r − v|/(u·S)."),
        .element("table", [:], [.element("thead", [:], [header]), .element("tbody", [:], rows)]),
      ])
  }

  private func tiersSection() -> HTML {
    let t = options.grading.tolerance
    let rows: [(String, String)] = [
      (
        "correctlyRounded",
        "r is the exact value v rounded to the dtype (the vector's float32, float64, float16 or bfloat16)"
      ),
      ("faithful", "|r − v| < ulp(v): r is one of the two values of the dtype around v"),
      (
        "stable",
        "|r − v| ≤ u·S·(\(t.summationFactor.formatted(significantDigits: 3))·log₂(n+1) + \(t.chainAllowance.formatted(significantDigits: 3))): pairwise-summation grade"
      ),
      (
        "acceptable",
        "|r − v| ≤ u·S·(\(t.summationFactor.formatted(significantDigits: 3))·n + \(t.chainAllowance.formatted(significantDigits: 3))): recursive-summation grade"
      ),
      ("divergent", "beyond, or another outcome class (NaN for a number, an error for a value, another error kind)"),
    ]
    return .element(
      "section", [:],
      [
        .element("h2", text: "Tiers and their constants"),
        .element(
          "table", ["class": "defs"],
          [
            .element(
              "tbody", [:],
              rows.map { row in
                .element(
                  "tr", [:],
                  [.element("th", ["scope": "row", "class": "t-\(row.0)"], text: row.0), .element("td", text: row.1)])
              })
          ]),
        .element("p", ["class": "explain"], text: t.explanation),
        .element(
          "p", ["class": "explain"],
          text: "Regimes: benign (ordinary inputs); edge (special values, empty inputs, boundaries, scalar targets, "
            + "error cases); extreme (a straightforward evaluation in the dtype overflows or underflows in an "
            + "intermediate although the exact result is representable). The gate applies to benign and edge cases "
            + "unless --gate-extreme is given; extreme cases are always graded and reported as a robustness score."),
      ])
  }

  private func casesSection(_ title: String, _ intro: String, _ results: [CaseResult], maxRows: Int, css: String)
    -> HTML
  {
    var children: [HTML] = [.element("h2", text: "\(title) (\(results.count))"), .element("p", text: intro)]
    if results.isEmpty {
      children.append(.element("p", ["class": "none"], text: "None."))
      return .element("section", [:], children)
    }
    let header = HTML.element(
      "tr", [:],
      ["Case", "Regime", "Tier", "Expected", "Answer", "Finding"].map { .element("th", ["scope": "col"], text: $0) })
    var rows: [HTML] = []
    for result in results.prefix(maxRows) {
      let tier = result.verdict?.tier.rawValue ?? result.fault?.rawValue ?? result.status.rawValue
      rows.append(
        .element(
          "tr", ["class": css],
          [
            .element(
              "td", [:],
              [
                .element("code", text: result.id),
                .element("div", ["class": "tags"], text: result.tags.joined(separator: " ")),
              ]),
            .element("td", text: result.regime.rawValue),
            .element("td", ["class": "t-\(tier)"], text: tier),
            .element("td", ["class": "val"], text: result.expected),
            .element("td", ["class": "val"], text: result.answer),
            .element("td", ["class": "val"], text: result.verdict?.note ?? result.detail),
          ]))
    }
    children.append(.element("table", [:], [.element("thead", [:], [header]), .element("tbody", [:], rows)]))
    if results.count > maxRows {
      children.append(
        .element("p", ["class": "more"], text: "… and \(results.count - maxRows) more in the JSON report."))
    }
    return .element("section", [:], children)
  }

  private func gradientCasesSection(
    _ title: String, _ intro: String, _ results: [CaseResult], maxRows: Int, css: String
  ) -> HTML {
    var children: [HTML] = [.element("h2", text: "\(title) (\(results.count))"), .element("p", text: intro)]
    if results.isEmpty {
      children.append(.element("p", ["class": "none"], text: "None."))
      return .element("section", [:], children)
    }
    let header = HTML.element(
      "tr", [:],
      ["Case", "Regime", "Tier", "Expected", "Answer", "Finding"].map { .element("th", ["scope": "col"], text: $0) })
    var rows: [HTML] = []
    for result in results.prefix(maxRows) {
      let gradient = result.gradient
      let tier = gradient?.verdict?.tier.rawValue ?? gradient?.status.rawValue ?? ""
      rows.append(
        .element(
          "tr", ["class": css],
          [
            .element(
              "td", [:],
              [
                .element("code", text: result.id + "/grad"),
                .element("div", ["class": "tags"], text: result.tags.joined(separator: " ")),
              ]),
            .element("td", text: result.regime.rawValue),
            .element("td", ["class": "t-\(tier)"], text: tier),
            .element("td", ["class": "val"], text: gradient?.expected ?? ""),
            .element("td", ["class": "val"], text: gradient?.answer ?? ""),
            .element("td", ["class": "val"], text: gradient?.verdict?.note ?? gradient?.detail ?? ""),
          ]))
    }
    children.append(.element("table", [:], [.element("thead", [:], [header]), .element("tbody", [:], rows)]))
    if results.count > maxRows {
      children.append(
        .element("p", ["class": "more"], text: "… and \(results.count - maxRows) more in the JSON report."))
    }
    return .element("section", [:], children)
  }

  private func faultsSection(_ evaluation: GateEvaluation, maxRows: Int) -> HTML {
    casesSection(
      "Adapter faults", "Cases the adapter failed to answer: timeouts, crashes, unreadable or mismatched answers.",
      evaluation.faults, maxRows: maxRows, css: "fail")
  }

  private func knownSection(_ evaluation: GateEvaluation) -> HTML {
    var children: [HTML] = [
      .element("h2", text: "Known divergences (\(evaluation.knownDivergences.count))"),
      .element(
        "p",
        text: "Cases below \(options.require.rawValue) that a divergence manifest lists, with its reason; they do not "
          + "fail the gate."),
    ]
    if divergences.isEmpty {
      children.append(.element("p", ["class": "none"], text: "No divergence manifest was given."))
      return .element("section", [:], children)
    }
    var byEntry: [Int: [CaseResult]] = [:]
    for item in evaluation.knownDivergences { byEntry[item.entry, default: []].append(item.result) }
    var passes: [Int: [CaseResult]] = [:]
    for item in evaluation.unexpectedPasses { passes[item.entry, default: []].append(item.result) }
    let stale = Set(evaluation.staleEntries)
    let header = HTML.element(
      "tr", [:],
      ["Selector", "Reason", "Divergent", "Unexpected passes", "Examples"].map {
        .element("th", ["scope": "col"], text: $0)
      })
    var rows: [HTML] = []
    for (index, entry) in divergences.enumerated() {
      let matched = byEntry[index] ?? []
      let passed = passes[index] ?? []
      var reason: [HTML] = [.text(entry.reason + " ")]
      reason.append(.element("a", ["href": entry.link], text: entry.link))
      if stale.contains(index) {
        reason.append(.element("div", ["class": "stale"], text: "stale: selects no divergent case"))
      }
      let examples = matched.prefix(3).map { "\($0.id): \($0.verdict?.note ?? "")" }
      rows.append(
        .element(
          "tr", [:],
          [
            .element("td", [:], [.element("code", text: entry.selectorDescription)]),
            .element("td", [:], reason),
            .element("td", ["class": "num"], text: String(matched.count)),
            .element(
              "td", [:],
              [.text(String(passed.count))]
                + (passed.isEmpty
                  ? [] : [.element("div", ["class": "tags"], text: passed.prefix(5).map(\.id).joined(separator: " "))])),
            .element("td", ["class": "val"], text: examples.joined(separator: "\n")),
          ]))
    }
    children.append(.element("table", [:], [.element("thead", [:], [header]), .element("tbody", [:], rows)]))
    return .element("section", [:], children)
  }

  private func extremeSection(_ evaluation: GateEvaluation, maxRows: Int) -> HTML {
    let score =
      evaluation.extremeGraded == 0
      ? "No extreme case was graded."
      : "\(evaluation.extremeMeeting) of \(evaluation.extremeGraded) extreme cases meet \(options.require.rawValue) "
        + "(\(options.gateExtreme ? "gated by --gate-extreme" : "not gated: a robustness score"))."
    return casesSection(
      "Extreme regime: cases below \(options.require.rawValue)", score, evaluation.extremeBelow, maxRows: maxRows,
      css: options.gateExtreme ? "fail" : "note")
  }

  private func unsupportedSection(_ evaluation: GateEvaluation) -> HTML {
    var children: [HTML] = [.element("h2", text: "Unsupported (\(evaluation.unsupported.count))")]
    if evaluation.unsupported.isEmpty {
      children.append(.element("p", ["class": "none"], text: "None: the adapter answered every case."))
      return .element("section", [:], children)
    }
    let reasons = unsupportedReasons(evaluation.unsupported)
    let header = HTML.element(
      "tr", [:], ["Cases", "Reason", "Losses"].map { .element("th", ["scope": "col"], text: $0) })
    let rows = reasons.map { item in
      HTML.element(
        "tr", [:],
        [
          .element("td", ["class": "num"], text: String(item.count)), .element("td", text: item.reason),
          .element("td", text: item.losses.joined(separator: ", ")),
        ])
    }
    children.append(.element("table", [:], [.element("thead", [:], [header]), .element("tbody", [:], rows)]))
    return .element("section", [:], children)
  }

  /// The unsupported cases grouped by reason, most frequent first.
  func unsupportedReasons(_ results: [CaseResult]) -> [(reason: String, count: Int, losses: [String])] {
    var groups: [String: [CaseResult]] = [:]
    for result in results { groups[result.detail, default: []].append(result) }
    var out: [(reason: String, count: Int, losses: [String])] = []
    for (reason, members) in groups {
      out.append((reason, members.count, Set(members.map(\.loss)).sorted()))
    }
    out.sort { a, b in a.count != b.count ? a.count > b.count : a.reason < b.reason }
    return out
  }

  /// The settings of the run, the page's environment table.
  private var settings: [(name: String, value: String)] {
    var pairs: [(name: String, value: String)] = [
      ("Implementation", implementation), ("Adapter", adapter), ("Cases", source), ("Started (UTC)", started),
      ("Duration", String(format: "%.1f s", seconds)),
      ("Gate", "\(options.require.rawValue) on \(options.gateExtreme ? "every regime" : "benign and edge")"),
      ("NaN for DomainError", options.grading.allowNaNForDomainError ? "accepted" : "divergent"),
    ]
    if let gate = options.gateGradients {
      pairs.append(("Gradients", gate ? "gated (\(options.require.rawValue))" : "graded, not gated"))
    }
    pairs += [
      ("Hello: losses", helloLosses.joined(separator: ", ")), ("Hello: dtypes", helloDTypes.joined(separator: ", ")),
    ]
    if let shard = options.shard { pairs.append(("Shard", shard)) }
    if let runError { pairs.append(("Error", runError)) }
    for note in notes { pairs.append(("Note", note)) }
    return pairs
  }

  /// The rules of this page beyond the frame's (``ReportPage``).
  static let styleSheet: StaticString = """
    body{max-width:80rem}
    table{width:100%;margin:.4rem 0}
    th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem}
    thead th{background:#f3f4f6;font-size:.85rem}
    td.num{text-align:right;font-variant-numeric:tabular-nums}
    td.zero{color:#bbb}
    .t-correctlyRounded{background:#d9f2e1}.t-faithful{background:#e6f5d9}.t-stable{background:#f4f7d4}
    .t-acceptable{background:#fdf0d2}.t-divergent{background:#f9d4d2;font-weight:700}
    td.known{background:#e3e7fb}td.unsup{background:#eee}
    td.val{font-family:ui-monospace,monospace;font-size:.82rem;white-space:pre-wrap;word-break:break-word}
    td.worst{font-size:.85rem}
    tr.fail td:first-child{border-left:3px solid #c62828}tr.note td:first-child{border-left:3px solid #d4a017}
    .tags{color:#666;font-size:.75rem}.stale{color:#b3261e;font-weight:600}
    .explain{color:#333;font-size:.9rem;max-width:70rem}.none{color:#777}.more{color:#555;font-style:italic}
    table.defs th{width:11rem}
    """
}
