import Foundation
import LossCore

/// Gradient laws (SEMANTICS.md, "Gradients"): relations that the exact gradient ∂L/∂ŷ (and
/// ∂L/∂y) of each loss satisfies, checked on what the implementation answers through
/// `LossImplementation.answer(_:)`. The expected values are computed here in Double from the
/// inputs, by formulas independent of any implementation's, each with its error bound.
extension Catalogue {
  static let gradients: [Law] = [
    gradientOfMeanIsGradientOfSumOverCount,
    logitcrossentropyGradientIsSoftmaxMinusTarget,
    crossentropyGradientIsMinusTargetOverPrediction,
    kldivergenceGradientIsCrossentropys,
    hingeGradientIsZeroOrMinusTarget,
    squaredHingeGradientIsTwiceTheMargin,
    mseGradientIsTwiceTheResidual,
    maeGradientIsTheSignOfTheResidual,
    targetGradientIsNegatedPredictionGradient,
    logitbinarycrossentropyGradientIsSigmoidMinusTarget,
    scalarTargetGradientIsTheSumOverTheBroadcast,
    aggNoneGradientIsLinearInTheCotangent,
    zeroTargetsHaveFiniteGradients,
  ]

  static let gradientOfMeanIsGradientOfSumOverCount = Law(
    name: "gradient-of-mean-is-gradient-of-sum-over-count",
    category: .gradient,
    losses: LossID.allCases.filter(\.takesAggregation),
    statement: "∇ŷ L(agg = mean) = ∇ŷ L(agg = sum) / N, N the number of values the mean is over (the elements of "
      + "the terms, or the columns of sum(…; dims) for the class-reducing losses)",
    tolerance: "the claimed error of each gradient element (the sum's divided by N) plus the rounding of the "
      + "division in Double, ½ ulp of the quotient",
    generator: "natural inputs of every loss with an agg, all dims and weight options",
    generate: LawKit.natural(LossID.allCases.filter(\.takesAggregation), aggs: [.mean]),
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let mean = try await probe.gradient(GradientKit.request(input, loss, agg: .mean))
      let sum = try await probe.gradient(GradientKit.request(input, loss, agg: .sum))
      let n = GradientKit.divisor(input, loss, .mean)
      try GradientKit.requireFinite(sum.yhat, input, "∇ of the sum")
      let expected = sum.yhat.map { $0 / n }
      let errors = (0..<expected.count).map { sum.yhatErrors[$0] / n + expected[$0].magnitude * 0x1p-53 }
      return GradientKit.compare(mean, expected, errors, "∇mean vs ∇sum / \(LawKit.number(n))")
    })

  static let logitcrossentropyGradientIsSoftmaxMinusTarget = Law(
    name: "logitcrossentropy-gradient-is-softmax-times-mass-minus-target",
    category: .gradient,
    losses: [.logitcrossentropy],
    statement: "∂/∂xᵢ logitcrossentropy(x, y; dims, weight) = (softmax(x)ᵢ·Σⱼ wⱼyⱼ − wᵢyᵢ) / N, the sum over xᵢ's "
      + "column, N the column count for mean (1 for sum) — the gradient NNlib #68 turned into NaN near ±430",
    tolerance: """
      softmax in Double within a relative 2⁻⁴⁹ (Catalogue.softmax; an absolute 2⁻¹⁰⁶⁰ below the normal \
      range); the column mass Σwy accurately summed from products rounded to Double (each 2⁻⁵³): \
      |sᵢ|·Σ|wy|·2⁻⁴⁸ + |wᵢyᵢ|·2⁻⁵² + |expected|·2⁻⁵², divided by N, plus the claimed error
      """,
    generator: "natural logitcrossentropy inputs (logit spreads up to 10³⁰), all dims and weight options, "
      + "agg mean/sum",
    generate: LawKit.natural([.logitcrossentropy], aggs: [.mean, .sum]),
    check: { input, probe throws(LawError) in
      let x = input[field: "yhat"]
      let y = input[field: "y"]
      let w = LawKit.weights(input, .logitcrossentropy)
      guard (x + y + w).allSatisfy(\.isFinite) else { throw .discard("non-finite inputs") }
      let agg = LossCases.aggregation(input)
      let g = try await probe.gradient(GradientKit.request(input, .logitcrossentropy, agg: agg))
      let n = GradientKit.divisor(input, .logitcrossentropy, agg)
      let dims = LossCases.dims(input)
      let s = softmax(x, shape: input.shape, dims: dims)
      let (index, count) = Gen.columns(input.shape, groupDims: dims)
      // Where a product w·y, a column's Σ|wy| or a softmax·Σwy overflows Double while the gradient
      // need not (w = 1.8e308 on two equal logits: ½·2w − w = 0), the products are taken scaled by
      // 2⁻⁶⁰⁰ (exact unless w·2⁻⁶⁰⁰ or the product is subnormal: then each loses at most
      // (|y| + 1)·2⁻¹⁰⁷⁴, bounded below)
      // and the result scaled back.
      func columnMasses(_ scale: Double) -> (wy: [Double], mass: [Double], absolute: [Double]) {
        let wy = (0..<y.count).map { (w[$0] * scale) * y[$0] }
        var columns = [[Double]](repeating: [], count: count)
        for (i, c) in index.enumerated() { columns[c].append(wy[i]) }
        return (wy, columns.map { AccurateSum($0).value }, columns.map { $0.reduce(0) { $0 + $1.magnitude } })
      }
      var (wy, mass, absoluteMass) = columnMasses(1)
      var scale = 1.0
      if !(wy + absoluteMass).allSatisfy(\.isFinite) || absoluteMass.contains(where: { $0 > 0x1p1000 }) {
        scale = 0x1p-600
        (wy, mass, absoluteMass) = columnMasses(scale)
      }
      let termCount = Double(index.count / Swift.max(count, 1))
      let largestTarget = y.reduce(0) { Swift.max($0, $1.magnitude) }
      var expected: [Double] = []
      var errors: [Double] = []
      for i in 0..<x.count {
        let c = index[i]
        let value = (s[i] * mass[c] - wy[i]) / n / scale
        expected.append(value)
        var bound =
          s[i].magnitude * absoluteMass[c] * 0x1p-48 + 0x1p-1060 * absoluteMass[c] + wy[i].magnitude * 0x1p-52
        if scale != 1 { bound += (termCount + 1) * 0x1p-1073 * Swift.max(1, largestTarget) }
        errors.append(bound / n / scale + value.magnitude * 0x1p-52)
      }
      return GradientKit.compare(g, expected, errors, "∇logitcrossentropy vs (softmax·Σwy − wy) / N")
    })

  static let crossentropyGradientIsMinusTargetOverPrediction = Law(
    name: "crossentropy-gradient-is-minus-weighted-target-over-prediction",
    category: .gradient,
    losses: [.crossentropy],
    statement: "∂/∂ŷᵢ crossentropy(ŷ, y; dims, weight, ϵ) = −wᵢ·yᵢ / (ŷᵢ + ϵ) / N, exactly 0 where yᵢ = 0 "
      + "(xlogy: the term is identically 0), N the column count for mean (1 for sum)",
    tolerance: "ŷ + ϵ split exactly (TwoSum), w·y and the two divisions rounded in Double: a relative 2⁻⁵⁰ of "
      + "the expected value (plus 2⁻¹⁰⁷⁴ absolute), plus the claimed error",
    generator: "natural crossentropy inputs (probability columns, labels), all dims and weight options, agg mean/sum",
    generate: LawKit.natural([.crossentropy], aggs: [.mean, .sum]),
    check: { input, probe throws(LawError) in
      let p = input[field: "yhat"]
      let y = input[field: "y"]
      let w = LawKit.weights(input, .crossentropy)
      guard (p + y + w).allSatisfy(\.isFinite) else { throw .discard("non-finite inputs") }
      let agg = LossCases.aggregation(input)
      let request = GradientKit.request(input, .crossentropy, agg: agg)
      let eps = try GradientKit.resolved(request).eps
      let g = try await probe.gradient(request)
      let n = GradientKit.divisor(input, .crossentropy, agg)
      var expected: [Double] = []
      var errors: [Double] = []
      for i in 0..<p.count {
        if y[i] == 0 {
          expected.append(0)
          errors.append(0)
          continue
        }
        let (denominator, _) = FloatFacts.twoSum(p[i], eps)
        // A subnormal w·y would lose its low bits before the division by ŷ + ϵ (which may be
        // as small as ϵ) brings the quotient back to the normal range: scale it by 2²⁰⁰ first.
        // A w·y near the top of the range would overflow in that division while the mean need
        // not (w = 1.8e308, ŷ = 0.9998, N = 2): scale the larger factor by 2⁻⁶⁰⁰ (≥ 2⁴⁵⁰ there,
        // so exactly).
        let product = w[i] * y[i]
        let scale: Double
        let scaled: Double
        if product.magnitude < 0x1p-900 {
          (scale, scaled) = (0x1p200, w[i] * (y[i] * 0x1p200))
        } else if !product.isFinite || product.magnitude > 0x1p900 {
          scale = 0x1p-600
          scaled = w[i].magnitude >= y[i].magnitude ? (w[i] * scale) * y[i] : w[i] * (y[i] * scale)
        } else {
          (scale, scaled) = (1, product)
        }
        let value = -scaled / denominator / n / scale
        expected.append(value)
        errors.append(value.isFinite ? value.magnitude * 0x1p-50 + 0x1p-1074 : 0)
      }
      return GradientKit.compare(g, expected, errors, "∇crossentropy vs −w·y/(ŷ + ϵ)/N")
    })

  static let kldivergenceGradientIsCrossentropys = Law(
    name: "kldivergence-gradient-is-crossentropys",
    category: .gradient,
    losses: [.kldivergence, .crossentropy],
    statement: "∇ŷ kldivergence(ŷ, y; dims, ϵ, agg) = ∇ŷ crossentropy(ŷ, y; dims, ϵ, agg): the entropy term does "
      + "not depend on ŷ",
    tolerance: "the two gradients' claimed errors (for correctly rounded gradients: equal bits)",
    generator: "natural kldivergence inputs (probability columns), all dims options, agg mean/sum",
    generate: LawKit.natural([.kldivergence], aggs: [.mean, .sum]),
    check: { input, probe throws(LawError) in
      let agg = LossCases.aggregation(input)
      let kl = try await probe.gradient(GradientKit.request(input, .kldivergence, agg: agg))
      var params = LossCases.parameters(input, .crossentropy)
      params.eps = LossCases.parameters(input, .kldivergence).eps
      params.agg = agg
      let request = input.request(.crossentropy, yhat: input[field: "yhat"], y: input[field: "y"], params: params)
      let ce = try await probe.gradient(request)
      return GradientKit.compare(kl, ce.yhat, ce.yhatErrors, "∇kldivergence vs ∇crossentropy")
    })

  static let hingeGradientIsZeroOrMinusTarget = Law(
    name: "hinge-gradient-is-zero-or-minus-target",
    category: .gradient,
    losses: [.hinge],
    statement: "∂/∂ŷᵢ hinge = −yᵢ/N where 1 − ŷᵢyᵢ > 0, 0 where it is < 0, and any value between at the kink "
      + "ŷᵢyᵢ = 1 (the subgradient), N the element count for mean (1 for sum)",
    tolerance: "the sign of the margin decided exactly (Dekker's product); −y/N rounded in Double (½ ulp), plus "
      + "the claimed error",
    generator: "natural hinge inputs (±1 labels, margins near 1 included), agg mean/sum",
    generate: LawKit.natural([.hinge], aggs: [.mean, .sum]),
    check: { input, probe throws(LawError) in
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      guard (yhat + y).allSatisfy(\.isFinite) else { throw .discard("non-finite inputs") }
      let agg = LossCases.aggregation(input)
      let g = try await probe.gradient(GradientKit.request(input, .hinge, agg: agg))
      let n = GradientKit.divisor(input, .hinge, agg)
      return GradientKit.piecewise(g, "∇hinge") { i in
        let active = -y[i] / n
        switch GradientKit.marginSign(yhat[i], y[i]) {
        case 1: return .value(active, active.magnitude * 0x1p-53)
        case -1: return .value(0, 0)
        default: return .interval(Swift.min(active, 0), Swift.max(active, 0), active.magnitude * 0x1p-53)
        }
      }
    })

  static let squaredHingeGradientIsTwiceTheMargin = Law(
    name: "squared-hinge-gradient-is-twice-the-margin",
    category: .gradient,
    losses: [.squaredHinge],
    statement: "∂/∂ŷᵢ squared_hinge = −2·yᵢ·max(0, 1 − ŷᵢyᵢ) / N (differentiable at the margin 0: both sides 0)",
    tolerance: "the margin 1 − ŷy computed from Dekker's product and TwoSum within a relative 2⁻⁵² (plus 2⁻¹⁰⁷⁰), "
      + "the products and the division rounded in Double: a relative 2⁻⁵⁰ of the expected value, plus the "
      + "claimed error",
    generator: "natural squared_hinge inputs, agg mean/sum",
    generate: LawKit.natural([.squaredHinge], aggs: [.mean, .sum]),
    check: { input, probe throws(LawError) in
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      guard (yhat + y).allSatisfy(\.isFinite) else { throw .discard("non-finite inputs") }
      let agg = LossCases.aggregation(input)
      let g = try await probe.gradient(GradientKit.request(input, .squaredHinge, agg: agg))
      let n = GradientKit.divisor(input, .squaredHinge, agg)
      var expected: [Double] = []
      var errors: [Double] = []
      for i in 0..<yhat.count {
        // Where 2·y·margin overflows and the gradient may not, y is scaled by 2⁻⁶⁰⁰ (|y| > ½
        // there, so exactly) and the result scaled back. Where ŷy itself overflows (then |y| ≥ 1),
        // the margin is −ŷ·(y·2⁻⁶⁰⁰), scaled (the 1 is below 2⁻¹⁰²³ of it), and the result
        // scaled back; a scaled ŷ could underflow (ŷ = 1e-225 beside y = −1e307), a scaled y
        // cannot.
        let value: Double
        if (yhat[i] * y[i]).isFinite {
          let margin = Swift.max(0, GradientKit.margin(yhat[i], y[i]))
          let direct = -2 * (y[i] * (margin / n))
          value = direct.isFinite ? direct : -2 * ((y[i] * 0x1p-600) * (margin / n)) * 0x1p600
        } else {
          let margin = Swift.max(0, -yhat[i] * (y[i] * 0x1p-600))
          value = -2 * (y[i] * (margin / n)) * 0x1p600
        }
        expected.append(value)
        errors.append(value.isFinite ? value.magnitude * 0x1p-50 + 2 * y[i].magnitude * 0x1p-1070 / n : 0)
      }
      return GradientKit.compare(g, expected, errors, "∇squared_hinge vs −2y·max(0, 1 − ŷy)/N")
    })

  static let mseGradientIsTwiceTheResidual = Law(
    name: "mse-gradient-is-twice-the-residual",
    category: .gradient,
    losses: [.mse],
    statement: "∂/∂ŷᵢ mse = 2·(ŷᵢ − yᵢ) / N",
    tolerance: "ŷ − y split exactly (TwoSum), the error term carried: |2e/N| + ½ ulp of the quotient in Double, "
      + "plus the claimed error",
    generator: "natural mse inputs, agg mean/sum",
    generate: LawKit.natural([.mse], aggs: [.mean, .sum]),
    check: { input, probe throws(LawError) in
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      guard (yhat + y).allSatisfy(\.isFinite) else { throw .discard("non-finite inputs") }
      let agg = LossCases.aggregation(input)
      let g = try await probe.gradient(GradientKit.request(input, .mse, agg: agg))
      let n = GradientKit.divisor(input, .mse, agg)
      var expected: [Double] = []
      var errors: [Double] = []
      for i in 0..<yhat.count {
        // Near the top of the range 2·(ŷ − y) overflows where the gradient does not (ŷ = −max,
        // N = 2): the difference is then taken of ŷ·2⁻⁶⁰⁰ and y·2⁻⁶⁰⁰ (exact scalings there).
        var (d, e) = FloatFacts.twoSum(yhat[i], -y[i])
        var scale = 1.0
        if !(2 * d).isFinite {
          (d, e) = FloatFacts.twoSum(yhat[i] * 0x1p-600, -y[i] * 0x1p-600)
          scale = 0x1p600
        }
        let value = 2 * (d / n) * scale
        expected.append(value)
        errors.append(value.isFinite ? 2 * e.magnitude / n * scale + value.magnitude * 0x1p-52 : 0)
      }
      return GradientKit.compare(g, expected, errors, "∇mse vs 2(ŷ − y)/N")
    })

  static let maeGradientIsTheSignOfTheResidual = Law(
    name: "mae-gradient-is-the-sign-of-the-residual",
    category: .gradient,
    losses: [.mae],
    statement: "∂/∂ŷᵢ mae = sign(ŷᵢ − yᵢ) / N, and any value in [−1/N, 1/N] at the kink ŷᵢ = yᵢ (the subgradient)",
    tolerance: "1/N rounded in Double (½ ulp), plus the claimed error",
    generator: "natural mae inputs (exact fits included), agg mean/sum",
    generate: LawKit.natural([.mae], aggs: [.mean, .sum]) { r, input, _ in
      // Exact fits at a few elements, so the kink is reached.
      var yhat = input[field: "yhat"]
      let y = input[field: "y"]
      for i in 0..<yhat.count where r.chance(0.25) { yhat[i] = y[i] }
      input[field: "yhat"] = yhat
    },
    check: { input, probe throws(LawError) in
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      guard (yhat + y).allSatisfy(\.isFinite) else { throw .discard("non-finite inputs") }
      let agg = LossCases.aggregation(input)
      let g = try await probe.gradient(GradientKit.request(input, .mae, agg: agg))
      let n = GradientKit.divisor(input, .mae, agg)
      let step = 1 / n
      return GradientKit.piecewise(g, "∇mae") { i in
        if yhat[i] > y[i] { return .value(step, step * 0x1p-53) }
        if yhat[i] < y[i] { return .value(-step, step * 0x1p-53) }
        return .interval(-step, step, step * 0x1p-53)
      }
    })

  static let targetGradientIsNegatedPredictionGradient = Law(
    name: "target-gradient-is-negated-prediction-gradient",
    category: .gradient,
    losses: [.mse, .mae, .huberLoss],
    statement: "for the losses of ŷ − y alone (mse, mae, huber_loss): ∇y L = −∇ŷ L (away from mae's kinks, where "
      + "each is an interval)",
    tolerance: "the two gradients' claimed errors (for correctly rounded gradients: bitwise negation)",
    generator: "natural mse, mae and huber_loss inputs, agg mean/sum/none",
    generate: LawKit.natural([.mse, .mae, .huberLoss]),
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      if loss == .mae, zip(yhat, y).contains(where: { $0 == $1 }) { throw .discard("a kink of mae (ŷᵢ = yᵢ)") }
      let request = GradientKit.request(input, loss, agg: LossCases.aggregation(input))
      let g = try await probe.gradient(request, withTarget: true)
      guard let gy = g.y, let gyErrors = g.yErrors else { throw .unexpected("no ∇y in the answer") }
      var negated = g
      negated.yhat = gy.map { -$0 }
      negated.yhatErrors = gyErrors
      return GradientKit.compare(negated, g.yhat, g.yhatErrors, "−∇y vs ∇ŷ")
    })

  static let logitbinarycrossentropyGradientIsSigmoidMinusTarget = Law(
    name: "logitbinarycrossentropy-gradient-is-sigmoid-minus-target",
    category: .gradient,
    losses: [.logitbinarycrossentropy],
    statement: "∂/∂xᵢ logitbinarycrossentropy = (σ(xᵢ) − yᵢ) / N = ((1 − yᵢ)·σ(xᵢ) − yᵢ·σ(−xᵢ)) / N — which must "
      + "not vanish at x = 50, y = 0 (Flux #914)",
    tolerance: "σ(±x) in Double within a relative 2⁻⁵⁰ (plus 2⁻¹⁰⁷³ absolute), the two products and the "
      + "difference rounded: ((1 − y)σ(x) + |y|σ(−x))·2⁻⁴⁹ / N, plus the claimed error",
    generator: "logits uniform in ±12 (Float32) or ±60, 0/1 labels or targets in [0, 1], agg mean/sum",
    generate: { r, seed in
      let dtype = Gen.dtype(&r)
      let shape = Gen.shape(&r, maxCount: 32)
      let n = shape.reduce(1, *)
      let limit = dtype == .float32 ? 12.0 : 60.0
      let x = (0..<n).map { _ in Gen.fit(Double.random(in: -limit...limit, using: &r), dtype) }
      let yKind: ValueKind = r.chance(0.6) ? .label01 : .unit
      return LawInput(
        seed: seed, dtype: dtype, shape: shape,
        fields: [Field("yhat", x, kind: .real), Field("y", Gen.array(&r, count: n, dtype, yKind), kind: yKind)],
        choices: [Choice("agg", r.int(0...1), options: LossCases.aggOptions)])
    },
    check: { input, probe throws(LawError) in
      let x = input[field: "yhat"]
      let y = input[field: "y"]
      guard (x + y).allSatisfy(\.isFinite) else { throw .discard("non-finite inputs") }
      let agg = LossCases.aggregation(input)
      guard agg != .none else { throw .discard("agg = none (this law is about mean and sum)") }
      let g = try await probe.gradient(GradientKit.request(input, .logitbinarycrossentropy, agg: agg))
      let n = GradientKit.divisor(input, .logitbinarycrossentropy, agg)
      func sigmoid(_ t: Double) -> Double { 1 / (1 + Foundation.exp(-t)) }
      var expected: [Double] = []
      var errors: [Double] = []
      for i in 0..<x.count {
        let a = (1 - y[i]) * sigmoid(x[i])
        let b = y[i] * sigmoid(-x[i])
        let value = (a - b) / n
        expected.append(value)
        errors.append(((a.magnitude + b.magnitude) * 0x1p-49 + 0x1p-1072) / n + value.magnitude * 0x1p-53)
      }
      return GradientKit.compare(g, expected, errors, "∇logitbinarycrossentropy vs (σ(x) − y)/N")
    })

  /// The elementwise losses whose y may be a constant label (for the broadcast law).
  static let scalarLabelLosses: [LossID] = [
    .mae, .mse, .msle, .huberLoss, .binarycrossentropy, .logitbinarycrossentropy, .poissonLoss, .hinge,
    .squaredHinge,
  ]

  static let scalarTargetGradientIsTheSumOverTheBroadcast = Law(
    name: "scalar-target-gradient-is-the-sum-over-the-broadcast",
    category: .gradient,
    losses: scalarLabelLosses,
    statement: "∂L(ŷ, c)/∂c for a constant label c = Σᵢ ∂L(ŷ, y)/∂yᵢ at y = fill(c): a scalar y's gradient is "
      + "the sum over the broadcast, and ∇ŷ is the same for both",
    tolerance: "the array gradient's claimed errors summed, plus the accurate sum's error in Double, plus the "
      + "scalar gradient's claimed error; ∇ŷ: both claimed errors",
    generator: "natural inputs of the elementwise losses, y replaced by its first element; agg mean/sum/none",
    generate: LawKit.natural(scalarLabelLosses),
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let yhat = input[field: "yhat"]
      guard let c = input[field: "y"].first else { throw .discard("empty input") }
      if loss == .mae, yhat.contains(c) { throw .discard("a kink of mae (ŷᵢ = c)") }
      if loss == .hinge, yhat.contains(where: { GradientKit.marginSign($0, c) == 0 }) {
        throw .discard("a kink of hinge (ŷᵢ·c = 1)")
      }
      var params = LossCases.parameters(input, loss)
      params.agg = LossCases.aggregation(input)
      let scalar = try await probe.gradient(
        input.request(loss, yhat: yhat, scalarY: c, params: params), withTarget: true)
      let array = try await probe.gradient(
        input.request(loss, yhat: yhat, y: [Double](repeating: c, count: yhat.count), params: params),
        withTarget: true)
      guard let gs = scalar.y, let gsErrors = scalar.yErrors, let ga = array.y, let gaErrors = array.yErrors
      else { throw .unexpected("no ∇y in the answer") }
      guard gs.count == 1 else {
        return .fails(.differentClass, "a scalar y has \(gs.count) gradient values, 1 was due")
      }
      try GradientKit.requireFinite(ga, input, "∇y over the broadcast")
      let total = AccurateSum(ga)
      let bound = gaErrors.reduce(0, +) * (1 + 0x1p-40) + total.error + gsErrors[0]
      let deviation = Compare.approximately(gs[0], total.value, error: bound, dtype: input.dtype)
      let yhatPart = GradientKit.compare(scalar, array.yhat, array.yhatErrors, "∇ŷ with a scalar vs an array y")
      return .all([
        (
          deviation,
          "∂/∂c: \(LawKit.show(gs[0], input.dtype)) vs Σ ∂/∂yᵢ = \(LawKit.show(total.value, input.dtype)) — "
            + LawKit.show(deviation)
        ),
        (yhatPart.deviation, yhatPart.message),
      ])
    })

  static let aggNoneGradientIsLinearInTheCotangent = Law(
    name: "agg-none-gradient-is-linear-in-the-cotangent",
    category: .gradient,
    losses: LossID.allCases.filter(\.takesAggregation),
    statement: "for agg = none, the vector–Jacobian product with a cotangent c is cₖ times the one with ones, "
      + "element by element (k the result element the ŷ element feeds: itself, or its column)",
    tolerance: "c times the claimed error of the ones-gradient, the product rounded in Double (½ ulp), plus the "
      + "claimed error; cotangents are positive multiples of ¼ in [½, 2], exact in every dtype, so a kink's "
      + "reported side scales with them",
    generator: "natural inputs of every loss with an agg, agg = none, all dims and weight options",
    generate: LawKit.natural(LossID.allCases.filter(\.takesAggregation), aggs: [.none]),
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let request = GradientKit.request(input, loss, agg: .none)
      let (index, count): ([Int], Int) =
        loss.reducesOverDims
        ? Gen.columns(input.shape, groupDims: LossCases.dims(input)) : (Array(0..<input.count), input.count)
      let cotangent = (0..<count).map { 0.5 + Double((Int(input.seed % 5) + $0) % 7) * 0.25 }
      let ones = try await probe.gradient(request)
      // An element beyond the dtype with ones (poisson_loss's 1 − y/ŷ at y = floatmax) may be
      // finite with a cotangent below 1: linearity holds of the exact values, not of ±∞.
      try GradientKit.requireFinite(ones.yhat, input, "the gradient with ones")
      let scaled = try await probe.gradient(request, cotangent: cotangent)
      let expected = (0..<ones.yhat.count).map { cotangent[index[$0]] * ones.yhat[$0] }
      let errors = (0..<expected.count).map {
        cotangent[index[$0]] * ones.yhatErrors[$0] + expected[$0].magnitude * 0x1p-53
      }
      return GradientKit.compare(scaled, expected, errors, "∇ with cotangent c vs c·∇ with ones")
    })

  static let zeroTargetsHaveFiniteGradients = Law(
    name: "zero-targets-have-finite-gradients",
    category: .gradient,
    losses: [.crossentropy, .kldivergence, .poissonLoss, .binarycrossentropy],
    statement: "where yᵢ = 0 and ŷᵢ = 0 (ϵ = 0), the xlogy rule makes the term identically 0 in ŷᵢ: ∂/∂ŷᵢ is 0 "
      + "for crossentropy and kldivergence, 1/N for poisson_loss (ŷ − xlogy(y, ŷ)) and for binarycrossentropy "
      + "(−xlogy(1 − y, 1 − ŷ) gives 1/(1 − ŷ)) — finite, where a framework that differentiates y·log ŷ gets "
      + "NaN (pytorch #89558, optax #1786)",
    tolerance: "exact for 0; 1/N rounded in Double (½ ulp); plus the claimed error",
    generator: "natural inputs of the four losses with every third element set to ŷ = y = 0, ϵ = 0, agg mean/sum",
    generate: LawKit.natural([.crossentropy, .kldivergence, .poissonLoss, .binarycrossentropy], aggs: [.mean, .sum]),
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      var yhat = input[field: "yhat"]
      var y = input[field: "y"]
      let zeros = Array(stride(from: 0, to: yhat.count, by: 3))
      for i in zeros {
        yhat[i] = 0
        y[i] = 0
      }
      var params = LossCases.parameters(input, loss)
      let agg = LossCases.aggregation(input)
      params.agg = agg
      if loss != .poissonLoss { params.eps = 0 }
      let g = try await probe.gradient(input.request(loss, yhat: yhat, y: y, params: params))
      let n = GradientKit.divisor(input, loss, agg)
      let due = loss == .poissonLoss || loss == .binarycrossentropy ? 1 / n : 0
      var parts: [(Deviation, String)] = []
      for i in zeros where i < g.yhat.count {
        let d = Compare.approximately(g.yhat[i], due, error: due * 0x1p-53 + g.yhatErrors[i], dtype: input.dtype)
        parts.append(
          (
            d,
            "∂/∂ŷ at \(i + 1) (ŷ = y = 0): \(LawKit.show(g.yhat[i], input.dtype)) vs \(LawKit.show(due, input.dtype)) "
              + "— \(LawKit.show(d))"
          ))
      }
      return .all(parts)
    })
}

