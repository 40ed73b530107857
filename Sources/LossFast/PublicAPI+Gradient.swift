// The value-and-gradient functions: what a trainer calls once per step.
import LossCore

extension LossFast {
  /// The value of a loss and its gradient with respect to ŷ (and to y on request), written to
  /// buffers the caller owns: one fused pass where the loss allows (the nine elementwise losses,
  /// logitcrossentropy with contiguous classes), no heap allocation on the fast path.
  ///
  /// ```swift
  /// let yhat: [Float] = [0.9, 0.1, 0.1, 0.9]
  /// let y: [Float] = [1, 1, 0, 0]
  /// var dyhat = [Float](repeating: 0, count: yhat.count)
  /// let loss = try dyhat.withUnsafeMutableBufferPointer { g in
  ///   try LossFast.valueAndGradient(.mse, yhat, y, into: g)
  /// }
  /// // loss == 0.41, dyhat == [-0.05, -0.45, 0.05, 0.45]   (2(ŷ − y)/4)
  /// ```
  ///
  /// The gradient is the derivative of the same formula as the value (SEMANTICS.md,
  /// "Gradients"), with `eps`, `delta`, `smooth`, `beta` and `weight` held fixed: for `mean`
  /// each element's derivative divided by the count of reduced values (rounded once: the
  /// gradient of a mean does not depend on the sum), for `sum` as is. Conventions at the kinks,
  /// where any value between the one-sided derivatives conforms: `mae` gives 0 at `ŷ = y`
  /// (ChainRules' `sign(0) = 0`), `hinge` gives 0 at `ŷ·y = 1` (the flat side). Non-finite
  /// inputs: the IEEE reading of the derivative formula; `xlogy(0, ·)` has `∂/∂ŷ = 0` exactly.
  ///
  /// Accuracy (measured against LossSpec's exact gradient, `Tests/LossFastTests/GradientTests`):
  /// Float32, Float16 and BFloat16 gradients are computed in Double and rounded once (Double →
  /// the element type directly); Float64 gradients carry each
  /// derivative as a double-double pair before the one rounding. Where the derivative formula
  /// does not cancel, each element is within about an ulp of the exact derivative.
  ///
  /// - Parameters:
  ///   - loss: Any of the fourteen losses.
  ///   - yhat: The prediction, column-major, `shape` (default: a vector).
  ///   - y: The target: ŷ's length, or a constant label.
  ///   - shape: ŷ's shape (the class-reducing losses group by `dims`; the others ignore it).
  ///   - dims: The reduced dimensions, 1-based (crossentropy, logitcrossentropy, kldivergence).
  ///   - weight: The class weight (crossentropy, logitcrossentropy).
  ///   - eps: `ϵ` of msle, binarycrossentropy, crossentropy, kldivergence (`nil`: the dtype's
  ///     machine epsilon). Passing a parameter the loss does not take is an ArgumentError.
  ///   - delta: `δ` of huber_loss (`nil`: 1).
  ///   - smooth: dice's `smooth` (`nil`: 1).
  ///   - beta: tversky's `β` (`nil`: 0.7).
  ///   - agg: `mean` or `sum` (dice and tversky take none and ignore it).
  ///   - gradient: Receives `∂L/∂ŷ`, ŷ's length.
  ///   - yGradient: Receives `∂L/∂y` when given: y's length, or one element for a constant
  ///     label (the sum over the broadcast).
  ///   - threads: The thread count (default ``defaultThreadCount``); the result has the same
  ///     bits for any.
  /// - Returns: The loss's value.
  /// - Throws: `LossError`: DimensionMismatch naming both shapes, DomainError (a logarithm of a
  ///   negative number: such a case has no gradient, and the buffers' contents are then
  ///   unspecified), ArgumentError naming a parameter, or a buffer of the wrong length (naming
  ///   the buffer and both counts).
  /// - Complexity: O(n) work, O(n / threads) time. No allocation (any element type),
  ///   except where the value path allocates (weight arrays; `dims` that are not a leading block
  ///   for logitcrossentropy) and on the rare path of non-finite terms. The buffers must not
  ///   overlap ŷ or y.
  @inlinable public static func valueAndGradient<T: LossFastElement>(
    _ loss: LossID, _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil,
    dims: [Int] = [1], weight: Weight<T>? = nil, eps: T? = nil, delta: T? = nil, smooth: T? = nil, beta: T? = nil,
    agg: ReducingAggregation = .mean, into gradient: UnsafeMutableBufferPointer<T>,
    yGradient: UnsafeMutableBufferPointer<T>? = nil, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withLossFastValues { (p) throws(LossError) -> T in
      try y.withLossFastTarget { (q) throws(LossError) -> T in
        try T._lossFastValueAndGradient(
          loss, p, q, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
          agg: agg.aggregation, cotangent: nil, values: nil, gradient: gradient, yGradient: yGradient,
          threads: threads)
      }
    }
  }

