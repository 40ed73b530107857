import LossCore

/// LossFast as a `LossImplementation`: the built-in fast path that `losscheck` verifies
/// against LossSpec (`--impl fast`).
///
/// A request's values (Doubles that represent the dtype's values exactly) are converted once to
/// `[Float]` or `[Double]`; the loss then runs on those buffers exactly as the public API does.
public struct FastImplementation: LossImplementation {
  /// The thread count; `nil` is ``LossFast/defaultThreadCount``.
  public var threads: Int?

  public init(threads: Int? = nil) {
    self.threads = threads
  }

  public var name: String { "LossFast 1 (SIMD, chunked reductions, \(threads ?? LossFast.defaultThreadCount) threads)" }
  public var losses: [LossID] { LossID.allCases }
  public var dtypes: [DType] { DType.allCases }

  public func evaluate(_ request: LossRequest) async -> LossOutcome {
    evaluateSynchronously(request)
  }

  /// ``evaluate(_:)`` without the `async` hop.
  public func evaluateSynchronously(_ request: LossRequest) -> LossOutcome {
    do {
      let (_, params) = try request.validated()
      switch request.dtype {
      case .float32: return .value(try run(request, params, as: Float.self))
      case .float64: return .value(try run(request, params, as: Double.self))
      }
    } catch {
      return .error(error)
    }
  }

  private func run<T: LossFastFloat>(_ request: LossRequest, _ params: ResolvedParameters, as _: T.Type)
    throws(LossError)
    -> LossValue
  {
    let yhat = request.yhat.values.map { T($0) }
    // Julia's broadcast of ŷ and y: ŷ's shape, or y's when it has more (size-1) dimensions.
    let termShape = request.termShape
    let shape = termShape.dims
    let dims = params.dims.sorted()
    let weightValues: [T]
    let weightShape: [Int]
    var scalarWeight: T?
    switch params.weight {
    case .array(let t)?:
      weightValues = t.values.map { T($0) }
      weightShape = t.shape.dims
    case .scalar(let w)?:
      weightValues = []
      weightShape = []
      scalarWeight = T(w)
    case nil:
      weightValues = []
      weightShape = []
    }
    let yValues: [T]
    var scalarY: T?
    switch request.y {
    case .scalar(let v):
      yValues = []
      scalarY = T(v)
    case .array(let t):
      yValues = t.values.map { T($0) }
    }
    let reducesOverDims = request.loss.reducesOverDims
    let agg = request.loss.takesAggregation ? params.agg : .mean
    let outputShape: Shape =
      reducesOverDims ? Reduction(termShape, dims: params.dims).output : termShape
    var output = [T](repeating: 0, count: agg == .none ? outputShape.count : 0)
    let value: Double? = try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> Double? in
      try yValues.withUnsafeBufferPointer { (q) throws(LossError) -> Double? in
        try weightValues.withUnsafeBufferPointer { (w) throws(LossError) -> Double? in
          try output.withUnsafeMutableBufferPointer { (out) throws(LossError) -> Double? in
            var weight: LossFast.Weight<T>?
            if let scalarWeight {
              weight = .scalar(scalarWeight)
            } else if params.weight != nil {
              weight = .array(w, shape: weightShape)
            }
            let call = LossCall<T>(
              loss: params.loss, yhat: p, y: scalarY.map { .scalar($0) } ?? .array(q),
              shape: reducesOverDims ? shape : nil, dims: dims, weight: weight, agg: agg, threads: threads)
            return try call.run(into: agg == .none ? out : nil)
          }
        }
      }
    }
    if let value {
      return .scalar(Double(T(value)))
    }
    return .array(try Tensor(shape: outputShape, values: output.map { Double($0) }))
  }
}
