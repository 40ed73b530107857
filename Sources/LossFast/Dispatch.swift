import LossCore

/// One call of a loss, before the dtype dispatch.
struct LossCall<T: LossFastElement> {
  /// The loss and its parameter, resolved by LossCore's rules.
  var loss: ResolvedLoss
  var yhat: UnsafeBufferPointer<T>
  var y: LossFast.Target<T>
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

/// `T` → Double (exact) without a generic conversion.
@inline(__always) func widen<T: LossFastElement>(_ v: T) -> Double {
  switch T._lossFastDType {
  case .float32: return Double(unsafeBitCast(v, to: Float.self))
  case .float64: return unsafeBitCast(v, to: Double.self)
  case .float16:
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
      return Double(unsafeBitCast(v, to: Float16.self))
    #else
      preconditionFailure("Float16 is unavailable on this platform")
    #endif
  case .bfloat16: return BFloat16Operand.widen(unsafeBitCast(v, to: UInt16.self))
  }
}

/// Double → `T`, rounded once (Float16 and BFloat16 directly from the Double, never through
/// Float, which would round twice).
@inline(__always) func narrow<T: LossFastElement>(_ v: Double) -> T {
  switch T._lossFastDType {
  case .float32: return unsafeBitCast(Float(v), to: T.self)
  case .float64: return unsafeBitCast(v, to: T.self)
  case .float16:
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
      return unsafeBitCast(Float16(v), to: T.self)
    #else
      preconditionFailure("Float16 is unavailable on this platform")
    #endif
  case .bfloat16: return unsafeBitCast(bfloat16Bits(v), to: T.self)
  }
}

extension LossCall {
  /// Checks the shapes of the buffers (DimensionMismatch names both), the thread count, and
  /// `dims` and the weight by LossCore's rules (``ParameterRule``).
  func validate() throws(LossError) {
    let name = loss.id.rawValue
    let n = yhat.count
    let dtype = T._lossFastDType
    // Only on the error path: building the text allocates.
    func shapeText() -> String { shape.map { Shape($0).description } ?? "(\(n),)" }
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
        "\(name): ŷ has shape \(shapeText()) but y has shape (\(values.count),); they must be equal, or y a scalar")
    }
    try ParameterRule.dims(dims)
    guard threads ?? 1 >= 1 else { throw .argumentError("threads must be ≥ 1, got \(threads ?? 0)") }
    switch weight {
    case .scalar(let w)?:
      _ = try ParameterRule.weight(widen(w), dtype: dtype)
    case .array(let values, let wshape)?:
      var product = 1
      for d in wshape { product *= d }
      guard product == values.count else {
        throw .dimensionMismatch("weight has \(values.count) elements but its shape \(Shape(wshape)) needs \(product)")
      }
      try ParameterRule.weight(shape: Shape(wshape), broadcastsTo: Shape(shape ?? [n]))
      for (i, v) in values.enumerated() { _ = try ParameterRule.weight(widen(v), at: i, dtype: dtype) }
    case nil: break
    }
  }

  /// Evaluates the call; `out` receives the unreduced values when `agg == .none` (and the
  /// returned value is `nil`).
  ///
  /// The element type is erased here (``ErasedCall``), so that the kernels below are specialized
  /// for concrete operand types inside this module even when a client calls the public generic
  /// functions without specializing them.
  func run(into out: UnsafeMutableBufferPointer<T>?) throws(LossError) -> Double? {
    try validate()
    let dtype = T._lossFastDType
    let target: ErasedCall.Target
    switch y {
    case .array(let values):
      target = .array(UnsafeRawPointer(values.baseAddress ?? UnsafePointer(emptyBase.assumingMemoryBound(to: T.self))))
    case .scalar(let v): target = .scalar(widen(v))
    }
    let weightSpec: WeightSpec
    switch weight {
    case nil: weightSpec = .none
    case .scalar(let w)?: weightSpec = .scalar(widen(w))
    case .array(let values, let wshape)?: weightSpec = .array(shape: wshape, value: { i in widen(values[i]) })
    }
    let call = ErasedCall(
      loss: loss, dtype: dtype,
      yhat: UnsafeRawPointer(yhat.baseAddress ?? UnsafePointer(emptyBase.assumingMemoryBound(to: T.self))),
      count: yhat.count, y: target, shape: shape, dims: dims, weight: weightSpec, agg: agg,
      threads: threads ?? Parallel.defaultThreadCount,
      out: out.map { buffer in
        let base =
          buffer.baseAddress.map { UnsafeMutableRawPointer($0) } ?? UnsafeMutableRawPointer(mutating: emptyBase)
        return (base, buffer.count)
      })
    return try call.run()
  }
}

