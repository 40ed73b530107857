import Benchmark
import LossCore
import LossFast

// Every loss at n = 1e3, 1e5, 1e7, Float32 and Float64, with LOSSFAST_THREADS threads (default:
// all cores), plus the streaming baseline (two arrays read and summed through the same engine).
// Inputs: ŷ in (0.001, 0.999), y soft labels in [0, 1) with 30% zeros, valid for every loss;
// the class-reducing losses see a 10 × n/10 matrix (dims = 1). Metrics: wall clock (medians
// and percentiles), throughput, and mallocs per call (the MallocInterposer trait).

/// The inputs of one size and dtype, made in `setup` and dropped in `teardown` (benchmarks run
/// one at a time).
enum Store {
  nonisolated(unsafe) static var float32: (yhat: [Float], y: [Float])?
  nonisolated(unsafe) static var float64: (yhat: [Double], y: [Double])?
}

enum Inputs<T: LossFastFloat> {
  static var current: (yhat: [T], y: [T])? {
    get {
      T.self == Float.self
        ? Store.float32.map { (unsafeBitCast($0.yhat, to: [T].self), unsafeBitCast($0.y, to: [T].self)) }
        : Store.float64.map { (unsafeBitCast($0.yhat, to: [T].self), unsafeBitCast($0.y, to: [T].self)) }
    }
    set {
      if T.self == Float.self {
        Store.float32 = newValue.map {
          (unsafeBitCast($0.yhat, to: [Float].self), unsafeBitCast($0.y, to: [Float].self))
        }
      } else {
        Store.float64 = newValue.map {
          (unsafeBitCast($0.yhat, to: [Double].self), unsafeBitCast($0.y, to: [Double].self))
        }
      }
    }
  }

  static func make(_ n: Int) {
    var state: UInt64 = 0x5EED
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) * 0x1p-53
    }
    var yhat = [T](repeating: 0, count: n)
    var y = [T](repeating: 0, count: n)
    for i in 0..<n {
      yhat[i] = T(0.001 + 0.998 * next())
      let b = next()
      y[i] = T(b < 0.3 ? 0 : b)
    }
    current = (yhat, y)
  }
}

enum LossName: String, CaseIterable {
  /// The harness alone: fetch the inputs, no loss (its mallocs are the harness's own).
  case overhead
  case streaming, mae, mse, msle, crossentropy, logitcrossentropy, binarycrossentropy
  case logitbinarycrossentropy, kldivergence, hinge
  case huberLoss = "huber_loss"
  case poissonLoss = "poisson_loss"
  case squaredHinge = "squared_hinge"
  case diceCoeffLoss = "dice_coeff_loss"
  case tverskyLoss = "tversky_loss"

  /// `shape` is the class-reducing losses' `10 × n/10` (made once, outside the timed loop).
  func run<T: LossFastFloat>(_ yhat: [T], _ y: [T], shape: [Int]) throws -> T {
    switch self {
    case .overhead: return T(yhat.count)
    case .streaming: return LossFast._streamingSum(yhat, y)
    case .mae: return try LossFast.mae(yhat, y)
    case .mse: return try LossFast.mse(yhat, y)
    case .msle: return try LossFast.msle(yhat, y)
    case .huberLoss: return try LossFast.huberLoss(yhat, y)
    case .crossentropy: return try LossFast.crossentropy(yhat, y, shape: shape)
    case .logitcrossentropy: return try LossFast.logitcrossentropy(yhat, y, shape: shape)
    case .binarycrossentropy: return try LossFast.binarycrossentropy(yhat, y)
    case .logitbinarycrossentropy: return try LossFast.logitbinarycrossentropy(yhat, y)
    case .kldivergence: return try LossFast.kldivergence(yhat, y, shape: shape)
    case .poissonLoss: return try LossFast.poissonLoss(yhat, y)
    case .hinge: return try LossFast.hinge(yhat, y)
    case .squaredHinge: return try LossFast.squaredHinge(yhat, y)
    case .diceCoeffLoss: return try LossFast.diceCoeffLoss(yhat, y)
    case .tverskyLoss: return try LossFast.tverskyLoss(yhat, y)
    }
  }
}

func register<T: LossFastFloat>(_: T.Type, _ dtype: String, sizes: [Int], losses: [LossName]) {
  for n in sizes {
    for loss in losses {
      let exponent = String(n).count - 1
      Benchmark(
        "\(loss.rawValue) \(dtype) n=1e\(exponent)",
        configuration: .init(
          metrics: [.wallClock, .throughput, .mallocCountTotal],
          timeUnits: n >= 10_000_000 ? .microseconds : .nanoseconds,
          warmupIterations: 3,
          scalingFactor: n <= 1_000 ? .kilo : .one,
          maxDuration: .seconds(2),
          maxIterations: n >= 10_000_000 ? 40 : 100_000
        )
      ) { benchmark in
        guard let (yhat, y) = Inputs<T>.current else { return }
        let shape = [10, yhat.count / 10]
        for _ in benchmark.scaledIterations {
          blackHole(try loss.run(yhat, y, shape: shape))
        }
      } setup: {
        Inputs<T>.make(n)
      } teardown: {
        Inputs<T>.current = nil
      }
    }
  }
}

