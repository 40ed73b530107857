import LossCore
import Testing

/// A shape and what Julia says about it.
@Suite("Shape basics")
struct ShapeBasicsTests {
  @Test(
    "count is the product of the dimensions (1 for rank 0)",
    arguments: [
      ([], 1), ([5], 5), ([3, 4], 12), ([2, 3, 4], 24), ([2, 0, 3], 0), ([0], 0), ([1, 1, 1], 1),
    ] as [([Int], Int)])
  func count(dims: [Int], expected: Int) {
    #expect(Shape(dims).count == expected)
    #expect(Shape(dims).rank == dims.count)
  }

  @Test("size(d) is the 1-based dimension, and 1 beyond the rank as in Julia")
  func sizeBeyondRank() {
    let shape: Shape = [3, 4]
    #expect(shape.size(1) == 3)
    #expect(shape.size(2) == 4)
    #expect(shape.size(3) == 1)
    #expect(shape.size(10) == 1)
    #expect(Shape([]).size(1) == 1)
  }

  @Test(
    "description is Julia's tuple spelling",
    arguments: [
      ([3, 4], "(3, 4)"), ([5], "(5,)"), ([], "()"), ([2, 3, 4], "(2, 3, 4)"), ([0], "(0,)"),
    ] as [([Int], String)])
  func juliaDescription(dims: [Int], expected: String) {
    #expect(Shape(dims).description == expected)
    #expect("\(Shape(dims))" == expected)
  }

  @Test("an array literal is the list of dimensions")
  func arrayLiteral() {
    let shape: Shape = [3, 4]
    #expect(shape == Shape([3, 4]))
    #expect(shape.dims == [3, 4])
  }

  @Test("a negative dimension is an ArgumentError naming the array and its shape")
  func negativeDimension() throws {
    let error = try #require(throws: LossError.self) { try Shape([3, -1]).validate(name: "yhat") }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("yhat"))
    #expect(error.message.contains("(3, -1)"))
  }

  @Test("a shape whose element count overflows is an ArgumentError, not a trap")
  func overflowingCount() throws {
    // 2³² · 2³² = 2⁶⁴ overflows Int.
    let error = try #require(throws: LossError.self) { try Shape([1 << 32, 1 << 32]).validate(name: "weight") }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("weight"))
  }

  @Test("ordinary and empty shapes validate", arguments: [[], [0], [3, 4], [2, 0, 5]] as [[Int]])
  func validShapes(dims: [Int]) throws {
    try Shape(dims).validate(name: "yhat")
  }
}

/// Julia's broadcasting rule for a weight against ŷ: each dimension equal or 1, missing trailing
/// dimensions counting as 1, and the result never larger than ŷ.
@Suite("Shape broadcasting")
struct ShapeBroadcastTests {
  @Test(
    "broadcasts(to:) follows Julia's rule",
    arguments: [
      ([3, 1], [3, 4], true),  // the class weight of a classes × batch matrix
      ([1, 4], [3, 4], true),  // a per-sample weight
      ([3, 4], [3, 4], true),
      ([1, 1], [3, 4], true),
      ([], [3, 4], true),  // a 0-dimensional array is all ones
      ([3], [3, 4], true),  // the missing second dimension counts as 1
      ([4], [3, 4], false),  // 4 ≠ 3 along dimension 1
      ([3, 4, 1], [3, 4], true),  // a trailing singleton beyond ŷ's rank
      ([3, 4, 2], [3, 4], false),  // 2 would enlarge ŷ along dimension 3
      ([3, 4], [3], false),  // 4 would enlarge ŷ along dimension 2
      ([2, 4], [3, 4], false),
      ([1], [0], true),
      ([0], [0], true),
      ([2], [0], false),
      ([0], [1], false),  // an empty weight cannot fill a non-empty ŷ
    ] as [([Int], [Int], Bool)])
  func broadcastRule(weight: [Int], target: [Int], expected: Bool) {
    #expect(Shape(weight).broadcasts(to: Shape(target)) == expected)
  }

