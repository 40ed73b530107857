import LossCore

/// A loss with its scalar parameters resolved (Flux's defaults applied, converted to the dtype,
/// validated), as Doubles.
enum LossSpecifier {
  case mae, mse, logitbinarycrossentropy, poissonLoss, hinge, squaredHinge, logitcrossentropy
  case msle(eps: Double)
  case huberLoss(delta: Double)
  case binarycrossentropy(eps: Double)
  case crossentropy(eps: Double)
  case kldivergence(eps: Double)
  case diceCoeffLoss(smooth: Double)
  case tverskyLoss(beta: Double)

  var id: LossID {
    switch self {
    case .mae: .mae
    case .mse: .mse
    case .msle: .msle
    case .huberLoss: .huberLoss
    case .crossentropy: .crossentropy
    case .logitcrossentropy: .logitcrossentropy
    case .binarycrossentropy: .binarycrossentropy
    case .logitbinarycrossentropy: .logitbinarycrossentropy
    case .kldivergence: .kldivergence
    case .poissonLoss: .poissonLoss
    case .hinge: .hinge
    case .squaredHinge: .squaredHinge
    case .diceCoeffLoss: .diceCoeffLoss
    case .tverskyLoss: .tverskyLoss
    }
  }
}

/// `y`: an array of ŷ's length, or a constant label.
enum TargetValues<T> {
  case array(UnsafeBufferPointer<T>)
  case scalar(T)
}

/// One call of a loss, before the dtype dispatch.
struct LossCall<T: LossFastFloat> {
  var loss: LossSpecifier
  var yhat: UnsafeBufferPointer<T>
  var y: TargetValues<T>
  /// ŷ's shape (column-major); `nil` is a vector.
  var shape: [Int]?
  var dims: [Int] = [1]
  var weight: LossFast.Weight<T>?
  var agg: Aggregation = .mean
  var threads: Int?
}

/// A pointer that is never dereferenced, for empty buffers.
private var emptyBase: UnsafeRawPointer { UnsafeRawPointer(bitPattern: 0x40)! }

@inline(__always) private func floats<T>(_ b: UnsafeBufferPointer<T>) -> UnsafePointer<Float> {
  UnsafeRawPointer(b.baseAddress ?? UnsafePointer(emptyBase.assumingMemoryBound(to: T.self)))
    .assumingMemoryBound(to: Float.self)
}

@inline(__always) private func doubles<T>(_ b: UnsafeBufferPointer<T>) -> UnsafePointer<Double> {
  UnsafeRawPointer(b.baseAddress ?? UnsafePointer(emptyBase.assumingMemoryBound(to: T.self)))
    .assumingMemoryBound(to: Double.self)
}

/// `T` → Double without a generic conversion.
@inline(__always) func widen<T: LossFastFloat>(_ v: T) -> Double {
  T._lossFastDType == .float32 ? Double(unsafeBitCast(v, to: Float.self)) : unsafeBitCast(v, to: Double.self)
}

/// Double → `T`, rounded once.
@inline(__always) func narrow<T: LossFastFloat>(_ v: Double) -> T {
  T._lossFastDType == .float32 ? unsafeBitCast(Float(v), to: T.self) : unsafeBitCast(v, to: T.self)
}

extension LossCall {
  /// Checks the shapes (DimensionMismatch names both) and the weight.
  func validate() throws(LossError) {
    let name = loss.id.rawValue
    let n = yhat.count
    let shapeText = shape.map { Shape($0).description } ?? "(\(n),)"
    if let shape {
      try Shape(shape).validate(name: "ŷ")
      var product = 1
      for d in shape { product *= d }
      guard product == n else {
        throw .dimensionMismatch("\(name): ŷ has \(n) elements but its shape \(Shape(shape)) needs \(product)")
      }
    }
    if case .array(let values) = y, values.count != n {
      throw .dimensionMismatch(
        "\(name): ŷ has shape \(shapeText) but y has shape (\(values.count),); they must be equal, or y a scalar")
    }
    for d in dims where d < 1 {
      throw .argumentError("dims are 1-based and must be ≥ 1, got \(d) in \(dims)")
    }
    guard threads ?? 1 >= 1 else { throw .argumentError("threads must be ≥ 1, got \(threads ?? 0)") }
    switch weight {
    case .scalar(let w)?:
      guard widen(w).isFinite else { throw .argumentError("weight must be finite, got \(widen(w))") }
    case .array(let values, let wshape)?:
      var product = 1
      for d in wshape { product *= d }
      guard product == values.count else {
        throw .dimensionMismatch("weight has \(values.count) elements but its shape \(Shape(wshape)) needs \(product)")
      }
      let target = Shape(shape ?? [n])
      guard Shape(wshape).broadcasts(to: target) else {
        throw .dimensionMismatch("weight of shape \(Shape(wshape)) does not broadcast against ŷ of shape \(target)")
      }
      for (i, v) in values.enumerated() where !widen(v).isFinite {
        throw .argumentError("weight[\(i + 1)] must be finite, got \(widen(v))")
      }
    case nil: break
    }
  }

  /// Evaluates the call; `out` receives the unreduced values when `agg == .none` (and the
  /// returned value is `nil`).
  func run(into out: UnsafeMutableBufferPointer<T>?) throws(LossError) -> Double? {
    try validate()
    let threads = self.threads ?? Parallel.defaultThreadCount
    if T._lossFastDType == .float32 {
      let p = FloatOperand(base: floats(yhat))
      switch y {
      case .array(let values):
        return try evaluate(p, FloatOperand(base: floats(values)), threads: threads, out: out)
      case .scalar(let v):
        return try evaluate(p, ConstantOperand(value: widen(v)), threads: threads, out: out)
      }
    }
    let p = DoubleOperand(base: doubles(yhat))
    switch y {
    case .array(let values):
      return try evaluate(p, DoubleOperand(base: doubles(values)), threads: threads, out: out)
    case .scalar(let v):
      return try evaluate(p, ConstantOperand(value: widen(v)), threads: threads, out: out)
    }
  }

