import LossCore

/// LossFast as a `LossImplementation`: the built-in fast path that `losscheck` verifies
/// against LossSpec (`--impl fast`).
///
/// A request's values (Doubles that represent the dtype's values exactly) are converted once to
/// `[Float]`, `[Double]`, `[Float16]` or `[BFloat16]`; the loss then runs on those buffers exactly
/// as the public API does.
public struct FastImplementation: LossImplementation {
  /// The thread count; `nil` is ``LossFast/defaultThreadCount``.
  public var threads: Int?

  public init(threads: Int? = nil) {
    self.threads = threads
  }

  public var name: String { "LossFast 1 (SIMD, chunked reductions, \(threads ?? LossFast.defaultThreadCount) threads)" }
  public var losses: [LossID] { LossID.allCases }
  public var dtypes: [DType] { [.float32, .float64, .float16, .bfloat16] }

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
      case .float16:
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
          return .value(try run(request, params, as: Float16.self))
        #else
          return .error(.argumentError("Float16 is unavailable on this platform"))
        #endif
      case .bfloat16: return .value(try run(request, params, as: BFloat16.self))
      }
    } catch {
      return .error(error)
    }
  }

  private func run<T: LossFastElement>(_ request: LossRequest, _ params: ResolvedParameters, as _: T.Type)
    throws(LossError)
    -> LossValue
  {
    let yhat = request.yhat.values.map { narrow($0) as T }
    // Julia's broadcast of ŷ and y: ŷ's shape, or y's when it has more (size-1) dimensions.
    let termShape = request.termShape
    let shape = termShape.dims
    let dims = params.dims.sorted()
    let weightValues: [T]
    let weightShape: [Int]
    var scalarWeight: T?
    switch params.weight {
    case .array(let t)?:
      weightValues = t.values.map { narrow($0) as T }
      weightShape = t.shape.dims
    case .scalar(let w)?:
      weightValues = []
      weightShape = []
      scalarWeight = narrow(w) as T
    case nil:
      weightValues = []
      weightShape = []
    }
    let yValues: [T]
    var scalarY: T?
    switch request.y {
    case .scalar(let v):
      yValues = []
      scalarY = narrow(v) as T
    case .array(let t):
      yValues = t.values.map { narrow($0) as T }
    }
    let reducesOverDims = request.loss.reducesOverDims
    let agg = request.loss.takesAggregation ? params.agg : .mean
    let outputShape: Shape =
      reducesOverDims ? Reduction(termShape, dims: params.dims).output : termShape
    var output = [T](repeating: T._lossFastZero, count: agg == .none ? outputShape.count : 0)
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
      return .scalar(widen(narrow(value) as T))
    }
    return .array(try Tensor(shape: outputShape, values: output.map { widen($0) }))
  }
}

extension FastImplementation {
  /// LossFast computes gradients (``LossFast/valueAndGradient(_:_:_:shape:dims:weight:eps:delta:smooth:beta:agg:into:yGradient:threads:)``).
  public var answersGradients: Bool { true }

  /// The value (as ``evaluate(_:)``) and, when the request asks for one and the value is not an
  /// error, the gradient from LossFast's value-and-gradient entry point, each element an exact
  /// value of the dtype held as a Double. A cotangent of the wrong length makes the whole
  /// request an `ArgumentError` (as LossSpec answers it).
  public func answer(_ request: LossRequest) async -> LossAnswer {
    answerSynchronously(request)
  }

