import Foundation
import LossCore
import LossReports

/// The HTML page of a property run (`Reports/properties.html` from `losscheck verify`,
/// `Reports/properties-test.html` from `swift test`): the verdict, a table of every law with the
/// worst deviation against its bound and a small chart of the deviation distribution, the
/// failures with their shrunk counterexamples and one-line reproductions, every law's statement,
/// tolerance and generator, the deliberately wrong implementations the suite catches, and the
/// environment.
///
/// Self-contained: inline CSS and SVG, no scripts, no external references; every string from a
/// law, an input or an implementation is escaped by `HTML`.
public struct PropertyReport: Sendable {
  public var title: String
  /// One line under the title: what ran and how (command, budget, seed).
  public var run: String
  /// The implementations and the accuracy the tolerances assume, one line each.
  public var subjects: [String]
  public var laws: [LawReport]
  /// Deliberately wrong implementations and what the catalogue found in them.
  public var mutants: [MutantFinding]
  /// Name–value pairs of the environment table (left out when empty).
  public var environment: [(name: String, value: String)]

  public init(
    title: String, run: String, subjects: [String], laws: [LawReport], mutants: [MutantFinding] = [],
    environment: [(name: String, value: String)] = []
  ) {
    self.title = title
    self.run = run
    self.subjects = subjects
    self.laws = laws
    self.mutants = mutants
    self.environment = environment
  }

  /// Whether every law held on at least one case, and every mutant was caught.
  public var passed: Bool { !laws.isEmpty && laws.allSatisfy(\.passed) && mutants.allSatisfy(\.caught) }

  /// The page.
  ///
  /// - Complexity: O(total size of the reports).
  public func html() -> String {
    var body: [HTML] = []
    let failing = laws.filter { !$0.passed }
    if !failing.isEmpty {
      body.append(
        .element(
          "section", ["id": "failures", "class": "failures"],
          [.element("h2", text: "Failures")] + failing.map { lawDetail($0, open: true) }))
    }
    body.append(summaryTable())
    if !mutants.isEmpty { body.append(mutantSection()) }
    body.append(
      .element(
        "section", [:],
        [.element("h2", text: "Laws in detail")]
          + Law.Category.allCases.flatMap { category -> [HTML] in
            let group = laws.filter { $0.category == category && $0.passed }
            guard !group.isEmpty else { return [] }
            return [.element("h3", ["class": "category"], text: category.rawValue)]
              + group.map { lawDetail($0, open: false) }
          }))
    body.append(legend())
    var page = ReportPage(title: title, lead: run, verdict: verdict(), body: body, styles: [Self.css])
    page.environment = environment
    return page.html()
  }

  // MARK: Sections

  private func verdict() -> ReportPage.Verdict {
    let cases = laws.reduce(0) { $0 + $1.cases }
    let failed = laws.filter { !$0.passed }.count
    let seconds = laws.reduce(0) { $0 + $1.seconds }
    var figures = [
      "\(laws.count) laws", "\(grouped(cases)) cases", "\(failed) failed",
      "\(laws.reduce(0) { $0 + $1.discarded }) discarded",
      String(format: "%.1f s", seconds),
    ]
    if !mutants.isEmpty {
      figures.append("\(mutants.filter(\.caught).count) of \(mutants.count) wrong implementations caught")
    }
    let losses = Set(laws.flatMap(\.losses))
    let summary =
      failed == 0
      ? "Every law holds on every case (\(losses.count) of \(LossID.allCases.count) losses covered)."
      : "\(failed) of \(laws.count) laws failed: \(laws.filter { !$0.passed }.prefix(4).map(\.name).joined(separator: ", "))."
    return .init(passed: passed, summary: summary, figures: figures, notes: subjects)
  }

