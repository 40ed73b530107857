import Foundation

/// The boolean checks some published examples show instead of a number, such as
/// `isapprox(5 * 1.6076053f0, result)`, `result ≈ 2log(2)` or `result != 0`, evaluated with
/// Julia's rules.
///
/// The grammar is the small part of Julia such checks use:
///
/// ```
/// check   := sum (("==" | "!=" | "≈" | "<" | "<=" | ">" | ">=" | "≤" | "≥") sum)?
/// sum     := product (("+" | "-") product)*
/// product := unary (("*" | "/") unary | primary)*     (juxtaposition: 2log(2))
/// unary   := "-" unary | primary
/// primary := number | "result" | "true" | "false" | name "(" check ("," check)* ")" | "(" check ")"
/// ```
///
/// with the functions `isapprox` (Julia's default tolerance: `rtol = √eps` of the wider float
/// type, 0 for exact numbers), `log`, `exp`, `sqrt`, `abs`. Arithmetic follows Julia's
/// promotion: an operation on Float32 values (and exact numbers) rounds to Float32; a Float64
/// anywhere makes it Float64; `/` and the functions turn exact numbers into Float64.
struct JuliaCheckExpression {
  /// A value during evaluation.
  enum Value: Equatable {
    case number(JuliaNumber)
    case bool(Bool)
  }

