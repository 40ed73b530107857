/// A number as Julia writes it, with the type its spelling implies.
///
/// `0.1f0` is the Float32 nearest 0.1, `2.5f-3` the Float32 nearest 0.0025, `0.2` a Float64,
/// `1//1` a `Rational` and `3` an `Int` (both exact).
struct JuliaNumber: Hashable, Sendable {
  /// The type Julia gives the literal.
  enum Kind: Hashable, Sendable {
    /// An `Int` or a `Rational`: exact, takes the type of what it meets.
    case exact
    case float32
    case float64
  }

  var value: Double
  var kind: Kind
}

/// Julia's printed forms: numbers (`0.1f0`, `Inf32`, `1//1`) and arrays as the REPL shows them
/// (`3-element Vector{Float64}:` followed by one value per line).
enum JuliaLiteral {
  /// What a published example shows as the result of a call.
  enum Published: Hashable, Sendable {
    case number(JuliaNumber)
    /// Values in column-major order, with the shape the display implies.
    case array([JuliaNumber], shape: [Int])
    case bool(Bool)
  }

  /// Parses one number; `nil` if `text` is not one of Julia's numeric literals.
  ///
  /// Float32 literals are `<decimal>f<exponent>`: the decimal scaled by ten to the exponent and
  /// rounded once to Float32. Rationals `a//b` are divided in Float64 (exact for the small
  /// integers docs show).
  static func number(_ text: String) -> JuliaNumber? {
    let t = text.trimmingSpaces
    switch t {
    case "NaN", "+NaN", "-NaN": return JuliaNumber(value: .nan, kind: .float64)
    case "NaN32", "+NaN32", "-NaN32": return JuliaNumber(value: .nan, kind: .float32)
    case "Inf", "+Inf": return JuliaNumber(value: .infinity, kind: .float64)
    case "-Inf": return JuliaNumber(value: -.infinity, kind: .float64)
    case "Inf32", "+Inf32": return JuliaNumber(value: .infinity, kind: .float32)
    case "-Inf32": return JuliaNumber(value: -.infinity, kind: .float32)
    default: break
    }
    if let slashes = t.range(of: "//") {
      guard let numerator = Int(t[..<slashes.lowerBound].trimmingSpaces),
        let denominator = Int(t[slashes.upperBound...].trimmingSpaces), denominator != 0
      else { return nil }
      return JuliaNumber(value: Double(numerator) / Double(denominator), kind: .exact)
    }
    guard isDecimal(t) else { return nil }
    if let f = t.firstIndex(of: "f") {
      let mantissa = t[..<f]
      let exponent = t[t.index(after: f)...]
      guard !mantissa.isEmpty, !mantissa.contains("e"), !mantissa.contains("E"), let e = Int(exponent),
        let value = Float(mantissa + "e" + String(e))
      else { return nil }
      return JuliaNumber(value: Double(value), kind: .float32)
    }
    if !t.contains("."), !t.contains("e"), !t.contains("E"), let n = Int(t) {
      return JuliaNumber(value: Double(n), kind: .exact)
    }
    guard let value = Double(t), value.isFinite else { return nil }
    return JuliaNumber(value: value, kind: .float64)
  }

  /// A number shown without a type suffix inside an array whose element type is `kind` (Julia
  /// prints a `Vector{Float32}`'s elements without `f0`): the decimal rounded once to `kind`.
  static func number(_ text: String, as kind: JuliaNumber.Kind) -> JuliaNumber? {
    guard let n = number(text) else { return nil }
    guard kind == .float32, n.kind != .float32, n.value.isFinite else {
      return JuliaNumber(value: n.value, kind: kind)
    }
    guard let value = Float(text.trimmingSpaces) else { return nil }
    return JuliaNumber(value: Double(value), kind: .float32)
  }

  /// Whether `t` is made only of what a decimal literal holds (digits, sign, point, `e`, `f`).
  private static func isDecimal(_ t: String) -> Bool {
    guard let first = t.unicodeScalars.first,
      first == "-" || first == "+" || first == "." || ("0"..."9").contains(first)
    else { return false }
    return t.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || "+-.eEf".unicodeScalars.contains($0) }
  }

  /// Parses what a doc shows as a call's result: a number, `true`/`false`, an inline vector
  /// (`[0.1, 0.2]`, `Float32[0.1, 0.2]`) or a REPL array display (`3-element Vector{Float64}:` /
  /// `2×3 Matrix{Float32}:` followed by the rows). `nil` if it is none of these.
  static func published(_ text: String) -> Published? {
    let t = text.trimmingSpaces.trimmingCharacters(in: "\n")
    if t == "true" { return .bool(true) }
    if t == "false" { return .bool(false) }
    if let n = number(t) { return .number(n) }
    if let open = t.firstIndex(of: "["), t.last == "]", !t.contains("\n") {
      let prefix = String(t[..<open])
      let kind: JuliaNumber.Kind?
      switch prefix {
      case "": kind = nil
      case "Float32": kind = .float32
      case "Float64": kind = .float64
      default: return nil
      }
      let inner = t[t.index(after: open)..<t.index(before: t.endIndex)]
      if inner.trimmingSpaces.isEmpty { return .array([], shape: [0]) }
      var values: [JuliaNumber] = []
      for token in inner.split(separator: ",") {
        guard let n = kind.map({ number(String(token), as: $0) }) ?? number(String(token)) else { return nil }
        values.append(n)
      }
      return .array(values, shape: [values.count])
    }
    return display(t)
  }

  /// A REPL display: a header line ending in `:` naming the size and the element type, then one
  /// line per row (values separated by spaces).
  private static func display(_ t: String) -> Published? {
    let lines = t.split(separator: "\n").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    guard let header = lines.first, header.hasSuffix(":") else { return nil }
    let kind: JuliaNumber.Kind
    if header.contains("Float32") {
      kind = .float32
    } else if header.contains("Float64") {
      kind = .float64
    } else {
      return nil
    }
    let size = header.prefix { $0 != " " }
    var shape: [Int]
    if size.hasSuffix("-element") {
      guard let n = Int(size.dropLast("-element".count)) else { return nil }
      shape = [n]
    } else {
      let parts = size.split(separator: "×")
      var dims: [Int] = []
      for part in parts {
        guard let d = Int(part) else { return nil }
        dims.append(d)
      }
      guard dims.count == 2 else { return nil }
      shape = dims
    }
    // Rows as displayed; a matrix is shown row by row, so transpose into column-major order.
    var rows: [[JuliaNumber]] = []
    for line in lines.dropFirst() {
      var row: [JuliaNumber] = []
      for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
        guard let n = number(String(token), as: kind) else { return nil }
        row.append(n)
      }
      rows.append(row)
    }
    let rowCount = shape[0]
    let columnCount = shape.count == 2 ? shape[1] : 1
    guard rows.count == rowCount, rows.allSatisfy({ $0.count == columnCount }) else { return nil }
    var values: [JuliaNumber] = []
    for j in 0..<columnCount {
      for i in 0..<rowCount { values.append(rows[i][j]) }
    }
    return .array(values, shape: shape)
  }
}

extension StringProtocol {
  /// The text without the given leading and trailing characters.
  func trimmingCharacters(in set: String) -> String {
    var s = Substring(self)
    while let first = s.first, set.contains(first) { s.removeFirst() }
    while let last = s.last, set.contains(last) { s.removeLast() }
    return String(s)
  }
}
