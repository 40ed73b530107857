import LossCore

/// LossFast: the fourteen losses of SEMANTICS.md for production use — fused SIMD kernels, no
/// copies of the inputs, no allocation on the hot path, and multithreaded chunked reductions
/// whose result is bit-for-bit the same for any thread count.
///
/// ```swift
/// let yhat: [Float] = [0.9, 0.1, 0.1, 0.9]
/// let y: [Float] = [1, 1, 0, 0]
/// let loss = try LossFast.mse(yhat, y)   // 0.41 (agg: .mean by default)
/// let total = try LossFast.binarycrossentropy(yhat, Float(1), agg: .sum)   // a constant label
/// var terms = [Float](repeating: 0, count: yhat.count)
/// try terms.withUnsafeMutableBufferPointer { try LossFast.mse(yhat, y, into: $0) }   // agg = none
/// ```
///
/// ŷ is a `[T]` or an `UnsafeBufferPointer<T>` (``LossFastValues``), y one of those or a constant
/// label (``LossFastTarget``); the functions that return one value take `agg: .mean` or `.sum`
/// (``LossFast/ReducingAggregation``), and `agg = none` is each loss's `into:` form.
///
/// Element types (``LossFastElement``): `Float`, `Double`, `Float16` and LossCore's `BFloat16`;
/// half data are computed exactly as Float data and each result rounded once to the half type.
///
/// Accuracy: Float32 data are widened to Double and summed in Double; the terms with logarithms
/// and exponentials use short kernels accurate to about 2⁻³² (`ShortMath`) wherever the sum of
/// the terms' error bounds shows the result within 2⁻²⁸ relative, else full-precision ones
/// (`VectorMath`). A Float32 result is faithful (within 1 ulp of the exact value) unless the
/// loss itself cancels by more than about 2¹⁵; Float64 data are summed with compensated (double-double) lanes and the terms' own
/// rounding errors are fed back where that is cheap (`ŷ − y`, `ŷ + ϵ`, `1 − ŷ·y`), so a Float64
/// result is within about 2 ulps where the loss is well conditioned. See `Benchmarks/README.md`
/// for measured figures.
///
/// Threads: `threads:` on each call, else `LOSSFAST_THREADS`, else all online processors.
public enum LossFast {
  /// The thread count used when a call does not give one: `LOSSFAST_THREADS` if set to a
  /// positive integer, else the number of online processors (read once).
  public static var defaultThreadCount: Int { Parallel.defaultThreadCount }

  /// The elements per chunk of the reductions (the Float32 sums of the memory-bound losses take
  /// four times as many): constants, so results do not depend on the thread count.
  public static var chunkLength: Int { Chunking.length }

  /// The number of values `sum(x; dims)` leaves for an array of `shape` (the length of the
  /// result of a class-reducing loss with `agg: .none`, and the divisor of its mean).
  ///
  /// - Complexity: O(rank · dims.count), no allocation.
  public static func outputCount(shape: [Int], dims: [Int] = [1]) -> Int {
    ClassLayout(shape: shape, dims: dims).outputCount
  }
}

/// The element types LossFast reads and writes: `Float`, `Double`, `Float16` and LossCore's
/// `BFloat16`.
///
/// Every public function takes its data, parameters and buffers in one element type `T`. Half
/// data (`Float16`, `BFloat16`) are widened to Double on load, computed and summed like Float
/// data, and each result is rounded once to the element type. `BFloat16` is a storage type (no
/// arithmetic), so it conforms to this protocol only; the arithmetic element types conform to
/// ``LossFastFloat``, which refines it.
public protocol LossFastElement: Sendable {
  /// The dtype of this element type (an implementation detail of the dispatch).
  static var _lossFastDType: DType { get }
  /// Zero (an implementation detail: what the allocating functions fill new arrays with).
  static var _lossFastZero: Self { get }
  /// A quiet NaN (an implementation detail: the value the `agg = none` functions return).
  static var _lossFastNaN: Self { get }
  /// Evaluates one call of a public function (an implementation detail: a concrete entry point per
  /// element type, so a client that knows the type calls it without generic metadata).
  static func _lossFastEvaluate(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<Self>, _ y: LossFast.Target<Self>, eps: Self?, delta: Self?,
    smooth: Self?, beta: Self?, shape: [Int]?, dims: [Int], weight: LossFast.Weight<Self>?, agg: Aggregation,
    into output: UnsafeMutableBufferPointer<Self>?, threads: Int?
  ) throws(LossError) -> Self
  /// Evaluates one call of a value-and-gradient function (an implementation detail, as
  /// ``_lossFastEvaluate(_:_:_:eps:delta:smooth:beta:shape:dims:weight:agg:into:threads:)``).
  static func _lossFastValueAndGradient(
    _ loss: LossID, _ yhat: UnsafeBufferPointer<Self>, _ y: LossFast.Target<Self>, eps: Self?, delta: Self?,
    smooth: Self?, beta: Self?, shape: [Int]?, dims: [Int], weight: LossFast.Weight<Self>?, agg: Aggregation,
    cotangent: UnsafeBufferPointer<Self>?, values: UnsafeMutableBufferPointer<Self>?,
    gradient: UnsafeMutableBufferPointer<Self>, yGradient: UnsafeMutableBufferPointer<Self>?, threads: Int?
  ) throws(LossError) -> Self
}

