/// A fragment of HTML markup that is well-formed and escaped by construction.
///
/// Text is always escaped, attribute values are always quoted and escaped, and there is no public
/// way to splice raw markup in: every report page is built from ``text(_:)``,
/// ``element(_:_:_:)`` and concatenation, so no string from a loss, a file or a command line can
/// inject markup.
///
/// ```swift
/// let cell = HTML.element("td", ["class": "fail"], [.text("y < 0 & ŷ > 1")])
/// cell.markup  // <td class="fail">y &lt; 0 &amp; ŷ &gt; 1</td>
/// ```
public struct HTML: Sendable, Hashable {
  /// The markup, already escaped.
  public private(set) var markup: String

  init(trusted markup: String) { self.markup = markup }

  /// An empty fragment.
  public static let empty = HTML(trusted: "")

  /// Text content, escaped.
  ///
  /// - Complexity: O(*n*) in the length of `string`.
  public static func text(_ string: String) -> HTML { HTML(trusted: escape(string)) }

  /// An element with attributes (values escaped; in the given order) and children.
  ///
  /// `name` and the attribute names are fixed by the code that builds a page, never by data; they
  /// must be lowercase ASCII letters, digits and hyphens.
  ///
  /// - Complexity: O(*n*) in the total length of the children and attributes.
  public static func element(
    _ name: String, _ attributes: Attributes = [:], _ children: [HTML] = []
  ) -> HTML {
    precondition(isName(name), "invalid element name \(name)")
    var out = "<" + name
    for pair in attributes.pairs {
      let (key, value) = (pair.name, pair.value)
      precondition(isName(key), "invalid attribute name \(key)")
      out += " " + key + "=\"" + escape(value) + "\""
    }
    out += ">"
    if voidElements.contains(name) {
      precondition(children.isEmpty, "<\(name)> cannot have children")
      return HTML(trusted: out)
    }
    for child in children { out += child.markup }
    out += "</" + name + ">"
    return HTML(trusted: out)
  }

  /// An element holding only text.
  public static func element(
    _ name: String, _ attributes: Attributes = [:], text: String
  ) -> HTML {
    element(name, attributes, [.text(text)])
  }

  /// The concatenation of fragments.
  public static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(trusted: lhs.markup + rhs.markup) }

  /// The concatenation of fragments.
  public static func join(_ fragments: [HTML]) -> HTML {
    HTML(trusted: fragments.map(\.markup).joined())
  }

  /// Escapes text for use both as element content and as a quoted attribute value.
  ///
  /// `&`, `<`, `>`, `"` and `'` become character references; control characters that HTML does
  /// not allow (C0 controls other than tab, line feed and carriage return, and DEL) become
  /// U+FFFD REPLACEMENT CHARACTER.
  ///
  /// - Complexity: O(*n*).
  public static func escape(_ string: String) -> String {
    var out = ""
    out.reserveCapacity(string.utf8.count)
    for scalar in string.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  private static let voidElements: Set<String> = ["br", "hr", "img", "meta", "link", "col", "wbr"]

  private static func isName(_ name: String) -> Bool {
    !name.isEmpty
      && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
  }
}

extension HTML {
  /// The attributes of an element, in order; written as a dictionary literal.
  public struct Attributes: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [Pair]

    /// One attribute.
    public struct Pair: Sendable, Hashable {
      public var name: String
      public var value: String
    }

    public init(dictionaryLiteral elements: (String, String)...) {
      pairs = elements.map { Pair(name: $0.0, value: $0.1) }
    }

    /// These attributes and one more.
    public func adding(_ name: String, _ value: String) -> Attributes {
      var copy = self
      copy.pairs.append(Pair(name: name, value: value))
      return copy
    }
  }
}

extension HTML {
  /// A complete, self-contained document: `<!DOCTYPE html>`, UTF-8, a viewport, a title, an
  /// inline style sheet fixed by this module, and the body. Pages are made by ``ReportPage``.
  static func document(title: String, styleSheet: StyleSheet, body: [HTML]) -> HTML {
    let head = element(
      "head", [:],
      [
        element("meta", ["charset": "utf-8"]),
        element("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"]),
        element("title", text: title),
        HTML(trusted: "<style>" + styleSheet.css + "</style>"),
      ])
    return HTML(trusted: "<!DOCTYPE html>\n")
      + element("html", ["lang": "en"], [head, element("body", [:], body)]) + HTML(trusted: "\n")
  }
}

/// A style sheet written in this module (never built from data, so it is trusted as is).
struct StyleSheet: Sendable {
  let css: String

  init(_ css: String) {
    precondition(!css.contains("</"), "a style sheet must not contain '</'")
    self.css = css
  }
}
