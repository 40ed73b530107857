import LossCore

/// LossFast: the fourteen losses of SEMANTICS.md for production use — fused SIMD kernels, no
/// copies of the inputs, no allocation on the hot path, and multithreaded chunked reductions
/// whose result is bit-for-bit the same for any thread count.
///
/// ```swift
/// let yhat: [Float] = [0.9, 0.1, 0.1, 0.9]
/// let y: [Float] = [1, 1, 0, 0]
/// let loss = try LossFast.mse(yhat, y)   // 0.41 (agg: .mean by default)
/// ```
///
/// Accuracy: Float32 data are widened to Double and summed in Double, so a Float32 result is
/// faithful (within 1 ulp of the exact value) unless the loss itself cancels by more than about
/// 2¹⁵; Float64 data are summed with compensated (double-double) lanes and the terms' own
/// rounding errors are fed back where that is cheap (`ŷ − y`, `ŷ + ϵ`, `1 − ŷ·y`), so a Float64
/// result is within about 2 ulps where the loss is well conditioned. See `Benchmarks/README.md`
/// for measured figures.
///
/// Threads: `threads:` on each call, else `LOSSFAST_THREADS`, else all online processors.
public enum LossFast {
  /// The thread count used when a call does not give one: `LOSSFAST_THREADS` if set to a
  /// positive integer, else the number of online processors (read once).
  public static var defaultThreadCount: Int { Parallel.defaultThreadCount }

  /// The elements per chunk of every reduction: a constant, so results do not depend on the
  /// thread count.
  public static var chunkLength: Int { Chunking.length }

  /// The number of values `sum(x; dims)` leaves for an array of `shape` (the length of the
  /// result of a class-reducing loss with `agg: .none`, and the divisor of its mean).
  ///
  /// - Complexity: O(rank · dims.count), no allocation.
  public static func outputCount(shape: [Int], dims: [Int] = [1]) -> Int {
    ClassLayout(shape: shape, dims: dims).outputCount
  }
}

/// The element types LossFast computes in: `Float` and `Double`.
public protocol LossFastFloat: BinaryFloatingPoint, Sendable {
  /// The dtype of this element type (an implementation detail of the dispatch).
  static var _lossFastDType: DType { get }
}

extension Float: LossFastFloat {
  public static var _lossFastDType: DType { .float32 }
}

extension Double: LossFastFloat {
  public static var _lossFastDType: DType { .float64 }
}

extension LossFast {
  /// A class weight of crossentropy and logitcrossentropy: a number, or an array broadcast
  /// against ŷ by Julia's rule (each dimension equal or 1, missing trailing dimensions 1).
  public enum Weight<T: LossFastFloat> {
    case scalar(T)
    case array(UnsafeBufferPointer<T>, shape: [Int])
  }
}
