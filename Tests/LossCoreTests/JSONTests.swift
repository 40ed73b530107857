import LossCore
import Testing

/// Parsing and serializing JSON values.
@Suite("JSON round trip")
struct JSONRoundTripTests {
  @Test("a nested document parses to the expected tree and serializes back to the same text")
  func nestedRoundTrip() throws {
    let text = #"{"a":[1,-0.0,1e-05,true,false,null,{"b":"x","c":[]}],"d":{},"e":"é😀"}"#
    let expected = JSONValue.object([
      (
        "a",
        .array([
          .number("1"), .number("-0.0"), .number("1e-05"), .bool(true), .bool(false), .null,
          .object([("b", .string("x")), ("c", .array([]))]),
        ])
      ),
      ("d", .object([])),
      ("e", .string("é😀")),
    ])
    let parsed = try JSONValue(parsing: text)
    #expect(parsed == expected)
    #expect(parsed.serialized() == text)
  }

  @Test("whitespace between tokens is allowed and dropped by compact serialization")
  func whitespace() throws {
    let parsed = try JSONValue(parsing: " \t\r\n{ \"a\" : [ 1 , 2 ] }\n")
    #expect(parsed.serialized() == #"{"a":[1,2]}"#)
  }

  @Test(
    "numbers are kept as their text",
    arguments: [
      "1e-05", "-0.0", "3.4028235e+38", "0", "-0", "1E+2", "123.456e-7", "0.1", "1.0",
      "100000000000000000000000000000001", "1.000000059604644775390625000001",
    ])
  func numbersAsText(text: String) throws {
    let parsed = try JSONValue(parsing: text)
    #expect(parsed == .number(text))
    #expect(parsed.serialized() == text)
  }

  @Test("object members keep their order")
  func keyOrder() throws {
    let parsed = try JSONValue(parsing: #"{"b":1,"a":2,"c":3}"#)
    #expect(parsed.serialized() == #"{"b":1,"a":2,"c":3}"#)
    #expect(parsed["b"] == .number("1"))
    #expect(parsed["a"] == .number("2"))
    #expect(parsed["z"] == nil)
    #expect(JSONValue.array([])["a"] == nil)
  }

  @Test("a repeated key is a syntax error naming the key and its column (Python's json would take the last)")
  func duplicateKeys() throws {
    #expect {
      try JSONValue(parsing: #"{"loss":"mse","loss":"mae"}"#)
    } throws: { error in
      "\(error)".contains(#"duplicate key "loss""#) && "\(error)".contains("column 15")
    }
    #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: #"{"a":{"x":1,"y":2,"x":3}}"#) }
    // The same key in different objects is fine.
    #expect(try JSONValue(parsing: #"{"a":{"x":1},"b":{"x":2}}"#)["b"]?["x"] == .number("2"))
  }

  @Test("objects with the same members in another order are different values")
  func orderMatters() throws {
    #expect(try JSONValue(parsing: #"{"a":1,"b":2}"#) != JSONValue(parsing: #"{"b":2,"a":1}"#))
  }
}

/// JSON strings: escapes on input and output.
@Suite("JSON strings")
struct JSONStringTests {
  @Test(
    "escapes decode to their characters",
    arguments: [
      (#""a\"b""#, "a\"b"),
      (#""a\\b""#, "a\\b"),
      (#""a\/b""#, "a/b"),
      (#""\b\f\n\r\t""#, "\u{08}\u{0C}\n\r\t"),
      (#""\u0041\u00e9\u00E9""#, "Aéé"),
      (#""\u0000""#, "\u{0}"),
      // U+1F600 as a surrogate pair: 0x10000 + (0xD83D − 0xD800)·2¹⁰ + (0xDE00 − 0xDC00) = 0x1F600.
      (#""\ud83d\ude00""#, "\u{1F600}"),
      (#""\uD83D\uDE00""#, "\u{1F600}"),
      // U+10FFFF, the last code point: high 0xDBFF, low 0xDFFF.
      (#""\udbff\udfff""#, "\u{10FFFF}"),
      (#""ŷ é""#, "ŷ é"),  // raw UTF-8 passes through
    ])
  func escapes(text: String, expected: String) throws {
    #expect(try JSONValue(parsing: text) == .string(expected))
  }

  @Test(
    "serialization escapes quotes, backslashes and control characters",
    arguments: [
      ("a\"b\\c", #""a\"b\\c""#),
      ("\n\r\t", #""\n\r\t""#),
      ("\u{01}\u{1F}", #""\u0001\u001f""#),
      ("a/b é 😀", #""a/b é 😀""#),
    ])
  func serializationEscapes(string: String, expected: String) {
    #expect(JSONValue.string(string).serialized() == expected)
  }

  @Test("every string survives serialize-then-parse, including all control characters")
  func stringRoundTrip() throws {
    let controls = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init)))
    for s in [controls, "\"\\/", "ŷ·y ≥ 1", "\u{1F600}\u{10FFFF}", ""] {
      #expect(try JSONValue(parsing: JSONValue.string(s).serialized()) == .string(s))
    }
  }

  @Test(
    "invalid escapes and lone surrogates are rejected",
    arguments: [
      #""\x""#, #""\u12""#, #""\u12g4""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#,
      #""\"#,
    ])
  func badEscapes(text: String) throws {
    #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
  }
}

/// Malformed JSON: every error says where.
@Suite("JSON syntax errors")
struct JSONSyntaxErrorTests {
  /// (text, 1-based column of the offending character, or one past the end for a premature end).
  @Test(
    "malformed text is rejected at the column of the offending character",
    arguments: [
      (#"{"a":}"#, 6),  // the '}' where a value must be
      ("[1] x", 5),  // trailing text: the 'x'
      ("[1]]", 4),
      (#""abc"#, 5),  // unterminated string: the end of the input
      ("", 1),  // no value at all
      ("   ", 4),
      ("01", 2),  // RFC 8259: no leading zeros, so the '1' is trailing text
      ("-01", 3),
      ("[01]", 3),
      ("00.5", 2),
      ("[1,]", 4),  // no trailing commas
      ("[1 2]", 4),
      (#"{"a" 1}"#, 6),  // missing ':'
      ("{1:2}", 2),  // keys are strings
      (#"{"a":1,}"#, 8),
      ("1.", 3),  // digits expected after '.'
      ("1.e5", 3),
      (".5", 1),
      ("+1", 1),
      ("-", 2),
      ("1e", 3),
      ("1e+", 4),
      ("NaN", 1),
      ("Infinity", 1),
      ("[1", 3),  // unterminated array
      (#"{"a":1"#, 7),
      ("\"a\tb\"", 3),  // raw control character in a string
    ])
  func column(text: String, column: Int) throws {
    let error = try #require(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
    #expect(error.column == column)
    #expect(error.description.contains("column \(column)"))
  }

  @Test("misspelled literals are rejected", arguments: ["tru", "nul", "True", "fals e", "nulll"])
  func literals(text: String) throws {
    #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
  }

  @Test("512 levels of nesting are accepted")
  func deepestAccepted() throws {
    let text = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
    var value = try JSONValue(parsing: text)
    var depth = 0
    while case .array(let items) = value {
      depth += 1
      guard let first = items.first else { break }
      value = first
    }
    #expect(depth == 512)
  }

  @Test("a 513th level of nesting is rejected at the column of its bracket", arguments: ["[", #"{"a":"#])
  func tooDeep(opener: String) throws {
    let text = String(repeating: opener, count: 513)
    let error = try #require(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
    #expect(error.column == 512 * opener.utf8.count + 1)
  }
}