  /// `agg = none`: the unreduced values and the vector–Jacobian product with `cotangent`
  /// (`Σₖ cₖ·∂Lₖ/∂ŷᵢ`), written to buffers the caller owns.
  ///
  /// ```swift
  /// var values = [Double](repeating: 0, count: 2)
  /// var g = [Double](repeating: 0, count: 2)
  /// try values.withUnsafeMutableBufferPointer { v in
  ///   try g.withUnsafeMutableBufferPointer { g in
  ///     try LossFast.valueAndGradient(.mse, [1.0, 2], [0.0, 0], cotangent: [1.0, 0.5], values: v, into: g)
  ///   }
  /// }
  /// // values == [1, 4], g == [2, 2]
  /// ```
  ///
  /// - Parameters:
  ///   - cotangent: One element per unreduced value (ŷ's length; for the class-reducing losses
  ///     ``outputCount(shape:dims:)``); `nil`: all ones.
  ///   - values: Receives the unreduced values when given (the same length).
  ///   - loss: The loss (dice and tversky take no `agg`: an ArgumentError).
  ///   - yhat: The prediction ŷ, column-major.
  ///   - y: The target: an array of ŷ's length or a scalar.
  ///   - shape: ŷ's shape (the class-reducing losses); `nil`: a vector.
  ///   - dims: The dimensions the class-reducing losses sum over (1-based).
  ///   - weight: The class weight of crossentropy, logitcrossentropy and kldivergence.
  ///   - eps: ϵ of the losses that take it (`nil`: the dtype's default).
  ///   - delta: δ of huber_loss.
  ///   - smooth: dice's smoothing term.
  ///   - beta: tversky's β.
  ///   - gradient: Receives ∂L/∂ŷ (ŷ's length).
  ///   - yGradient: Receives ∂L/∂y when given (y's length; one element for a scalar y).
  ///   - threads: The thread count (`nil`: `LOSSFAST_THREADS`, else all cores).
  /// - Throws: as the reducing form; a cotangent or values buffer of the wrong length is an
  ///   ArgumentError naming both counts.
  /// - Complexity: as the reducing form; crossentropy and kldivergence allocate their unreduced
  ///   values (as the value path does).
  @inlinable public static func valueAndGradient<T: LossFastElement>(
    _ loss: LossID, _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil,
    dims: [Int] = [1], weight: Weight<T>? = nil, eps: T? = nil, delta: T? = nil, smooth: T? = nil, beta: T? = nil,
    cotangent: UnsafeBufferPointer<T>?, values: UnsafeMutableBufferPointer<T>? = nil,
    into gradient: UnsafeMutableBufferPointer<T>, yGradient: UnsafeMutableBufferPointer<T>? = nil,
    threads: Int? = nil
  ) throws(LossError) {
    try yhat.withLossFastValues { (p) throws(LossError) in
      try y.withLossFastTarget { (q) throws(LossError) in
        _ = try T._lossFastValueAndGradient(
          loss, p, q, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
          agg: .none, cotangent: cotangent, values: values, gradient: gradient, yGradient: yGradient,
          threads: threads)
      }
    }
  }

  /// `agg = none` with the cotangent as an array (see the buffer form).
  @inlinable public static func valueAndGradient<T: LossFastElement>(
    _ loss: LossID, _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil,
    dims: [Int] = [1], weight: Weight<T>? = nil, eps: T? = nil, delta: T? = nil, smooth: T? = nil, beta: T? = nil,
    cotangent: [T], values: UnsafeMutableBufferPointer<T>? = nil, into gradient: UnsafeMutableBufferPointer<T>,
    yGradient: UnsafeMutableBufferPointer<T>? = nil, threads: Int? = nil
  ) throws(LossError) {
    try cotangent.withUnsafeBufferPointer { (c) throws(LossError) in
      try valueAndGradient(
        loss, yhat, y, shape: shape, dims: dims, weight: weight, eps: eps, delta: delta, smooth: smooth, beta: beta,
        cotangent: c, values: values, into: gradient, yGradient: yGradient, threads: threads)
    }
  }

