import Testing

@testable import LossCheckCLI
@testable import LossVerification

@Suite("Julia literals of the published examples")
struct JuliaLiteralTests {
  @Test(
    "numbers and their types",
    arguments: [
      ("0.1f0", Double(Float(0.1)), JuliaNumber.Kind.float32),
      ("2.2415025f0", Double(Float("2.2415025")!), .float32),
      ("2.5f-3", Double(Float("2.5e-3")!), .float32),
      ("1.0f5", 100_000, .float32),
      ("0.2", 0.2, .float64),
      ("-3.5e-7", -3.5e-7, .float64),
      ("0.10000000000000009", 0.10000000000000009, .float64),
      ("3", 3, .exact),
      ("1//1", 1, .exact),
      ("-3//4", -0.75, .exact),
      ("Inf", .infinity, .float64),
      ("-Inf32", -.infinity, .float32),
    ])
  func numbers(text: String, value: Double, kind: JuliaNumber.Kind) throws {
    let n = try #require(JuliaLiteral.number(text))
    #expect(n.value == value)
    #expect(n.kind == kind)
  }

  @Test("NaN", arguments: ["NaN", "NaN32"])
  func nan(text: String) throws {
    #expect(try #require(JuliaLiteral.number(text)).value.isNaN)
  }

  @Test("not numbers", arguments: ["", "true", "abc", "1//0", "0.1f", "1.0e5f0", "0x1p3", "1 2"])
  func notNumbers(text: String) {
    #expect(JuliaLiteral.number(text) == nil)
  }

  @Test("a vector as the REPL displays it")
  func vectorDisplay() throws {
    let text = "3-element Array{Float64,1}:\n 1.424397097347566\n 0.35231664672364077\n 0.8616703662235441"
    guard case .array(let values, let shape)? = JuliaLiteral.published(text) else {
      Issue.record("not parsed")
      return
    }
    #expect(shape == [3])
    #expect(values.map(\.value) == [1.424397097347566, 0.35231664672364077, 0.8616703662235441])
    #expect(values.allSatisfy { $0.kind == .float64 })
  }

  @Test("a Float32 matrix display becomes column-major")
  func matrixDisplay() throws {
    let text = "2×3 Matrix{Float32}:\n 1.0  2.0  3.0\n 4.0  5.0  0.1"
    guard case .array(let values, let shape)? = JuliaLiteral.published(text) else {
      Issue.record("not parsed")
      return
    }
    #expect(shape == [2, 3])
    #expect(values.map(\.value) == [1, 4, 2, 5, 3, Double(Float(0.1))])
    #expect(values.allSatisfy { $0.kind == .float32 })
  }

  @Test("inline vectors and booleans")
  func inline() {
    #expect(
      JuliaLiteral.published("Float32[0.5, 1.5]")
        == .array([JuliaNumber(value: 0.5, kind: .float32), JuliaNumber(value: 1.5, kind: .float32)], shape: [2]))
    #expect(JuliaLiteral.published("true") == .bool(true))
    #expect(JuliaLiteral.published("false") == .bool(false))
    #expect(JuliaLiteral.published("3-element Vector{Float64}:\n 1.0\n 2.0") == nil)  // too few rows
  }
}

@Suite("Julia checks of the published examples")
struct JuliaCheckExpressionTests {
  func holds(_ source: String, result: Double, _ kind: JuliaNumber.Kind = .float64) throws -> Bool {
    try JuliaCheckExpression(source).evaluate(result: JuliaNumber(value: result, kind: kind))
  }

  @Test("comparisons with result")
  func comparisons() throws {
    #expect(try holds("result != 0", result: 0.5))
    #expect(try !holds("result != 0", result: 0))
    #expect(try holds("result == 0", result: 0))
    #expect(try holds("result < 1", result: 0.5))
    #expect(try holds("result ≥ 0.5", result: 0.5))
  }

  @Test("isapprox with Julia's default tolerance, √eps of the wider type")
  func isapprox() throws {
    let log2 = 0.6931471805599453
    #expect(try holds("isapprox(result, log(2))", result: log2 * (1 + 1e-9)))
    #expect(try !holds("isapprox(result, log(2))", result: log2 * (1 + 1e-7)))
    #expect(try holds("isapprox(result, 2*log(2))", result: 2 * log2))
    #expect(try holds("result ≈ 2log(2)", result: 2 * log2))
    // Float32 on both sides: rtol = √eps(Float32) ≈ 3.45e-4.
    let fiveTimes = Double(Float(5) * Float("1.6076053")!)
    #expect(try holds("isapprox(5 * 1.6076053f0, result)", result: Double(Float(fiveTimes * (1 + 1e-4))), .float32))
    #expect(try !holds("isapprox(5 * 1.6076053f0, result)", result: Double(Float(fiveTimes * (1 + 1e-3))), .float32))
  }

  @Test("arithmetic precedence and parentheses")
  func arithmetic() throws {
    #expect(try holds("1 + 2 * 3 == 7", result: 0))
    #expect(try holds("(1 + 2) * 3 == 9", result: 0))
    #expect(try holds("-result == -2", result: 2))
    #expect(try holds("1 / 4 == 0.25", result: 0))
    #expect(try holds("1 - result ≈ 0.75", result: 0.25))
  }

  @Test(
    "syntax errors are reported, not trapped",
    arguments: ["result +", "foo(1)", "isapprox(1)", "result $ 1", "(1 == 1"])
  func syntaxErrors(source: String) {
    #expect(throws: JuliaCheckExpression.SyntaxError.self) { try holds(source, result: 1) }
  }

  @Test("a number is not a check")
  func notACheck() {
    #expect(throws: JuliaCheckExpression.SyntaxError.self) { try holds("result + 1", result: 1) }
  }
}