/// A validated call with its element type erased: raw pointers and the dtype.
struct ErasedCall {
  enum Target {
    case array(UnsafeRawPointer)
    case scalar(Double)
  }

  var loss: ResolvedLoss
  var dtype: DType
  var yhat: UnsafeRawPointer
  var count: Int
  var y: Target
  var shape: [Int]?
  var dims: [Int]
  var weight: WeightSpec
  var agg: Aggregation
  var threads: Int
  /// The output buffer (elements of the dtype) and its length, for `agg = none`.
  var out: (UnsafeMutableRawPointer, Int)?

  /// Not inlined into the generic public functions: compiled on its own, every kernel call below
  /// has concrete types and is specialized (inlined into an unspecialized generic caller, the
  /// kernels were left generic, with protocol-witness calls per vector: 20× slower).
  @inline(never)
  func run() throws(LossError) -> Double? {
    switch (dtype, y) {
    case (.float32, .array(let values)):
      return try evaluate(
        FloatOperand(base: yhat.assumingMemoryBound(to: Float.self)),
        FloatOperand(base: values.assumingMemoryBound(to: Float.self)))
    case (.float32, .scalar(let v)):
      return try evaluate(FloatOperand(base: yhat.assumingMemoryBound(to: Float.self)), ConstantOperand(value: v))
    case (.float64, .array(let values)):
      return try evaluate(
        DoubleOperand(base: yhat.assumingMemoryBound(to: Double.self)),
        DoubleOperand(base: values.assumingMemoryBound(to: Double.self)))
    case (.float64, .scalar(let v)):
      return try evaluate(DoubleOperand(base: yhat.assumingMemoryBound(to: Double.self)), ConstantOperand(value: v))
    case (.float16, .array(let values)):
      #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        return try evaluate(
          Float16Operand(base: yhat.assumingMemoryBound(to: Float16.self)),
          Float16Operand(base: values.assumingMemoryBound(to: Float16.self)))
      #else
        throw LossError.argumentError("Float16 is unavailable on this platform")
      #endif
    case (.float16, .scalar(let v)):
      #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        return try evaluate(
          Float16Operand(base: yhat.assumingMemoryBound(to: Float16.self)), ConstantOperand(value: v))
      #else
        throw LossError.argumentError("Float16 is unavailable on this platform")
      #endif
    case (.bfloat16, .array(let values)):
      return try evaluate(
        BFloat16Operand(base: yhat.assumingMemoryBound(to: UInt16.self)),
        BFloat16Operand(base: values.assumingMemoryBound(to: UInt16.self)))
    case (.bfloat16, .scalar(let v)):
      return try evaluate(BFloat16Operand(base: yhat.assumingMemoryBound(to: UInt16.self)), ConstantOperand(value: v))
    }
  }

  /// The unreduced values written to `base` as elements of the dtype, each rounded once.
  private func store(_ values: [Double], to base: UnsafeMutableRawPointer) {
    switch dtype {
    case .float32:
      let target = base.assumingMemoryBound(to: Float.self)
      for (i, v) in values.enumerated() { target[i] = Float(v) }
    case .float64:
      let target = base.assumingMemoryBound(to: Double.self)
      for (i, v) in values.enumerated() { target[i] = v }
    case .float16:
      #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        let target = base.assumingMemoryBound(to: Float16.self)
        for (i, v) in values.enumerated() { target[i] = Float16(v) }
      #endif
    case .bfloat16:
      let target = base.assumingMemoryBound(to: UInt16.self)
      for (i, v) in values.enumerated() { target[i] = bfloat16Bits(v) }
    }
  }

  private func elementwise<E: ElementwiseTerm, P: Operand, Y: Operand>(
    _ term: E, _ p: P, _ y: Y
  ) throws(LossError) -> Double? {
    let compensated = dtype == .float64
    switch agg {
    case .mean, .sum:
      return try ElementwiseKernel.reduce(
        term, p, y, count: count, mean: agg == .mean, compensated: compensated, threads: threads)
    case .none:
      guard let (base, length) = out, length == count else {
        throw .argumentError("agg = none writes \(count) values: pass an output buffer of that length")
      }
      switch dtype {
      case .float64:
        try ElementwiseKernel.map(
          term, p, y, count: count, into: DoubleOutput(base: base.assumingMemoryBound(to: Double.self)),
          compensated: true, threads: threads)
      case .float32:
        try ElementwiseKernel.map(
          term, p, y, count: count, into: FloatOutput(base: base.assumingMemoryBound(to: Float.self)),
          compensated: false, threads: threads)
      case .float16:
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
          try ElementwiseKernel.map(
            term, p, y, count: count, into: Float16Output(base: base.assumingMemoryBound(to: Float16.self)),
            compensated: false, threads: threads)
        #endif
      case .bfloat16:
        try ElementwiseKernel.map(
          term, p, y, count: count, into: BFloat16Output(base: base.assumingMemoryBound(to: UInt16.self)),
          compensated: false, threads: threads)
      }
      return nil
    }
  }

  private func classLoss<P: Operand, Y: Operand>(
    _ kind: ClassKernel.Kind, eps: Double, _ p: P, _ y: Y
  ) throws(LossError) -> Double? {
    let result = try ClassKernel.evaluate(
      kind, p, y, shape: shape ?? [count], dims: dims, weight: weight, eps: eps, agg: agg,
      compensated: dtype == .float64, threads: threads)
    switch result {
    case .scalar(let v): return v
    case .array(let values):
      guard let (base, length) = out, length == values.count else {
        throw .argumentError(
          "agg = none writes \(values.count) values (LossFast.outputCount(shape:dims:)): pass an output buffer of that length"
        )
      }
      store(values, to: base)
      return nil
    }
  }

  private func evaluate<P: Operand, Y: Operand>(_ p: P, _ y: Y) throws(LossError) -> Double? {
    let compensated = dtype == .float64
    switch loss {
    case .mae: return try elementwise(MAETerm(), p, y)
    case .mse: return try elementwise(MSETerm(), p, y)
    case .msle(let eps): return try elementwise(MSLETerm(eps: eps), p, y)
    case .huberLoss(let delta): return try elementwise(HuberTerm(delta: delta), p, y)
    case .binarycrossentropy(let eps): return try elementwise(BinaryCrossentropyTerm(eps: eps), p, y)
    case .logitbinarycrossentropy: return try elementwise(LogitBinaryCrossentropyTerm(), p, y)
    case .poissonLoss: return try elementwise(PoissonTerm(), p, y)
    case .hinge: return try elementwise(HingeTerm(), p, y)
    case .squaredHinge: return try elementwise(SquaredHingeTerm(), p, y)
    case .crossentropy(let eps): return try classLoss(.crossentropy, eps: eps, p, y)
    case .logitcrossentropy: return try classLoss(.logitcrossentropy, eps: 0, p, y)
    case .kldivergence(let eps): return try classLoss(.kldivergence, eps: eps, p, y)
    case .diceCoeffLoss(let smooth):
      return OverlapKernel.evaluate(
        .dice(smooth: smooth), p, y, count: count, compensated: compensated, threads: threads)
    case .tverskyLoss(let beta):
      return OverlapKernel.evaluate(
        .tversky(beta: beta), p, y, count: count, compensated: compensated, threads: threads)
    }
  }
}