  /// A value and its gradients, as the allocating convenience functions return them.
  public struct ValueAndGradient<T: LossFastElement>: Sendable {
    /// The loss's value (`agg` mean or sum), NaN for `agg = none`.
    public var value: T
    /// `agg = none`: the unreduced values; empty otherwise.
    public var values: [T]
    /// `∂L/∂ŷ`, ŷ's length.
    public var yhat: [T]
    /// `∂L/∂y` when asked for: y's length, or one element for a constant label.
    public var y: [T]?

    @inlinable public init(value: T, values: [T], yhat: [T], y: [T]?) {
      self.value = value
      self.values = values
      self.yhat = yhat
      self.y = y
    }
  }

  /// The value and gradient in new arrays (one allocation per array): the reducing form.
  ///
  /// ```swift
  /// let r = try LossFast.valueAndGradient(.logitcrossentropy, logits, labels, shape: [10, 32], withTarget: true)
  /// // r.value, r.yhat (320 elements), r.y (320 elements)
  /// ```
  ///
  /// - Complexity: as the buffer form, plus the arrays.
  @inlinable public static func valueAndGradient<T: LossFastElement>(
    _ loss: LossID, _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil,
    dims: [Int] = [1], weight: Weight<T>? = nil, eps: T? = nil, delta: T? = nil, smooth: T? = nil, beta: T? = nil,
    agg: ReducingAggregation = .mean, withTarget: Bool = false, threads: Int? = nil
  ) throws(LossError) -> ValueAndGradient<T> {
    let n = yhat.withLossFastValues { $0.count }
    let yCount = y.withLossFastTarget { (t) -> Int in
      if case .array(let b) = t { return b.count }
      return 1
    }
    var dyhat = [T](repeating: T._lossFastZero, count: n)
    var dy = [T](repeating: T._lossFastZero, count: withTarget ? yCount : 0)
    let value = try dyhat.withUnsafeMutableBufferPointer { (g) throws(LossError) -> T in
      try dy.withUnsafeMutableBufferPointer { (gy) throws(LossError) -> T in
        try valueAndGradient(
          loss, yhat, y, shape: shape, dims: dims, weight: weight, eps: eps, delta: delta, smooth: smooth,
          beta: beta, agg: agg, into: g, yGradient: withTarget ? gy : nil, threads: threads)
      }
    }
    return ValueAndGradient(value: value, values: [], yhat: dyhat, y: withTarget ? dy : nil)
  }

  /// The unreduced values and the vector–Jacobian product in new arrays: the `agg = none` form
  /// (`cotangent` `nil`: all ones).
  ///
  /// - Complexity: as the buffer form, plus the arrays.
  @inlinable public static func valueAndGradient<T: LossFastElement>(
    _ loss: LossID, _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil,
    dims: [Int] = [1], weight: Weight<T>? = nil, eps: T? = nil, delta: T? = nil, smooth: T? = nil, beta: T? = nil,
    cotangent: [T]?, withTarget: Bool = false, threads: Int? = nil
  ) throws(LossError) -> ValueAndGradient<T> {
    let n = yhat.withLossFastValues { $0.count }
    let yCount = y.withLossFastTarget { (t) -> Int in
      if case .array(let b) = t { return b.count }
      return 1
    }
    let unreduced = loss.reducesOverDims ? outputCount(shape: shape ?? [n], dims: dims) : n
    var values = [T](repeating: T._lossFastZero, count: unreduced)
    var dyhat = [T](repeating: T._lossFastZero, count: n)
    var dy = [T](repeating: T._lossFastZero, count: withTarget ? yCount : 0)
    try values.withUnsafeMutableBufferPointer { (v) throws(LossError) in
      try dyhat.withUnsafeMutableBufferPointer { (g) throws(LossError) in
        try dy.withUnsafeMutableBufferPointer { (gy) throws(LossError) in
          if let cotangent {
            try valueAndGradient(
              loss, yhat, y, shape: shape, dims: dims, weight: weight, eps: eps, delta: delta, smooth: smooth,
              beta: beta, cotangent: cotangent, values: v, into: g, yGradient: withTarget ? gy : nil,
              threads: threads)
          } else {
            try valueAndGradient(
              loss, yhat, y, shape: shape, dims: dims, weight: weight, eps: eps, delta: delta, smooth: smooth,
              beta: beta, cotangent: nil as UnsafeBufferPointer<T>?, values: v, into: g,
              yGradient: withTarget ? gy : nil, threads: threads)
          }
        }
      }
    }
    return ValueAndGradient(value: T._lossFastNaN, values: values, yhat: dyhat, y: withTarget ? dy : nil)
  }

