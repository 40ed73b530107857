import LossCore

/// One value-and-gradient call, before the dtype dispatch: the value's call (its validation is
/// the value path's) and the caller's buffers.
struct GradientCall<T: LossFastElement> {
  var call: LossCall<T>
  /// `agg = none`: the cotangent, one element per unreduced value (`nil`: all ones).
  var cotangent: UnsafeBufferPointer<T>?
  /// `agg = none`: where the unreduced values go (`nil`: not wanted).
  var values: UnsafeMutableBufferPointer<T>?
  var gradient: UnsafeMutableBufferPointer<T>
  var yGradient: UnsafeMutableBufferPointer<T>?

  /// The number of unreduced values (`agg = none`): ŷ's length, or the reduced array's for the
  /// class-reducing losses.
  var unreducedCount: Int {
    call.loss.id.reducesOverDims
      ? ClassLayout(shape: call.shape ?? [call.yhat.count], dims: call.dims).outputCount : call.yhat.count
  }

  /// Checks the buffers' lengths (an ArgumentError naming the buffer and both counts) and the
  /// parameters the loss does not take, after the value's own checks.
  func validate() throws(LossError) {
    try call.validate()
    let name = call.loss.id.rawValue
    let n = call.yhat.count
    guard gradient.count == n else {
      throw .argumentError("\(name): the gradient buffer has \(gradient.count) elements, ŷ has \(n)")
    }
    if let yGradient {
      let expected: Int
      if case .array = call.y { expected = n } else { expected = 1 }
      guard yGradient.count == expected else {
        throw .argumentError(
          "\(name): the y-gradient buffer has \(yGradient.count) elements, y has \(expected)"
            + (expected == 1 ? " (a scalar y: its gradient is the sum over the broadcast)" : ""))
      }
    }
    if call.agg == .none {
      guard call.loss.id.takesAggregation else {
        throw .argumentError("\(name) takes no agg: call the form that returns the value")
      }
      let count = unreducedCount
      if let cotangent, cotangent.count != count {
        throw .argumentError(
          "\(name): the cotangent has \(cotangent.count) elements, the unreduced result has \(count)")
      }
      if let values, values.count != count {
        throw .argumentError(
          "\(name): the values buffer has \(values.count) elements, the unreduced result has \(count)")
      }
    }
  }

  /// Runs the call: the value (NaN for `agg = none`) returned, the gradients written.
  func run() throws(LossError) -> T {
    try validate()
    let dtype = T._lossFastDType
    func raw<E>(_ b: UnsafeBufferPointer<E>) -> UnsafeRawPointer {
      UnsafeRawPointer(b.baseAddress ?? UnsafePointer(bitPattern: 0x40)!)
    }
    func mutableRaw<E>(_ b: UnsafeMutableBufferPointer<E>) -> UnsafeMutableRawPointer {
      UnsafeMutableRawPointer(b.baseAddress ?? UnsafeMutablePointer(bitPattern: 0x40)!)
    }
    let target: ErasedCall.Target
    switch call.y {
    case .array(let values): target = .array(raw(values))
    case .scalar(let v): target = .scalar(widen(v))
    }
    let weightSpec: WeightSpec
    var weightShape: [Int]? = nil
    switch call.weight {
    case nil: weightSpec = .none
    case .scalar(let w)?: weightSpec = .scalar(widen(w))
    case .array(let values, let wshape)?:
      weightSpec = .array(shape: wshape, value: { i in widen(values[i]) })
      weightShape = wshape
    }
    var scalarTarget = false
    if yGradient != nil, case .scalar = call.y { scalarTarget = true }
    let erased = ErasedGradientCall(
      loss: call.loss, dtype: dtype, yhat: raw(call.yhat), count: call.yhat.count, y: target, shape: call.shape,
      dims: call.dims, weight: weightSpec, weightShape: weightShape, agg: call.agg,
      threads: call.threads ?? Parallel.defaultThreadCount, cotangent: cotangent.map(raw),
      values: values.map(mutableRaw), gradient: mutableRaw(gradient),
      yGradient: scalarTarget ? nil : yGradient.map(mutableRaw), scalarTarget: scalarTarget)
    let (value, targetSum) = try erased.run()
    if scalarTarget, let yGradient, let targetSum { yGradient[0] = narrow(targetSum) }
    return narrow(value ?? .nan)
  }
}

/// A validated value-and-gradient call with its element type erased (see ``ErasedCall``: compiled
/// on its own, every kernel below is specialized for concrete operand types).
struct ErasedGradientCall {
  var loss: ResolvedLoss
  var dtype: DType
  var yhat: UnsafeRawPointer
  var count: Int
  var y: ErasedCall.Target
  var shape: [Int]?
  var dims: [Int]
  var weight: WeightSpec
  var weightShape: [Int]?
  var agg: Aggregation
  var threads: Int
  var cotangent: UnsafeRawPointer?
  var values: UnsafeMutableRawPointer?
  var gradient: UnsafeMutableRawPointer
  var yGradient: UnsafeMutableRawPointer?
  var scalarTarget: Bool