  private func summaryTable() -> HTML {
    let header = HTML.element(
      "tr", [:],
      ["Law", "Losses", "Cases", "Worst / bound", "Deviation / bound", "Result"].map {
        .element("th", ["scope": "col"], text: $0)
      })
    var rows: [HTML] = []
    for category in Law.Category.allCases {
      let group = laws.filter { $0.category == category }
      guard !group.isEmpty else { continue }
      rows.append(
        .element(
          "tr", ["class": "group"], [.element("th", ["colspan": "6", "scope": "rowgroup"], text: category.rawValue)]))
      for law in group {
        rows.append(
          .element(
            "tr", ["class": law.passed ? "passed" : "failed"],
            [
              .element("td", [:], [.element("a", ["href": "#" + law.name], text: law.name)]),
              .element("td", ["class": "losses"], text: lossList(law.losses)),
              .element("td", ["class": "num"], text: grouped(law.cases)),
              .element("td", ["class": "num"], text: worstText(law)),
              .element("td", ["class": "spark"], [histogram(law, width: 132, height: 22, labels: false)]),
              .element("td", ["class": "status"], text: law.passed ? "holds" : (law.cases == 0 ? "no case" : "FAILS")),
            ]))
      }
    }
    return .element(
      "section", [:],
      [
        .element("h2", text: "Laws"),
        .element("table", ["class": "laws"], [.element("thead", [:], [header]), .element("tbody", [:], rows)]),
      ])
  }

  private func lawDetail(_ law: LawReport, open: Bool) -> HTML {
    var facts = [
      "\(grouped(law.cases)) cases", "\(law.discarded) discarded",
      law.seed.map { "seed \($0)" } ?? "case seeds drawn by PropertyBased",
      String(format: "%.2f s", law.seconds),
    ]
    if law.replayed > 0 { facts.insert("\(law.replayed) replayed from the corpus", at: 1) }
    var children: [HTML] = [
      .element(
        "h4", [:],
        [
          .element("span", ["class": "name"], text: law.name),
          .element("span", ["class": "pill " + (law.passed ? "ok" : "bad")], text: law.passed ? "holds" : "FAILS"),
        ]),
      definition("Statement", law.statement),
      definition("Tolerance", law.tolerance),
      definition("Generator", law.generator),
      definition("Run", facts.joined(separator: " · ") + " · on " + law.implementation),
    ]
    if !law.worstMessage.isEmpty { children.append(definition("Worst case", law.worstMessage)) }
    children.append(.element("div", ["class": "chart"], [histogram(law, width: 420, height: 120, labels: true)]))
    if let c = law.counterexample { children.append(counterexample(c)) }
    return .element("article", ["id": law.name, "class": "law " + (law.passed ? "passed" : "failed")], children)
  }

  private func counterexample(_ c: Counterexample) -> HTML {
    var items: [HTML] = [
      .element("h5", text: "Shrunk counterexample (\(c.shrinkSteps) shrinking step\(c.shrinkSteps == 1 ? "" : "s"))"),
      .element("p", ["class": "message"], text: c.message),
      .element("pre", [:], [.text(c.shrunk.description)]),
    ]
    if c.shrinkSteps > 0 {
      items.append(.element("p", ["class": "note"], text: "Shrunk from the generated case (seed \(c.caseSeed)):"))
      items.append(.element("pre", ["class": "original"], [.text(c.original.description)]))
    }
    items.append(.element("p", ["class": "note"], text: "Reproduce the case and its shrinking:"))
    items.append(.element("pre", ["class": "command"], [.text(c.verifyCommand)]))
    items.append(
      .element(
        "p", ["class": "note"], text: "Each evaluation of the shrunk case, and what the implementation answered:"))
    var lines: [String] = []
    for (command, evaluation) in zip(c.evalCommands, c.evaluations) {
      lines.append(command)
      lines.append("  → " + evaluation.outcome)
    }
    items.append(.element("pre", ["class": "command"], [.text(lines.joined(separator: "\n"))]))
    return .element("div", ["class": "counterexample"], items)
  }

  private func mutantSection() -> HTML {
    var items: [HTML] = [
      .element("h2", text: "Deliberately wrong implementations"),
      .element(
        "p", [:],
        text:
          "Each is LossSpec with one bug planted. The catalogue must flag it with a shrunk counterexample; "
          + "the laws that caught it and the smallest counterexample are shown."),
    ]
    for mutant in mutants {
      var children: [HTML] = [
        .element(
          "h4", [:],
          [
            .element("span", ["class": "name"], text: mutant.name),
            .element(
              "span", ["class": "pill " + (mutant.caught ? "ok" : "bad")], text: mutant.caught ? "caught" : "MISSED"),
          ]),
        .element("p", [:], text: mutant.bug),
        definition("Caught by", mutant.caughtBy.isEmpty ? "no law" : mutant.caughtBy.joined(separator: ", ")),
      ]
      if let c = mutant.counterexample { children.append(counterexample(c)) }
      items.append(.element("article", ["id": "mutant-" + mutant.name, "class": "law mutant"], children))
    }
    return .element("section", ["id": "mutants", "class": "mutants"], items)
  }