  private func evaluate<P: Operand, Y: Operand>(
    _ p: P, _ y: Y, threads: Int, out: UnsafeMutableBufferPointer<T>?
  ) throws(LossError) -> Double? {
    let compensated = T._lossFastDType == .float64
    let n = yhat.count
    func elementwise<E: ElementwiseTerm>(_ term: E) throws(LossError) -> Double? {
      switch agg {
      case .mean, .sum:
        return try ElementwiseKernel.reduce(
          term, p, y, count: n, mean: agg == .mean, compensated: compensated, threads: threads)
      case .none:
        guard let out, out.count == n else {
          throw .argumentError("agg = none writes \(n) values: pass an output buffer of that length")
        }
        let base = UnsafeMutableRawPointer(
          out.baseAddress ?? UnsafeMutablePointer(mutating: emptyBase.assumingMemoryBound(to: T.self)))
        if compensated {
          try ElementwiseKernel.map(
            term, p, y, count: n, into: DoubleOutput(base: base.assumingMemoryBound(to: Double.self)),
            compensated: true, threads: threads)
        } else {
          try ElementwiseKernel.map(
            term, p, y, count: n, into: FloatOutput(base: base.assumingMemoryBound(to: Float.self)),
            compensated: false, threads: threads)
        }
        return nil
      }
    }
    func classLoss(_ kind: ClassKernel.Kind, eps: Double) throws(LossError) -> Double? {
      let weightSpec: WeightSpec
      switch weight {
      case nil: weightSpec = .none
      case .scalar(let w)?: weightSpec = .scalar(widen(w))
      case .array(let values, let wshape)?:
        weightSpec = .array(shape: wshape, value: { i in widen(values[i]) })
      }
      let result = try ClassKernel.evaluate(
        kind, p, y, shape: shape ?? [n], dims: dims, weight: weightSpec, eps: eps, agg: agg,
        compensated: compensated, threads: threads)
      switch result {
      case .scalar(let v): return v
      case .array(let values):
        guard let out, out.count == values.count else {
          throw .argumentError(
            "agg = none writes \(values.count) values (LossFast.outputCount(shape:dims:)): pass an output buffer of that length"
          )
        }
        for (i, v) in values.enumerated() { out[i] = narrow(v) }
        return nil
      }
    }
    switch loss {
    case .mae: return try elementwise(MAETerm())
    case .mse: return try elementwise(MSETerm())
    case .msle(let eps): return try elementwise(MSLETerm(eps: eps))
    case .huberLoss(let delta): return try elementwise(HuberTerm(delta: delta))
    case .binarycrossentropy(let eps): return try elementwise(BinaryCrossentropyTerm(eps: eps))
    case .logitbinarycrossentropy: return try elementwise(LogitBinaryCrossentropyTerm())
    case .poissonLoss: return try elementwise(PoissonTerm())
    case .hinge: return try elementwise(HingeTerm())
    case .squaredHinge: return try elementwise(SquaredHingeTerm())
    case .crossentropy(let eps): return try classLoss(.crossentropy, eps: eps)
    case .logitcrossentropy: return try classLoss(.logitcrossentropy, eps: 0)
    case .kldivergence(let eps): return try classLoss(.kldivergence, eps: eps)
    case .diceCoeffLoss(let smooth):
      return OverlapKernel.evaluate(.dice(smooth: smooth), p, y, count: n, compensated: compensated, threads: threads)
    case .tverskyLoss(let beta):
      return OverlapKernel.evaluate(.tversky(beta: beta), p, y, count: n, compensated: compensated, threads: threads)
    }
  }
}

/// Parameter checks shared by the public functions (ArgumentError naming the parameter).
enum ParameterCheck {
  static func eps<T: LossFastFloat>(_ eps: T?) throws(LossError) -> Double {
    guard let eps else { return T._lossFastDType.machineEpsilon }
    let v = widen(eps)
    guard v.isFinite else { throw .argumentError("eps must be finite, got \(v)") }
    guard v >= 0 else { throw .argumentError("eps must be ≥ 0, got \(v)") }
    return v == 0 ? 0 : v
  }
  static func delta<T: LossFastFloat>(_ delta: T) throws(LossError) -> Double {
    let v = widen(delta)
    guard v.isFinite else { throw .argumentError("delta must be finite, got \(v)") }
    guard v > 0 else { throw .argumentError("delta must be > 0, got \(v)") }
    return v
  }
  static func smooth<T: LossFastFloat>(_ smooth: T) throws(LossError) -> Double {
    let v = widen(smooth)
    guard v.isFinite else { throw .argumentError("smooth must be finite, got \(v)") }
    guard v >= 0 else { throw .argumentError("smooth must be ≥ 0, got \(v)") }
    return v
  }
  static func beta<T: LossFastFloat>(_ beta: T) throws(LossError) -> Double {
    let v = widen(beta)
    guard v.isFinite else { throw .argumentError("beta must be finite, got \(v)") }
    guard v >= 0 && v <= 1 else { throw .argumentError("beta must lie in [0, 1], got \(v)") }
    return v
  }
  static func scalarAggregation(_ agg: Aggregation, _ name: String) throws(LossError) {
    if agg == .none {
      throw .argumentError("\(name): agg = none returns an array; use the `into:` form")
    }
  }
}
