import Foundation
import LossCore

/// One parametric sweep: a loss evaluated along a swept variable `x`, in one dtype.
///
/// Sweeps follow the regimes where losses break: logit magnitude, probabilities approaching 0
/// and 1, ϵ-dominated terms, the Huber and hinge boundaries, cancellation towards a perfect fit,
/// overflow of squares, quotients and sums, and growing n.
public struct Sweep: Sendable {
  public var loss: LossID
  public var dtype: DType
  /// A short name, e.g. "ŷ = −x, y = 1".
  public var name: String
  /// What `x` is, for the chart's axis.
  public var variable: String
  public var logX: Bool
  public var xs: [Double]
  /// The hard case this sweep exposes, for the report.
  public var note: String
  let make: @Sendable (Double, DType) -> LossRequest?

  public func request(at x: Double) -> LossRequest? { make(x, dtype) }
}

/// The default sweep catalogue.
public enum SweepCatalogue {
  /// `count` points spread evenly in log₁₀ from `low` to `high`.
  static func logSpace(_ low: Double, _ high: Double, _ count: Int) -> [Double] {
    let a = log10(low)
    let b = log10(high)
    return (0..<count).map { pow(10, a + (b - a) * Double($0) / Double(count - 1)) }
  }

  static func linSpace(_ low: Double, _ high: Double, _ count: Int) -> [Double] {
    (0..<count).map { low + (high - low) * Double($0) / Double(count - 1) }
  }

  /// A request of vectors/matrices in `dtype` (values rounded to the dtype first).
  static func request(
    _ loss: LossID, _ dtype: DType, yhat: [Double], y: [Double], shape: [Int]? = nil,
    params: LossParameters = LossParameters()
  ) -> LossRequest? {
    let s = Shape(shape ?? [yhat.count])
    guard let a = try? Tensor(shape: s, values: yhat.map(dtype.round)),
      let b = try? Tensor(shape: s, values: y.map(dtype.round))
    else { return nil }
    return LossRequest(id: "\(loss.rawValue)", loss: loss, dtype: dtype, yhat: a, y: .array(b), params: params)
  }