  private func legend() -> HTML {
    .element(
      "section", ["class": "legend"],
      [
        .element("h2", text: "Reading the page"),
        .element(
          "p", [:],
          text:
            "Each case of a law compares what the implementation returned with what the law says, and measures "
            + "the departure in units in the last place (ulps) of the dtype at the compared value. The bound is "
            + "the departure the law's error analysis allows (stated under Tolerance); 0 means the relation must "
            + "hold exactly — identities of correctly rounded results, and inequalities against representable "
            + "values, which monotone rounding preserves. The charts count the cases by deviation ÷ bound: exact "
            + "(no departure at all), then the fraction of the bound used; anything above 1 is a failure."),
      ])
  }

  // MARK: Pieces

  private func definition(_ term: String, _ text: String) -> HTML {
    .element("p", ["class": "def"], [.element("span", ["class": "term"], text: term), .text(" " + text)])
  }

  private func lossList(_ losses: [LossID]) -> String {
    if losses.count == LossID.allCases.count { return "all 14" }
    if losses == LossID.allCases.filter(\.takesAggregation) { return "the 12 with agg (all but dice, tversky)" }
    return losses.map(\.rawValue).joined(separator: ", ")
  }

  private func worstText(_ law: LawReport) -> String {
    if law.cases == 0 { return "—" }
    if law.worst.ulps == 0 { return "exact" }
    return "\(LawKit.number(law.worst.ulps)) / \(LawKit.number(law.worst.boundUlps)) ulp"
  }

