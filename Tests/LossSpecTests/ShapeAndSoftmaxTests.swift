import LossCore
import Testing

@testable import LossSpec

/// LossSpec on the shape pairs Flux's `_check_sizes` accepts (equal up to trailing dimensions of
/// size 1) and rejects (what numpy/PyTorch would broadcast), and on `logsoftmax` with an infinite
/// maximum (NNlib's rule). Every expected value is worked out by hand below; where it is
/// irrational, the Float64 constant is the correctly rounded value of the named real number
/// (`ln 2 = 0.693147180559945309417…` → 0.6931471805599453; `ln 4 = 1.386294361119890618…` →
/// 1.3862943611198906; Float32: `ln 2` → 0.693147182464599609375).
@Suite("LossSpec: Flux's shape rule and NNlib's infinite-maximum logsoftmax")
struct SpecShapeAndSoftmaxTests {
  static let ln2 = 0.6931471805599453
  static let ln4 = 1.3862943611198906
  static let ln2f = Double(Float(0.6931472))

  /// One LossSpec evaluation with separate shapes for ŷ and y.
  static func evaluate(
    _ loss: LossID, _ yhat: [Double], _ yhatShape: [Int], _ y: [Double], _ yShape: [Int],
    dtype: DType = .float64, params: LossParameters = LossParameters()
  ) throws -> SpecResult {
    let request = LossRequest(
      loss: loss, dtype: dtype, yhat: try Tensor(shape: Shape(yhatShape), values: yhat),
      y: .array(try Tensor(shape: Shape(yShape), values: y)), params: params)
    return try LossSpec.evaluate(request)
  }

  // MARK: Trailing-1 pairs

  @Test(
    "elementwise losses on (3,) against (3, 1), both orders: the values of equal shapes, agg = none of shape (3, 1)",
    arguments: [([3], [3, 1]), ([3, 1], [3])] as [([Int], [Int])])
  func elementwise(yhatShape: [Int], yShape: [Int]) throws {
    // ŷ = [0.5, 1.5, −2], y = [0, 1, 1]: |ŷ − y| = [0.5, 0.5, 3], (ŷ − y)² = [0.25, 0.25, 9].
    let yhat = [0.5, 1.5, -2]
    let y: [Double] = [0, 1, 1]
    let mae = try Self.evaluate(.mae, yhat, yhatShape, y, yShape)
    #expect(mae.float64 == [4.0 / 3])  // (0.5 + 0.5 + 3)/3 = 4/3, IEEE division rounds correctly
    let none = try Self.evaluate(.mse, yhat, yhatShape, y, yShape, params: LossParameters(agg: Aggregation.none))
    #expect(none.shape == [3, 1])
    #expect(none.float64 == [0.25, 0.25, 9])
    let sum = try Self.evaluate(.mse, yhat, yhatShape, y, yShape, params: LossParameters(agg: .sum))
    #expect(sum.float64 == [9.5])
    // hinge: max(0, 1 − ŷ·y) = [1, 0, 3]; mean 4/3.
    #expect(try Self.evaluate(.hinge, yhat, yhatShape, y, yShape).float64 == [4.0 / 3])
  }

  @Test("(2, 3) against (2, 3, 1): agg = none has shape (2, 3, 1)")
  func threeDimensional() throws {
    let yhat: [Double] = [1, 2, 3, 4, 5, 6]
    let y: [Double] = [0, 0, 0, 0, 0, 0]
    let none = try Self.evaluate(.mae, yhat, [2, 3], y, [2, 3, 1], params: LossParameters(agg: Aggregation.none))
    #expect(none.shape == [2, 3, 1])
    #expect(none.float64 == yhat)
    let back = try Self.evaluate(.mae, yhat, [2, 3, 1], y, [2, 3], params: LossParameters(agg: Aggregation.none))
    #expect(back.shape == [2, 3, 1])
  }

  @Test(
    "class-reducing losses on (2,) against (2, 1), both orders: Julia sums the (2, 1) broadcast over dims",
    arguments: [([2], [2, 1]), ([2, 1], [2])] as [([Int], [Int])])
  func classReducing(yhatShape: [Int], yShape: [Int]) throws {
    let none = LossParameters(agg: Aggregation.none, eps: 0)
    // crossentropy(ŷ = [½, ½], y = [1, 0]; ϵ = 0) = −(1·log ½ + xlogy(0, ½)) = ln 2; sum over
    // dims 1 of a (2, 1) array is (1, 1).
    let ce = try Self.evaluate(.crossentropy, [0.5, 0.5], yhatShape, [1, 0], yShape, params: none)
    #expect(ce.shape == [1, 1])
    #expect(ce.float64 == [Self.ln2])
    // kldivergence: xlogx(1) + xlogx(0) = 0, plus the crossentropy above: ln 2.
    let kl = try Self.evaluate(.kldivergence, [0.5, 0.5], yhatShape, [1, 0], yShape, params: none)
    #expect(kl.shape == [1, 1])
    #expect(kl.float64 == [Self.ln2])
    // logitcrossentropy([0, 0], [1, 0]) = −log(e⁰/(e⁰ + e⁰)) = ln 2.
    let lce = try Self.evaluate(
      .logitcrossentropy, [0, 0], yhatShape, [1, 0], yShape, params: LossParameters(agg: Aggregation.none))
    #expect(lce.shape == [1, 1])
    #expect(lce.float64 == [Self.ln2])
    // dims = 2 on the (2, 1) broadcast: each element is its own group, logsoftmax = 0, so
    // −y·0 = 0 per element, result shape (2, 1).
    let perElement = try Self.evaluate(
      .logitcrossentropy, [0, 0], yhatShape, [1, 0], yShape, params: LossParameters(agg: Aggregation.none, dims: [2]))
    #expect(perElement.shape == [2, 1])
    #expect(perElement.float64 == [0, 0])
  }

