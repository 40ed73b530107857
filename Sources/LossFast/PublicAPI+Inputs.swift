// What the public functions take: ŷ and y read in place, and the aggregation of a scalar result.
import LossCore

/// Values read in place for LossFast: a ŷ, or a y of ŷ's length (`[T]`, `UnsafeBufferPointer<T>`).
public protocol LossFastValues<Scalar>: LossFastTarget {
  associatedtype Scalar
  /// Calls `body` with the elements (the pointer is valid only during the call).
  func withLossFastValues<R, E: Error>(_ body: (UnsafeBufferPointer<Scalar>) throws(E) -> R) throws(E) -> R
}

/// A y for LossFast: values of ŷ's length (any ``LossFastValues``) or a constant label (`Float`,
/// `Double`, `Float16`, `BFloat16`; a literal label is a Double unless typed: `Float(1)` for
/// Float data, `Float16(1)` for Float16 data).
public protocol LossFastTarget<Scalar> {
  associatedtype Scalar: LossFastElement
  /// Calls `body` with the target (a buffer is valid only during the call).
  func withLossFastTarget<R, E: Error>(_ body: (LossFast.Target<Scalar>) throws(E) -> R) throws(E) -> R
}

extension LossFastValues {
  @inlinable
  public func withLossFastTarget<R, E: Error>(_ body: (LossFast.Target<Scalar>) throws(E) -> R) throws(E) -> R {
    try withLossFastValues { (values) throws(E) -> R in try body(.array(values)) }
  }
}

extension Array: LossFastTarget, LossFastValues where Element: LossFastElement {
  public typealias Scalar = Element

  @inlinable
  public func withLossFastValues<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
    try withUnsafeBufferPointer(body)
  }
}

extension UnsafeBufferPointer: LossFastTarget, LossFastValues where Element: LossFastElement {
  public typealias Scalar = Element

  @inlinable
  public func withLossFastValues<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
    try body(self)
  }
}

extension Float: LossFastTarget {
  @inlinable
  public func withLossFastTarget<R, E: Error>(_ body: (LossFast.Target<Float>) throws(E) -> R) throws(E) -> R {
    try body(.scalar(self))
  }
}

extension Double: LossFastTarget {
  @inlinable
  public func withLossFastTarget<R, E: Error>(_ body: (LossFast.Target<Double>) throws(E) -> R) throws(E) -> R {
    try body(.scalar(self))
  }
}

extension LossFast {
  /// A y: values of ŷ's length, or a constant label (for a choice made at run time).
  public enum Target<T: LossFastElement>: LossFastTarget {
    case array(UnsafeBufferPointer<T>)
    case scalar(T)

    @inlinable
    public func withLossFastTarget<R, E: Error>(_ body: (Target<T>) throws(E) -> R) throws(E) -> R { try body(self) }
  }

  /// Flux's `agg` for the functions that return one value: `mean` (the default) or `sum`.
  /// `agg = none` is the `into:` form of each loss.
  public enum ReducingAggregation: String, Sendable, Hashable, CaseIterable {
    case mean, sum

    /// The aggregation as LossCore names it.
    @inlinable public var aggregation: Aggregation { self == .mean ? .mean : .sum }
  }
}