  private func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, d) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out += "\u{2009}" }
      out.append(d)
    }
    return out
  }

  /// A bar chart of the cases per bucket of deviation ÷ bound.
  private func histogram(_ law: LawReport, width: Double, height: Double, labels: Bool) -> HTML {
    let counts = law.histogram
    let buckets = LawReport.buckets
    let top = Double(counts.max() ?? 0)
    let labelHeight = labels ? 30.0 : 0
    let countHeight = labels ? 14.0 : 0
    let plot = height - labelHeight - countHeight
    let slot = width / Double(buckets.count)
    let barWidth = slot * 0.72
    var shapes: [HTML] = [
      .element(
        "line",
        [
          "x1": "0", "y1": f(countHeight + plot), "x2": f(width), "y2": f(countHeight + plot), "class": "axis",
        ])
    ]
    for (i, count) in counts.enumerated() {
      // Square-root heights: a single failing case next to thousands of exact ones stays visible.
      let h = top == 0 || count == 0 ? 0 : Swift.max(2, plot * (Double(count) / top).squareRoot())
      let x = Double(i) * slot + (slot - barWidth) / 2
      let kind = i == buckets.count - 1 ? "bar over" : (i == 0 ? "bar exact" : "bar within")
      shapes.append(
        .element(
          "rect",
          ["x": f(x), "y": f(countHeight + plot - h), "width": f(barWidth), "height": f(h), "class": kind],
          [.element("title", text: "\(buckets[i].label): \(count) case\(count == 1 ? "" : "s")")]))
      if labels {
        shapes.append(
          .element(
            "text",
            ["x": f(x + barWidth / 2), "y": f(countHeight + plot - h - 3), "text-anchor": "middle", "class": "count"],
            text: count == 0 ? "" : String(count)))
        shapes.append(
          .element(
            "text",
            ["x": f(x + barWidth / 2), "y": f(countHeight + plot + 13), "text-anchor": "middle", "class": "tick"],
            text: buckets[i].label))
      }
    }
    if labels {
      shapes.append(
        .element(
          "text", ["x": f(width / 2), "y": f(height - 2), "text-anchor": "middle", "class": "axis-label"],
          text: "deviation ÷ bound (cases per bucket, √ scale)"))
    }
    let description =
      "Deviation distribution of \(law.name): "
      + zip(buckets, counts).map { "\($0.label) \($1)" }.joined(separator: ", ")
    return .element(
      "svg",
      [
        "viewbox": "0 0 \(f(width)) \(f(height))", "width": f(width), "height": f(height), "role": "img",
        "aria-label": description, "class": labels ? "hist" : "spark",
      ],
      shapes)
  }

  private func f(_ x: Double) -> String { String(format: "%.1f", x) }

  static let css: StaticString = """
    body{font:15px/1.5 system-ui,-apple-system,sans-serif;margin:1.6rem auto;max-width:76rem;padding:0 1.2rem;\
    color:#1b1f24;background:#fff}
    h1{font-size:1.55rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid #e5e7eb;\
    padding-bottom:.2rem}
    h3.category{font-size:1.02rem;margin:1.6rem 0 .4rem;color:#374151}
    .verdict{padding:.8rem 1.3rem}.badge{font-size:2rem}.figures{color:#374151}
    table{border-collapse:collapse;width:100%}
    th,td{border-bottom:1px solid #e5e7eb;padding:.28rem .55rem;text-align:left;vertical-align:middle}
    thead th{background:#f3f4f6;font-size:.9rem}
    tr.group th{background:#fafafa;color:#374151;font-size:.88rem;padding-top:.6rem}
    td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
    td.losses{font-size:.84rem;color:#4b5563;max-width:20rem}
    td.status{font-weight:600}tr.passed td.status{color:#1f6e3a}tr.failed td.status{color:#b3261e}
    tr.failed{background:#fff5f5}
    a{color:#1d4ed8;text-decoration:none}a:hover{text-decoration:underline}
    table.laws td:first-child{font-family:ui-monospace,Menlo,monospace;font-size:.86rem}
    article.law{border:1px solid #e5e7eb;border-radius:8px;padding:.6rem 1rem;margin:.7rem 0}
    article.failed{border-color:#c62828;background:#fffafa}
    h4{margin:.1rem 0 .4rem;font-size:1rem}h4 .name{font-family:ui-monospace,Menlo,monospace}
    h5{margin:.6rem 0 .3rem;font-size:.95rem}
    .pill{display:inline-block;margin-left:.6rem;padding:0 .5rem;border-radius:999px;font-size:.78rem;\
    font-weight:600;vertical-align:middle}
    .pill.ok{background:#dcfce7;color:#166534}.pill.bad{background:#fee2e2;color:#991b1b}
    p.def{margin:.15rem 0;font-size:.9rem}.term{font-weight:600;color:#374151;margin-right:.2rem}
    .counterexample{background:#fff;border-left:4px solid #c62828;padding:.3rem .8rem;margin-top:.6rem}
    .counterexample .message{font-weight:600}
    pre{background:#f6f8fa;border-radius:6px;padding:.5rem .7rem;font-size:.82rem;white-space:pre-wrap;\
    word-break:break-all;margin:.3rem 0}
    pre.original{color:#4b5563}
    p.note{margin:.4rem 0 0;font-size:.85rem;color:#4b5563}
    svg.spark{display:block}
    svg .bar.exact{fill:#86efac}svg .bar.within{fill:#60a5fa}svg .bar.over{fill:#ef4444}
    svg .axis{stroke:#9ca3af;stroke-width:1}
    svg .tick,svg .count{font-size:10px;fill:#374151}svg .axis-label{font-size:10px;fill:#6b7280}
    div.chart{margin:.4rem 0}
    section.legend p{font-size:.9rem;color:#374151;max-width:60rem}
    code{font-family:ui-monospace,Menlo,monospace;font-size:.86rem;word-break:break-all}
    @media print{article.law{break-inside:avoid}}
    """
}

/// A deliberately wrong implementation and what the catalogue found in it.
public struct MutantFinding: Sendable {
  public var name: String
  /// The planted bug, in one sentence.
  public var bug: String
  /// The laws that failed on it.
  public var caughtBy: [String]
  /// The smallest counterexample among them.
  public var counterexample: Counterexample?

  public init(name: String, bug: String, caughtBy: [String], counterexample: Counterexample?) {
    self.name = name
    self.bug = bug
    self.caughtBy = caughtBy
    self.counterexample = counterexample
  }

  public var caught: Bool { !caughtBy.isEmpty && counterexample != nil }
}