  /// The entry point behind `Float._lossFastValueAndGradient` and
  /// `Double._lossFastValueAndGradient`.
  static func valueAndGradient<T: LossFastElement>(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<T>, _ y: Target<T>, eps: T?, delta: T?, smooth: T?, beta: T?,
    shape: [Int]?, dims: [Int], weight: Weight<T>?, agg: Aggregation, cotangent: UnsafeBufferPointer<T>?,
    values: UnsafeMutableBufferPointer<T>?, gradient: UnsafeMutableBufferPointer<T>,
    yGradient: UnsafeMutableBufferPointer<T>?, threads: Int?
  ) throws(LossError) -> T {
    // Only when a parameter is given: `acceptedParameters` builds a Set (an allocation).
    if eps != nil || delta != nil || smooth != nil || beta != nil || weight != nil || dims != [1] {
      let accepted = loss.acceptedParameters
      func reject(_ parameter: ParameterName, _ given: Bool) throws(LossError) {
        if given && !accepted.contains(parameter) {
          throw .argumentError("\(loss.rawValue) takes no '\(parameter.rawValue)'")
        }
      }
      try reject(.eps, eps != nil)
      try reject(.delta, delta != nil)
      try reject(.smooth, smooth != nil)
      try reject(.beta, beta != nil)
      try reject(.weight, weight != nil)
      try reject(.dims, dims != [1])
    }
    let resolved = try ResolvedLoss(
      loss, eps: eps.map { widen($0) }, delta: delta.map { widen($0) }, smooth: smooth.map { widen($0) },
      beta: beta.map { widen($0) }, dtype: T._lossFastDType)
    let call = LossCall<T>(
      loss: resolved, yhat: yhat, y: y, shape: shape, dims: dims, weight: weight, agg: agg, threads: threads)
    return try GradientCall(
      call: call, cotangent: cotangent, values: values, gradient: gradient, yGradient: yGradient
    ).run()
  }
}

extension Float {
  /// The value-and-gradient functions' entry point for Float (see
  /// ``LossFastElement/_lossFastValueAndGradient``).
  public static func _lossFastValueAndGradient(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<Float>, _ y: LossFast.Target<Float>, eps: Float?, delta: Float?,
    smooth: Float?, beta: Float?, shape: [Int]?, dims: [Int], weight: LossFast.Weight<Float>?, agg: Aggregation,
    cotangent: UnsafeBufferPointer<Float>?, values: UnsafeMutableBufferPointer<Float>?,
    gradient: UnsafeMutableBufferPointer<Float>, yGradient: UnsafeMutableBufferPointer<Float>?, threads: Int?
  ) throws(LossError) -> Float {
    try LossFast.valueAndGradient(
      loss, yhat, y, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
      agg: agg, cotangent: cotangent, values: values, gradient: gradient, yGradient: yGradient, threads: threads)
  }
}

extension Double {
  /// The value-and-gradient functions' entry point for Double (see
  /// ``LossFastElement/_lossFastValueAndGradient``).
  public static func _lossFastValueAndGradient(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<Double>, _ y: LossFast.Target<Double>, eps: Double?,
    delta: Double?, smooth: Double?, beta: Double?, shape: [Int]?, dims: [Int], weight: LossFast.Weight<Double>?,
    agg: Aggregation, cotangent: UnsafeBufferPointer<Double>?, values: UnsafeMutableBufferPointer<Double>?,
    gradient: UnsafeMutableBufferPointer<Double>, yGradient: UnsafeMutableBufferPointer<Double>?, threads: Int?
  ) throws(LossError) -> Double {
    try LossFast.valueAndGradient(
      loss, yhat, y, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
      agg: agg, cotangent: cotangent, values: values, gradient: gradient, yGradient: yGradient, threads: threads)
  }
}
