import LossCore
import Testing

/// Validating a request as a whole: shapes, element types, parameters.
@Suite("LossRequest validation")
struct LossRequestValidationTests {
  @Test(
    "a y array of another shape is a DimensionMismatch naming both shapes",
    arguments: [
      ([3], [2], "(3,)", "(2,)"),
      ([2, 3], [3, 2], "(2, 3)", "(3, 2)"),
      ([2, 2], [4], "(2, 2)", "(4,)"),
      // Shapes numpy and PyTorch broadcast silently; Flux's _check_sizes rejects them.
      ([1, 4], [3, 4], "(1, 4)", "(3, 4)"),
      ([3, 4], [1, 4], "(3, 4)", "(1, 4)"),
      ([1], [3], "(1,)", "(3,)"),
      ([3], [1], "(3,)", "(1,)"),
      ([3, 1], [1, 4], "(3, 1)", "(1, 4)"),
      ([3], [3, 2], "(3,)", "(3, 2)"),
    ] as [([Int], [Int], String, String)])
  func yShapeMismatch(yhatDims: [Int], yDims: [Int], yhatText: String, yText: String) throws {
    let yhatShape = Shape(yhatDims)
    let yShape = Shape(yDims)
    let request = LossRequest(
      loss: .mse, dtype: .float64,
      yhat: try Tensor(shape: yhatShape, values: Array(repeating: 0.5, count: yhatShape.count)),
      y: .array(try Tensor(shape: yShape, values: Array(repeating: 1, count: yShape.count))))
    let error = try #require(throws: LossError.self) { try request.validated() }
    #expect(error.kind == .dimensionMismatch)
    #expect(error.message.contains(yhatText))
    #expect(error.message.contains(yText))
  }

  @Test("a scalar y is a constant label broadcast to ŷ's shape")
  func scalarTarget() throws {
    // binarycrossentropy([0.1, 0.2, 0.9], 1), the example of SEMANTICS.md.
    let request = LossRequest(loss: .binarycrossentropy, dtype: .float64, yhat: Tensor([0.1, 0.2, 0.9]), y: .scalar(1))
    #expect(try request.validated().y == [1, 1, 1])
    #expect(try request.targetValues() == [1, 1, 1])
  }

  @Test("a y array of ŷ's shape is returned as it is, column-major")
  func arrayTarget() throws {
    let yhat = try Tensor(shape: [2, 2], values: [0.1, 0.2, 0.3, 0.4])
    let y = try Tensor(shape: [2, 2], values: [1, 0, 0, 1])
    let request = LossRequest(loss: .mse, dtype: .float64, yhat: yhat, y: .array(y))
    #expect(try request.validated().y == [1, 0, 0, 1])
  }

  @Test("validation resolves the parameters with the request's loss and dtype")
  func resolvesParameters() throws {
    let request = LossRequest(loss: .msle, dtype: .float32, yhat: Tensor([0.5]), y: .scalar(1))
    #expect(try request.validated().params.eps == 0x1p-23)
  }

  @Test("a parameter error surfaces through validation")
  func parameterError() throws {
    let request = LossRequest(
      loss: .mae, dtype: .float64, yhat: Tensor([0.5]), y: .scalar(1), params: LossParameters(eps: 0.1))
    let error = try #require(throws: LossError.self) { try request.validated() }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("eps"))
  }

  @Test("a float32 request holding a non-float32 ŷ value is an ArgumentError naming ŷ")
  func nonFloat32Yhat() throws {
    // 0.1 as a Double is not a Float32 value (its Float32 neighbour is 13 421 773 · 2⁻²⁷).
    let request = LossRequest(loss: .mse, dtype: .float32, yhat: Tensor([0.5, 0.1]), y: .scalar(1))
    let error = try #require(throws: LossError.self) { try request.validated() }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("ŷ[2]"))  // 1-based, as Julia indexes
    #expect(error.message.contains("float32"))
  }

  @Test(
    "a float32 request holding a non-float32 y is an ArgumentError, for every ŷ",
    arguments: [[0.5, 0.25], [0.5], []] as [[Double]])
  func nonFloat32ScalarY(yhat: [Double]) throws {
    let request = LossRequest(loss: .mse, dtype: .float32, yhat: Tensor(yhat), y: .scalar(0.1))
    let error = try #require(throws: LossError.self) { try request.validated() }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("float32"))
  }

  @Test("a float32 request holding a non-float32 y array element is an ArgumentError")
  func nonFloat32ArrayY() throws {
    let request = LossRequest(
      loss: .mse, dtype: .float32, yhat: Tensor([0.5, 0.5]), y: .array(Tensor([1, 0.1])))
    let error = try #require(throws: LossError.self) { try request.validated() }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("y[2]"))
  }

  @Test("Float32 values, non-finite values and −0 are valid float32 data")
  func float32Data() throws {
    let yhat = Tensor([Float32Facts.pointOne, .nan, .infinity, -.infinity, -0.0, Float32Facts.leastSubnormal])
    let request = LossRequest(loss: .mse, dtype: .float32, yhat: yhat, y: .scalar(Float32Facts.pointSeven))
    #expect(try request.validated().y.count == 6)
  }

  @Test("every Double is valid float64 data")
  func float64Data() throws {
    let request = LossRequest(loss: .mse, dtype: .float64, yhat: Tensor([0.1, 1e300, 0x1p-1074]), y: .scalar(0.1))
    #expect(try request.validated().y == [0.1, 0.1, 0.1])
  }
}

/// Outcome classes: a different class is a divergence whatever the numbers.
@Suite("OutcomeClass")
struct OutcomeClassTests {
  @Test(
    "a value's class is finite, +Inf, −Inf or NaN",
    arguments: [
      (0.0, OutcomeClass.finite),
      (-0.0, .finite),
      (0x1p-1074, .finite),
      (Double.greatestFiniteMagnitude, .finite),
      (-Double.greatestFiniteMagnitude, .finite),
      (.infinity, .plusInfinity),
      (-.infinity, .minusInfinity),
      (.nan, .nan),
      (-Double.nan, .nan),
      (.signalingNaN, .nan),
    ])
  func fromValue(value: Double, expected: OutcomeClass) {
    #expect(OutcomeClass(value: value) == expected)
  }

  @Test(
    "an error's class is its kind",
    arguments: [
      (LossError.Kind.dimensionMismatch, OutcomeClass.dimensionMismatch),
      (.domainError, .domainError),
      (.argumentError, .argumentError),
      (.other, .other),
    ])
  func fromError(kind: LossError.Kind, expected: OutcomeClass) {
    #expect(OutcomeClass(error: LossError(kind, "message")) == expected)
  }

  @Test("error classes are spelled as the protocol's error kinds")
  func errorSpelling() {
    for kind in LossError.Kind.allCases {
      #expect(OutcomeClass(error: LossError(kind, "")).rawValue == kind.rawValue)
    }
  }
}

/// The error type every loss throws.
@Suite("LossError")
struct LossErrorTests {
  @Test("kinds are spelled as in the protocol")
  func kindSpelling() {
    #expect(LossError.Kind.allCases.map(\.rawValue) == ["DimensionMismatch", "DomainError", "ArgumentError", "Other"])
  }

  @Test("the description is the kind and the message")
  func description() {
    let error = LossError.dimensionMismatch("ŷ has shape (3,) but y has shape (2,)")
    #expect(error.kind == .dimensionMismatch)
    #expect(error.description == "DimensionMismatch: ŷ has shape (3,) but y has shape (2,)")
    #expect(LossError.domainError("x").kind == .domainError)
    #expect(LossError.argumentError("x").kind == .argumentError)
  }
}
