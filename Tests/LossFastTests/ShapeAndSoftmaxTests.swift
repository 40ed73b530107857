import LossCore
import LossFast
import LossSpec
import Testing

/// LossFast on the shape pairs Flux's `_check_sizes` accepts (equal up to trailing dimensions of
/// size 1: elementwise, the result of the broadcast shape) and on `logsoftmax` with an infinite
/// maximum (NNlib's rule, `_logsoftmax!` in `src/softmax.jl`: where the maximum is +∞, `x − m` is
/// 0 for the +∞ entries and −∞ for the others), on every path: the Float32 short kernels (groups
/// four at a time), the full-precision groups, long groups, the general path (dims = 2, weight
/// arrays), agg none/mean/sum, 1 and 2 threads, Float32 and Float64.
///
/// The expected values are worked out by hand: `ln k` is the correctly rounded value of the real
/// number, from its 30-digit decimal (mpmath), parsed directly in the dtype.
@Suite("LossFast: Flux's shape rule and NNlib's infinite-maximum logsoftmax")
struct FastShapeAndSoftmaxTests {
  /// ln k rounded correctly to the dtype.
  static func ln(_ k: Int, _ dtype: DType) -> Double {
    let digits = [
      2: "0.693147180559945309417232121458", 4: "1.38629436111989061883446424292",
      40: "3.6888794541139363028524556976",
    ][k]!
    return rounded(digits, dtype)
  }

  /// A decimal constant rounded to the dtype (through Double for the half dtypes: these
  /// constants are far from a half midpoint, so the two roundings are one).
  static func rounded(_ digits: String, _ dtype: DType) -> Double {
    switch dtype {
    case .float32: return Double(Float(digits)!)
    case .float64: return Double(digits)!
    case .float16, .bfloat16: return dtype.round(Double(digits)!)
    }
  }

  static func request(
    _ loss: LossID, _ yhat: [Double], _ yhatShape: [Int], _ y: [Double], _ yShape: [Int], dtype: DType,
    params: LossParameters = LossParameters()
  ) throws -> LossRequest {
    LossRequest(
      loss: loss, dtype: dtype, yhat: try Tensor(shape: Shape(yhatShape), values: yhat),
      y: .array(try Tensor(shape: Shape(yShape), values: y)), params: params)
  }

  // MARK: Trailing-1 pairs

  @Test(
    "trailing-1 pairs are elementwise; agg = none has the broadcast shape (hand values)",
    arguments: [([3], [3, 1]), ([3, 1], [3])] as [([Int], [Int])])
  func trailingOnePairs(yhatShape: [Int], yShape: [Int]) throws {
    for dtype in DType.allCases {
      // ŷ = [0.5, 1.5, −2], y = [0, 1, 1]: (ŷ − y)² = [0.25, 0.25, 9].
      let none = FastImplementation().evaluateSynchronously(
        try Self.request(
          .mse, [0.5, 1.5, -2], yhatShape, [0, 1, 1], yShape, dtype: dtype,
          params: LossParameters(agg: Aggregation.none)))
      #expect(none == .value(.array(try Tensor(shape: [3, 1], values: [0.25, 0.25, 9]))))
      // crossentropy([½, ½, 0], [1, 0, 0]; ϵ = 0, agg = none) = [ln 2] of shape (1, 1).
      let ce = FastImplementation().evaluateSynchronously(
        try Self.request(
          .crossentropy, [0.5, 0.5, 0], yhatShape, [1, 0, 0], yShape, dtype: dtype,
          params: LossParameters(agg: Aggregation.none, eps: 0)))
      #expect(ce == .value(.array(try Tensor(shape: [1, 1], values: [Self.ln(2, dtype)]))))
      // dice([1, 0, 1], [1, 1, 0]) = 1 − 3/5 = 2/5.
      let dice = FastImplementation().evaluateSynchronously(
        try Self.request(.diceCoeffLoss, [1, 0, 1], yhatShape, [1, 1, 0], yShape, dtype: dtype))
      #expect(dice == .value(.scalar(dtype.round(0.4))))
    }
  }

