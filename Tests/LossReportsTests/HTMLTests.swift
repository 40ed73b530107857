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