  /// Deterministic pseudo-random values in [0, 1) (a 64-bit LCG), for the growing-n sweeps.
  static func uniform(_ n: Int, seed: UInt64) -> [Double] {
    var state = seed
    return (0..<n).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) * 0x1p-53
    }
  }

  /// Every sweep for both dtypes. `maxN` caps the growing-n sweeps (LossSpec needs about
  /// 0.6 µs per polynomial term and 3 µs per logarithm at n = 1e6).
  public static func all(maxN: Int = 1_000_000) -> [Sweep] {
    var sweeps: [Sweep] = []
    for dtype in DType.standard {
      let big = dtype == .float32 ? 3.0e38 : 1.0e308
      let decades = dtype == .float32 ? 36.0 : 300.0
      func add(
        _ loss: LossID, _ name: String, _ variable: String, logX: Bool = true, _ xs: [Double], _ note: String,
        _ make: @escaping @Sendable (Double, DType) -> LossRequest?
      ) {
        sweeps.append(
          Sweep(loss: loss, dtype: dtype, name: name, variable: variable, logX: logX, xs: xs, note: note, make: make))
      }
      let ns = [10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000].filter { $0 <= maxN }.map(Double.init)
      // Growing n: accumulation error of the reductions.
      for loss in [LossID.mae, .mse, .hinge, .squaredHinge] {
        add(loss, "growing n, random data", "n", ns, "accumulation error of the sum grows with n in a sequential sum") {
          x, t in
          let n = Int(x)
          let a = uniform(n, seed: 1)
          let b = uniform(n, seed: 2).map { loss == .hinge || loss == .squaredHinge ? ($0 < 0.5 ? -1.0 : 1.0) : $0 }
          return request(loss, t, yhat: a, y: b)
        }
      }
      for loss in [LossID.crossentropy, .binarycrossentropy, .poissonLoss] {
        add(
          loss, "growing n, random probabilities", "n", ns.filter { $0 <= Double(maxN) / 10 },
          "accumulation error of the sum of logarithms"
        ) { x, t in
          let n = Int(x)
          let a = uniform(n, seed: 3).map { 0.01 + 0.98 * $0 }
          let b = uniform(n, seed: 4).map { $0 < 0.5 ? 0.0 : 1.0 }
          let shape = loss == .crossentropy ? [1, n] : [n]
          return request(loss, t, yhat: a, y: b, shape: shape)
        }
      }
      // Overflow of squares, quotients and sums.
      add(.mse, "ŷ = x, y = −x", "x", logSpace(1, big, 40), "(ŷ − y)² overflows the dtype long before the mean does") {
        x, t in
        request(.mse, t, yhat: [x, 0], y: [-x, 0])
      }
      add(
        .mae, "mean of two values x", "x", logSpace(1, big, 40),
        "the sum of two values near the largest finite overflows; their mean does not"
      ) { x, t in
        request(.mae, t, yhat: [x, x], y: [0, 0])
      }
      add(
        .msle, "ŷ = x, y = 0", "x", logSpace(1, big, 40),
        "the quotient (ŷ + ϵ)/(y + ϵ) overflows although its logarithm is small"
      ) { x, t in
        request(.msle, t, yhat: [x], y: [0])
      }
      add(
        .huberLoss, "|ŷ − y| = x, δ = 1", "|ŷ − y|", logSpace(1e-3, big, 40),
        "Flux evaluates both branches: e² overflows and Inf·0 is NaN in the untaken branch"
      ) { x, t in
        request(.huberLoss, t, yhat: [x], y: [0])
      }
      add(
        .huberLoss, "across the boundary |ŷ − y|/δ", "|ŷ − y|/δ", logX: false, linSpace(0.5, 1.5, 41),
        "both branches meet at |ŷ − y| = δ"
      ) { x, t in
        request(.huberLoss, t, yhat: [x * 0.7], y: [0], params: .init(delta: 0.7))
      }
      add(
        .hinge, "ŷ·y across the margin", "ŷ·y", logX: false, linSpace(0.5, 1.5, 41),
        "max(0, 1 − ŷ·y) is 0 from ŷ·y = 1 on; cancellation just below"
      ) { x, t in
        request(.hinge, t, yhat: [x, 0.25], y: [1, 1])
      }
      add(
        .squaredHinge, "ŷ·y across the margin", "ŷ·y", logX: false, linSpace(0.5, 1.5, 41),
        "the square of a cancelled difference"
      ) { x, t in
        request(.squaredHinge, t, yhat: [x, 0.25], y: [1, 1])
      }
      // Logits.
      add(
        .logitbinarycrossentropy, "ŷ = −x, y = 0", "x", logSpace(1e-3, 1e4, 36),
        "(1 − y)·ŷ − logσ(ŷ) cancels for ŷ ≪ 0 with y = 0: the exact value is log1p(e^ŷ)"
      ) { x, t in
        request(.logitbinarycrossentropy, t, yhat: [-x], y: [0])
      }
      add(
        .logitbinarycrossentropy, "ŷ = x, y = 1", "x", logSpace(1e-3, 1e4, 36),
        "−logσ(ŷ) = log1p(e^−ŷ) is tiny for ŷ ≫ 0"
      ) { x, t in
        request(.logitbinarycrossentropy, t, yhat: [x], y: [1])
      }
      add(
        .logitcrossentropy, "dominant logit x, true class", "x", logSpace(1e-3, 1e4, 36),
        "−logsoftmax of the dominant class is log(1 + Σe^(−x)), tiny"
      ) { x, t in
        request(.logitcrossentropy, t, yhat: [x, 0, 0], y: [1, 0, 0], shape: [3, 1])
      }
      add(
        .logitcrossentropy, "dominant logit x, other class", "x", logSpace(1e-3, 1e4, 36),
        "−logsoftmax of a dominated class is x + log(1 + …)"
      ) { x, t in
        request(.logitcrossentropy, t, yhat: [x, 0, 0], y: [0, 1, 0], shape: [3, 1])
      }
      // Probabilities approaching 0 and 1, ϵ-dominated terms.
      add(
        .binarycrossentropy, "ŷ = 10^−k, y = 0", "1/ŷ", logSpace(1, pow(10, Swift.min(decades, 30)), 36),
        "log(1 − ŷ + ϵ) for tiny ŷ: the ϵ and the rounding of 1 − ŷ dominate"
      ) { x, t in
        request(.binarycrossentropy, t, yhat: [1 / x], y: [0])
      }
      add(
        .binarycrossentropy, "ŷ = 1 − 10^−k, y = 1", "1/(1 − ŷ)", logSpace(1, dtype == .float32 ? 1e7 : 1e15, 30),
        "ŷ near 1: log(ŷ + ϵ) ≈ −(1 − ŷ) suffers from the rounding of ŷ + ϵ"
      ) { x, t in
        request(.binarycrossentropy, t, yhat: [1 - 1 / x], y: [1])
      }
      add(
        .crossentropy, "ŷ = [1 − p, p], y = [0, 1]", "1/p", logSpace(1, pow(10, Swift.min(decades, 30)), 36),
        "−log(p + ϵ): ϵ-dominated for p below eps"
      ) { x, t in
        request(.crossentropy, t, yhat: [1 - 1 / x, 1 / x], y: [0, 1], shape: [2, 1])
      }
      add(
        .poissonLoss, "ŷ = 10^−k, y = 1", "1/ŷ", logSpace(1, pow(10, Swift.min(decades, 30)), 36),
        "ŷ − y·log ŷ with no ϵ: log of a tiny ŷ"
      ) { x, t in
        request(.poissonLoss, t, yhat: [1 / x], y: [1])
      }
      // Cancellation towards a perfect fit.
      let fits = logSpace(1, dtype == .float32 ? 1e7 : 1e15, 30)
      add(
        .kldivergence, "ŷ = p(1 + t), y = p", "1/t", fits,
        "Σ y log y − Σ y log(ŷ + ϵ): two large sums cancel to a tiny KL"
      ) { x, t in
        let p = [0.2, 0.3, 0.5]
        let yhat = [p[0] * (1 + 1 / x), p[1], p[2] - p[0] / x]
        return request(.kldivergence, t, yhat: yhat, y: p, shape: [3, 1], params: .init(eps: 0))
      }
      add(.diceCoeffLoss, "ŷ = y(1 + t)", "1/t", fits, "1 − N/D with N ≈ D near a perfect fit") { x, t in
        request(.diceCoeffLoss, t, yhat: [0.5 * (1 + 1 / x), 0.25, 1], y: [0.5, 0.25, 1])
      }
      add(.tverskyLoss, "ŷ₁ = 1 − t, y = [1, 1, 0]", "1/t", fits, "1 − N/D with N ≈ D near a perfect fit") { x, t in
        request(.tverskyLoss, t, yhat: [1 - 1 / x, 1, 0], y: [1, 1, 0])
      }
      add(.poissonLoss, "ŷ = y(1 + t)", "1/t", fits, "ŷ − y·log ŷ near its minimum at ŷ = y") { x, t in
        request(.poissonLoss, t, yhat: [3 * (1 + 1 / x)], y: [3])
      }
      add(.msle, "ŷ = y(1 + t)", "1/t", fits, "log((ŷ + ϵ)/(y + ϵ)) of a ratio near 1") { x, t in
        request(.msle, t, yhat: [2 * (1 + 1 / x)], y: [2])
      }
    }
    return sweeps
  }
}