/// The gradient buffer of the value-and-gradient benchmarks (made in `setup`, outside the timed
/// loop, so the malloc counter sees only what a call allocates).
enum GradientStore {
  nonisolated(unsafe) static var gradient: [Float] = []
}

/// Value and gradient (`LossFast.valueAndGradient`, ∂L/∂ŷ into a caller-owned buffer, agg =
/// mean), Float32, the same inputs as the value benchmarks: named "grad <loss> f32 n=1e…".
func registerGradients(sizes: [Int], losses: [LossID]) {
  for n in sizes {
    for loss in losses {
      let exponent = String(n).count - 1
      Benchmark(
        "grad \(loss.rawValue) f32 n=1e\(exponent)",
        configuration: .init(
          metrics: [.wallClock, .throughput, .mallocCountTotal],
          timeUnits: n >= 10_000_000 ? .microseconds : .nanoseconds,
          warmupIterations: 3,
          scalingFactor: n <= 1_000 ? .kilo : .one,
          maxDuration: .seconds(2),
          maxIterations: n >= 10_000_000 ? 40 : 100_000
        )
      ) { benchmark in
        guard let (yhat, y) = Inputs<Float>.current else { return }
        let shape = loss.reducesOverDims ? [10, yhat.count / 10] : nil
        try GradientStore.gradient.withUnsafeMutableBufferPointer { g in
          for _ in benchmark.scaledIterations {
            blackHole(try LossFast.valueAndGradient(loss, yhat, y, shape: shape, into: g))
          }
        }
      } setup: {
        Inputs<Float>.make(n)
        GradientStore.gradient = [Float](repeating: 0, count: n)
      } teardown: {
        Inputs<Float>.current = nil
        GradientStore.gradient = []
      }
    }
  }
}

/// The half-precision inputs: the same values as Float32's (`Inputs.make`'s generator), rounded
/// once to Float16 or BFloat16.
enum HalfStore {
  nonisolated(unsafe) static var float16: (yhat: [Float16], y: [Float16])?
  nonisolated(unsafe) static var bfloat16: (yhat: [BFloat16], y: [BFloat16])?

  static func values(_ n: Int) -> (yhat: [Double], y: [Double]) {
    var state: UInt64 = 0x5EED
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) * 0x1p-53
    }
    var yhat = [Double](repeating: 0, count: n)
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n {
      yhat[i] = 0.001 + 0.998 * next()
      let b = next()
      y[i] = b < 0.3 ? 0 : b
    }
    return (yhat, y)
  }
}

/// One call of a half-precision case (`shape`: the class-reducing losses' `10 × n/10`).
func runHalf<T: LossFastElement>(_ loss: LossID, _ yhat: [T], _ y: [T], shape: [Int]) throws -> T {
  switch loss {
  case .logitcrossentropy: return try LossFast.logitcrossentropy(yhat, y, shape: shape)
  case .binarycrossentropy: return try LossFast.binarycrossentropy(yhat, y)
  default: return try LossFast.mse(yhat, y)
  }
}

/// Float16 ("f16") and BFloat16 ("bf16") values of a few losses: "<loss> f16 n=1e…".
func registerHalf(sizes: [Int], losses: [LossID]) {
  for dtype in ["f16", "bf16"] {
    for n in sizes {
      for loss in losses {
        let exponent = String(n).count - 1
        Benchmark(
          "\(loss.rawValue) \(dtype) n=1e\(exponent)",
          configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            timeUnits: n >= 10_000_000 ? .microseconds : .nanoseconds,
            warmupIterations: 3,
            scalingFactor: n <= 1_000 ? .kilo : .one,
            maxDuration: .seconds(2),
            maxIterations: n >= 10_000_000 ? 40 : 100_000
          )
        ) { benchmark in
          let shape = [10, n / 10]
          if dtype == "f16", let (yhat, y) = HalfStore.float16 {
            for _ in benchmark.scaledIterations { blackHole(try runHalf(loss, yhat, y, shape: shape)) }
          } else if let (yhat, y) = HalfStore.bfloat16 {
            for _ in benchmark.scaledIterations { blackHole(try runHalf(loss, yhat, y, shape: shape)) }
          }
        } setup: {
          let (yhat, y) = HalfStore.values(n)
          if dtype == "f16" {
            HalfStore.float16 = (yhat.map { Float16($0) }, y.map { Float16($0) })
          } else {
            HalfStore.bfloat16 = (yhat.map { BFloat16($0) }, y.map { BFloat16($0) })
          }
        } teardown: {
          HalfStore.float16 = nil
          HalfStore.bfloat16 = nil
        }
      }
    }
  }
}

let benchmarks: @Sendable () -> Void = {
  let sizes = [1_000, 100_000, 10_000_000]
  register(Float.self, "f32", sizes: sizes, losses: LossName.allCases)
  register(Double.self, "f64", sizes: sizes, losses: LossName.allCases)
  registerGradients(sizes: sizes, losses: [.mse, .logitcrossentropy, .binarycrossentropy])
  registerHalf(sizes: sizes, losses: [.mse, .logitcrossentropy, .binarycrossentropy])
}