  @inline(never)
  func run() throws(LossError) -> (value: Double?, target: Double?) {
    switch (dtype, y) {
    case (.float32, .array(let values)):
      return try evaluate(
        FloatOperand(base: yhat.assumingMemoryBound(to: Float.self)),
        FloatOperand(base: values.assumingMemoryBound(to: Float.self)), outputs(FloatOutput.self))
    case (.float32, .scalar(let v)):
      return try evaluate(
        FloatOperand(base: yhat.assumingMemoryBound(to: Float.self)), ConstantOperand(value: v),
        outputs(FloatOutput.self))
    case (.float64, .array(let values)):
      return try evaluate(
        DoubleOperand(base: yhat.assumingMemoryBound(to: Double.self)),
        DoubleOperand(base: values.assumingMemoryBound(to: Double.self)), outputs(DoubleOutput.self))
    case (.float64, .scalar(let v)):
      return try evaluate(
        DoubleOperand(base: yhat.assumingMemoryBound(to: Double.self)), ConstantOperand(value: v),
        outputs(DoubleOutput.self))
    case (.float16, .array(let values)):
      #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        return try evaluate(
          Float16Operand(base: yhat.assumingMemoryBound(to: Float16.self)),
          Float16Operand(base: values.assumingMemoryBound(to: Float16.self)), outputs(Float16Output.self))
      #else
        throw LossError.argumentError("Float16 is unavailable on this platform")
      #endif
    case (.float16, .scalar(let v)):
      #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        return try evaluate(
          Float16Operand(base: yhat.assumingMemoryBound(to: Float16.self)), ConstantOperand(value: v),
          outputs(Float16Output.self))
      #else
        throw LossError.argumentError("Float16 is unavailable on this platform")
      #endif
    case (.bfloat16, .array(let values)):
      return try evaluate(
        BFloat16Operand(base: yhat.assumingMemoryBound(to: UInt16.self)),
        BFloat16Operand(base: values.assumingMemoryBound(to: UInt16.self)), outputs(BFloat16Output.self))
    case (.bfloat16, .scalar(let v)):
      return try evaluate(
        BFloat16Operand(base: yhat.assumingMemoryBound(to: UInt16.self)), ConstantOperand(value: v),
        outputs(BFloat16Output.self))
    }
  }

  /// The output buffers as stores of the dtype's elements.
  private func outputs<O: RawOutputStore>(_: O.Type) -> GradientOutputs<O> {
    func store(_ raw: UnsafeMutableRawPointer) -> O { O(raw: raw) }
    return GradientOutputs(
      yhat: store(gradient), y: yGradient.map(store), values: agg == .none ? values.map(store) : nil,
      scalarTarget: scalarTarget, sumsValue: agg != .none)
  }

  /// The aggregation's factor over `groups` unreduced values.
  private func factor(groups: Int) -> GradientFactor {
    switch agg {
    case .mean: return GradientFactor(kind: .mean(Double(groups)))
    case .sum: return GradientFactor(kind: .unit)
    case .none:
      guard let cotangent else { return GradientFactor(kind: .unit) }
      switch dtype {
      case .float32: return GradientFactor(kind: .cotangent, floats: cotangent.assumingMemoryBound(to: Float.self))
      case .float64: return GradientFactor(kind: .cotangent, doubles: cotangent.assumingMemoryBound(to: Double.self))
      case .float16:
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
          return GradientFactor(kind: .cotangent, halves: cotangent.assumingMemoryBound(to: Float16.self))
        #else
          return GradientFactor(kind: .unit)
        #endif
      case .bfloat16:
        return GradientFactor(kind: .cotangent, brains: cotangent.assumingMemoryBound(to: UInt16.self))
      }
    }
  }

  private func evaluate<P: Operand, Y: Operand, O: OutputStore>(
    _ p: P, _ y: Y, _ out: GradientOutputs<O>
  ) throws(LossError) -> (value: Double?, target: Double?) {
    let compensated = dtype == .float64
    func elementwise<E: GradientTerm>(_ term: E) throws(LossError) -> (value: Double?, target: Double?) {
      try ElementwiseGradient.run(
        term, p, y, count: count, agg: agg, factor: factor(groups: count), out: out, compensated: compensated,
        threads: threads)
    }
    func classLoss(_ kind: ClassKernel.Kind, eps: Double) throws(LossError) -> (value: Double?, target: Double?) {
      let shape = self.shape ?? [count]
      let groups = ClassLayout(shape: shape, dims: dims).outputCount
      return try ClassGradient.run(
        kind, p, y, shape: shape, dims: dims, weight: weight, weightShape: weightShape, eps: eps, agg: agg,
        factor: factor(groups: groups), out: out, compensated: compensated, threads: threads)
    }
    func overlap(_ kind: OverlapKernel.Kind) -> (value: Double?, target: Double?) {
      let unscaled = GradientOutputs(
        yhat: out.yhat, y: out.y, values: nil, scalarTarget: out.scalarTarget, sumsValue: true)
      let (value, target) = OverlapGradient.run(
        kind, p, y, count: count, out: unscaled, compensated: compensated, threads: threads)
      return (value, target)
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
    case .diceCoeffLoss(let smooth): return overlap(.dice(smooth: smooth))
    case .tverskyLoss(let beta): return overlap(.tversky(beta: beta))
    }
  }
}

/// An output store over raw memory of its element type.
protocol RawOutputStore: OutputStore {
  init(raw: UnsafeMutableRawPointer)
}

extension FloatOutput: RawOutputStore {
  init(raw: UnsafeMutableRawPointer) { self.init(base: raw.assumingMemoryBound(to: Float.self)) }
}

extension DoubleOutput: RawOutputStore {
  init(raw: UnsafeMutableRawPointer) { self.init(base: raw.assumingMemoryBound(to: Double.self)) }
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
  extension Float16Output: RawOutputStore {
    init(raw: UnsafeMutableRawPointer) { self.init(base: raw.assumingMemoryBound(to: Float16.self)) }
  }
#endif

extension BFloat16Output: RawOutputStore {
  init(raw: UnsafeMutableRawPointer) { self.init(base: raw.assumingMemoryBound(to: UInt16.self)) }
}