  @Test("dice and tversky sum over all elements of (3,) against (3, 1)")
  func overlap() throws {
    // ŷ = [1, 0, 1], y = [1, 1, 0]: Σyŷ = 1, Σy² = Σŷ² = 2; dice = 1 − (2 + 1)/(2 + 2 + 1) = 2/5.
    #expect(try Self.evaluate(.diceCoeffLoss, [1, 0, 1], [3], [1, 1, 0], [3, 1]).float64 == [0.4])
    // tversky (β = fl(0.7)): denominator terms 1, (1 − β), β, summing to 2 exactly; 1 − 2/3 = 1/3.
    #expect(try Self.evaluate(.tverskyLoss, [1, 0, 1], [3, 1], [1, 1, 0], [3]).float64 == [1.0 / 3])
  }

  @Test(
    "pairs numpy would broadcast are DimensionMismatch errors naming both shapes",
    arguments: [([1, 4], [3, 4]), ([1], [3]), ([3, 1], [1, 4]), ([3], [3, 3])] as [([Int], [Int])])
  func rejected(yhatShape: [Int], yShape: [Int]) throws {
    for loss in LossID.allCases {
      let error = try #require(throws: LossError.self) {
        try Self.evaluate(
          loss, [Double](repeating: 0.5, count: Shape(yhatShape).count), yhatShape,
          [Double](repeating: 0.5, count: Shape(yShape).count), yShape)
      }
      #expect(error.kind == .dimensionMismatch)
      #expect(error.message.contains(Shape(yhatShape).description))
      #expect(error.message.contains(Shape(yShape).description))
    }
  }

  // MARK: logsoftmax with an infinite maximum

  @Test(
    "logitcrossentropy with a +∞ logit follows NNlib's logsoftmax",
    arguments: [
      // logsoftmax([∞, 0]) = [0, −∞] − log(e⁰ + e^(−∞)) = [0, −∞]; −(0·0 + 1·(−∞)) = +∞.
      ([Double.infinity, 0], [0, 1], Double.infinity),
      // −(1·0 + 0·(−∞)): 0·(−∞) is NaN by IEEE (a plain product, not xlogy).
      ([.infinity, 0], [1, 0], .nan),
      // Two +∞: each shifted entry 0, log(1 + 1) = ln 2, logsoftmax = [−ln 2, −ln 2]; −(1·(−ln 2) + 0) = ln 2.
      ([.infinity, .infinity], [1, 0], SpecShapeAndSoftmaxTests.ln2),
      // Four +∞ with y = ¼ each: −4·¼·(−ln 4) = ln 4.
      ([.infinity, .infinity, .infinity, .infinity], [0.25, 0.25, 0.25, 0.25], SpecShapeAndSoftmaxTests.ln4),
      // The maximum −∞ keeps IEEE's reading: −∞ − (−∞) = NaN.
      ([-.infinity, -.infinity], [1, 0], .nan),
      // A NaN in the group: NaN, as before.
      ([.infinity, .nan], [1, 0], .nan),
    ] as [([Double], [Double], Double)])
  func infiniteMaximum(yhat: [Double], y: [Double], expected: Double) throws {
    let result = try spec(.logitcrossentropy, yhat, y)
    if expected.isNaN {
      #expect(result.float64[0].isNaN)
    } else {
      #expect(result.float64 == [expected])
    }
  }

  @Test("agg = none: a +∞ column and a finite column; Float32 too")
  func infiniteMaximumColumns() throws {
    // Column 1 [∞, 0] with y [0, 1]: +∞ (above). Column 2 [1, 1] with y [1, 0]: ln 2.
    for dtype in DType.allCases {
      let result = try spec(
        .logitcrossentropy, [.infinity, 0, 1, 1], [0, 1, 1, 0], shape: [2, 2], dtype: dtype,
        params: LossParameters(agg: Aggregation.none))
      #expect(result.shape == [1, 2])
      // ln 2 = 0.693147…: Float16 0.693359375 (1420·2⁻¹¹) and BFloat16 0.69140625 (177·2⁻⁸), each
      // 2·10⁻⁴ or more from a midpoint, so rounding the Float64 ln 2 gives them.
      #expect(result.rounded == [.infinity, dtype == .float32 ? Self.ln2f : dtype.round(Self.ln2)])
    }
    #expect(DType.float16.round(Self.ln2) == 1420.0 / 2048)
    #expect(DType.bfloat16.round(Self.ln2) == 177.0 / 256)
    // dims = 2 groups the rows: row 1 [∞, 1] with y [0, 1] → +∞; row 2 [0, 1] with y [1, 0] →
    // −log(1/(1 + e)) = log(1 + e) = 1.3132616875182228… (correctly rounded Float64 1.3132616875182228).
    let rows = try spec(
      .logitcrossentropy, [.infinity, 0, 1, 1], [0, 1, 1, 0], shape: [2, 2],
      params: LossParameters(agg: Aggregation.none, dims: [2]))
    #expect(rows.shape == [2, 1])
    #expect(rows.float64 == [.infinity, 1.3132616875182228])
  }
}
