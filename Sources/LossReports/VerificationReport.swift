/// The page `losscheck verify` writes to `Reports/index.html`: the verdict first, then one row per
/// check, the findings of every check that has any, and the environment.
///
/// The model holds plain strings and numbers only, so any runner can fill it and
/// ``html()`` can escape every one of them.
public struct VerificationReport: Sendable, Hashable {
  /// The status of one check.
  public enum Status: String, Sendable, Hashable {
    case passed
    case failed
    case skipped
  }

  /// One check: a row of the table.
  public struct Row: Sendable, Hashable {
    public var group: String
    public var name: String
    public var cases: Int
    public var status: Status
    public var detail: String
    /// Individual failing cases or notes (signed zeros, tolerances); shown below the table.
    public var findings: [String]

    public init(
      group: String, name: String, cases: Int, status: Status, detail: String, findings: [String] = []
    ) {
      self.group = group
      self.name = name
      self.cases = cases
      self.status = status
      self.detail = detail
      self.findings = findings
    }
  }

  public var title: String
  /// Whether every check holds.
  public var passed: Bool
  /// One sentence under the verdict, e.g. "14 checks, 2 104 cases; 0 failed".
  public var summary: String
  public var rows: [Row]
  /// Name–value pairs: date, toolchain, machine, the command that reproduces the page.
  public var environment: [Pair]

