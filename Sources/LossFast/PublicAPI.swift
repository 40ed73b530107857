// The public functions: one generic forwarding layer, the same shape for all fourteen losses.
import LossCore

// Every loss takes ŷ then y, the loss's parameters with Flux's names and defaults, `agg`, and
// `threads` (default: `LossFast.defaultThreadCount`):
//
//     let loss = try LossFast.msle(yhat, y, eps: 1e-6, agg: .sum)        // [Float] or buffers
//     try LossFast.msle(yhat, y, into: output)                           // agg = none
//
// ŷ is any `LossFastValues` (`[T]`, `UnsafeBufferPointer<T>`), y any `LossFastTarget` (those, or a
// constant label of type `T`). A function that returns one value takes a `ReducingAggregation`
// (`mean` or `sum`): `agg = none` is the `into:` form, which writes the unreduced values, so it
// cannot be asked of a scalar function. Inputs are read in place: no copies, and no allocation
// for a scalar result unless a fallback path is taken (non-finite terms, weight arrays, or `dims`
// that are not a leading block for logitcrossentropy).
//
// Errors (typed `LossError`): DimensionMismatch naming both shapes, DomainError (log of a
// negative number), ArgumentError naming the parameter (LossCore's rules, `ParameterRule`).
//
// The per-loss functions are `@inlinable`: a client specializes them for its concrete types, and
// they end in the element type's entry point (`Float._lossFastEvaluate`,
// `Double._lossFastEvaluate`, `Float16._lossFastEvaluate`, `BFloat16._lossFastEvaluate`), concrete functions, so a concrete-type call passes no generic
// metadata (the cost the prespecialized functions avoided before: about half a microsecond per
// call, most of a call on 1 000 elements). `@_specialize(exported: true)` on one generic entry
// point would not do: Swift 6.3 does not use a prespecialization for a call inside another
// module's inlined generic code (checked with `swiftc -O -emit-assembly` on a client), so it would
// have had to stay on every public function.

extension LossFast {
  /// The forwarding layer of every public function: reads ŷ and y in place and calls the element
  /// type's entry point, which a client that knows `T` calls directly (no generic metadata).
  @inlinable static func forward<T: LossFastElement>(
    _ loss: LossID, _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, eps: T? = nil, delta: T? = nil,
    smooth: T? = nil, beta: T? = nil, shape: [Int]? = nil, dims: [Int] = [1], weight: Weight<T>? = nil,
    agg: Aggregation, into output: UnsafeMutableBufferPointer<T>? = nil, threads: Int?
  ) throws(LossError) -> T {
    try yhat.withLossFastValues { (p) throws(LossError) -> T in
      try y.withLossFastTarget { (q) throws(LossError) -> T in
        try T._lossFastEvaluate(
          loss, p, q, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
          agg: agg, into: output, threads: threads)
      }
    }
  }

  /// The entry point behind `Float._lossFastEvaluate` and `Double._lossFastEvaluate`: resolves the
  /// parameters by LossCore's rules and runs the call (`output` receives the values for
  /// `agg = none`; the result is then NaN and unused).
  static func evaluate<T: LossFastElement>(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<T>, _ y: Target<T>, eps: T?, delta: T?, smooth: T?, beta: T?,
    shape: [Int]?, dims: [Int], weight: Weight<T>?, agg: Aggregation, into output: UnsafeMutableBufferPointer<T>?,
    threads: Int?
  ) throws(LossError) -> T {
    let resolved = try ResolvedLoss(
      loss, eps: eps.map { widen($0) }, delta: delta.map { widen($0) }, smooth: smooth.map { widen($0) },
      beta: beta.map { widen($0) }, dtype: T._lossFastDType)
    let call = LossCall<T>(
      loss: resolved, yhat: yhat, y: y, shape: shape, dims: dims, weight: weight, agg: agg, threads: threads)
    return narrow(try call.run(into: output) ?? .nan)
  }
}

extension Float {
  /// The public functions' entry point for Float (see ``LossFastElement/_lossFastEvaluate``).
  public static func _lossFastEvaluate(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<Float>, _ y: LossFast.Target<Float>, eps: Float?, delta: Float?,
    smooth: Float?, beta: Float?, shape: [Int]?, dims: [Int], weight: LossFast.Weight<Float>?, agg: Aggregation,
    into output: UnsafeMutableBufferPointer<Float>?, threads: Int?
  ) throws(LossError) -> Float {
    try LossFast.evaluate(
      loss, yhat, y, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
      agg: agg, into: output, threads: threads)
  }
}

