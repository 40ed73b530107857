import Foundation
import LossCore

extension SweepCatalogue {
  /// The growing-n points of the half-precision sweeps: 11 points log-spaced from 10 to 10⁶
  /// (10, 32, 100, 316, …), those up to `maxN`.
  static func halfSizes(maxN: Int) -> [Double] {
    let all = logSpace(10, 1_000_000, 11).map { $0.rounded() }
    return all.filter { $0 <= Double(maxN) }
  }

  /// The largest n of the half-precision growing-n sweeps of the losses with a logarithm per
  /// term (crossentropy, binarycrossentropy, poisson_loss): LossSpec evaluates each logarithm
  /// exactly (about 3 µs per term in a release build), so these stop a decade below the others.
  public static let halfLogarithmMaxN = 100_000

  /// The half-precision sweeps (`float16`, `bfloat16`), graded like every sweep against LossSpec's
  /// correctly rounded value in the dtype.
  ///
  /// Against input scale, the regimes that matter in half: logits up to and beyond
  /// log(65504) ≈ 11.09 (Float16's `exp` overflows there; BFloat16's at 88.7), ŷ → 0 under logs
  /// where ϵ = 2⁻¹⁰ (2⁻⁷) dominates, residuals approaching √65504 ≈ 256 (their squares overflow
  /// Float16), quotients overflowing, cancellation near a perfect fit, subnormal squares. Against
  /// n: sums of n = 10 … 10⁶ benign random terms with `agg = mean` and `agg = sum` (the sums'
  /// inputs scaled by a power of two so that the exact sum stays far below 65504), where an
  /// in-dtype accumulation loses bits.
  ///
  /// - Parameters:
  ///   - maxN: the largest n of the growing-n sweeps (the losses with logarithms stop at
  ///     `min(maxN, halfLogarithmMaxN)`).
  ///   - coarse: fewer points per scale sweep (12 instead of 36), for `losscheck verify`.
  public static func halfPrecision(maxN: Int = 1_000_000, coarse: Bool = false) -> [Sweep] {
    var sweeps: [Sweep] = []
    let count = coarse ? 12 : 36
    for dtype in DType.halfPrecision {
      let big = dtype.greatestFiniteMagnitude
      let tiny = dtype.leastNonzeroMagnitude
      // Where exp overflows (log of the largest finite) and the squares of residuals do.
      let expLimit = log(big)
      func add(
        _ loss: LossID, _ name: String, _ variable: String, logX: Bool = true, _ xs: [Double], _ note: String,
        _ make: @escaping @Sendable (Double, DType) -> LossRequest?
      ) {
        sweeps.append(
          Sweep(loss: loss, dtype: dtype, name: name, variable: variable, logX: logX, xs: xs, note: note, make: make))
      }
      /// `logSpace` with extra points (sorted, duplicates removed).
      func with(_ xs: [Double], _ extra: [Double]) -> [Double] {
        Array(Set(xs + extra)).sorted()
      }
      // Growing n: in-dtype accumulation.
      let ns = halfSizes(maxN: maxN)
      for loss in [LossID.mae, .mse, .hinge, .squaredHinge] {
        add(
          loss, "growing n, random data, agg = mean", "n", ns,
          "a sum of n terms in the dtype: a sequential sum stops growing once half an ulp of the partial sum exceeds a term"
        ) { x, t in
          let n = Int(x)
          let a = uniform(n, seed: 1)
          let b = uniform(n, seed: 2).map { loss == .hinge || loss == .squaredHinge ? ($0 < 0.5 ? -1.0 : 1.0) : $0 }
          return request(loss, t, yhat: a, y: b)
        }
      }
      for loss in [LossID.mae, .mse] {
        add(
          loss, "growing n, random data, agg = sum", "n", ns,
          "the same sums with agg = sum; the inputs are scaled by 2⁻ᵏ so that the exact sum stays near 10³ (far below 65504)"
        ) { x, t in
          let n = Int(x)
          let excess = Swift.max(0, Int(log2(Double(n)).rounded(.up)) - 12)
          let scale = Double(sign: .plus, exponent: -(loss == .mse ? (excess + 1) / 2 : excess), significand: 1)
          let a = uniform(n, seed: 1).map { $0 * scale }
          let b = uniform(n, seed: 2).map { $0 * scale }
          return request(loss, t, yhat: a, y: b, params: .init(agg: .sum))
        }
      }
      for loss in [LossID.diceCoeffLoss, .tverskyLoss] {
        add(loss, "growing n, random data", "n", ns, "1 − N/D of two sums of n products in the dtype") { x, t in
          let n = Int(x)
          return request(loss, t, yhat: uniform(n, seed: 5), y: uniform(n, seed: 6).map { $0 < 0.5 ? 0.0 : 1.0 })
        }
      }
      for loss in [LossID.crossentropy, .binarycrossentropy, .poissonLoss] {
        add(
          loss, "growing n, random probabilities, agg = mean", "n", ns.filter { $0 <= Double(halfLogarithmMaxN) },
          "a sum of n logarithms in the dtype (n up to 10⁵: LossSpec's exact logarithms)"
        ) { x, t in
          let n = Int(x)
          let a = uniform(n, seed: 3).map { 0.01 + 0.98 * $0 }
          let b = uniform(n, seed: 4).map { $0 < 0.5 ? 0.0 : 1.0 }
          let shape = loss == .crossentropy ? [1, n] : [n]
          return request(loss, t, yhat: a, y: b, shape: shape)
        }
      }
      // Logits up to and beyond log(largest finite).
      let logits = with(logSpace(1e-2, dtype == .float16 ? 3e4 : 1e4, count), [10, 11, 11.5, 12, 16, 88, 89, 90])
      add(
        .logitcrossentropy, "dominant logit x, true class", "x", logits,
        "−logsoftmax of the dominant class is log(1 + 2e^(−x)), subnormal in Float16 for x ≈ 10…17; NNlib subtracts the maximum first, so exp never overflows"
      ) { x, t in
        request(.logitcrossentropy, t, yhat: [x, 0, 0], y: [1, 0, 0], shape: [3, 1])
      }
      add(
        .logitcrossentropy, "logits ±x, y = [0, 1]", "x", logits,
        "the true class is dominated by 2x: the loss is about 2x; exp(x) overflows beyond \(String(format: "%.2f", expLimit)) in an unshifted evaluation"
      ) { x, t in
        request(.logitcrossentropy, t, yhat: [x, -x], y: [0, 1], shape: [2, 1])
      }
      add(
        .logitbinarycrossentropy, "ŷ = −x, y = 0", "x", logits,
        "log1p(e^ŷ) for ŷ ≪ 0; e^x overflows beyond \(String(format: "%.2f", expLimit)) in an evaluation without NNlib's |x|"
      ) { x, t in
        request(.logitbinarycrossentropy, t, yhat: [-x], y: [0])
      }
      add(
        .logitbinarycrossentropy, "ŷ = x, y = 0", "x", logits,
        "the wrong class: the loss is about x; (1 − y)·ŷ − logσ(ŷ) grows linearly"
      ) { x, t in
        request(.logitbinarycrossentropy, t, yhat: [x], y: [0])
      }
      // ŷ → 0 under logarithms: ϵ dominates; subnormal ŷ.
      let toZero = logSpace(1, 1 / tiny, count)
      add(
        .binarycrossentropy, "ŷ = 10^−k, y = 1", "1/ŷ", toZero,
        "−log(ŷ + ϵ): ϵ = eps of the dtype dominates below it (down to subnormal ŷ)"
      ) { x, t in
        request(.binarycrossentropy, t, yhat: [1 / x], y: [1])
      }
      add(
        .crossentropy, "ŷ = [1 − p, p], y = [0, 1]", "1/p", toZero, "−log(p + ϵ): ϵ-dominated for p below eps"
      ) { x, t in
        request(.crossentropy, t, yhat: [1 - 1 / x, 1 / x], y: [0, 1], shape: [2, 1])
      }
      add(.poissonLoss, "ŷ = 10^−k, y = 1", "1/ŷ", toZero, "ŷ − y·log ŷ with no ϵ, down to subnormal ŷ") { x, t in
        request(.poissonLoss, t, yhat: [1 / x], y: [1])
      }
      // Residuals approaching √(largest finite): squares overflow.
      let residuals = with(logSpace(1, big, count), dtype == .float16 ? [100, 128, 150, 181, 200, 256] : [])
      add(
        .mse, "ŷ = x, y = −x", "x", residuals,
        "(2x)² overflows beyond x = \(String(format: "%.4g", sqrt(big) / 2)) although the mean 2x² is finite up to \(String(format: "%.4g", sqrt(big / 2)))"
      ) { x, t in
        request(.mse, t, yhat: [x, 0], y: [-x, 0])
      }
      add(
        .mae, "mean of two values x", "x", residuals,
        "the sum of two values beyond half the largest finite overflows; their mean does not"
      ) { x, t in
        request(.mae, t, yhat: [x, x], y: [0, 0])
      }
      add(
        .huberLoss, "|ŷ − y| = x, δ = 1", "|ŷ − y|", with(logSpace(1e-2, big, count), residuals),
        "Flux evaluates both branches: e² overflows beyond √(largest finite) and Inf·0 is NaN in the untaken branch"
      ) { x, t in
        request(.huberLoss, t, yhat: [x], y: [0])
      }
      add(
        .squaredHinge, "ŷ = −x, y = 1", "x", residuals,
        "max(0, 1 + x)² overflows beyond √(largest finite) − 1; the exact mean too (no intermediate to avoid)"
      ) { x, t in
        request(.squaredHinge, t, yhat: [-x], y: [1])
      }
      add(
        .msle, "ŷ = x, y = 0", "x", logSpace(1, big, count),
        "the quotient (ŷ + ϵ)/ϵ overflows beyond x ≈ largest finite · ϵ (64 in Float16) although its logarithm is small"
      ) { x, t in
        request(.msle, t, yhat: [x], y: [0])
      }
      // Subnormal squares.
      let normalMin = Double(sign: .plus, exponent: dtype == .float16 ? -14 : -126, significand: 1)
      add(
        .mse, "ŷ = [x, 0.75x, 0.5x], y = 0 (subnormal squares)", "x",
        logSpace(normalMin.squareRoot() / 64, normalMin.squareRoot() * 64, count),
        "the squares fall into the subnormal range, where each rounding loses relative precision"
      ) { x, t in
        request(.mse, t, yhat: [x, 0.75 * x, 0.5 * x], y: [0, 0, 0])
      }
      // The margins and cancellation near a perfect fit.
      add(
        .hinge, "ŷ·y across the margin", "ŷ·y", logX: false, linSpace(0.5, 1.5, coarse ? 11 : 41),
        "max(0, 1 − ŷ·y) is 0 from ŷ·y = 1 on; cancellation just below"
      ) { x, t in
        request(.hinge, t, yhat: [x, 0.25], y: [1, 1])
      }
      let fits = logSpace(1, dtype == .float16 ? 1e4 : 1e3, coarse ? 10 : 24)
      add(
        .kldivergence, "ŷ = p(1 + t), y = p", "1/t", fits,
        "Σ y log y − Σ y log(ŷ + ϵ): two sums cancel to a tiny KL (ϵ = 0)"
      ) { x, t in
        let p = [0.25, 0.25, 0.5]
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
    }
    return sweeps
  }
}
