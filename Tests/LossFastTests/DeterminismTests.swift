import LossCore
import LossFast
import Testing

/// Results must be bit-for-bit identical for any thread count and across repeated runs: the
/// chunk length is a constant and chunk partials are combined in chunk order.
@Suite("Determinism across thread counts")
struct DeterminismTests {
  static let threadCounts = [1, 2, 3, 8, 64]

  /// Inputs of `n` elements for `loss` (a 10-class matrix for the class-reducing losses).
  static func inputs<T: LossFastFloat>(_ loss: LossID, count n: Int, as _: T.Type) -> (yhat: [T], y: [T]) {
    var rng = SplitMix64(seed: 0xD0_0D ^ UInt64(loss.rawValue.count))
    var yhat = [T](repeating: 0, count: n)
    var y = [T](repeating: 0, count: n)
    for i in 0..<n {
      let a = Double.random(in: 0.001..<1, using: &rng)
      let b = Double.random(in: 0..<1, using: &rng)
      switch loss {
      case .logitcrossentropy, .logitbinarycrossentropy, .hinge, .squaredHinge, .mae, .mse, .huberLoss:
        yhat[i] = T(8 * a - 4)
        y[i] = loss == .hinge || loss == .squaredHinge ? (b < 0.5 ? -1 : 1) : T(b < 0.5 ? 0 : 1)
      case .poissonLoss:
        yhat[i] = T(5 * a)
        y[i] = T((5 * b).rounded(.down))
      default:
        yhat[i] = T(a)
        y[i] = T(b < 0.3 ? 0 : b)
      }
    }
    return (yhat, y)
  }

  static func evaluate<T: LossFastFloat>(_ loss: LossID, _ yhat: [T], _ y: [T], threads: Int) throws -> T {
    let classes = 10
    let shape = [classes, yhat.count / classes]
    switch loss {
    case .mae: return try LossFast.mae(yhat, y, threads: threads)
    case .mse: return try LossFast.mse(yhat, y, threads: threads)
    case .msle: return try LossFast.msle(yhat, y, threads: threads)
    case .huberLoss: return try LossFast.huberLoss(yhat, y, threads: threads)
    case .crossentropy: return try LossFast.crossentropy(yhat, y, shape: shape, threads: threads)
    case .logitcrossentropy: return try LossFast.logitcrossentropy(yhat, y, shape: shape, threads: threads)
    case .binarycrossentropy: return try LossFast.binarycrossentropy(yhat, y, threads: threads)
    case .logitbinarycrossentropy: return try LossFast.logitbinarycrossentropy(yhat, y, threads: threads)
    case .kldivergence: return try LossFast.kldivergence(yhat, y, shape: shape, threads: threads)
    case .poissonLoss: return try LossFast.poissonLoss(yhat, y, threads: threads)
    case .hinge: return try LossFast.hinge(yhat, y, threads: threads)
    case .squaredHinge: return try LossFast.squaredHinge(yhat, y, threads: threads)
    case .diceCoeffLoss: return try LossFast.diceCoeffLoss(yhat, y, threads: threads)
    case .tverskyLoss: return try LossFast.tverskyLoss(yhat, y, threads: threads)
    }
  }

  /// With `LOSSFAST_LONG=1`: one million elements plus a tail (1 000 010 = 10 classes × 100 001
  /// samples, 62 chunks). By default 131 080 elements (9 chunks, above the parallel threshold of
  /// every loss), which keeps the unoptimized `swift test` run short; the long run is reported
  /// in Benchmarks/README.md (release build).
  static let count = environmentFlag("LOSSFAST_LONG") ? 1_000_010 : 131_080

  @Test("the same bits for 1, 2, 3, 8, 64 threads and on a repeated run", arguments: LossID.allCases)
  func bits(loss: LossID) throws {
    try check(loss, Float.self)
    try check(loss, Double.self)
  }

  func check<T: LossFastFloat>(_ loss: LossID, _: T.Type) throws {
    let (yhat, y) = Self.inputs(loss, count: Self.count, as: T.self)
    let reference = try Self.evaluate(loss, yhat, y, threads: 1)
    #expect(reference.isFinite)
    for threads in Self.threadCounts + [2] {
      let value = try Self.evaluate(loss, yhat, y, threads: threads)
      #expect(
        bits(value) == bits(reference), "\(loss) \(T.self): \(value) with \(threads) threads vs \(reference) with 1")
    }
  }

  /// The bits of a Float or Double (sign, exponent, significand), for an exact comparison.
  func bits<T: LossFastFloat>(_ x: T) -> (Bool, Int, UInt64) {
    (x.sign == .minus, Int(x.exponentBitPattern), UInt64(x.significandBitPattern))
  }

  @Test("agg = none: the same elements for 1 and 3 threads")
  func elementwiseOutputs() throws {
    let (yhat, y) = Self.inputs(.logitbinarycrossentropy, count: 40_003, as: Double.self)
    var one = [Double](repeating: 0, count: yhat.count)
    var three = one
    try yhat.withUnsafeBufferPointer { p in
      try y.withUnsafeBufferPointer { q in
        try one.withUnsafeMutableBufferPointer { try LossFast.logitbinarycrossentropy(p, q, into: $0, threads: 1) }
        try three.withUnsafeMutableBufferPointer { try LossFast.logitbinarycrossentropy(p, q, into: $0, threads: 3) }
      }
    }
    #expect(one == three)
  }

  @Test("agg = none of a class-reducing loss: the same group values for 1 and 3 threads")
  func groupOutputs() throws {
    let (yhat, y) = Self.inputs(.crossentropy, count: 131_080, as: Float.self)
    let shape = [10, yhat.count / 10]
    var one = [Float](repeating: 0, count: yhat.count / 10)
    var three = one
    try yhat.withUnsafeBufferPointer { p in
      try y.withUnsafeBufferPointer { q in
        try one.withUnsafeMutableBufferPointer {
          try LossFast.crossentropy(p, q, shape: shape, into: $0, threads: 1)
        }
        try three.withUnsafeMutableBufferPointer {
          try LossFast.crossentropy(p, q, shape: shape, into: $0, threads: 3)
        }
      }
    }
    #expect(one.allSatisfy { $0.isFinite && $0 > 0 })
    #expect(one == three)
  }

  /// The worker pool serves one reduction at a time; a call made while it is busy reduces its
  /// chunks on its own thread. Either way the bits are those of the 1-thread run.
  @Test("concurrent callers sharing the worker pool get the 1-thread bits")
  func concurrentCallers() async throws {
    let (yhat, y) = Self.inputs(.msle, count: Self.count, as: Double.self)
    let reference = try Self.evaluate(.msle, yhat, y, threads: 1)
    let values = try await withThrowingTaskGroup(of: Double.self) { group in
      for caller in 0..<6 {
        group.addTask { try Self.evaluate(.msle, yhat, y, threads: 2 + caller % 3) }
      }
      var values: [Double] = []
      for try await value in group { values.append(value) }
      return values
    }
    #expect(values.count == 6)
    #expect(values.allSatisfy { $0.bitPattern == reference.bitPattern }, "\(values) vs \(reference)")
  }
}
