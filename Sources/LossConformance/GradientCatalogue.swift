import Foundation
import LossCore

/// The reference's gradient of a request: LossSpec's `SpecGradient`, passed in by the caller (the
/// CLI), so that this module does not link GSL.
public enum GradientReferenceAnswer: Sendable {
  case gradient(GradientExpectation)
  case error(LossError)
}

/// Computes the reference gradient of a request (its `gradient` says what is asked for).
public typealias GradientReferenceEvaluator = @Sendable (LossRequest) -> GradientReferenceAnswer

extension PlannedCase {
  /// The golden gradient case: the value expectation (``golden(_:)``) with the reference's
  /// gradient. A kink adds the tag `kink`. `nil` when the value or the gradient is an error (a
  /// case whose value is an error has no gradient; the gradient vectors hold none).
  public func goldenGradient(_ evaluate: ReferenceEvaluator, gradient: GradientReferenceEvaluator) -> GoldenCase? {
    let value = golden(evaluate)
    if case .error = value.expectation.outcome { return nil }
    guard case .gradient(let expected) = gradient(request) else { return nil }
    var expectation = value.expectation
    expectation.gradient = expected
    if expected.hasKink && !expectation.tags.contains("kink") { expectation.tags.append("kink") }
    return GoldenCase(request: request, expectation: expectation)
  }
}

extension VectorGenerator {
  /// Every planned gradient case, loss by loss (in `LossID` order), float32 before float64: per
  /// loss and dtype a few benign cases (shapes, aggregations, a non-trivial cotangent for
  /// `agg = none`, y-gradients, scalar targets, dims, weights and parameters), edge cases (NaN,
  /// ±∞, signed zeros, subnormals, empty inputs, kinks, poles, zero targets, `ϵ = 0`, saturated
  /// logits, and one case per reported framework bug, tagged `bug:<ref>`) and the value
  /// catalogue's extreme inputs.
  ///
  /// The random streams are the value catalogue's plus 100, so the two catalogues are
  /// independent.
  public func gradientCatalogue() -> [PlannedCase] {
    var all: [PlannedCase] = []
    for (lossIndex, loss) in LossID.allCases.enumerated() {
      for (dtypeIndex, dtype) in DType.standard.enumerated() {
        var builder = CatalogueBuilder(
          loss: loss, dtype: dtype,
          random: SeededRandom(seed: seed, stream: UInt64(100 + lossIndex * 2 + dtypeIndex + 1)))
        builder.buildGradientBenign()
        builder.buildGradientEdge()
        builder.buildGradientExtreme()
        all += builder.deduplicated()
      }
    }
    return all
  }
}

extension CatalogueBuilder {
  private func array(_ shape: [Int], _ values: [Double]) -> Target { .array(tensor(shape, values)) }
  private func array(_ values: [Double]) -> Target { .array(tensor([values.count], values)) }

  /// Adds a gradient case: ``add(_:_:_:_:regime:tags:)`` with `grad` (and y when `withY`), and
  /// for `agg = none` a cotangent (random in [−2, 2] when `cotangent` is set, else all ones by
  /// omission).
  mutating func grad(
    _ shape: [Int], _ yhat: [Double], _ y: Target, _ params: LossParameters = LossParameters(),
    withY: Bool = false, cotangent: Bool = true, regime: Regime = .benign, tags: [String] = []
  ) {
    add(shape, yhat, y, params, regime: regime, tags: tags)
    var planned = cases.removeLast()
    var values: [Double]?
    var extra: [String] = []
    if withY { extra.append("grad:y") }
    if cotangent && params.agg == Aggregation.none && loss.takesAggregation {
      let count = planned.request.unreducedCount(dims: Set(params.dims ?? [1]))
      values = (0..<count).map { _ in random.value(-2, 2, dtype) }
      extra.append("cotangent")
    }
    planned.request.gradient = GradientRequest(withTarget: withY, cotangent: values)
    planned.tags += extra
    cases.append(planned)
  }

  /// A random gradient case of `shape`.
  mutating func gradRandom(
    _ shape: [Int], _ params: LossParameters = LossParameters(), withY: Bool = false, tags: [String] = []
  ) {
    let yhat = randomYhat(shape)
    let y = randomY(shape)
    grad(shape, yhat, array(shape, y), params, withY: withY, tags: tags)
  }

