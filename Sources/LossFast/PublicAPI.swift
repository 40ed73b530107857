// The public functions, one group per loss (the same shape for all fourteen).
import LossCore

// The public functions: for every loss, ŷ then y (an array of ŷ's length, or a constant label),
// the loss's parameters with Flux's names and defaults, `agg`, and `threads` (default:
// `LossFast.defaultThreadCount`). Inputs are read in place: no copies, and no allocation for a
// scalar result unless a fallback path is taken (non-finite terms, weight arrays, or `dims`
// that are not a leading block for logitcrossentropy).
//
// Errors (typed `LossError`): DimensionMismatch naming both shapes, DomainError (log of a
// negative number), ArgumentError naming the parameter.
//
// Each function is prespecialized for Float and Double (`@_specialize(exported: true)`): a
// client calling it with a concrete element type calls the specialized entry point, without
// instantiating the generic call machinery's metadata at run time (measured: about half a
// microsecond per call, most of a call on 1 000 elements).

extension LossFast {
  /// mae: `agg(|ŷ − y|)`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func mae<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "mae")
    let call = LossCall<T>(
      loss: .mae, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// mae: `agg(|ŷ − y|)`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func mae<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "mae")
    let call = LossCall<T>(
      loss: .mae, yhat: yhat, y: .scalar(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// mae with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func mae<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .mae, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// mae on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func mae<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try mae(p, q, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// mse: `agg((ŷ − y)²)`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func mse<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "mse")
    let call = LossCall<T>(
      loss: .mse, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// mse: `agg((ŷ − y)²)`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func mse<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "mse")
    let call = LossCall<T>(
      loss: .mse, yhat: yhat, y: .scalar(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// mse with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func mse<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .mse, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// mse on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func mse<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try mse(p, q, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// msle: `agg(log((ŷ + ϵ)/(y + ϵ))²)`; `eps` defaults to the machine epsilon of `T`; DomainError for a negative ratio.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func msle<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, eps: T? = nil, agg: Aggregation = .mean,
    threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "msle")
    let call = LossCall<T>(
      loss: .msle(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// msle: `agg(log((ŷ + ϵ)/(y + ϵ))²)`; `eps` defaults to the machine epsilon of `T`; DomainError for a negative ratio.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func msle<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, eps: T? = nil, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "msle")
    let call = LossCall<T>(
      loss: .msle(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .scalar(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// msle with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func msle<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, eps: T? = nil,
    into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .msle(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// msle on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func msle<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], eps: T? = nil, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try msle(p, q, eps: eps, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// huberLoss: with `e = |ŷ − y|`: `agg(e < δ ? 0.5e² : δ(e − 0.5δ))`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func huberLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, delta: T = 1, agg: Aggregation = .mean,
    threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "huberLoss")
    let call = LossCall<T>(
      loss: .huberLoss(delta: try ParameterCheck.delta(delta)), yhat: yhat, y: .array(y), shape: nil, dims: [1],
      weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// huberLoss: with `e = |ŷ − y|`: `agg(e < δ ? 0.5e² : δ(e − 0.5δ))`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func huberLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, delta: T = 1, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "huberLoss")
    let call = LossCall<T>(
      loss: .huberLoss(delta: try ParameterCheck.delta(delta)), yhat: yhat, y: .scalar(y), shape: nil, dims: [1],
      weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// huberLoss with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func huberLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, delta: T = 1,
    into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .huberLoss(delta: try ParameterCheck.delta(delta)), yhat: yhat, y: .array(y), shape: nil, dims: [1],
      weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// huberLoss on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func huberLoss<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], delta: T = 1, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try huberLoss(p, q, delta: delta, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// binarycrossentropy: `agg(−xlogy(y, ŷ + ϵ) − xlogy(1 − y, 1 − ŷ + ϵ))`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func binarycrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, eps: T? = nil, agg: Aggregation = .mean,
    threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "binarycrossentropy")
    let call = LossCall<T>(
      loss: .binarycrossentropy(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .array(y), shape: nil, dims: [1],
      weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// binarycrossentropy: `agg(−xlogy(y, ŷ + ϵ) − xlogy(1 − y, 1 − ŷ + ϵ))`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func binarycrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, eps: T? = nil, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "binarycrossentropy")
    let call = LossCall<T>(
      loss: .binarycrossentropy(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .scalar(y), shape: nil, dims: [1],
      weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// binarycrossentropy with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func binarycrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, eps: T? = nil,
    into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .binarycrossentropy(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .array(y), shape: nil, dims: [1],
      weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// binarycrossentropy on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func binarycrossentropy<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], eps: T? = nil, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try binarycrossentropy(p, q, eps: eps, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// logitbinarycrossentropy: `agg((1 − y)·ŷ − logσ(ŷ))`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func logitbinarycrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "logitbinarycrossentropy")
    let call = LossCall<T>(
      loss: .logitbinarycrossentropy, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// logitbinarycrossentropy: `agg((1 − y)·ŷ − logσ(ŷ))`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func logitbinarycrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "logitbinarycrossentropy")
    let call = LossCall<T>(
      loss: .logitbinarycrossentropy, yhat: yhat, y: .scalar(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// logitbinarycrossentropy with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func logitbinarycrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .logitbinarycrossentropy, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// logitbinarycrossentropy on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func logitbinarycrossentropy<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try logitbinarycrossentropy(p, q, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// poissonLoss: `agg(ŷ − xlogy(y, ŷ))`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func poissonLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "poissonLoss")
    let call = LossCall<T>(
      loss: .poissonLoss, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// poissonLoss: `agg(ŷ − xlogy(y, ŷ))`.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func poissonLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "poissonLoss")
    let call = LossCall<T>(
      loss: .poissonLoss, yhat: yhat, y: .scalar(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// poissonLoss with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func poissonLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .poissonLoss, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// poissonLoss on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func poissonLoss<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try poissonLoss(p, q, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// hinge: `agg(max(0, 1 − ŷ·y))` (NaN propagates).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func hinge<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "hinge")
    let call = LossCall<T>(
      loss: .hinge, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// hinge: `agg(max(0, 1 − ŷ·y))` (NaN propagates).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func hinge<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "hinge")
    let call = LossCall<T>(
      loss: .hinge, yhat: yhat, y: .scalar(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// hinge with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func hinge<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .hinge, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// hinge on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func hinge<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try hinge(p, q, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// squaredHinge: `agg(max(0, 1 − ŷ·y)²)` (NaN propagates).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func squaredHinge<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "squaredHinge")
    let call = LossCall<T>(
      loss: .squaredHinge, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// squaredHinge: `agg(max(0, 1 − ŷ·y)²)` (NaN propagates).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func squaredHinge<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "squaredHinge")
    let call = LossCall<T>(
      loss: .squaredHinge, yhat: yhat, y: .scalar(y), shape: nil, dims: [1], weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// squaredHinge with `agg = none`: the unreduced values written to `output` (length ŷ.count).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func squaredHinge<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .squaredHinge, yhat: yhat, y: .array(y), shape: nil, dims: [1], weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// squaredHinge on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func squaredHinge<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try squaredHinge(p, q, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// crossentropy: `agg(−sum(weight · xlogy(y, ŷ + ϵ); dims))`.
  ///
  /// `shape` is ŷ's column-major shape (default: a vector); `dims` are 1-based.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func crossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, shape: [Int]? = nil, dims: [Int] = [1],
    weight: LossFast.Weight<T>? = nil, eps: T? = nil, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "crossentropy")
    let call = LossCall<T>(
      loss: .crossentropy(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .array(y), shape: shape, dims: dims,
      weight: weight,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// crossentropy: `agg(−sum(weight · xlogy(y, ŷ + ϵ); dims))`.
  ///
  /// `shape` is ŷ's column-major shape (default: a vector); `dims` are 1-based.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func crossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, shape: [Int]? = nil, dims: [Int] = [1], weight: LossFast.Weight<T>? = nil,
    eps: T? = nil, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "crossentropy")
    let call = LossCall<T>(
      loss: .crossentropy(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .scalar(y), shape: shape, dims: dims,
      weight: weight,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// crossentropy with `agg = none`: the unreduced values written to `output` (length ŷ.count, or `outputCount(shape:dims:)`).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func crossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, shape: [Int]? = nil, dims: [Int] = [1],
    weight: LossFast.Weight<T>? = nil, eps: T? = nil, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .crossentropy(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .array(y), shape: shape, dims: dims,
      weight: weight,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// crossentropy on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func crossentropy<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], shape: [Int]? = nil, dims: [Int] = [1], weight: LossFast.Weight<T>? = nil, eps: T? = nil,
    agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try crossentropy(p, q, shape: shape, dims: dims, weight: weight, eps: eps, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// logitcrossentropy: `agg(−sum(weight · y · logsoftmax(ŷ; dims); dims))`.
  ///
  /// `shape` is ŷ's column-major shape (default: a vector); `dims` are 1-based.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func logitcrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, shape: [Int]? = nil, dims: [Int] = [1],
    weight: LossFast.Weight<T>? = nil, agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "logitcrossentropy")
    let call = LossCall<T>(
      loss: .logitcrossentropy, yhat: yhat, y: .array(y), shape: shape, dims: dims, weight: weight,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// logitcrossentropy: `agg(−sum(weight · y · logsoftmax(ŷ; dims); dims))`.
  ///
  /// `shape` is ŷ's column-major shape (default: a vector); `dims` are 1-based.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func logitcrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, shape: [Int]? = nil, dims: [Int] = [1], weight: LossFast.Weight<T>? = nil,
    agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "logitcrossentropy")
    let call = LossCall<T>(
      loss: .logitcrossentropy, yhat: yhat, y: .scalar(y), shape: shape, dims: dims, weight: weight,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// logitcrossentropy with `agg = none`: the unreduced values written to `output` (length ŷ.count, or `outputCount(shape:dims:)`).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func logitcrossentropy<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, shape: [Int]? = nil, dims: [Int] = [1],
    weight: LossFast.Weight<T>? = nil, into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .logitcrossentropy, yhat: yhat, y: .array(y), shape: shape, dims: dims, weight: weight,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// logitcrossentropy on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func logitcrossentropy<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], shape: [Int]? = nil, dims: [Int] = [1], weight: LossFast.Weight<T>? = nil,
    agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try logitcrossentropy(p, q, shape: shape, dims: dims, weight: weight, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// kldivergence: `agg(sum(xlogx(y); dims)) + crossentropy(ŷ, y; dims, agg, ϵ)`.
  ///
  /// `shape` is ŷ's column-major shape (default: a vector); `dims` are 1-based.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func kldivergence<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, shape: [Int]? = nil, dims: [Int] = [1], eps: T? = nil,
    agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "kldivergence")
    let call = LossCall<T>(
      loss: .kldivergence(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .array(y), shape: shape, dims: dims,
      weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// kldivergence: `agg(sum(xlogx(y); dims)) + crossentropy(ŷ, y; dims, agg, ϵ)`.
  ///
  /// `shape` is ŷ's column-major shape (default: a vector); `dims` are 1-based.
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func kldivergence<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, shape: [Int]? = nil, dims: [Int] = [1], eps: T? = nil,
    agg: Aggregation = .mean, threads: Int? = nil
  ) throws(LossError) -> T {
    try ParameterCheck.scalarAggregation(agg, "kldivergence")
    let call = LossCall<T>(
      loss: .kldivergence(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .scalar(y), shape: shape, dims: dims,
      weight: nil,
      agg: agg, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// kldivergence with `agg = none`: the unreduced values written to `output` (length ŷ.count, or `outputCount(shape:dims:)`).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func kldivergence<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, shape: [Int]? = nil, dims: [Int] = [1], eps: T? = nil,
    into output: UnsafeMutableBufferPointer<T>,
    threads: Int? = nil
  ) throws(LossError) {
    let call = LossCall<T>(
      loss: .kldivergence(eps: try ParameterCheck.eps(eps)), yhat: yhat, y: .array(y), shape: shape, dims: dims,
      weight: nil,
      agg: .none, threads: threads)
    _ = try call.run(into: output)
  }
}

extension LossFast {
  /// kldivergence on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func kldivergence<T: LossFastFloat>(
    _ yhat: [T], _ y: [T], shape: [Int]? = nil, dims: [Int] = [1], eps: T? = nil, agg: Aggregation = .mean,
    threads: Int? = nil
  ) throws(LossError) -> T {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try kldivergence(p, q, shape: shape, dims: dims, eps: eps, agg: agg, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// diceCoeffLoss: `1 − (2Σyŷ + smooth)/(Σy² + Σŷ² + smooth)` over all elements (no agg).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func diceCoeffLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, smooth: T = 1, threads: Int? = nil
  ) throws(LossError) -> T {
    let call = LossCall<T>(
      loss: .diceCoeffLoss(smooth: try ParameterCheck.smooth(smooth)), yhat: yhat, y: .array(y), shape: nil, dims: [1],
      weight: nil,
      agg: .mean, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// diceCoeffLoss: `1 − (2Σyŷ + smooth)/(Σy² + Σŷ² + smooth)` over all elements (no agg).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func diceCoeffLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, smooth: T = 1, threads: Int? = nil
  ) throws(LossError) -> T {
    let call = LossCall<T>(
      loss: .diceCoeffLoss(smooth: try ParameterCheck.smooth(smooth)), yhat: yhat, y: .scalar(y), shape: nil, dims: [1],
      weight: nil,
      agg: .mean, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// diceCoeffLoss on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func diceCoeffLoss<T: LossFastFloat>(_ yhat: [T], _ y: [T], smooth: T = 1, threads: Int? = nil)
    throws(LossError) -> T
  {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try diceCoeffLoss(p, q, smooth: smooth, threads: threads)
      }
    }
  }
}

extension LossFast {
  /// tverskyLoss: `1 − (Σyŷ + 1)/(Σ(yŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ)) + 1)` over all elements (no agg).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func tverskyLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>, beta: T = 0.7, threads: Int? = nil
  ) throws(LossError) -> T {
    let call = LossCall<T>(
      loss: .tverskyLoss(beta: try ParameterCheck.beta(beta)), yhat: yhat, y: .array(y), shape: nil, dims: [1],
      weight: nil,
      agg: .mean, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// tverskyLoss: `1 − (Σyŷ + 1)/(Σ(yŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ)) + 1)` over all elements (no agg).
  /// - Complexity: O(n) work, O(n / threads) time; no allocation for a scalar result on the fast path.
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func tverskyLoss<T: LossFastFloat>(
    _ yhat: UnsafeBufferPointer<T>, _ y: T, beta: T = 0.7, threads: Int? = nil
  ) throws(LossError) -> T {
    let call = LossCall<T>(
      loss: .tverskyLoss(beta: try ParameterCheck.beta(beta)), yhat: yhat, y: .scalar(y), shape: nil, dims: [1],
      weight: nil,
      agg: .mean, threads: threads)
    return narrow(try call.run(into: nil) ?? .nan)
  }
}

extension LossFast {
  /// tverskyLoss on arrays (read in place).
  @_specialize(exported:true,where T == Float)
  @_specialize(exported:true,where T == Double)
  public static func tverskyLoss<T: LossFastFloat>(_ yhat: [T], _ y: [T], beta: T = 0.7, threads: Int? = nil)
    throws(LossError) -> T
  {
    try yhat.withUnsafeBufferPointer { (p) throws(LossError) -> T in
      try y.withUnsafeBufferPointer { (q) throws(LossError) -> T in
        try tverskyLoss(p, q, beta: beta, threads: threads)
      }
    }
  }
}