  @Test("every loss on (2, 3) against (2, 3, 1) and back agrees with LossSpec, value and shape")
  func everyLossAgreesWithSpec() async throws {
    let yhat = [0.25, 0.5, 0.125, 0.75, 0.375, 0.625]
    let y: [Double] = [0, 1, 1, 0, 0.5, 0.5]
    for loss in LossID.allCases {
      for dtype in DType.allCases {
        for (a, b) in [([2, 3], [2, 3, 1]), ([2, 3, 1], [2, 3])] {
          for agg in [nil, Aggregation.none] where agg == nil || loss.takesAggregation {
            let request = try Self.request(loss, yhat, a, y, b, dtype: dtype, params: LossParameters(agg: agg))
            let fast = FastImplementation().evaluateSynchronously(request)
            let reference = await ReferenceImplementation().evaluate(request)
            guard case .value(let r) = fast, case .value(let v) = reference else {
              Issue.record("\(loss) \(dtype) \(a) vs \(b): \(fast) / \(reference)")
              continue
            }
            if case .array(let t) = v {
              #expect(t.shape.rank == 3, "\(loss): the broadcast shape has three dimensions")
              guard case .array(let u) = r else {
                Issue.record("\(loss): LossFast gave a scalar for agg = none")
                continue
              }
              #expect(u.shape == t.shape, "\(loss) \(dtype) \(a) vs \(b)")
            }
            for (p, q) in zip(r.values, v.values) {
              #expect(Swift.abs(p - q) <= 2 * (dtype == .float32 ? Double(Float(q).ulp) : q.ulp), "\(loss) \(dtype)")
            }
          }
        }
      }
    }
  }

  @Test(
    "pairs numpy would broadcast are DimensionMismatch errors naming both shapes",
    arguments: [([1, 4], [3, 4]), ([1], [3]), ([3, 1], [1, 4])] as [([Int], [Int])])
  func broadcastablePairsRejected(yhatShape: [Int], yShape: [Int]) throws {
    for loss in LossID.allCases {
      let request = try Self.request(
        loss, [Double](repeating: 0.5, count: Shape(yhatShape).count), yhatShape,
        [Double](repeating: 0.5, count: Shape(yShape).count), yShape, dtype: .float32)
      guard case .error(let e) = FastImplementation().evaluateSynchronously(request) else {
        Issue.record("\(loss): \(yhatShape) vs \(yShape) was accepted")
        continue
      }
      #expect(e.kind == .dimensionMismatch)
      #expect(e.message.contains(Shape(yhatShape).description) && e.message.contains(Shape(yShape).description))
    }
  }

  // MARK: logsoftmax with an infinite maximum

  /// Two-class groups and their hand values: logsoftmax([∞, 0]) = [0, −∞]; [∞, ∞] gives
  /// [−ln 2, −ln 2]; [0, 0] gives [−ln 2, −ln 2]; the loss is −Σ y·logsoftmax.
  enum Group: CaseIterable {
    /// [∞, 0], y [0, 1]: −(0·0 + 1·(−∞)) = +∞.
    case infinite
    /// [∞, ∞], y [1, 0]: −(1·(−ln 2) + 0·(−ln 2)) = ln 2.
    case twoInfinite
    /// [0, 0], y [1, 0]: ln 2.
    case finite
    /// [∞, 0], y [1, 0]: −(1·0 + 0·(−∞)) = NaN (0·(−∞), a plain product).
    case nan

    var x: [Double] {
      switch self {
      case .infinite, .nan: [.infinity, 0]
      case .twoInfinite: [.infinity, .infinity]
      case .finite: [0, 0]
      }
    }
    var y: [Double] { self == .infinite ? [0, 1] : [1, 0] }
    func value(_ dtype: DType) -> Double {
      switch self {
      case .infinite: .infinity
      case .twoInfinite, .finite: FastShapeAndSoftmaxTests.ln(2, dtype)
      case .nan: .nan
      }
    }
  }

  static func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