/// Helpers of the gradient laws.
enum GradientKit {
  /// The request of `input` for `loss` with aggregation `agg` (where the loss takes one).
  static func request(_ input: LawInput, _ loss: LossID, agg: Aggregation) -> LossRequest {
    var params = LossCases.parameters(input, loss)
    if loss.takesAggregation { params.agg = agg }
    return input.request(loss, yhat: input[field: "yhat"], y: input[field: "y"], params: params)
  }

  /// The request's parameters as LossCore resolves them (the default ϵ of the dtype).
  static func resolved(_ request: LossRequest) throws(LawError) -> ResolvedParameters {
    do {
      return try request.validated().params
    } catch {
      throw .unexpected("the request is invalid: \(error.message)")
    }
  }

  /// What `agg = mean` divides by: the elements of the terms, or for the class-reducing losses the
  /// columns of `sum(…; dims)`; 1 for any other aggregation.
  static func divisor(_ input: LawInput, _ loss: LossID, _ agg: Aggregation) -> Double {
    guard agg == .mean else { return 1 }
    if loss.reducesOverDims {
      return Double(Swift.max(Gen.columns(input.shape, groupDims: LossCases.dims(input)).count, 1))
    }
    return Double(Swift.max(input.count, 1))
  }

  /// The margin `1 − a·b`, from Dekker's product and TwoSum (within a relative 2⁻⁵² plus 2⁻¹⁰⁷⁰).
  static func margin(_ a: Double, _ b: Double) -> Double {
    let (p, e) = FloatFacts.twoProduct(a, b)
    let (m, f) = FloatFacts.twoSum(1, -p)
    return m + (f - e)
  }

