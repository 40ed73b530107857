import Foundation
import LossCore

extension SweepCatalogue {
  /// The value sweeps whose regime is also where ∂L/∂ŷ breaks, by loss and name (each in both
  /// dtypes): saturated logits, probabilities near 0 and 1, ϵ-dominated terms, the Huber and
  /// hinge boundaries, cancellation towards a perfect fit, overflow of squares and quotients.
  static let gradientRegimes: [(LossID, String)] = [
    (.mse, "ŷ = x, y = −x"),
    (.msle, "ŷ = x, y = 0"),
    (.msle, "ŷ = y(1 + t)"),
    (.huberLoss, "|ŷ − y| = x, δ = 1"),
    (.huberLoss, "across the boundary |ŷ − y|/δ"),
    (.hinge, "ŷ·y across the margin"),
    (.squaredHinge, "ŷ·y across the margin"),
    (.logitbinarycrossentropy, "ŷ = −x, y = 0"),
    (.logitbinarycrossentropy, "ŷ = x, y = 1"),
    (.logitcrossentropy, "dominant logit x, true class"),
    (.logitcrossentropy, "dominant logit x, other class"),
    (.binarycrossentropy, "ŷ = 10^−k, y = 0"),
    (.binarycrossentropy, "ŷ = 1 − 10^−k, y = 1"),
    (.crossentropy, "ŷ = [1 − p, p], y = [0, 1]"),
    (.poissonLoss, "ŷ = 10^−k, y = 1"),
    (.poissonLoss, "ŷ = y(1 + t)"),
    (.kldivergence, "ŷ = p(1 + t), y = p"),
    (.diceCoeffLoss, "ŷ = y(1 + t)"),
    (.tverskyLoss, "ŷ₁ = 1 − t, y = [1, 1, 0]"),
  ]