extension Double {
  /// The public functions' entry point for Double (see ``LossFastElement/_lossFastEvaluate``).
  public static func _lossFastEvaluate(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<Double>, _ y: LossFast.Target<Double>, eps: Double?, delta: Double?,
    smooth: Double?, beta: Double?, shape: [Int]?, dims: [Int], weight: LossFast.Weight<Double>?, agg: Aggregation,
    into output: UnsafeMutableBufferPointer<Double>?, threads: Int?
  ) throws(LossError) -> Double {
    try LossFast.evaluate(
      loss, yhat, y, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
      agg: agg, into: output, threads: threads)
  }
}

// The fourteen losses. Each returns `T`; all but dice and tversky also have an `into:` form for
// `agg = none`, whose output has ŷ's length (the class-reducing losses: `outputCount(shape:dims:)`).
// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.

extension LossFast {
  /// mae: `agg(|ŷ − y|)`.
  @inlinable public static func mae<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.mae, yhat, y, agg: agg.aggregation, threads: threads)
  }
  /// mae with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func mae<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.mae, yhat, y, agg: .none, into: output, threads: threads)
  }

  /// mse: `agg((ŷ − y)²)`.
  @inlinable public static func mse<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.mse, yhat, y, agg: agg.aggregation, threads: threads)
  }
  /// mse with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func mse<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.mse, yhat, y, agg: .none, into: output, threads: threads)
  }

  /// msle: `agg(log((ŷ + ϵ)/(y + ϵ))²)`; `eps` defaults to the machine epsilon of `T`; DomainError
  /// for a negative ratio.
  @inlinable public static func msle<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, eps: T? = nil, agg: ReducingAggregation = .mean,
    threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.msle, yhat, y, eps: eps, agg: agg.aggregation, threads: threads)
  }
  /// msle with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func msle<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, eps: T? = nil,
    into output: UnsafeMutableBufferPointer<T>, threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.msle, yhat, y, eps: eps, agg: .none, into: output, threads: threads)
  }

  /// huberLoss: with `e = |ŷ − y|`: `agg(e < δ ? 0.5e² : δ(e − 0.5δ))`; `delta` defaults to 1.
  @inlinable public static func huberLoss<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, delta: T? = nil, agg: ReducingAggregation = .mean,
    threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.huberLoss, yhat, y, delta: delta, agg: agg.aggregation, threads: threads)
  }
  /// huberLoss with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func huberLoss<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, delta: T? = nil,
    into output: UnsafeMutableBufferPointer<T>, threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.huberLoss, yhat, y, delta: delta, agg: .none, into: output, threads: threads)
  }

  /// binarycrossentropy: `agg(−xlogy(y, ŷ + ϵ) − xlogy(1 − y, 1 − ŷ + ϵ))`.
  @inlinable public static func binarycrossentropy<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, eps: T? = nil, agg: ReducingAggregation = .mean,
    threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.binarycrossentropy, yhat, y, eps: eps, agg: agg.aggregation, threads: threads)
  }
  /// binarycrossentropy with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func binarycrossentropy<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, eps: T? = nil,
    into output: UnsafeMutableBufferPointer<T>, threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.binarycrossentropy, yhat, y, eps: eps, agg: .none, into: output, threads: threads)
  }

  /// logitbinarycrossentropy: `agg((1 − y)·ŷ − logσ(ŷ))`.
  @inlinable public static func logitbinarycrossentropy<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.logitbinarycrossentropy, yhat, y, agg: agg.aggregation, threads: threads)
  }
  /// logitbinarycrossentropy with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func logitbinarycrossentropy<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.logitbinarycrossentropy, yhat, y, agg: .none, into: output, threads: threads)
  }

  /// poissonLoss: `agg(ŷ − xlogy(y, ŷ))`.
  @inlinable public static func poissonLoss<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.poissonLoss, yhat, y, agg: agg.aggregation, threads: threads)
  }
  /// poissonLoss with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func poissonLoss<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.poissonLoss, yhat, y, agg: .none, into: output, threads: threads)
  }

  /// hinge: `agg(max(0, 1 − ŷ·y))` (NaN propagates).
  @inlinable public static func hinge<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.hinge, yhat, y, agg: agg.aggregation, threads: threads)
  }
  /// hinge with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func hinge<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.hinge, yhat, y, agg: .none, into: output, threads: threads)
  }

  /// squaredHinge: `agg(max(0, 1 − ŷ·y)²)` (NaN propagates).
  @inlinable public static func squaredHinge<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.squaredHinge, yhat, y, agg: agg.aggregation, threads: threads)
  }
  /// squaredHinge with `agg = none`: the unreduced values written to `output`.
  @inlinable public static func squaredHinge<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(.squaredHinge, yhat, y, agg: .none, into: output, threads: threads)
  }

  /// crossentropy: `agg(−sum(weight · xlogy(y, ŷ + ϵ); dims))`; `shape` is ŷ's column-major shape
  /// (default: a vector), `dims` are 1-based.
  @inlinable public static func crossentropy<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil, dims: [Int] = [1],
    weight: Weight<T>? = nil, eps: T? = nil, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(
      .crossentropy, yhat, y, eps: eps, shape: shape, dims: dims, weight: weight, agg: agg.aggregation,
      threads: threads)
  }
  /// crossentropy with `agg = none`: the per-sample values written to `output`.
  @inlinable public static func crossentropy<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil, dims: [Int] = [1],
    weight: Weight<T>? = nil, eps: T? = nil, into output: UnsafeMutableBufferPointer<T>, threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(
      .crossentropy, yhat, y, eps: eps, shape: shape, dims: dims, weight: weight, agg: .none, into: output,
      threads: threads)
  }

  /// logitcrossentropy: `agg(−sum(weight · y · logsoftmax(ŷ; dims); dims))`; `shape` and `dims` as
  /// for crossentropy.
  @inlinable public static func logitcrossentropy<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil, dims: [Int] = [1],
    weight: Weight<T>? = nil, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(
      .logitcrossentropy, yhat, y, shape: shape, dims: dims, weight: weight, agg: agg.aggregation, threads: threads)
  }
  /// logitcrossentropy with `agg = none`: the per-sample values written to `output`.
  @inlinable public static func logitcrossentropy<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil, dims: [Int] = [1],
    weight: Weight<T>? = nil, into output: UnsafeMutableBufferPointer<T>, threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(
      .logitcrossentropy, yhat, y, shape: shape, dims: dims, weight: weight, agg: .none, into: output,
      threads: threads)
  }

  /// kldivergence: `agg(sum(xlogx(y); dims)) + crossentropy(ŷ, y; dims, agg, ϵ)`; `shape` and
  /// `dims` as for crossentropy.
  @inlinable public static func kldivergence<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil, dims: [Int] = [1],
    eps: T? = nil, agg: ReducingAggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.kldivergence, yhat, y, eps: eps, shape: shape, dims: dims, agg: agg.aggregation, threads: threads)
  }
  /// kldivergence with `agg = none`: the per-sample values written to `output`.
  @inlinable public static func kldivergence<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, shape: [Int]? = nil, dims: [Int] = [1],
    eps: T? = nil, into output: UnsafeMutableBufferPointer<T>, threads: Int? = nil
  ) throws(LossError) {
    _ = try forward(
      .kldivergence, yhat, y, eps: eps, shape: shape, dims: dims, agg: .none, into: output, threads: threads)
  }

  /// diceCoeffLoss: `1 − (2Σyŷ + smooth)/(Σy² + Σŷ² + smooth)` over all elements (no agg);
  /// `smooth` defaults to 1.
  @inlinable public static func diceCoeffLoss<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, smooth: T? = nil, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.diceCoeffLoss, yhat, y, smooth: smooth, agg: .mean, threads: threads)
  }

  /// tverskyLoss: `1 − (Σyŷ + 1)/(Σ(yŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ)) + 1)` over all elements (no agg);
  /// `beta` defaults to 0.7 (rounded to `T`).
  @inlinable public static func tverskyLoss<T: LossFastElement>(
    _ yhat: some LossFastValues<T>, _ y: some LossFastTarget<T>, beta: T? = nil, threads: Int? = nil
  ) throws(LossError) -> T {
    try forward(.tverskyLoss, yhat, y, beta: beta, agg: .mean, threads: threads)
  }
}