  struct SyntaxError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }

  private enum Token: Equatable {
    case number(JuliaNumber)
    case name(String)
    case op(String)
  }

  private let tokens: [Token]
  private let source: String

  init(_ source: String) throws(SyntaxError) {
    self.source = source
    self.tokens = try Self.tokenize(source)
  }

  /// Evaluates the check with `result` bound to the value under test.
  func evaluate(result: JuliaNumber) throws(SyntaxError) -> Bool {
    var parser = Parser(tokens: tokens, result: result)
    let value = try parser.check()
    guard parser.index == tokens.count else {
      throw SyntaxError(message: "unexpected text after the check in '\(source)'")
    }
    guard case .bool(let b) = value else {
      throw SyntaxError(message: "'\(source)' is a number, not a check")
    }
    return b
  }

  // MARK: Tokens

  private static func tokenize(_ source: String) throws(SyntaxError) -> [Token] {
    var tokens: [Token] = []
    let scalars = Array(source.unicodeScalars)
    var i = 0
    func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
    func isLetter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) || s == "_" }
    while i < scalars.count {
      let s = scalars[i]
      if s == " " || s == "\t" {
        i += 1
      } else if isDigit(s) || (s == "." && i + 1 < scalars.count && isDigit(scalars[i + 1])) {
        var j = i
        while j < scalars.count, isDigit(scalars[j]) || scalars[j] == "." { j += 1 }
        // An exponent: e or f, an optional sign, digits (the f-form makes a Float32).
        if j < scalars.count, scalars[j] == "e" || scalars[j] == "f" || scalars[j] == "E" {
          var k = j + 1
          if k < scalars.count, scalars[k] == "-" || scalars[k] == "+" { k += 1 }
          if k < scalars.count, isDigit(scalars[k]) {
            while k < scalars.count, isDigit(scalars[k]) { k += 1 }
            j = k
          }
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars[i..<j])
        guard let number = JuliaLiteral.number(String(text)) else {
          throw SyntaxError(message: "'\(String(text))' is not a number")
        }
        tokens.append(.number(number))
        i = j
      } else if isLetter(s) {
        var j = i
        while j < scalars.count, isLetter(scalars[j]) || isDigit(scalars[j]) { j += 1 }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars[i..<j])
        tokens.append(.name(String(text)))
        i = j
      } else {
        let two = i + 1 < scalars.count ? String(String.UnicodeScalarView(scalars[i...i + 1])) : ""
        if ["==", "!=", "<=", ">="].contains(two) {
          tokens.append(.op(two))
          i += 2
        } else if "+-*/(),<>≈≤≥".unicodeScalars.contains(s) {
          tokens.append(.op(String(s)))
          i += 1
        } else {
          throw SyntaxError(message: "unexpected character '\(s)' in '\(source)'")
        }
      }
    }
    return tokens
  }

  // MARK: Parsing and evaluation

  private struct Parser {
    let tokens: [Token]
    let result: JuliaNumber
    var index = 0

    init(tokens: [Token], result: JuliaNumber) {
      self.tokens = tokens
      self.result = result
    }

    var peek: Token? { index < tokens.count ? tokens[index] : nil }

    mutating func take(_ op: String) -> Bool {
      if peek == .op(op) {
        index += 1
        return true
      }
      return false
    }

    mutating func check() throws(SyntaxError) -> Value {
      let lhs = try sum()
      guard case .op(let op)? = peek, ["==", "!=", "≈", "<=", ">=", "≤", "≥", "<", ">"].contains(op) else {
        return lhs
      }
      index += 1
      let rhs = try sum()
      if op == "==" || op == "!=", case .bool(let p) = lhs, case .bool(let q) = rhs {
        return .bool((p == q) == (op == "=="))
      }
      let a = try number(lhs, op)
      let b = try number(rhs, op)
      switch op {
      case "==": return .bool(a.value == b.value)
      case "!=": return .bool(a.value != b.value)
      case "≈": return .bool(Self.isApprox(a, b))
      case "<": return .bool(a.value < b.value)
      case ">": return .bool(a.value > b.value)
      case "<=", "≤": return .bool(a.value <= b.value)
      default: return .bool(a.value >= b.value)
      }
    }

    mutating func sum() throws(SyntaxError) -> Value {
      var value = try product()
      while true {
        if take("+") {
          value = .number(Self.arithmetic(try number(value, "+"), try number(try product(), "+"), +))
        } else if take("-") {
          value = .number(Self.arithmetic(try number(value, "-"), try number(try product(), "-"), -))
        } else {
          return value
        }
      }
    }

    mutating func product() throws(SyntaxError) -> Value {
      var value = try unary()
      while true {
        if take("*") {
          value = .number(Self.arithmetic(try number(value, "*"), try number(try unary(), "*"), *))
        } else if take("/") {
          var a = try number(value, "/")
          var b = try number(try unary(), "/")
          // Julia's / on integers gives a Float64.
          if a.kind == .exact && b.kind == .exact {
            a.kind = .float64
            b.kind = .float64
          }
          value = .number(Self.arithmetic(a, b, /))
        } else if case .name? = peek, case .number = value {
          // Juxtaposition: 2log(2).
          value = .number(Self.arithmetic(try number(value, "*"), try number(try primary(), "*"), *))
        } else if peek == .op("("), case .number = value {
          value = .number(Self.arithmetic(try number(value, "*"), try number(try primary(), "*"), *))
        } else {
          return value
        }
      }
    }

    mutating func unary() throws(SyntaxError) -> Value {
      if take("-") {
        var n = try number(try unary(), "-")
        n.value = -n.value
        return .number(n)
      }
      if take("+") { return try unary() }
      return try primary()
    }

    mutating func primary() throws(SyntaxError) -> Value {
      guard let token = peek else { throw SyntaxError(message: "the check ends too early") }
      index += 1
      switch token {
      case .number(let n):
        return .number(n)
      case .op("("):
        let value = try check()
        guard take(")") else { throw SyntaxError(message: "missing ')'") }
        return value
      case .op(let op):
        throw SyntaxError(message: "unexpected '\(op)'")
      case .name("result"):
        return .number(result)
      case .name("true"):
        return .bool(true)
      case .name("false"):
        return .bool(false)
      case .name(let name):
        guard take("(") else { throw SyntaxError(message: "unknown name '\(name)'") }
        var arguments: [Value] = [try check()]
        while take(",") { arguments.append(try check()) }
        guard take(")") else { throw SyntaxError(message: "missing ')' after the arguments of \(name)") }
        return try call(name, arguments)
      }
    }

    func call(_ name: String, _ arguments: [Value]) throws(SyntaxError) -> Value {
      var numbers: [JuliaNumber] = []
      for argument in arguments { numbers.append(try number(argument, name)) }
      if name == "isapprox" {
        guard numbers.count == 2 else { throw SyntaxError(message: "isapprox takes two arguments") }
        return .bool(Self.isApprox(numbers[0], numbers[1]))
      }
      guard numbers.count == 1 else { throw SyntaxError(message: "\(name) takes one argument") }
      var x = numbers[0]
      if x.kind == .exact { x.kind = .float64 }
      let f: (Double) -> Double
      switch name {
      case "log": f = Foundation.log
      case "exp": f = Foundation.exp
      case "sqrt": f = Foundation.sqrt
      case "abs": f = Swift.abs
      default: throw SyntaxError(message: "unknown function '\(name)'")
      }
      return .number(Self.rounded(JuliaNumber(value: f(x.value), kind: x.kind)))
    }

    func number(_ value: Value, _ context: String) throws(SyntaxError) -> JuliaNumber {
      guard case .number(let n) = value else {
        throw SyntaxError(message: "'\(context)' needs a number, got a boolean")
      }
      return n
    }

    /// Julia's promotion of two literal types.
    static func promote(_ a: JuliaNumber.Kind, _ b: JuliaNumber.Kind) -> JuliaNumber.Kind {
      if a == .float64 || b == .float64 { return .float64 }
      if a == .float32 || b == .float32 { return .float32 }
      return .exact
    }

    static func rounded(_ n: JuliaNumber) -> JuliaNumber {
      n.kind == .float32 ? JuliaNumber(value: Double(Float(n.value)), kind: .float32) : n
    }

    static func arithmetic(
      _ a: JuliaNumber, _ b: JuliaNumber, _ op: (Double, Double) -> Double
    ) -> JuliaNumber {
      rounded(JuliaNumber(value: op(a.value, b.value), kind: promote(a.kind, b.kind)))
    }

    /// Julia's `isapprox(a, b)` with its defaults: `a == b`, or
    /// `|a − b| ≤ rtol · max(|a|, |b|)` with `rtol = √eps(T)` for the wider float type `T`
    /// (0 when both are exact).
    static func isApprox(_ a: JuliaNumber, _ b: JuliaNumber) -> Bool {
      if a.value == b.value { return true }
      guard a.value.isFinite && b.value.isFinite else { return false }
      let rtol: Double
      switch promote(a.kind, b.kind) {
      case .exact: rtol = 0
      case .float32: rtol = Double(Float.ulpOfOne).squareRoot()
      case .float64: rtol = Double.ulpOfOne.squareRoot()
      }
      return abs(a.value - b.value) <= rtol * max(abs(a.value), abs(b.value))
    }
  }
}