  /// ``answer(_:)`` without the `async` hop.
  public func answerSynchronously(_ request: LossRequest) -> LossAnswer {
    let outcome = evaluateSynchronously(request)
    guard let gradient = request.gradient, case .value = outcome else { return LossAnswer(outcome: outcome) }
    do {
      let (_, params) = try request.validated()
      let cotangent = try request.validatedCotangent(params)
      let result: LossGradient
      switch request.dtype {
      case .float32:
        result = try runGradient(
          request, params, cotangent: cotangent, withTarget: gradient.includesTarget, as: Float.self)
      case .float64:
        result = try runGradient(
          request, params, cotangent: cotangent, withTarget: gradient.includesTarget, as: Double.self)
      case .float16:
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
          result = try runGradient(
            request, params, cotangent: cotangent, withTarget: gradient.includesTarget, as: Float16.self)
        #else
          return LossAnswer(outcome: .error(.argumentError("Float16 is unavailable on this platform")))
        #endif
      case .bfloat16:
        result = try runGradient(
          request, params, cotangent: cotangent, withTarget: gradient.includesTarget, as: BFloat16.self)
      }
      return LossAnswer(outcome: outcome, gradient: .gradient(result))
    } catch {
      return LossAnswer(outcome: .error(error))
    }
  }

  private func runGradient<T: LossFastElement>(
    _ request: LossRequest, _ params: ResolvedParameters, cotangent: [Double]?, withTarget: Bool, as _: T.Type
  ) throws(LossError) -> LossGradient {
    let yhat = request.yhat.values.map { narrow($0) as T }
    let termShape = request.termShape
    let reducesOverDims = request.loss.reducesOverDims
    let dims = reducesOverDims ? params.dims.sorted() : [1]
    var weight: [T] = []
    var weightShape: [Int] = []
    var scalarWeight: T?
    switch params.weight {
    case .array(let t)?:
      weight = t.values.map { narrow($0) as T }
      weightShape = t.shape.dims
    case .scalar(let w)?: scalarWeight = narrow(w) as T
    case nil: break
    }
    var yValues: [T] = []
    var scalarY: T?
    switch request.y {
    case .scalar(let v): scalarY = narrow(v) as T
    case .array(let t): yValues = t.values.map { narrow($0) as T }
    }
    let agg = request.loss.takesAggregation ? params.agg : .mean
    let cotangentValues = (cotangent ?? []).map { narrow($0) as T }
    var dyhat = [T](repeating: T._lossFastZero, count: yhat.count)
    var dy = [T](repeating: T._lossFastZero, count: withTarget ? (scalarY == nil ? yValues.count : 1) : 0)
    let resolved = params.loss
    func parameter(_ v: Double?) -> T? { v.map { narrow($0) as T } }
    var eps: Double?
    var delta: Double?
    var smooth: Double?
    var beta: Double?
    switch resolved {
    case .msle(let e), .binarycrossentropy(let e), .crossentropy(let e), .kldivergence(let e): eps = e
    case .huberLoss(let d): delta = d
    case .diceCoeffLoss(let s): smooth = s
    case .tverskyLoss(let b): beta = b
    default: break
    }
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) in
      try yValues.withUnsafeBufferPointer { (q) throws(LossError) in
        try weight.withUnsafeBufferPointer { (w) throws(LossError) in
          try cotangentValues.withUnsafeBufferPointer { (c) throws(LossError) in
            try dyhat.withUnsafeMutableBufferPointer { (g) throws(LossError) in
              try dy.withUnsafeMutableBufferPointer { (gy) throws(LossError) in
                var weightArgument: LossFast.Weight<T>?
                if let scalarWeight {
                  weightArgument = .scalar(scalarWeight)
                } else if params.weight != nil {
                  weightArgument = .array(w, shape: weightShape)
                }
                _ = try LossFast.valueAndGradient(
                  request.loss, p, scalarY.map { .scalar($0) } ?? .array(q), eps: parameter(eps),
                  delta: parameter(delta), smooth: parameter(smooth), beta: parameter(beta),
                  shape: reducesOverDims ? termShape.dims : nil, dims: dims, weight: weightArgument, agg: agg,
                  cotangent: agg == .none && cotangent != nil ? c : nil, values: nil, gradient: g,
                  yGradient: withTarget ? gy : nil, threads: threads)
              }
            }
          }
        }
      }
    }
    return LossGradient(yhat: dyhat.map { widen($0) }, y: withTarget ? dy.map { widen($0) } : nil)
  }
}
