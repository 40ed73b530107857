import LossCore
import LossFast
import Testing

/// The public functions: every form of ŷ and y gives the bits of the request path
/// (`FastImplementation`), and a typed parameter is rejected with LossCore's message.
@Suite("LossFast public functions")
struct PublicAPITests {
  static let yhat: [Double] = [0.25, 0.5, 0.75, 0.125, 0.875, 0.625]
  static let y: [Double] = [0, 1, 0.5, 0.25, 1, 0]

  /// The request path's outcome for `loss` on the inputs above (a scalar `y` when `label` is given).
  static func expected(
    _ loss: LossID, _ dtype: DType, label: Double? = nil, agg: Aggregation? = nil, params: LossParameters = .init()
  ) -> LossOutcome {
    var params = params
    params.agg = loss.takesAggregation ? agg : nil
    let request = LossRequest(
      loss: loss, dtype: dtype, yhat: Tensor(yhat.map(dtype.round)),
      y: label.map { .scalar($0) } ?? .array(Tensor(y.map(dtype.round))), params: params)
    return FastImplementation().evaluateSynchronously(request)
  }

  /// `loss` through the public function of its name, with Flux's defaults and `agg`.
  static func call<T: LossFastFloat>(
    _ loss: LossID, _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>,
    agg: LossFast.ReducingAggregation = .mean
  ) throws(LossError) -> T {
    switch loss {
    case .mae: try LossFast.mae(yhat, y, agg: agg)
    case .mse: try LossFast.mse(yhat, y, agg: agg)
    case .msle: try LossFast.msle(yhat, y, agg: agg)
    case .huberLoss: try LossFast.huberLoss(yhat, y, agg: agg)
    case .crossentropy: try LossFast.crossentropy(yhat, y, shape: [2, 3], agg: agg)
    case .logitcrossentropy: try LossFast.logitcrossentropy(yhat, y, shape: [2, 3], agg: agg)
    case .binarycrossentropy: try LossFast.binarycrossentropy(yhat, y, agg: agg)
    case .logitbinarycrossentropy: try LossFast.logitbinarycrossentropy(yhat, y, agg: agg)
    case .kldivergence: try LossFast.kldivergence(yhat, y, shape: [2, 3], agg: agg)
    case .poissonLoss: try LossFast.poissonLoss(yhat, y, agg: agg)
    case .hinge: try LossFast.hinge(yhat, y, agg: agg)
    case .squaredHinge: try LossFast.squaredHinge(yhat, y, agg: agg)
    case .diceCoeffLoss: try LossFast.diceCoeffLoss(yhat, y)
    case .tverskyLoss: try LossFast.tverskyLoss(yhat, y)
    }
  }

  /// The request of `loss` on a (2, 3) ŷ for the class-reducing losses, as `call` passes `shape`.
  static func expectedShaped(_ loss: LossID, _ dtype: DType, label: Double? = nil, agg: Aggregation) -> LossOutcome {
    guard loss.reducesOverDims else { return expected(loss, dtype, label: label, agg: agg) }
    let shaped = { (values: [Double]) in (try? Tensor(shape: [2, 3], values: values.map(dtype.round)))! }
    let request = LossRequest(
      loss: loss, dtype: dtype, yhat: shaped(yhat), y: label.map { .scalar($0) } ?? .array(shaped(y)),
      params: LossParameters(agg: loss.takesAggregation ? agg : nil))
    return FastImplementation().evaluateSynchronously(request)
  }

  @Test(
    "arrays, buffers and a constant label give the request path's bits (Float and Double)", arguments: LossID.allCases)
  func formsAgree(loss: LossID) throws {
    let aggs: [LossFast.ReducingAggregation] = loss.takesAggregation ? [.mean, .sum] : [.mean]
    for agg in aggs {
      let float32 = Self.expectedShaped(loss, .float32, agg: agg.aggregation)
      let float64 = Self.expectedShaped(loss, .float64, agg: agg.aggregation)
      let f = Self.yhat.map(Float.init)
      let g = Self.y.map(Float.init)
      #expect(float32 == .value(.scalar(Double(try Self.call(loss, f, g, agg: agg)))))
      #expect(float64 == .value(.scalar(try Self.call(loss, Self.yhat, Self.y, agg: agg))))
      let viaBuffers = try f.withUnsafeBufferPointer { p in
        try g.withUnsafeBufferPointer { q in try Self.call(loss, p, q, agg: agg) }
      }
      #expect(float32 == .value(.scalar(Double(viaBuffers))))
      // A constant label: Float(1), and a Double literal.
      let labelled32 = Self.expectedShaped(loss, .float32, label: 1, agg: agg.aggregation)
      let labelled64 = Self.expectedShaped(loss, .float64, label: 1, agg: agg.aggregation)
      #expect(labelled32 == .value(.scalar(Double(try Self.call(loss, f, Float(1), agg: agg)))))
      #expect(labelled64 == .value(.scalar(try Self.call(loss, Self.yhat, 1, agg: agg))))
    }
  }

  @Test("into: with a constant label writes the request path's agg = none values")
  func intoWithLabel() throws {
    var out = [Float](repeating: 0, count: Self.yhat.count)
    try out.withUnsafeMutableBufferPointer { o in
      try LossFast.binarycrossentropy(Self.yhat.map(Float.init), Float(1), into: o)
    }
    let expected = Self.expected(.binarycrossentropy, .float32, label: 1, agg: Aggregation.none)
    #expect(expected == .value(.array(Tensor(out.map(Double.init)))))
  }

  @Test("LossFast.Target passes a run-time choice of y")
  func targetEnum() throws {
    let array = try Self.y.withUnsafeBufferPointer { q in try LossFast.mse(Self.yhat, LossFast.Target.array(q)) }
    #expect(array == (try LossFast.mse(Self.yhat, Self.y)))
    #expect(try LossFast.mse(Self.yhat, LossFast.Target<Double>.scalar(0.5)) == (try LossFast.mse(Self.yhat, 0.5)))
  }

  /// A typed parameter outside its domain: the error of the same parameter in a request.
  @Test("typed parameters are rejected with LossCore's messages")
  func parameterErrors() throws {
    let p = Self.yhat
    let q = Self.y
    let cases: [(LossID, LossParameters, () throws(LossError) -> Double)] = [
      (.msle, LossParameters(eps: -1), { () throws(LossError) in try LossFast.msle(p, q, eps: -1) }),
      (.msle, LossParameters(eps: .nan), { () throws(LossError) in try LossFast.msle(p, q, eps: .nan) }),
      (.huberLoss, LossParameters(delta: 0), { () throws(LossError) in try LossFast.huberLoss(p, q, delta: 0) }),
      (
        .diceCoeffLoss, LossParameters(smooth: -1),
        { () throws(LossError) in try LossFast.diceCoeffLoss(p, q, smooth: -1) }
      ),
      (.tverskyLoss, LossParameters(beta: 2), { () throws(LossError) in try LossFast.tverskyLoss(p, q, beta: 2) }),
      (
        .kldivergence, LossParameters(dims: [0]), { () throws(LossError) in try LossFast.kldivergence(p, q, dims: [0]) }
      ),
      (
        .crossentropy, LossParameters(weight: .scalar(.infinity)),
        { () throws(LossError) in try LossFast.crossentropy(p, q, weight: .scalar(.infinity)) }
      ),
    ]
    for (loss, params, call) in cases {
      let error = try #require(throws: LossError.self) { try call() }
      #expect(Self.expected(loss, .float64, params: params) == .error(error), "\(loss) \(params)")
    }
  }
}