  /// The gradient sweeps: every request asks for ∂L/∂ŷ, graded by its worst element against
  /// LossSpec's exact gradient (``StabilityRun/runGradients(_:progress:)``). The value regimes of
  /// `gradientRegimes`, then sweeps only the gradient needs: logits ±x (NNlib #68's NaN near
  /// ±430), ŷ → 0 with y = 1 (the ϵ-dominated −1/(ŷ + ϵ), PyTorch's −100 clamp below e⁻¹⁰⁰) and
  /// ŷ → 1 with y = 0 (Flux #914's σ(50) region), squared_hinge's 2·max(0, m) overflowing, zero
  /// targets with a zero prediction (xlogy's quotient 0/0), and growing n for the mean's `1/n`.
  /// `maxN` caps the growing-n sweeps.
  public static func gradients(maxN: Int = 10_000) -> [Sweep] {
    let values = all(maxN: 10)
    var sweeps: [Sweep] = []
    for dtype in DType.standard {
      for (loss, name) in gradientRegimes {
        sweeps += values.filter { $0.loss == loss && $0.name == name && $0.dtype == dtype }
      }
      let decades = dtype == .float32 ? 44.0 : 300.0
      func add(
        _ loss: LossID, _ name: String, _ variable: String, logX: Bool = true, _ xs: [Double], _ note: String,
        _ make: @escaping @Sendable (Double, DType) -> LossRequest?
      ) {
        sweeps.append(
          Sweep(loss: loss, dtype: dtype, name: name, variable: variable, logX: logX, xs: xs, note: note, make: make))
      }
      add(
        .logitcrossentropy, "logits ±x, y = [0, 1]", "x", logSpace(1e-2, 1e4, 36),
        "the true class is dominated by 2x: ∂/∂ŷ = ±σ(2x); NNlib #68 gave NaN near ±430 (exp overflow)"
      ) { x, t in
        request(.logitcrossentropy, t, yhat: [x, -x], y: [0, 1], shape: [2, 1])
      }
      add(
        .binarycrossentropy, "ŷ = 10^−k, y = 1", "1/ŷ", logSpace(1, pow(10, decades), 40),
        "∂/∂ŷ = −1/(ŷ + ϵ), ϵ-dominated below eps; PyTorch clamps log at −100 below e⁻¹⁰⁰ ≈ 3.7e−44"
      ) { x, t in
        request(.binarycrossentropy, t, yhat: [1 / x], y: [1])
      }
      add(
        .binarycrossentropy, "ŷ = 1 − 10^−k, y = 0", "1/(1 − ŷ)", logSpace(1, dtype == .float32 ? 1e7 : 1e15, 30),
        "∂/∂ŷ = 1/(1 − ŷ + ϵ): the rounding of 1 − ŷ + ϵ; σ(50) rounds to 1 here (Flux #914)"
      ) { x, t in
        request(.binarycrossentropy, t, yhat: [1 - 1 / x], y: [0])
      }
      add(
        .squaredHinge, "ŷ = −x, y = 1", "x", logSpace(1, dtype == .float32 ? 3e38 : 1e308, 40),
        "∂/∂ŷ = −2·max(0, 1 + x)/n: 2·max(0, m) overflows before the mean's 1/n brings it back"
      ) { x, t in
        request(.squaredHinge, t, yhat: [-x, 0.25], y: [1, 1])
      }
      // Zero targets with a zero prediction: xlogy(0, 0) is identically 0, so is its derivative.
      let third = logSpace(2, dtype == .float32 ? 1e30 : 1e300, 30)
      add(
        .kldivergence, "zero target at ŷ = 0, ϵ = 0", "1/ŷ₃", third,
        "ŷ = [0, 1 − p, p], y = [0, ½, ½]: the first element's ∂ is exactly 0 (xlogy(0, ·) ≡ 0)"
      ) { x, t in
        request(
          .kldivergence, t, yhat: [0, 1 - 1 / x, 1 / x], y: [0, 0.5, 0.5], shape: [3, 1], params: .init(eps: 0))
      }
      add(
        .crossentropy, "zero target at ŷ = 0, ϵ = 0", "1/ŷ₃", third,
        "ŷ = [0, 1 − p, p], y = [0, ½, ½]: the first element's ∂ is exactly 0 (xlogy(0, ·) ≡ 0)"
      ) { x, t in
        request(
          .crossentropy, t, yhat: [0, 1 - 1 / x, 1 / x], y: [0, 0.5, 0.5], shape: [3, 1], params: .init(eps: 0))
      }
      add(
        .poissonLoss, "zero target at ŷ = 0", "1/ŷ₂", third,
        "ŷ = [0, p], y = [0, 1]: ∂/∂ŷ₁ = 1/n exactly (the quotient y/ŷ is 0 where y = 0)"
      ) { x, t in
        request(.poissonLoss, t, yhat: [0, 1 / x], y: [0, 1])
      }
      // Growing n: the mean's 1/n, the class sum of ∇logsoftmax, dice's sums.
      let ns = [10, 100, 1000, 10_000, 100_000, 1_000_000].filter { $0 <= maxN }.map(Double.init)
      add(.mae, "growing n, random data", "n", ns, "∂/∂ŷ = sign(ŷ − y)/n: the rounding of the mean's 1/n") { x, t in
        let n = Int(x)
        return request(.mae, t, yhat: uniform(n, seed: 1), y: uniform(n, seed: 2))
      }
      add(.mse, "growing n, random data", "n", ns, "∂/∂ŷ = 2(ŷ − y)/n: the rounding of 1/n and of the product") {
        x, t in
        let n = Int(x)
        return request(.mse, t, yhat: uniform(n, seed: 1), y: uniform(n, seed: 2))
      }
      add(
        .logitcrossentropy, "growing n classes, random logits", "n", ns,
        "softmax recomputed from the rounded logsoftmax, the class sum of the cotangent"
      ) { x, t in
        let n = Int(x)
        let logits = uniform(n, seed: 5).map { 20 * $0 - 10 }
        var y = [Double](repeating: 0, count: n)
        y[n / 2] = 1
        return request(.logitcrossentropy, t, yhat: logits, y: y, shape: [n, 1])
      }
      add(
        .diceCoeffLoss, "growing n, random data", "n", ns,
        "∂/∂ŷᵢ = 2(N·ŷᵢ − D·yᵢ)/D² from sequential sums of n terms"
      ) { x, t in
        let n = Int(x)
        return request(.diceCoeffLoss, t, yhat: uniform(n, seed: 6), y: uniform(n, seed: 7))
      }
    }
    return sweeps
  }
}