  /// The sign of `1 − a·b`, decided exactly: 1, −1, or 0 at the kink `a·b = 1`.
  static func marginSign(_ a: Double, _ b: Double) -> Int {
    let (p, e) = FloatFacts.twoProduct(a, b)
    if p < 1 || (p == 1 && e < 0) { return 1 }
    if p > 1 || (p == 1 && e > 0) { return -1 }
    return 0
  }

  /// Discards a case whose gradient parts are ±∞ or NaN while every input is finite: a part beyond
  /// the dtype rounded to ±∞, which the relation is not about.
  static func requireFinite(_ parts: [Double], _ input: LawInput, _ what: String) throws(LawError) {
    if !parts.allSatisfy(\.isFinite), (input[field: "yhat"] + input[field: "y"]).allSatisfy(\.isFinite) {
      throw .discard("\(what) overflows the dtype")
    }
  }

  /// The observed ∇ŷ against `expected`, element by element, allowing `errors[i]` plus the claimed error.
  static func compare(_ observed: Probe.Gradient, _ expected: [Double], _ errors: [Double], _ what: String)
    -> Finding
  {
    LawKit.elementwise(observed.yhat, expected, what, dtype: observed.dtype) { r, x, i in
      Compare.approximately(r, x, error: errors[i] + observed.yhatErrors[i], dtype: observed.dtype)
    }
  }