/// The element types of LossFast that are also Swift floating-point types: `Float`, `Double`
/// and `Float16` (generic client code that needs arithmetic on `T` can require this one).
public protocol LossFastFloat: LossFastElement, BinaryFloatingPoint {}

extension LossFastFloat {
  /// Zero.
  @inlinable public static var _lossFastZero: Self { 0 }
  /// A quiet NaN.
  @inlinable public static var _lossFastNaN: Self { .nan }
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
  public enum Weight<T: LossFastElement> {
    case scalar(T)
    case array(UnsafeBufferPointer<T>, shape: [Int])
  }
}

/// `ŷ + y`: the term of the streaming baseline.
struct StreamingTerm: ElementwiseTerm {
  static var cost: Int { 1 }
  @inline(__always) func vector<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type) -> (hi: Lanes, lo: Lanes) {
    (p + y, .zero)
  }
  func literal(_ p: Double, _ y: Double, index: Int) throws(LossError) -> Double { p + y }
}

extension LossFast {
  /// The streaming baseline of the benchmarks (not a loss): `Σ (aᵢ + bᵢ)` through the losses'
  /// own engine (widening loads, chunking, threads) with one addition per element, so a loss's
  /// throughput can be stated as a fraction of what merely reading its two inputs costs.
  ///
  /// - Complexity: O(n) work, O(n / threads) time, no allocation.
  public static func _streamingSum<T: LossFastElement>(_ a: [T], _ b: [T], threads: Int? = nil) -> T {
    let n = Swift.min(a.count, b.count)
    let threads = threads ?? defaultThreadCount
    return a.withUnsafeBufferPointer { p in
      b.withUnsafeBufferPointer { q in
        guard let pa = p.baseAddress, let qb = q.baseAddress else { return narrow(0) }
        return narrow(
          streamingSum(UnsafeRawPointer(pa), UnsafeRawPointer(qb), count: n, dtype: T._lossFastDType, threads: threads))
      }
    }
  }

  /// The element type erased (see `ErasedCall.run`).
  @inline(never)
  static func streamingSum(
    _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count n: Int, dtype: DType, threads: Int
  ) -> Double {
    let total: DoubleDouble
    switch dtype {
    case .float32:
      total = ElementwiseKernel.sum(
        StreamingTerm(), FloatOperand(base: a.assumingMemoryBound(to: Float.self)),
        FloatOperand(base: b.assumingMemoryBound(to: Float.self)), count: n, threads: threads, PlainAccumulator.self)
    case .float64:
      total = ElementwiseKernel.sum(
        StreamingTerm(), DoubleOperand(base: a.assumingMemoryBound(to: Double.self)),
        DoubleOperand(base: b.assumingMemoryBound(to: Double.self)), count: n, threads: threads, PlainAccumulator.self)
    case .float16:
      #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        total = ElementwiseKernel.sum(
          StreamingTerm(), Float16Operand(base: a.assumingMemoryBound(to: Float16.self)),
          Float16Operand(base: b.assumingMemoryBound(to: Float16.self)), count: n, threads: threads,
          PlainAccumulator.self)
      #else
        total = .zero
      #endif
    case .bfloat16:
      total = ElementwiseKernel.sum(
        StreamingTerm(), BFloat16Operand(base: a.assumingMemoryBound(to: UInt16.self)),
        BFloat16Operand(base: b.assumingMemoryBound(to: UInt16.self)), count: n, threads: threads,
        PlainAccumulator.self)
    }
    return total.value
  }
}

extension LossFast {
  /// The plain-C streaming floor of the benchmarks (not a loss): `Σ (aᵢ − bᵢ)²` (Float32 or
  /// Float64 arrays) by a C loop of the vector kernels (`CLossFastKernels`, on
  /// `VectorPath.selected`), chunked and threaded like the losses: what reading the two arrays
  /// costs outside LossFast's Swift engine. Other element types: 0.
  ///
  /// - Complexity: O(n) work, O(n / threads) time, no allocation.
  public static func _cStreamingSum<T: LossFastElement>(_ a: [T], _ b: [T], threads: Int? = nil) -> Double {
    let n = Swift.min(a.count, b.count)
    let threads = threads ?? defaultThreadCount
    guard T.self == Float.self || T.self == Double.self else { return 0 }
    return a.withUnsafeBufferPointer { p in
      b.withUnsafeBufferPointer { q in
        guard let pa = p.baseAddress, let qb = q.baseAddress else { return 0 }
        return Parallel.reduce(count: n, threads: threads, cost: 1, CStreamChunks(a: pa, b: qb)).value
      }
    }
  }
}

/// A chunk of `LossFast._cStreamingSum`.
struct CStreamChunks<T>: ChunkBody {
  let a: UnsafePointer<T>
  let b: UnsafePointer<T>
  func callAsFunction(_ range: Range<Int>) -> DoubleDouble {
    DoubleDouble(VectorKernels.stream(a + range.lowerBound, b + range.lowerBound, count: range.count))
  }
}