  /// Target linear index l = i + 3j of a 3 × 2 array; the weight element paired with it, by hand.
  @Test(
    "broadcastIndices pairs each element with the weight element Julia uses",
    arguments: [
      // (3, 1) on (3, 2): element (i, j) uses weight (i, 0) = i.
      ([3, 1], [3, 2], [0, 1, 2, 0, 1, 2]),
      // (1, 2) on (3, 2): element (i, j) uses weight (0, j) = j.
      ([1, 2], [3, 2], [0, 0, 0, 1, 1, 1]),
      // (3,) on (3, 2): as (3, 1).
      ([3], [3, 2], [0, 1, 2, 0, 1, 2]),
      // Equal shapes: the identity.
      ([2, 3], [2, 3], [0, 1, 2, 3, 4, 5]),
      // A 0-dimensional or all-ones weight: always element 0.
      ([], [2, 2], [0, 0, 0, 0]),
      ([1, 1], [2, 2], [0, 0, 0, 0]),
      // (2, 1, 2) on (2, 3, 2): l = i + 2j + 6k uses weight i + 2k.
      ([2, 1, 2], [2, 3, 2], [0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3]),
      // A trailing singleton beyond the target's rank changes nothing.
      ([3, 1, 1], [3, 2], [0, 1, 2, 0, 1, 2]),
      // An empty target pairs nothing.
      ([3, 1], [3, 0], []),
    ] as [([Int], [Int], [Int])])
  func broadcastIndices(weight: [Int], target: [Int], expected: [Int]) throws {
    try #require(Shape(weight).broadcasts(to: Shape(target)))
    #expect(Shape(weight).broadcastIndices(to: Shape(target)) == expected)
  }
}

/// Julia's `sum(x; dims)`: reduced dimensions are kept with size 1.
@Suite("Reduction")
struct ReductionTests {
  /// On a 2 × 3 array, element (i, j) has linear index i + 2j; the output index of each element is
  /// worked out by hand from the output shape (column-major).
  @Test(
    "output shape and the output element of each input element, column-major",
    arguments: [
      // dims 1: output (1, 3); element (i, j) goes to j.
      ([1], [1, 3], [0, 0, 1, 1, 2, 2]),
      // dims 2: output (2, 1); element (i, j) goes to i.
      ([2], [2, 1], [0, 1, 0, 1, 0, 1]),
      // dims (1, 2): a 1 × 1 result; everything goes to 0.
      ([1, 2], [1, 1], [0, 0, 0, 0, 0, 0]),
      // dims 3 is beyond the rank: summing over a size-1 dimension changes nothing.
      ([3], [2, 3], [0, 1, 2, 3, 4, 5]),
    ] as [(Set<Int>, [Int], [Int])])
  func reductionOfTwoByThree(dims: Set<Int>, output: [Int], indices: [Int]) {
    let reduction = Reduction([2, 3], dims: dims)
    #expect(reduction.input == [2, 3])
    #expect(reduction.dims == dims)
    #expect(reduction.output == Shape(output))
    #expect(reduction.outputIndices() == indices)
  }

  @Test("reducing a 0-dimensional array keeps it 0-dimensional")
  func rankZero() {
    let reduction = Reduction([], dims: [1])
    #expect(reduction.output == [])
    #expect(reduction.outputIndices() == [0])
  }
}

/// The column-major container of values.
@Suite("Tensor")
struct TensorTests {
  @Test("a value count that does not fit the shape is a DimensionMismatch naming the shape")
  func countMismatch() throws {
    let error = try #require(throws: LossError.self) { try Tensor(shape: [2, 2], values: [1, 2, 3]) }
    #expect(error.kind == .dimensionMismatch)
    #expect(error.message.contains("(2, 2)"))
  }

  @Test("a negative dimension is an ArgumentError")
  func negativeShape() throws {
    let error = try #require(throws: LossError.self) { try Tensor(shape: [-1], values: []) }
    #expect(error.kind == .argumentError)
  }

  @Test("the vector and scalar initializers give shapes (n,) and ()")
  func conveniences() throws {
    let vector = Tensor([1, 2, 3])
    #expect(vector.shape == [3])
    #expect(vector.values == [1, 2, 3])
    let scalar = Tensor(scalar: 4)
    #expect(scalar.shape == [])
    #expect(scalar.values == [4])
    #expect(scalar.count == 1)
    let matrix = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
    #expect(matrix.count == 6)
  }
}