  @Test(
    "two-class groups (Float32 short kernels four groups at a time, Float64 full precision), agg none/mean/sum",
    arguments: [1, 2])
  func twoClassGroups(threads: Int) throws {
    // 12 groups: every pattern at every lane position of the four-groups-at-a-time kernel.
    let groups: [Group] =
      [.twoInfinite, .finite, .infinite, .finite, .finite, .twoInfinite, .finite, .infinite]
      + [.finite, .finite, .twoInfinite, .finite]
    let x = groups.flatMap(\.x)
    let y = groups.flatMap(\.y)
    for dtype in DType.allCases {
      var none = [Double](repeating: 0, count: groups.count)
      if dtype == .float32 {
        var out = [Float](repeating: 0, count: groups.count)
        try out.withUnsafeMutableBufferPointer { o in
          try x.map(Float.init).withUnsafeBufferPointer { p in
            try y.map(Float.init).withUnsafeBufferPointer { q in
              try LossFast.logitcrossentropy(p, q, shape: [2, groups.count], into: o, threads: threads)
            }
          }
        }
        none = out.map(Double.init)
      } else {
        try none.withUnsafeMutableBufferPointer { o in
          try x.withUnsafeBufferPointer { p in
            try y.withUnsafeBufferPointer { q in
              try LossFast.logitcrossentropy(p, q, shape: [2, groups.count], into: o, threads: threads)
            }
          }
        }
      }
      // The public functions ran on Float data for Float32, on Double data otherwise.
      for (g, group) in groups.enumerated() {
        let computed: DType = dtype == .float32 ? .float32 : .float64
        #expect(Self.same(none[g], group.value(computed)), "\(dtype) group \(g) \(group): \(none[g])")
      }
      // mean and sum: +∞ (two +∞ groups, the others finite).
      let request = try Self.request(.logitcrossentropy, x, [2, groups.count], y, [2, groups.count], dtype: dtype)
      #expect(FastImplementation(threads: threads).evaluateSynchronously(request) == .value(.scalar(.infinity)))
      var sum = request
      sum.params.agg = .sum
      #expect(FastImplementation(threads: threads).evaluateSynchronously(sum) == .value(.scalar(.infinity)))
      // Without the +∞ groups: the mean of ln 2 over the groups is ln 2.
      let finiteGroups = groups.filter { $0 != .infinite }
      let finite = try Self.request(
        .logitcrossentropy, finiteGroups.flatMap(\.x), [2, finiteGroups.count], finiteGroups.flatMap(\.y),
        [2, finiteGroups.count], dtype: dtype)
      #expect(FastImplementation(threads: threads).evaluateSynchronously(finite) == .value(.scalar(Self.ln(2, dtype))))
      // A NaN group makes the mean NaN.
      let withNaN = try Self.request(
        .logitcrossentropy, x + Group.nan.x, [2, groups.count + 1], y + Group.nan.y, [2, groups.count + 1],
        dtype: dtype)
      guard case .value(.scalar(let v)) = FastImplementation(threads: threads).evaluateSynchronously(withNaN) else {
        Issue.record("no value")
        continue
      }
      #expect(v.isNaN)
    }
  }

  @Test("long groups (40 classes), dims = 2, a weight array: the general and long-group paths")
  func otherPaths() throws {
    for dtype in DType.allCases {
      // 40 classes all +∞, y = e₁: logsoftmax = −ln 40 each; −(1·(−ln 40) + 39·0·(−ln 40)) = ln 40.
      var y40 = [Double](repeating: 0, count: 40)
      y40[0] = 1
      let long = try Self.request(
        .logitcrossentropy, [Double](repeating: .infinity, count: 40), [40], y40, [40], dtype: dtype)
      #expect(FastImplementation().evaluateSynchronously(long) == .value(.scalar(Self.ln(40, dtype))))
      // dims = 2 on the (2, 2) array [∞ 1; 0 1] (column-major [∞, 0, 1, 1]) with y [0 1; 1 0]:
      // row 1 [∞, 1] with y [0, 1] → +∞; row 2 [0, 1] with y [1, 0] → log(1 + e) = 1.31326168751822283….
      let rows = try Self.request(
        .logitcrossentropy, [.infinity, 0, 1, 1], [2, 2], [0, 1, 1, 0], [2, 2], dtype: dtype,
        params: LossParameters(agg: Aggregation.none, dims: [2]))
      let logOnePlusE = "1.31326168751822283404899549497"
      let expected = Self.rounded(logOnePlusE, dtype)
      #expect(
        FastImplementation().evaluateSynchronously(rows)
          == .value(.array(try Tensor(shape: [2, 1], values: [.infinity, expected]))))
      // A per-class weight [2, 1] on columns [∞, ∞] (y [1, 0]) and [∞, 0] (y [0, 1]):
      // −(2·1·(−ln 2) + 1·0·(−ln 2)) = 2 ln 2 = ln 4, and −(2·0·0 + 1·1·(−∞)) = +∞.
      let weighted = try Self.request(
        .logitcrossentropy, [.infinity, .infinity, .infinity, 0], [2, 2], [1, 0, 0, 1], [2, 2], dtype: dtype,
        params: LossParameters(agg: Aggregation.none, weight: .array(Tensor([2, 1]))))
      #expect(
        FastImplementation().evaluateSynchronously(weighted)
          == .value(.array(try Tensor(shape: [1, 2], values: [Self.ln(4, dtype), .infinity]))))
    }
  }
}
