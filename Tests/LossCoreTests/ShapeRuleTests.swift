import LossCore
import Testing

/// Flux's `_check_sizes` (`src/losses/utils.jl`, FluxML/Flux.jl):
///
/// ```julia
/// for d in 1:max(ndims(ŷ), ndims(y))
///   size(ŷ,d) == size(y,d) || throw(DimensionMismatch(...))
/// end
/// ```
///
/// with Julia's `size(A, d) == 1` for `d > ndims(A)`: shapes equal up to trailing dimensions of
/// size 1 are accepted, every other difference — including the pairs numpy and PyTorch broadcast —
/// is a DimensionMismatch. The expected answers below are that loop worked by hand.
@Suite("Flux's shape rule (_check_sizes)")
struct ShapeRuleTests {
  @Test(
    "shapes equal up to trailing dimensions of size 1 agree, and broadcast to the one with more dimensions",
    arguments: [
      ([3], [3, 1], [3, 1]),
      ([3, 1], [3], [3, 1]),
      ([2, 3], [2, 3, 1], [2, 3, 1]),
      ([2, 3, 1], [2, 3], [2, 3, 1]),
      ([3], [3, 1, 1], [3, 1, 1]),
      ([1], [], [1]),  // size(fill(x), 1) == 1
      ([], [1, 1], [1, 1]),
      ([0], [0, 1], [0, 1]),
      ([3, 4], [3, 4], [3, 4]),
    ] as [([Int], [Int], [Int])])
  func accepted(yhat: [Int], y: [Int], broadcast: [Int]) {
    #expect(Shape(yhat).agreesForLoss(with: Shape(y)))
    #expect(Shape(yhat).firstDisagreement(with: Shape(y)) == nil)
    #expect(Shape(yhat).lossBroadcast(with: Shape(y)) == Shape(broadcast))
  }

  @Test(
    "shapes that differ in a dimension do not agree, even where numpy would broadcast them",
    arguments: [
      ([1, 4], [3, 4], 1),  // numpy: (3, 4)
      ([3, 4], [1, 4], 1),
      ([1], [3], 1),  // numpy: (3,)
      ([3, 1], [1, 4], 1),  // numpy: (3, 4)
      ([3], [1, 3], 1),  // numpy: (1, 3)
      ([3], [3, 3], 2),  // numpy: (3, 3), the classic silent bug of (3,) against (3, 1) in numpy order
      ([2, 3], [2, 3, 2], 3),
      ([3], [4], 1),
      ([], [2], 1),
    ] as [([Int], [Int], Int)])
  func rejected(yhat: [Int], y: [Int], dimension: Int) {
    #expect(!Shape(yhat).agreesForLoss(with: Shape(y)))
    #expect(Shape(yhat).firstDisagreement(with: Shape(y)) == dimension)
  }

  @Test(
    "a request with y of an agreeing shape pairs the elements one to one; the terms have the larger shape",
    arguments: [
      ([3], [3, 1], [3, 1]),
      ([3, 1], [3], [3, 1]),
      ([2, 3], [2, 3, 1], [2, 3, 1]),
    ] as [([Int], [Int], [Int])])
  func acceptedRequest(yhat: [Int], y: [Int], terms: [Int]) throws {
    let n = Shape(yhat).count
    let request = LossRequest(
      loss: .mse, dtype: .float64,
      yhat: try Tensor(shape: Shape(yhat), values: (0..<n).map { Double($0) }),
      y: .array(try Tensor(shape: Shape(y), values: (0..<n).map { Double(10 * $0) })))
    #expect(try request.validated().y == (0..<n).map { Double(10 * $0) })
    #expect(request.termShape == Shape(terms))
  }

  @Test("the DimensionMismatch message names both shapes and the first dimension that differs")
  func message() throws {
    let request = LossRequest(
      loss: .mse, dtype: .float64, yhat: try Tensor(shape: [1, 4], values: [1, 2, 3, 4]),
      y: .array(try Tensor(shape: [3, 4], values: [Double](repeating: 0, count: 12))))
    let error = try #require(throws: LossError.self) { try request.validated() }
    #expect(error.kind == .dimensionMismatch)
    #expect(
      error.message
        == "mse: ŷ has shape (1, 4) but y has shape (3, 4), which differ in dimension 1 (size 1 ≠ 3); the shapes "
        + "must be equal up to trailing dimensions of size 1 (Flux does not broadcast ŷ against y), or y a scalar")
  }

  @Test("a scalar y keeps ŷ's shape for the terms")
  func scalarTarget() throws {
    let request = LossRequest(
      loss: .hinge, dtype: .float64, yhat: try Tensor(shape: [2, 1], values: [1, 2]), y: .scalar(1))
    #expect(request.termShape == [2, 1])
  }
}

/// The size rule of a shape: every dimension, and the product of the nonzero dimensions, at most
/// 2⁴⁰ — whatever the order of the dimensions. (Before: the running product was checked
/// left to right, so `[2³², 2³², 0]` overflowed and was rejected while `[0, 2³², 2³²]` was
/// accepted.)
@Suite("Shape size limit")
struct ShapeLimitTests {
  static let rule = "every dimension and the product of the nonzero dimensions must be at most 2^40 = 1099511627776"

  @Test(
    "too large in any order: an ArgumentError naming the array, the dimensions and the rule",
    arguments: [
      [1 << 32, 1 << 32, 0], [0, 1 << 32, 1 << 32], [1 << 32, 0, 1 << 32],
      [1 << 41], [0, 1 << 41], [1 << 20, 1 << 21], [1 << 21, 0, 1 << 20], [Int.max, 0],
    ] as [[Int]])
  func tooLarge(dims: [Int]) throws {
    let error = try #require(throws: LossError.self) { try Shape(dims).validate(name: "ŷ") }
    #expect(error.kind == .argumentError)
    #expect(error.message.hasPrefix("ŷ: dimensions \(Shape(dims)) are too large"))
    #expect(error.message.hasSuffix(Self.rule))
  }

  @Test(
    "within the limit in any order",
    arguments: [[0, 1 << 40], [1 << 40, 0], [1 << 20, 0, 1 << 20], [1 << 20, 1 << 20], [1 << 40], [0, 0]] as [[Int]])
  func withinLimit(dims: [Int]) throws {
    try Shape(dims).validate(name: "ŷ")
  }

  @Test("the protocol's message names the field once: no \"shape shape\"")
  func protocolMessage() throws {
    for line in [
      #"{"loss":"mse","shape":[4294967296,4294967296,0],"yhat":[],"y":[]}"#,
      #"{"loss":"mse","shape":[0,4294967296,4294967296],"yhat":[],"y":[]}"#,
    ] {
      let error = try #require(throws: LossError.self) { try decodeRequest(line) }
      #expect(error.kind == .argumentError)
      #expect(!error.message.contains("shape shape"), "message: \(error.message)")
      #expect(error.message.hasPrefix("shape: dimensions ("), "message: \(error.message)")
    }
    let error = try #require(throws: LossError.self) {
      try decodeRequest(#"{"loss":"mse","yhat":[],"y":[],"yshape":[0,4294967296,4294967296]}"#)
    }
    #expect(error.message.hasPrefix("yshape: dimensions (0, 4294967296, 4294967296) are too large"))
  }
}