  // MARK: Benign

  mutating func buildGradientBenign() {
    let aggregations: [Aggregation?] = loss.takesAggregation ? [nil, .sum, Aggregation.none] : [nil]
    for shape in [[5], [3, 4]] as [[Int]] {
      for agg in aggregations { gradRandom(shape, LossParameters(agg: agg)) }
    }
    gradRandom([], LossParameters())
    gradRandom([2, 3, 2])
    gradRandom([7], withY: true)
    gradRandom([3, 4], withY: true)
    gradRandom([64])
    if loss.takesAggregation {
      gradRandom([4, 3], LossParameters(agg: Aggregation.none), withY: true)
      gradRandom([2, 3, 2], LossParameters(agg: Aggregation.none))
    }
    // A scalar target (a constant label): its gradient is the sum over the broadcast.
    let label = randomY([1])[0]
    grad([6], randomYhat([6]), .scalar(label), withY: true, tags: ["y:label"])
    switch loss {
    case .crossentropy, .logitcrossentropy, .kldivergence:
      gradRandom([3, 4], LossParameters(dims: [2]))
      gradRandom([2, 3, 2], LossParameters(dims: [1, 2]), withY: true)
      gradRandom([3, 4], LossParameters(agg: Aggregation.none, dims: [2]))
      gradRandom([3, 4], LossParameters(agg: Aggregation.none, dims: [1, 2]))
      gradRandom([3, 4], LossParameters(dims: [3]))
      if loss != .kldivergence {
        gradRandom([3, 4], LossParameters(weight: .scalar(2.5)), withY: true)
        gradRandom([3, 4], LossParameters(weight: .array(tensor([3], values(3, 0, 2)))))
        gradRandom([3, 4], LossParameters(agg: Aggregation.none, weight: .array(tensor([1, 4], values(4, 0, 2)))))
        gradRandom([3, 4], LossParameters(agg: .sum, weight: .array(tensor([3, 4], values(12, 0, 2)))), withY: true)
      }
      if loss != .logitcrossentropy {
        gradRandom([3, 4], LossParameters(eps: 1e-3))
        gradRandom([3, 4], LossParameters(eps: 0), withY: true)
      }
    case .msle, .binarycrossentropy:
      gradRandom([5], LossParameters(eps: 1e-3), withY: true)
      gradRandom([5], LossParameters(eps: 0))
      gradRandom([3, 4], LossParameters(agg: Aggregation.none, eps: 1e-7))
    case .huberLoss:
      for delta in [0.5, 2, 1e-3] { gradRandom([12], LossParameters(delta: delta), withY: delta == 0.5) }
      gradRandom([3, 4], LossParameters(agg: Aggregation.none, delta: 0.7))
    case .diceCoeffLoss:
      for smooth in [0, 0.5, 2] { gradRandom([12], LossParameters(smooth: smooth), withY: smooth == 0.5) }
    case .tverskyLoss:
      for beta in [0, 0.3, 1] { gradRandom([12], LossParameters(beta: beta), withY: beta == 0.3) }
    default:
      break
    }
  }

  // MARK: Edge

  mutating func buildGradientEdge() {
    // Empty inputs: an empty gradient (the mean of nothing is NaN, its gradient has no elements).
    grad([0], [], array([0], []), regime: .edge)
    grad([0, 3], [], array([0, 3], []), withY: true, regime: .edge)
    // NaN and infinities.
    let base = randomYhat([4])
    let target = randomY([4])
    for (position, value, inY) in [(1, Double.nan, false), (0, .nan, true), (2, .infinity, false)] {
      var yhat = base
      var y = target
      if inY { y[position] = value } else { yhat[position] = value }
      grad([4], yhat, array(y), withY: true, regime: .edge)
    }
    // Signed zeros and subnormals.
    if ![.msle, .crossentropy, .kldivergence, .binarycrossentropy, .poissonLoss].contains(loss) {
      grad([4], [-0.0, 0.0, -0.0, 0.0], array([0.0, -0.0, -0.0, 0.0]), withY: true, regime: .edge)
    }
    let s = smallestSubnormal
    switch loss {
    case .crossentropy, .kldivergence, .binarycrossentropy, .msle, .poissonLoss:
      grad([4], [0.25, 0.5, 0.125, 0.125], array([0, s, 2 * s, 1000 * s]), withY: true, regime: .edge)
    default:
      grad([4], [s, 3 * s, 1000 * s, -7 * s], array([0, s, 2 * s, -s]), withY: true, regime: .edge)
    }
    buildGradientLossEdges()
  }