  /// A name and a value of the environment table.
  public struct Pair: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
      self.name = name
      self.value = value
    }
  }

  /// Other pages of the run (title and a relative link), listed under the verdict.
  public var related: [Pair] = []

  /// A table of figures shown in a group's section above its checks (e.g. the conformance
  /// matrix), or after the verdict when `group` is nil.
  public struct Table: Sendable, Hashable {
    public var id: String
    public var title: String
    public var intro: String
    public var header: [String]
    public var rows: [[String]]
    /// Cells drawn as failures, indexed like `rows` (missing entries are not flagged).
    public var flagged: [[Bool]]
    /// Pages the table summarises (title and relative link), listed under it.
    public var links: [Pair]
    public var group: String?

    public init(
      id: String, title: String, intro: String, header: [String], rows: [[String]], flagged: [[Bool]] = [],
      links: [Pair] = [], group: String? = nil
    ) {
      self.id = id
      self.title = title
      self.intro = intro
      self.header = header
      self.rows = rows
      self.flagged = flagged
      self.links = links
      self.group = group
    }
  }

  public var tables: [Table] = []
  /// The sections of the checks, in this order (groups not listed follow in the order of
  /// their first row), with their headings.
  public var groupTitles: [Pair] = []
  /// Commands that reproduce the figures of this run and of the pages it links (what, command).
  public var reproduce: [Pair] = []

  public init(title: String, passed: Bool, summary: String, rows: [Row], environment: [Pair]) {
    self.title = title
    self.passed = passed
    self.summary = summary
    self.rows = rows
    self.environment = environment
  }

  /// The self-contained HTML page: inline CSS, no scripts, no external references.
  ///
  /// - Complexity: O(*n*) in the total size of the report's text.
  public func html() -> String {
    var body: [HTML] = []
    if !related.isEmpty {
      body.append(
        .element(
          "nav", ["aria-label": "Other reports of this run"],
          [
            .element(
              "p", [:],
              [.text("Also in this run: ")]
                + related.enumerated().flatMap { index, pair in
                  [index > 0 ? HTML.text(" · ") : .empty, .element("a", ["href": pair.value], text: pair.name)]
                })
          ]))
    }
    for table in tables where table.group == nil { body.append(tableSection(table, heading: "h2")) }
    body += checksSections()
    if rows.contains(where: { !$0.findings.isEmpty }) { body.append(findingsSection()) }
    if !reproduce.isEmpty { body.append(reproduceSection()) }
    var page = ReportPage(title: title, verdict: verdict, body: body, styles: [Self.css])
    page.environment = environment.map { ($0.name, $0.value) }
    return page.html()
  }

  /// The verdict block: the summary and the counts of the rows.
  var verdict: ReportPage.Verdict {
    let counts = Dictionary(grouping: rows, by: \.status).mapValues(\.count)
    let figures = [
      "\(rows.count) checks",
      "\(counts[.passed, default: 0]) passed",
      "\(counts[.failed, default: 0]) failed",
      "\(counts[.skipped, default: 0]) skipped",
      "\(rows.reduce(0) { $0 + $1.cases }) cases",
    ]
    return .init(passed: passed, summary: summary, figures: figures)
  }

  /// One section per group of checks: its tables, then its rows.
  private func checksSections() -> [HTML] {
    var order = groupTitles.map(\.name)
    for row in rows where !order.contains(row.group) { order.append(row.group) }
    var sections: [HTML] = []
    for group in order {
      let indices = rows.indices.filter { rows[$0].group == group }
      let groupTables = tables.filter { $0.group == group }
      if indices.isEmpty && groupTables.isEmpty { continue }
      let title = groupTitles.first { $0.name == group }?.value ?? group
      var items: [HTML] = [.element("h2", ["id": "group-" + group], text: title)]
      for table in groupTables { items.append(tableSection(table, heading: "h3")) }
      if indices.count > 12 {
        // A long family (one row per law) folds away when everything in it holds.
        let failed = indices.filter { rows[$0].status == .failed }.count
        let passed = indices.filter { rows[$0].status == .passed }.count
        var attributes: HTML.Attributes = ["class": failed > 0 ? "failed" : "passed"]
        if failed > 0 { attributes = attributes.adding("open", "open") }
        items.append(
          .element(
            "details", attributes,
            [
              .element("summary", text: "\(indices.count) checks: \(passed) pass, \(failed) fail"),
              checksTable(indices),
            ]))
      } else if !indices.isEmpty {
        items.append(checksTable(indices))
      }
      sections.append(.element("section", [:], items))
    }
    return sections
  }

  private func tableSection(_ table: Table, heading: String) -> HTML {
    let header = HTML.element("tr", [:], table.header.map { .element("th", ["scope": "col"], text: $0) })
    let body = table.rows.enumerated().map { r, row in
      HTML.element(
        "tr", [:],
        row.enumerated().map { c, cell in
          let flagged = r < table.flagged.count && c < table.flagged[r].count && table.flagged[r][c]
          return c == 0
            ? .element("th", ["scope": "row"], text: cell)
            : .element("td", flagged ? ["class": "flagged"] : [:], text: cell)
        })
    }
    var items: [HTML] = [
      .element(heading, text: table.title),
      .element("p", text: table.intro),
      .element(
        "div", ["class": "scroll"],
        [.element("table", ["class": "matrix"], [.element("thead", [:], [header]), .element("tbody", [:], body)])]),
    ]
    if !table.links.isEmpty {
      items.append(
        .element(
          "p", [:],
          [.text("Pages: ")]
            + table.links.enumerated().flatMap { index, pair in
              [index > 0 ? HTML.text(" · ") : .empty, .element("a", ["href": pair.value], text: pair.name)]
            }))
    }
    return .element("div", ["id": table.id, "class": "figures-table"], items)
  }

  private func reproduceSection() -> HTML {
    .element(
      "section", [:],
      [
        .element("h2", ["id": "reproduce"], text: "Reproduce"),
        ReportPage.pairTable(reproduce.map { ($0.name, $0.value) }),
      ])
  }

  private func checksTable(_ indices: [Int]) -> HTML {
    let header = HTML.element(
      "tr", [:],
      ["Check", "Cases", "Result", "Detail"].map { .element("th", ["scope": "col"], text: $0) })
    var body: [HTML] = []
    for index in indices {
      let row = rows[index]
      var nameCell = [HTML.text(row.name)]
      if !row.findings.isEmpty {
        nameCell.append(.text(" "))
        nameCell.append(.element("a", ["href": "#findings-\(index + 1)"], text: "(findings)"))
      }
      body.append(
        .element(
          "tr", ["class": row.status.rawValue],
          [
            .element("td", [:], nameCell),
            .element("td", ["class": "num"], text: String(row.cases)),
            .element("td", ["class": "status"], text: row.status.label),
            .element("td", ["class": "detail"], text: row.detail),
          ]))
    }
    return .element("table", [:], [.element("thead", [:], [header]), .element("tbody", [:], body)])
  }

  private func findingsSection() -> HTML {
    var items: [HTML] = [.element("h2", text: "Findings")]
    for (index, row) in rows.enumerated() where !row.findings.isEmpty {
      let list = HTML.element("ul", [:], row.findings.map { .element("li", text: $0) })
      var attributes: HTML.Attributes = ["id": "findings-\(index + 1)", "class": row.status.rawValue]
      if row.status == .failed { attributes = attributes.adding("open", "open") }
      items.append(
        .element(
          "details", attributes,
          [
            .element("summary", text: "\(row.group) / \(row.name): \(row.findings.count) finding(s)"),
            list,
          ]))
    }
    return .element("section", [:], items)
  }

  /// The rules of this page beyond the frame's.
  static let css: StaticString = """
    table{width:100%}
    th,td{border-bottom:1px solid #ddd;padding:.35rem .6rem}
    thead th{background:#f3f4f6}
    td.num{text-align:right;font-variant-numeric:tabular-nums}
    td.detail{white-space:pre-wrap;word-break:break-word}
    tr.failed td.status{color:#b3261e;font-weight:700}tr.passed td.status{color:#1f6e3a}
    tr.skipped td{color:#777}
    details{margin:.4rem 0;padding:.4rem .8rem;border:1px solid #ddd;border-radius:6px}
    details.failed{border-color:#c62828}
    summary{cursor:pointer;font-weight:600}
    li{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.88rem;white-space:pre-wrap;\
    word-break:break-word}
    .scroll{overflow-x:auto}table.matrix td,table.matrix th{font-size:.88rem;white-space:nowrap}
    table.matrix td.flagged{background:#fdecec;color:#b3261e;font-weight:600}
    @media print{details{break-inside:avoid}}
    """
}

extension VerificationReport.Status {
  /// The word shown in the table.
  public var label: String {
    switch self {
    case .passed: "pass"
    case .failed: "FAIL"
    case .skipped: "skipped"
    }
  }
}
