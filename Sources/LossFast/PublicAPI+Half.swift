// The half-precision element types: Swift's Float16 and LossCore's BFloat16 call the same public
// functions as Float and Double. Their data are widened to Double on load (exactly), computed and
// summed like Float data, and every result is rounded once to the element type.
import LossCore

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
  extension Float16: LossFastFloat {
    /// The dtype of Float16: `DType.float16`.
    public static var _lossFastDType: DType { .float16 }

    /// The public functions' entry point for Float16 (see
    /// ``LossFastElement/_lossFastEvaluate(_:_:_:eps:delta:smooth:beta:shape:dims:weight:agg:into:threads:)``).
    public static func _lossFastEvaluate(
      _ loss: LossID, _ yhat: UnsafeBufferPointer<Float16>, _ y: LossFast.Target<Float16>, eps: Float16?,
      delta: Float16?, smooth: Float16?, beta: Float16?, shape: [Int]?, dims: [Int],
      weight: LossFast.Weight<Float16>?, agg: Aggregation, into output: UnsafeMutableBufferPointer<Float16>?,
      threads: Int?
    ) throws(LossError) -> Float16 {
      try LossFast.evaluate(
        loss, yhat, y, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
        agg: agg, into: output, threads: threads)
    }

    /// The value-and-gradient functions' entry point for Float16 (see
    /// ``LossFastElement/_lossFastValueAndGradient(_:_:_:eps:delta:smooth:beta:shape:dims:weight:agg:cotangent:values:gradient:yGradient:threads:)``).
    public static func _lossFastValueAndGradient(
      _ loss: LossID, _ yhat: UnsafeBufferPointer<Float16>, _ y: LossFast.Target<Float16>, eps: Float16?,
      delta: Float16?, smooth: Float16?, beta: Float16?, shape: [Int]?, dims: [Int],
      weight: LossFast.Weight<Float16>?, agg: Aggregation, cotangent: UnsafeBufferPointer<Float16>?,
      values: UnsafeMutableBufferPointer<Float16>?, gradient: UnsafeMutableBufferPointer<Float16>,
      yGradient: UnsafeMutableBufferPointer<Float16>?, threads: Int?
    ) throws(LossError) -> Float16 {
      try LossFast.valueAndGradient(
        loss, yhat, y, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
        agg: agg, cotangent: cotangent, values: values, gradient: gradient, yGradient: yGradient, threads: threads)
    }
  }

  extension Float16: LossFastTarget {
    /// Calls `body` with this constant label.
    ///
    /// - Parameter body: Receives the target `.scalar(self)`.
    /// - Returns: What `body` returns.
    @inlinable
    public func withLossFastTarget<R, E: Error>(_ body: (LossFast.Target<Float16>) throws(E) -> R) throws(E) -> R {
      try body(.scalar(self))
    }
  }
#endif

extension BFloat16: LossFastElement {
  /// The dtype of BFloat16: `DType.bfloat16`.
  public static var _lossFastDType: DType { .bfloat16 }
  /// Zero (the bit pattern 0).
  @inlinable public static var _lossFastZero: BFloat16 { BFloat16(bitPattern: 0) }
  /// A quiet NaN (`0x7FC0`).
  @inlinable public static var _lossFastNaN: BFloat16 { BFloat16(bitPattern: 0x7FC0) }

  /// The public functions' entry point for BFloat16 (see
  /// ``LossFastElement/_lossFastEvaluate(_:_:_:eps:delta:smooth:beta:shape:dims:weight:agg:into:threads:)``).
  public static func _lossFastEvaluate(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<BFloat16>, _ y: LossFast.Target<BFloat16>, eps: BFloat16?,
    delta: BFloat16?, smooth: BFloat16?, beta: BFloat16?, shape: [Int]?, dims: [Int],
    weight: LossFast.Weight<BFloat16>?, agg: Aggregation, into output: UnsafeMutableBufferPointer<BFloat16>?,
    threads: Int?
  ) throws(LossError) -> BFloat16 {
    try LossFast.evaluate(
      loss, yhat, y, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
      agg: agg, into: output, threads: threads)
  }

  /// The value-and-gradient functions' entry point for BFloat16 (see
  /// ``LossFastElement/_lossFastValueAndGradient(_:_:_:eps:delta:smooth:beta:shape:dims:weight:agg:cotangent:values:gradient:yGradient:threads:)``).
  public static func _lossFastValueAndGradient(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<BFloat16>, _ y: LossFast.Target<BFloat16>, eps: BFloat16?,
    delta: BFloat16?, smooth: BFloat16?, beta: BFloat16?, shape: [Int]?, dims: [Int],
    weight: LossFast.Weight<BFloat16>?, agg: Aggregation, cotangent: UnsafeBufferPointer<BFloat16>?,
    values: UnsafeMutableBufferPointer<BFloat16>?, gradient: UnsafeMutableBufferPointer<BFloat16>,
    yGradient: UnsafeMutableBufferPointer<BFloat16>?, threads: Int?
  ) throws(LossError) -> BFloat16 {
    try LossFast.valueAndGradient(
      loss, yhat, y, eps: eps, delta: delta, smooth: smooth, beta: beta, shape: shape, dims: dims, weight: weight,
      agg: agg, cotangent: cotangent, values: values, gradient: gradient, yGradient: yGradient, threads: threads)
  }
}

extension BFloat16: LossFastTarget {
  /// Calls `body` with this constant label.
  ///
  /// - Parameter body: Receives the target `.scalar(self)`.
  /// - Returns: What `body` returns.
  @inlinable
  public func withLossFastTarget<R, E: Error>(_ body: (LossFast.Target<BFloat16>) throws(E) -> R) throws(E) -> R {
    try body(.scalar(self))
  }
}

extension LossFast {
  /// `x` rounded once to BFloat16 as the kernels' outputs round it (for the package's tests).
  package static func _bfloat16(_ x: Double) -> BFloat16 { BFloat16(bitPattern: bfloat16Bits(x)) }
}
