import Testing

@testable import LossReports

@Suite("HTML escaping")
struct HTMLEscapingTests {
  @Test("markup characters become character references")
  func markupCharacters() {
    #expect(HTML.escape(#"<a href="x">&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
  }

  @Test("text keeps non-ASCII characters and line breaks")
  func unicode() {
    #expect(HTML.escape("ŷ − y ≥ 0\nϵ") == "ŷ − y ≥ 0\nϵ")
  }

  @Test("control characters HTML forbids are replaced")
  func controls() {
    #expect(HTML.escape("a\u{0}b\u{7F}c\u{1B}") == "a\u{FFFD}b\u{FFFD}c\u{FFFD}")
  }

  @Test("attribute values are quoted and escaped")
  func attributes() {
    let cell = HTML.element("td", ["title": #"" onclick="x"#], text: "<script>")
    #expect(cell.markup == #"<td title="&quot; onclick=&quot;x">&lt;script&gt;</td>"#)
  }

  @Test("void elements have no end tag")
  func voidElements() {
    #expect(HTML.element("meta", ["charset": "utf-8"]).markup == #"<meta charset="utf-8">"#)
  }
}

@Suite struct VerificationReportSectionTests {
  typealias Row = VerificationReport.Row

  func report(failing: Bool) -> VerificationReport {
    var rows = (1...13).map { Row(group: "properties", name: "law \($0)", cases: 10, status: .passed, detail: "ok") }
    if failing { rows[4].status = .failed }
    rows.append(Row(group: "oracle", name: "file", cases: 1, status: .passed, detail: "ok"))
    rows.append(Row(group: "conformance", name: "spec", cases: 2, status: .passed, detail: "ok"))
    var r = VerificationReport(title: "t", passed: !failing, summary: "s", rows: rows, environment: [])
    r.groupTitles = [.init("properties", "Properties"), .init("conformance", "Conformance <matrix>")]
    r.tables = [
      .init(
        id: "conformance", title: "Matrix", intro: "a & b", header: ["loss", "impl"],
        rows: [["mae", "3 CR"], ["mse", "1 DIVERGENT"]], flagged: [[false, false], [false, true]],
        links: [.init("page", "conformance-spec.html")], group: "conformance")
    ]
    r.reproduce = [.init("This page", "losscheck verify")]
    return r
  }

  @Test func groupsInOrderWithTheirTables() throws {
    let html = report(failing: false).html()
    let properties = try #require(html.range(of: ">Properties</h2>")).lowerBound
    let conformance = try #require(html.range(of: ">Conformance &lt;matrix&gt;</h2>")).lowerBound
    let oracle = try #require(html.range(of: ">oracle</h2>")).lowerBound
    #expect(properties < conformance && conformance < oracle)
    let matrix = try #require(html.range(of: "<h3>Matrix</h3>")).lowerBound
    #expect(conformance < matrix && matrix < oracle)
    #expect(html.contains(#"<td class="flagged">1 DIVERGENT</td>"#))
    #expect(html.contains(#"<td>3 CR</td>"#))
    #expect(html.contains("a &amp; b"))
    #expect(html.contains(#"href="conformance-spec.html""#))
    #expect(html.contains(">Reproduce</h2>"))
    // Thirteen passing laws fold away; the short groups do not.
    #expect(html.contains("<summary>13 checks: 13 pass, 0 fail</summary>"))
    #expect(!html.contains("<details class=\"passed\" open"))
  }

  @Test func aFailingFamilyIsOpen() {
    let html = report(failing: true).html()
    #expect(html.contains(#"<details class="failed" open="open"><summary>13 checks: 12 pass, 1 fail</summary>"#))
  }
}

@Suite struct ReportPageTests {
  func page(passed: Bool) -> ReportPage {
    var page = ReportPage(
      title: "t <1>", lead: "run & seed",
      verdict: .init(passed: passed, summary: "s", figures: ["3 cases", "1 failed"], notes: ["on x"]),
      body: [.element("section", [:], [.element("h2", text: "Body")])], styles: ["p.mine{color:red}"])
    page.environmentTitle = "Run"
    page.environmentNotes = ["method"]
    page.environment = [("Date", "today")]
    return page
  }

  @Test func theFrameInOrder() throws {
    let html = page(passed: false).html()
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<title>t &lt;1&gt;</title>"))
    let heading = try #require(html.range(of: "<h1>t &lt;1&gt;</h1>")).lowerBound
    let lead = try #require(html.range(of: #"<p class="run">run &amp; seed</p>"#)).lowerBound
    let verdict = try #require(html.range(of: #"<section class="verdict fail"><p class="badge">FAIL</p>"#)).lowerBound
    let body = try #require(html.range(of: "<h2>Body</h2>")).lowerBound
    let environment = try #require(html.range(of: #"<h2 id="environment">Run</h2>"#)).lowerBound
    #expect(heading < lead && lead < verdict && verdict < body && body < environment)
    #expect(html.contains(#"<p class="figures">3 cases · 1 failed</p><p class="subject">on x</p>"#))
    #expect(html.contains("<li>method</li>"))
    #expect(html.contains(#"<th scope="row">Date</th><td><code>today</code></td>"#))
    // The page's rules come after the frame's, so they can refine them.
    let frame = try #require(html.range(of: ".verdict{")).lowerBound
    let own = try #require(html.range(of: "p.mine{color:red}")).lowerBound
    #expect(frame < own)
  }

  @Test func aPassingVerdictAndNoEnvironment() {
    var page = page(passed: true)
    page.environment = []
    page.environmentNotes = []
    let html = page.html()
    #expect(html.contains(#"<section class="verdict pass"><p class="badge">PASS</p>"#))
    #expect(!html.contains(#"id="environment""#))
    page.documentTitle = "tab"
    #expect(page.html().contains("<title>tab</title><style>"))
  }
}