  /// What a piecewise law expects of one element: a value with its error, or at a kink any value
  /// of an interval.
  enum Expected {
    case value(Double, Double)
    case interval(Double, Double, Double)
  }

  /// The observed ∇ŷ against a piecewise expectation.
  static func piecewise(_ observed: Probe.Gradient, _ what: String, _ expected: (Int) -> Expected) -> Finding {
    let dtype = observed.dtype
    var parts: [(Deviation, String)] = []
    for (i, r) in observed.yhat.enumerated() {
      let claimed = observed.yhatErrors[i]
      switch expected(i) {
      case .value(let x, let error):
        let d = Compare.approximately(r, x, error: error + claimed, dtype: dtype)
        parts.append(
          (d, "\(what) at \(i + 1): \(LawKit.show(r, dtype)) vs \(LawKit.show(x, dtype)) — \(LawKit.show(d))"))
      case .interval(let lower, let upper, let error):
        let below = Compare.atLeast(r, lower, error: error + claimed, dtype: dtype)
        let above = Compare.atMost(r, upper, error: error + claimed, dtype: dtype)
        let d = below.holds ? above : below
        parts.append(
          (
            d,
            "\(what) at the kink \(i + 1): \(LawKit.show(r, dtype)) in [\(LawKit.show(lower, dtype)), "
              + "\(LawKit.show(upper, dtype))] — \(LawKit.show(d))"
          ))
      }
    }
    if parts.isEmpty { return .judge(.exact, "\(what): empty gradient") }
    return .all(parts)
  }
}