  private mutating func buildGradientLossEdges() {
    let e = eps
    let none = LossParameters(agg: Aggregation.none)
    switch loss {
    case .mae:
      // Kinks: e = ŷ − y = 0 in some elements.
      grad([5], [0.5, -1, 2, 0, 3], array([0.5, -1, 2.5, 0, 1]), withY: true, regime: .edge, tags: ["exact-zero"])
      grad([4], [1, 2, 3, 4], array([1, 0, 3, 5]), none, regime: .edge, tags: ["exact-zero"])
      grad([3], [-0.0, 0, 1], array([0, -0.0, 1]), LossParameters(agg: .sum), withY: true, regime: .edge)
    case .mse:
      grad([5], [0.5, -1, 2, 0, 3], array([0.5, -1, 2, 0, 3]), withY: true, regime: .edge, tags: ["exact-zero"])
      let next = dtype == .float32 ? Double(Float(1).nextUp) : Double(1).nextUp
      grad([2], [1, next], array([next, 1]), regime: .edge, tags: ["adjacent"])
    case .msle:
      // Poles: ŷ + ϵ → 0 under the log.
      grad(
        [2], [0, 1], array([1, 1]), LossParameters(eps: 0), withY: true, regime: .edge, tags: ["pole", "yhat:zero"])
      grad([2], [0, 1], array([1, 1]), withY: true, regime: .edge, tags: ["pole", "yhat:zero"])
      grad([2], [0, 0], array([0, 0]), LossParameters(eps: 0), regime: .edge, tags: ["pole", "yhat:zero", "y:zero"])
      grad([2], [-e, 1], array([1, 1]), withY: true, regime: .edge, tags: ["pole", "yhat:minus-eps"])
      grad([2], [1e-30, 1], array([1, 1e-30]), withY: true, regime: .edge, tags: ["wide-range"])
    case .huberLoss:
      grad([2], [1.5, -0.25], array([0.5, 0.75]), withY: true, regime: .edge, tags: ["boundary:delta"])
      grad([3], [2, -2, 0.5], array([2, -2, 0.5]), regime: .edge, tags: ["exact-zero"])
      grad(
        [3], [1e6, -1e6, 0.5], array([0, 0, 0]), LossParameters(delta: 1e-3), regime: .edge, tags: ["linear-branch"])
    case .crossentropy:
      // Zero targets under xlogy: ∂/∂ŷ is exactly 0 there, also where ŷ + ϵ = 0 (pytorch #80770).
      grad(
        [2, 2], [0, 1, 0.5, 0.5], array([2, 2], [0, 1, 0.5, 0.5]), LossParameters(eps: 0), withY: true, regime: .edge,
        tags: ["y:zero", "yhat:zero", "bug:pytorch#80770"])
      grad([2, 2], [0, 1, 0.5, 0.5], array([2, 2], [0, 1, 0.5, 0.5]), withY: true, regime: .edge, tags: ["y:zero"])
      // A pole: ŷ = 0 with a nonzero target and ϵ = 0.
      grad(
        [2, 2], [0, 1, 0.5, 0.5], array([2, 2], [1, 0, 0.5, 0.5]), LossParameters(eps: 0), regime: .edge,
        tags: ["pole", "yhat:zero"])
      grad([2, 2], [0, 1, 0.5, 0.5], array([2, 2], [1, 0, 0.5, 0.5]), regime: .edge, tags: ["pole", "yhat:zero"])
      grad(
        [3, 2], [1e-30, 0.5, 0.5, 0.2, 0.3, 0.5], array([3, 2], [1, 0, 0, 0, 0, 1]), withY: true, regime: .edge,
        tags: ["near-pole"])
    case .kldivergence:
      // KL backward at a zero target (pytorch #89558, optax #1786): ∂/∂ŷ is exactly 0 there, and
      // ∂/∂y = log(y) + 1 − log(ŷ + ϵ) is −∞.
      grad(
        [3, 2], [0.2, 0.3, 0.5, 0.6, 0.4, 0], array([3, 2], [0, 0.5, 0.5, 0.5, 0.5, 0]), withY: true, regime: .edge,
        tags: ["y:zero", "bug:pytorch#89558"])
      grad(
        [3, 2], [0.2, 0.3, 0.5, 0.6, 0.4, 0], array([3, 2], [0, 0.5, 0.5, 0.5, 0.5, 0]), LossParameters(eps: 0),
        regime: .edge, tags: ["y:zero", "yhat:zero", "bug:optax#1786"])
      grad(
        [2, 2], [0, 1, 0.5, 0.5], array([2, 2], [0, 1, 0.5, 0.5]), LossParameters(eps: 0), withY: true, regime: .edge,
        tags: ["y:zero", "yhat:zero", "bug:pytorch#80770"])
      grad(
        [2, 2], [0.3, 0.7, 0.5, 0.5], array([2, 2], [0.3, 0.7, 0.5, 0.5]), withY: true, regime: .edge, tags: ["equal"])
      grad(
        [2, 2], [0, 1, 0.5, 0.5], array([2, 2], [1, 0, 0.5, 0.5]), LossParameters(eps: 0), regime: .edge,
        tags: ["pole", "yhat:zero"])
    case .logitcrossentropy:
      // Saturated logits: softmax is exactly 0 or 1 in the dtype, the gradient softmax − y is exact.
      grad(
        [2, 2], [430, -430, -430, 430], array([2, 2], [1, 0, 1, 0]), withY: true, regime: .edge,
        tags: ["logits:saturated", "bug:nnlib#68"])
      grad([3, 1], [430, 429, -430], array([3, 1], [0, 1, 0]), regime: .edge, tags: ["logits:saturated"])
      grad(
        [2, 2], [1e4, -1e4, -1e4, 1e4], array([2, 2], [0, 1, 0.5, 0.5]), regime: .edge, tags: ["logits:saturated"])
      grad(
        [2, 2], [1e4, -1e4, 1e4, 1e4], array([2, 2], [1, 0, 0, 1]), none, withY: true, regime: .edge,
        tags: ["logits:saturated"])
      grad([3, 2], [2, 2, 2, -1, -1, -1], array([3, 2], [1, 0, 0, 0, 0, 1]), regime: .edge, tags: ["logits:equal"])
      grad(
        [3, 2], randomYhat([3, 2]), array([3, 2], [0, 0, 0, 0, 0, 0]), withY: true, regime: .edge, tags: ["y:zero"])
      grad([2], [.infinity, 0], array([0, 1]), regime: .edge, tags: ["logsoftmax-infinite-max"])
    case .binarycrossentropy:
      let sigma50 = dtype.round(1 / (1 + exp(-50.0)))
      // Flux #914: binarycrossentropy(σ(x), 0) at x = 50, the gradient with respect to ŷ = σ(50).
      grad([1], [sigma50], array([0]), withY: true, regime: .edge, tags: ["yhat:one", "bug:flux#914"])
      // PyTorch #103316: BCE's log clamp at −100; ŷ = σ(−110) (Float32: σ(−100), a subnormal).
      let tinyYhat = dtype == .float32 ? dtype.round(exp(-100.0)) : exp(-110.0)
      grad(
        [8], [tinyYhat, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], array([1, 1, 0, 1, 0, 1, 0, 1]), regime: .edge,
        tags: ["near-boundary", "bug:pytorch#103316"])
      // Keras #9664: clipping zeroes the gradient at ŷ = σ(100).
      let sigma100 = dtype.round(1 / (1 + exp(-100.0)))
      grad(
        [2], [sigma100, sigma100], array([1, 0]), withY: true, regime: .edge, tags: ["yhat:one", "bug:keras#9664"])
      for (yhat, y) in [(0.0, 0.0), (0, 1), (1, 1)] as [(Double, Double)] {
        let tags = [yhat == 0 ? "yhat:zero" : "yhat:one", y == 0 ? "y:zero" : "y:one", "pole"]
        grad([2], [yhat, 0.5], array([y, 1]), LossParameters(eps: 0), withY: true, regime: .edge, tags: tags)
      }
      grad([2], [0, 0.5], array([1, 1]), regime: .edge, tags: ["yhat:zero"])
      grad([3], [0.1, 0.2, 0.9], .scalar(1), withY: true, regime: .edge, tags: ["y:label"])
    case .logitbinarycrossentropy:
      // Keras #9664: the BCE gradient at logit 100 (σ(100) − y: 1, and −σ(−100)).
      grad([2], [100, 100], array([0, 1]), withY: true, regime: .edge, tags: ["logits:saturated", "bug:keras#9664"])
      let large: [Double] = dtype == .float32 ? [100, -100, 1e4, -1e4] : [800, -800, 1e6, -1e6]
      grad([4], large, array([1, 0, 0, 1]), regime: .edge, tags: ["logits:saturated"])
      grad([4], [50, -50, 430, -430], array([0, 1, 1, 0]), none, regime: .edge, tags: ["logits:saturated"])
      grad([3], [0, 0, 0], array([0, 0.5, 1]), withY: true, regime: .edge, tags: ["yhat:zero"])
    case .poissonLoss:
      // xlogy at a zero target (pytorch #80770): ∂/∂ŷ = 1 − y/ŷ is exactly 1 where y = 0, also at ŷ = 0.
      grad(
        [2], [0, 1], array([0, 1]), withY: true, regime: .edge, tags: ["y:zero", "yhat:zero", "bug:pytorch#80770"])
      grad([2], [0, 1], array([2, 1]), regime: .edge, tags: ["pole", "yhat:zero"])
      grad([3], [0.5, 2, 4], array([0.25, 1.5, 3.5]), withY: true, regime: .edge, tags: ["y:fractional"])
    case .hinge:
      // Kinks: ŷ·y = 1 (the margin m = 1 − ŷ·y is 0).
      grad([3], [0.5, -0.25, 1], array([2, -4, 1]), withY: true, regime: .edge, tags: ["boundary:margin"])
      grad([4], [1, -1, 0.5, 2], array([1, -1, 1, 1]), none, regime: .edge, tags: ["boundary:margin"])
      let below = dtype == .float32 ? Double(Float(1).nextDown) : Double(1).nextDown
      grad([2], [below, 0.5], array([1, 2]), regime: .edge, tags: ["boundary:margin"])
      grad([3], [0.5, -1, 2], array([0, 0, 0]), withY: true, regime: .edge, tags: ["y:zero"])
    case .squaredHinge:
      grad([3], [0.5, -0.25, 1], array([2, -4, 1]), withY: true, regime: .edge, tags: ["boundary:margin"])
      grad([3], [3, -2, 0.1], array([0.5, 0.5, -10]), regime: .edge, tags: ["y:not-pm1"])
    case .diceCoeffLoss:
      grad([3], [0, 0, 0], array([0, 0, 0]), withY: true, regime: .edge, tags: ["all-zero"])
      grad([3], [0.2, 0.5, 1], array([0.2, 0.5, 1]), regime: .edge, tags: ["equal"])
      grad([3], [0.1, 0.2, 0.9], .scalar(1), withY: true, regime: .edge, tags: ["y:label"])
    case .tverskyLoss:
      grad([3], [0, 0, 0], array([0, 0, 0]), withY: true, regime: .edge, tags: ["all-zero"])
      grad([3], [0.2, 0.5, 1], array([0.2, 0.5, 1]), regime: .edge, tags: ["equal"])
      grad([4], [0.9, 0.1, 0.8, 0.3], array([1, 0, 0, 1]), LossParameters(beta: 1), withY: true, regime: .edge)
    }
  }

  // MARK: Extreme

  /// The value catalogue's extreme inputs, as gradient requests (with y).
  mutating func buildGradientExtreme() {
    let start = cases.count
    buildExtreme()
    for i in start..<cases.count {
      cases[i].request.gradient = GradientRequest(withTarget: true)
      cases[i].tags.append("grad:y")
    }
  }
}
