/// The frame every report page shares: the title, the verdict, the page's own sections, the
/// environment, and one style sheet (`styleSheet`, the frame's rules, then the page's).
///
/// `index.html` (``VerificationReport``), the properties page, the conformance pages and the
/// stability page are all a `ReportPage`: the same document head, the same verdict block
/// (`PASS`/`FAIL`, one summary sentence, the figures) and the same environment table, so a
/// reader finds them in the same place on every page.
///
/// ```swift
/// var page = ReportPage(title: "losscheck conform — numpy", body: [matrix, failures])
/// page.verdict = .init(passed: false, summary: "3 of 3134 cases diverge", figures: ["3134 cases"])
/// page.environment = [("Started (UTC)", "2026-01-01T00:00:00Z")]
/// let html = page.html()  // <!DOCTYPE html>…<h1>…</h1><section class="verdict fail">…
/// ```
public struct ReportPage: Sendable {
  /// The verdict block under the title.
  public struct Verdict: Sendable, Hashable {
    public var passed: Bool
    /// One sentence: what holds, or what failed.
    public var summary: String
    /// The figures of the run, shown on one line separated by `·`.
    public var figures: [String]
    /// Further lines (what was verified, against what), one paragraph each.
    public var notes: [String]

    public init(passed: Bool, summary: String, figures: [String], notes: [String] = []) {
      self.passed = passed
      self.summary = summary
      self.figures = figures
      self.notes = notes
    }
  }

  /// The heading of the page, and the document's title unless ``documentTitle`` is given.
  public var title: String
  /// The document's title (a browser tab's) when it differs from the heading.
  public var documentTitle: String?
  /// One line under the heading (what ran and how), if any.
  public var lead: String?
  /// The verdict, if the page judges anything.
  public var verdict: Verdict?
  /// The page's own sections, between the verdict and the environment.
  public var body: [HTML]
  /// The heading of the environment section ("Environment", "Run", "Method and environment").
  public var environmentTitle = "Environment"
  /// Statements listed above the environment table (the method of a page), if any.
  public var environmentNotes: [String] = []
  /// Name–value pairs: date, toolchain, machine, the command that reproduces the page. The
  /// section is left out when there are neither pairs nor notes.
  public var environment: [(name: String, value: String)] = []
  /// The page's own style rules, after the frame's (so they may refine them); string literals
  /// compiled into the program, never data.
  public var styles: [StaticString]

  public init(title: String, lead: String? = nil, verdict: Verdict? = nil, body: [HTML], styles: [StaticString] = []) {
    self.title = title
    self.lead = lead
    self.verdict = verdict
    self.body = body
    self.styles = styles
  }

  /// The self-contained page: inline CSS, no scripts, no external references.
  ///
  /// - Complexity: O(*n*) in the total size of the page's text.
  public func html() -> String {
    var children: [HTML] = [.element("h1", text: title)]
    if let lead { children.append(.element("p", ["class": "run"], text: lead)) }
    if let verdict { children.append(Self.verdictSection(verdict)) }
    children += body
    if !environment.isEmpty || !environmentNotes.isEmpty { children.append(environmentSection()) }
    return HTML.document(title: documentTitle ?? title, styleSheet: styleSheet, body: children).markup
  }

  /// The frame's rules followed by the page's.
  var styleSheet: StyleSheet {
    StyleSheet(([Self.frameCSS] + styles).map(\.description).joined(separator: "\n"))
  }

  static func verdictSection(_ verdict: Verdict) -> HTML {
    .element(
      "section", ["class": "verdict " + (verdict.passed ? "pass" : "fail")],
      [
        .element("p", ["class": "badge"], text: verdict.passed ? "PASS" : "FAIL"),
        .element("p", ["class": "summary"], text: verdict.summary),
        .element("p", ["class": "figures"], text: verdict.figures.joined(separator: " · ")),
      ] + verdict.notes.map { .element("p", ["class": "subject"], text: $0) })
  }

  private func environmentSection() -> HTML {
    var items: [HTML] = [.element("h2", ["id": "environment"], text: environmentTitle)]
    if !environmentNotes.isEmpty {
      items.append(.element("ul", ["class": "method"], environmentNotes.map { .element("li", text: $0) }))
    }
    if !environment.isEmpty {
      items.append(Self.pairTable(environment.map { ($0.name, $0.value) }))
    }
    return .element("section", [:], items)
  }

  /// A two-column table of names and values (the values as code), as the environment is shown.
  public static func pairTable(_ pairs: [(String, String)]) -> HTML {
    let rows = pairs.map { name, value in
      HTML.element(
        "tr", [:],
        [.element("th", ["scope": "row"], text: name), .element("td", [:], [.element("code", text: value)])])
    }
    return .element("table", ["class": "env"], [.element("tbody", [:], rows)])
  }

  /// The rules of the frame: the body, the headings, the verdict block, tables and the
  /// environment table.
  static let frameCSS: StaticString = """
    body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:76rem;\
    padding:0 1rem;color:#1b1f24;background:#fff}
    h1{font-size:1.6rem;margin:0 0 1rem}h2{font-size:1.2rem;margin:2rem 0 .6rem}
    p.run{color:#4b5563;margin:-.6rem 0 1rem;font-size:.92rem}
    .verdict{border-radius:8px;padding:1rem 1.4rem;border:2px solid}
    .verdict.pass{background:#e9f7ee;border-color:#2f8f4e}.verdict.fail{background:#fdecec;border-color:#c62828}
    .badge{font-size:2.2rem;font-weight:700;letter-spacing:.08em;margin:0}
    .pass .badge{color:#1f6e3a}.fail .badge{color:#b3261e}
    .summary{font-size:1.05rem;margin:.3rem 0}.figures{color:#555;margin:.2rem 0 0}
    .subject{color:#4b5563;margin:.1rem 0;font-size:.9rem}
    table{border-collapse:collapse}
    th,td{padding:.3rem .55rem;text-align:left;vertical-align:top}
    table.env{width:100%}table.env th,table.env td{border-bottom:1px solid #ddd}
    table.env th{width:12rem;background:none}
    ul.method li{margin:.2rem 0}
    code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.88rem;word-break:break-all}
    @media print{body{margin:0}}
    """
}
