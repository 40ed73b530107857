import Foundation
import LossCore

/// Bounds: inequalities the exact values satisfy. A correctly rounded result keeps an exact
/// inequality against a representable bound (rounding is monotone), so most hold with no slack
/// on LossSpec; bounds computed in Double carry their own stated error.
extension Catalogue {
  static let bounds: [Law] = [
    kldivergenceNonnegative,
    kldivergenceOfSelfIsZero,
    kldivergenceSharpLowerBound,
    kldivergenceOfSelfIsNegativeWithEpsilon,
    crossentropyAtLeastEntropy,
    crossentropyBounds,
    binarycrossentropyBounds,
    logitLossesNonnegative,
    hingeNonnegative,
    hingeZeroExactlyAtMargin,
    hingeAtLeastOneMinusMeanMargin,
    squaredHingeAtLeastHingeSquared,
    squaredHingeIsHingeSquaredElementwise,
    maeAtMostRootMse,
    huberAtMostHalfMse,
    huberIsHalfMseBelowDelta,
    huberAtTheBoundary,
    huberAtMostDeltaMae,
    maeTriangleInequality,
    poissonMinimisedAtTarget,
    perfectFitIsZero,
    diceWithinUnitInterval,
    tverskyWithinUnitInterval,
  ]

  // MARK: Distributions

  /// Column sums of `values` over `dims`, computed exactly for dyadic probabilities.
  static func columnSums(_ values: [Double], shape: [Int], dims: [Int]) -> [Double] {
    let (index, count) = Gen.columns(shape, groupDims: dims)
    var groups = [[Double]](repeating: [], count: count)
    for (i, c) in index.enumerated() { groups[c].append(values[i]) }
    return groups.map { AccurateSum($0).value }
  }

  /// A generator of a target and a prediction that are both probability columns over the drawn
  /// `dims` (the prediction sometimes equal to the target, or one halving away from it).
  static func distributions(
    _ loss: LossID, epsilon: [Int], equal: Double = 0.25
  ) -> @Sendable (inout SplitMix64, UInt64) -> LawInput {
    { r, seed in
      var input = LossCases.draw(&r, seed: seed, loss: loss, weights: false)
      let dims = LossCases.dims(input)
      let kind = ValueKind.probability(groupDims: dims)
      let y = Gen.probabilityColumns(&r, shape: input.shape, groupDims: dims, input.dtype)
      var yhat = Gen.probabilityColumns(&r, shape: input.shape, groupDims: dims, input.dtype)
      if r.chance(equal) {
        yhat = y
      } else if r.chance(0.3) {
        // Move half of one entry's mass to another entry of its column: a near fit.
        yhat = y
        let (column, _) = Gen.columns(input.shape, groupDims: dims)
        if let i = (0..<y.count).filter({ y[$0] > 0 }).randomElement(using: &r),
          let j = (0..<y.count).filter({ column[$0] == column[i] && $0 != i }).randomElement(using: &r),
          let moved = FloatFacts.exactSum(yhat[j], yhat[i] / 2, input.dtype)
        {
          yhat[i] /= 2
          yhat[j] = moved
        }
      }
      input.fields = [Field("yhat", yhat, kind: kind), Field("y", y, kind: kind)]
      if let e = input.choices.firstIndex(where: { $0.name == "eps" }) { input.choices[e].value = r.pick(epsilon) }
      return input
    }
  }

  /// Throws `discard` unless every column of `y` sums to exactly 1 and every column of `yhat`
  /// is non-negative with a sum of at most 1.
  static func requireDistributions(_ input: LawInput, yhatSumAtMostOne: Bool = true) throws(LawError) {
    let dims = LossCases.dims(input)
    let y = input[field: "y"]
    let yhat = input[field: "yhat"]
    guard y.allSatisfy({ $0 >= 0 }), yhat.allSatisfy({ $0 >= 0 }) else { throw .discard("negative probabilities") }
    guard columnSums(y, shape: input.shape, dims: dims).allSatisfy({ $0 == 1 }) else {
      throw .discard("a target column does not sum to 1")
    }
    if yhatSumAtMostOne && !columnSums(yhat, shape: input.shape, dims: dims).allSatisfy({ $0 <= 1 }) {
      throw .discard("a prediction column sums to more than 1")
    }
  }

  static let kldivergenceNonnegative = Law(
    name: "kldivergence-nonnegative",
    category: .bound,
    losses: [.kldivergence],
    statement: "kldivergence(ŷ, y; ϵ = 0) ≥ 0 when the columns of y sum to 1 and those of ŷ to at most 1 (Gibbs)",
    tolerance: "none for a correctly rounded result (0 is representable and rounding is monotone); otherwise the "
      + "claimed error of the result.",
    generator: "exact dyadic probability columns (one-hot, Dirichlet-like, nearly degenerate, sparse) over every "
      + "dims option; ŷ = y in a quarter of the cases, one halving away in another fifth; agg mean/sum/none",
    generate: distributions(.kldivergence, epsilon: [1]),
    check: { input, probe throws(LawError) in
      try requireDistributions(input)
      var params = LossCases.parameters(input, .kldivergence)
      params.eps = 0
      let r = try await probe.result(
        input.request(.kldivergence, yhat: input[field: "yhat"], y: input[field: "y"], params: params))
      return LawKit.elementwise(r.values, r.values.map { _ in 0 }, "kldivergence(ŷ, y; ϵ = 0) ≥ 0", dtype: input.dtype)
      {
        a, b, i in Compare.atLeast(a, b, error: probe.slack(r, i), dtype: input.dtype)
      }
    })

  static let kldivergenceOfSelfIsZero = Law(
    name: "kldivergence-of-self-is-zero",
    category: .bound,
    losses: [.kldivergence],
    statement: "kldivergence(p, p; ϵ = 0) = 0 for any p ≥ 0 (SEMANTICS erratum 8: only for ϵ = 0)",
    tolerance: "exactly 0 for a correctly rounded result; otherwise the claimed error.",
    generator: "p probability columns or any non-negative values (whole exponent range), every dims option, "
      + "agg mean/sum/none",
    generate: LawKit.natural([.kldivergence], weights: false, maxCount: 16) { _, input, _ in
      if let i = input.choices.firstIndex(where: { $0.name == "eps" }) { input.choices[i].value = 1 }
    },
    check: { input, probe throws(LawError) in
      var params = LossCases.parameters(input, .kldivergence)
      params.eps = 0
      let p = input[field: "yhat"]
      guard p.allSatisfy({ $0 >= 0 }) else { throw .discard("negative values") }
      let r = try await probe.result(input.request(.kldivergence, yhat: p, y: p, params: params))
      return LawKit.elementwise(r.values, r.values.map { _ in 0 }, "kldivergence(p, p; ϵ = 0) = 0", dtype: input.dtype)
      {
        a, b, i in Compare.approximately(a, b, error: probe.slack(r, i), dtype: input.dtype)
      }
    })

  /// `−log(1 + k·ϵ)` per column (k the non-zero targets of the column), aggregated like the loss;
  /// the relative error of the Double evaluation is below 2⁻⁴⁸.
  static func entropyGapBound(_ input: LawInput, epsilon: Double) -> [Double] {
    let dims = LossCases.dims(input)
    let (column, count) = Gen.columns(input.shape, groupDims: dims)
    var nonzero = [Double](repeating: 0, count: count)
    for (i, y) in input[field: "y"].enumerated() where y != 0 { nonzero[column[i]] += 1 }
    let perColumn = nonzero.map { -log1p($0 * epsilon) }
    switch LossCases.aggregation(input) {
    case .none: return perColumn
    case .sum: return [perColumn.reduce(0, +)]
    case .mean: return [perColumn.reduce(0, +) / Double(Swift.max(count, 1))]
    }
  }

  static let kldivergenceSharpLowerBound = Law(
    name: "kldivergence-sharp-lower-bound-with-epsilon",
    category: .bound,
    losses: [.kldivergence],
    statement: "kldivergence(ŷ, y; ϵ) ≥ −log(1 + k·ϵ) per column, k the number of non-zero targets (≤ C, the "
      + "classes), for y columns summing to 1 and ŷ ≥ 0 columns summing to at most 1 — not the false \"KL ≥ 0\"",
    tolerance: "the log-sum inequality gives Σ y log(y/(ŷ+ϵ)) ≥ log(1/Σ_{y>0}(ŷ+ϵ)) ≥ −log(1 + kϵ); the bound "
      + "is evaluated in Double within a relative 2⁻⁴⁸ (log1p, products and the aggregation), and a correctly "
      + "rounded result keeps it (monotone rounding); otherwise add the claimed error.",
    generator: "exact dyadic probability columns over every dims option, ŷ = y in a third of the cases (where the "
      + "bound is nearly attained); ϵ the default eps(T) or a given value up to ½",
    generate: distributions(.kldivergence, epsilon: [0, 2], equal: 0.35),
    check: { input, probe throws(LawError) in
      try requireDistributions(input)
      let eps = resolvedEpsilon(input)
      let params = LossCases.parameters(input, .kldivergence)
      let r = try await probe.result(
        input.request(.kldivergence, yhat: input[field: "yhat"], y: input[field: "y"], params: params))
      let bound = entropyGapBound(input, epsilon: eps)
      guard bound.count == r.count else { throw .unexpected("\(r.count) values, \(bound.count) columns") }
      return LawKit.elementwise(r.values, bound, "kldivergence ≥ −log(1 + kϵ)", dtype: input.dtype) { a, b, i in
        Compare.atLeast(a, b, error: b.magnitude * 0x1p-48 + probe.boundSlack(r, i, bound: b), dtype: input.dtype)
      }
    })

  static let kldivergenceOfSelfIsNegativeWithEpsilon = Law(
    name: "kldivergence-of-self-is-negative-with-epsilon",
    category: .bound,
    losses: [.kldivergence],
    statement: "−log(1 + k·ϵ) ≤ kldivergence(p, p; ϵ) < 0 for ϵ > 0 and probability columns p (SEMANTICS: with the "
      + "default ϵ, KL(p, p) is slightly negative, about −Σϵ per column)",
    tolerance: "strictly negative: a correctly rounded result of a negative value far above the underflow "
      + "threshold is at most −(smallest subnormal); the lower bound as in kldivergence-sharp-lower-bound-with-epsilon.",
    generator: "exact dyadic probability columns over every dims option; ϵ the default eps(T) or a given value",
    generate: distributions(.kldivergence, epsilon: [0, 2], equal: 1),
    check: { input, probe throws(LawError) in
      try requireDistributions(input)
      let eps = resolvedEpsilon(input)
      guard eps > 0 else { throw .discard("ϵ = 0") }
      let params = LossCases.parameters(input, .kldivergence)
      let p = input[field: "y"]
      let r = try await probe.result(input.request(.kldivergence, yhat: p, y: p, params: params))
      let bound = entropyGapBound(input, epsilon: eps)
      guard bound.count == r.count else { throw .unexpected("\(r.count) values, \(bound.count) columns") }
      let below = LawKit.elementwise(r.values, bound, "kldivergence(p, p; ϵ) ≥ −log(1 + kϵ)", dtype: input.dtype) {
        a, b, i in
        Compare.atLeast(a, b, error: b.magnitude * 0x1p-48 + probe.boundSlack(r, i, bound: b), dtype: input.dtype)
      }
      let negative = FloatFacts.leastNonzero(input.dtype)
      let above = LawKit.elementwise(
        r.values, r.values.map { _ in -negative }, "kldivergence(p, p; ϵ) < 0", dtype: input.dtype
      ) {
        a, b, i in Compare.atMost(a, b, error: probe.slack(r, i), dtype: input.dtype)
      }
      return .all([(below.deviation, below.message), (above.deviation, above.message)])
    })

  static let crossentropyAtLeastEntropy = Law(
    name: "crossentropy-at-least-entropy",
    category: .bound,
    losses: [.crossentropy],
    statement: "crossentropy(ŷ, y; ϵ = 0) ≥ crossentropy(y, y; ϵ = 0) (the entropy of y) for y columns summing to "
      + "1 and ŷ columns summing to at most 1 (Gibbs)",
    tolerance: "none for correctly rounded results (fl is monotone); otherwise the claimed errors of both.",
    generator: "exact dyadic probability columns over every dims option; ŷ = y in a quarter of the cases (equality), "
      + "one halving away in another fifth; agg mean/sum/none",
    generate: distributions(.crossentropy, epsilon: [1]),
    check: { input, probe throws(LawError) in
      try requireDistributions(input)
      var params = LossCases.parameters(input, .crossentropy)
      params.eps = 0
      params.weight = nil
      let y = input[field: "y"]
      let c = try await probe.result(input.request(.crossentropy, yhat: input[field: "yhat"], y: y, params: params))
      let h = try await probe.result(input.request(.crossentropy, yhat: y, y: y, params: params))
      return LawKit.elementwise(c.values, h.values, "crossentropy(ŷ, y) ≥ crossentropy(y, y)", dtype: input.dtype) {
        a, b, i in Compare.atLeast(a, b, error: probe.slack(c, i) + probe.slack(h, i), dtype: input.dtype)
      }
    })

  /// `Σ y` per column, aggregated like the loss, times `factor`.
  static func columnTargetMass(_ input: LawInput, times factor: Double) -> [Double] {
    let dims = LossCases.dims(input)
    let sums = columnSums(input[field: "y"], shape: input.shape, dims: dims).map { $0 * factor }
    return LawKit.aggregate(sums, LossCases.aggregation(input))
  }

  static let crossentropyBounds = Law(
    name: "crossentropy-bounds-with-epsilon",
    category: .bound,
    losses: [.crossentropy],
    statement: "−log(1 + ϵ)·Σy ≤ crossentropy(ŷ, y; ϵ) ≤ −log(ϵ)·Σy per column, for ŷ ∈ [0, 1] and y ≥ 0 "
      + "(ŷ + ϵ ∈ [ϵ, 1 + ϵ]); in particular finite where ŷ = 0",
    tolerance: "the bounds are evaluated in Double within a relative 2⁻⁴⁸; a correctly rounded result keeps them "
      + "(monotone rounding); otherwise add its claimed error.",
    generator: "ŷ probability columns (one-hot: many zeros) or values of [0, 1]; y probability columns, labels or "
      + "[0, 1]; every dims option; ϵ the default or a given value (0 excluded: the upper bound is then +∞)",
    generate: LawKit.natural([.crossentropy], weights: false) { _, input, _ in
      if let i = input.choices.firstIndex(where: { $0.name == "eps" }), input.choices[i].value == 1 {
        input.choices[i].value = 0
      }
    },
    check: { input, probe throws(LawError) in
      let eps = resolvedEpsilon(input)
      guard input[field: "yhat"].allSatisfy({ $0 >= 0 && $0 <= 1 }), input[field: "y"].allSatisfy({ $0 >= 0 }) else {
        throw .discard("values outside the hypotheses")
      }
      var params = LossCases.parameters(input, .crossentropy)
      params.weight = nil
      let r = try await probe.result(
        input.request(.crossentropy, yhat: input[field: "yhat"], y: input[field: "y"], params: params))
      let lower = columnTargetMass(input, times: -log1p(eps))
      let upper = columnTargetMass(input, times: eps > 0 ? -log(eps) : .infinity)
      guard lower.count == r.count else { throw .unexpected("\(r.count) values, \(lower.count) bounds") }
      let low = LawKit.elementwise(r.values, lower, "crossentropy ≥ −log(1 + ϵ)·Σy", dtype: input.dtype) { a, b, i in
        Compare.atLeast(a, b, error: b.magnitude * 0x1p-48 + probe.boundSlack(r, i, bound: b), dtype: input.dtype)
      }
      let high = LawKit.elementwise(r.values, upper, "crossentropy ≤ −log(ϵ)·Σy", dtype: input.dtype) { a, b, i in
        Compare.atMost(a, b, error: b.magnitude * 0x1p-48 + probe.boundSlack(r, i, bound: b), dtype: input.dtype)
      }
      return .all([(low.deviation, low.message), (high.deviation, high.message)])
    })

  static let binarycrossentropyBounds = Law(
    name: "binarycrossentropy-bounds",
    category: .bound,
    losses: [.binarycrossentropy],
    statement: "−log(1 + ϵ) ≤ binarycrossentropy(ŷ, y; ϵ) ≤ −log(ϵ) per element, for ŷ, y ∈ [0, 1] "
      + "(both logarithms' arguments lie in [ϵ, 1 + ϵ]); finite at ŷ = 0 and ŷ = 1",
    tolerance: "bounds evaluated in Double within a relative 2⁻⁴⁸, kept by a correctly rounded result; otherwise "
      + "add its claimed error.",
    generator: "ŷ in [0, 1] with 0 and 1 frequent; 0/1 labels or [0, 1] targets; ϵ the default or a given value",
    generate: LawKit.natural([.binarycrossentropy]) { _, input, _ in
      if let i = input.choices.firstIndex(where: { $0.name == "eps" }), input.choices[i].value == 1 {
        input.choices[i].value = 0
      }
    },
    check: { input, probe throws(LawError) in
      let eps = resolvedEpsilon(input)
      guard eps > 0 else { throw .discard("ϵ = 0") }
      let params = LossCases.parameters(input, .binarycrossentropy)
      let r = try await probe.result(LossCases.request(input, .binarycrossentropy))
      _ = params
      let n = Double(input.count)
      let scale = LossCases.aggregation(input) == .sum ? n : 1
      let low = LawKit.elementwise(
        r.values, r.values.map { _ in -log1p(eps) * scale }, "binarycrossentropy ≥ −log(1 + ϵ)", dtype: input.dtype
      ) {
        a, b, i in
        Compare.atLeast(a, b, error: b.magnitude * 0x1p-48 + probe.boundSlack(r, i, bound: b), dtype: input.dtype)
      }
      let high = LawKit.elementwise(
        r.values, r.values.map { _ in -log(eps) * scale }, "binarycrossentropy ≤ −log(ϵ)", dtype: input.dtype
      ) {
        a, b, i in
        Compare.atMost(a, b, error: b.magnitude * 0x1p-48 + probe.boundSlack(r, i, bound: b), dtype: input.dtype)
      }
      return .all([(low.deviation, low.message), (high.deviation, high.message)])
    })

  static let logitLossesNonnegative = Law(
    name: "logit-losses-finite-and-nonnegative",
    category: .bound,
    losses: [.logitcrossentropy, .logitbinarycrossentropy],
    statement: "0 ≤ logitcrossentropy(x, y) < ∞ for finite logits and y ≥ 0 (logsoftmax ≤ 0); "
      + "0 ≤ logitbinarycrossentropy(x, y) < ∞ for y ∈ [0, 1] (a convex combination of softplus(±x))",
    tolerance: "none for a correctly rounded result (0 is representable); the logits stay below 2⁻¹² of the largest "
      + "finite value, so no exact value overflows and a non-finite result is a failure.",
    generator: "logits with spreads from 1 to 10³⁰ (exp(x) overflows without the max shift), targets probability "
      + "columns, labels or [0, 1]; every dims option; agg mean/sum/none",
    generate: LawKit.natural([.logitcrossentropy, .logitbinarycrossentropy], weights: false) { _, input, _ in
      let limit = FloatFacts.greatestFinite(input.dtype) / 4096
      input[field: "yhat"] = input[field: "yhat"].map { Swift.max(-limit, Swift.min(limit, $0)) }
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let r = try await probe.result(LossCases.request(input, loss))
      return LawKit.elementwise(
        r.values, r.values.map { _ in 0 }, "\(loss.rawValue) ≥ 0 and finite", dtype: input.dtype
      ) {
        a, b, i in a.isFinite ? Compare.atLeast(a, b, error: probe.slack(r, i), dtype: input.dtype) : .differentClass
      }
    })

  static let hingeNonnegative = Law(
    name: "hinge-nonnegative",
    category: .bound,
    losses: [.hinge, .squaredHinge],
    statement: "hinge(ŷ, y) ≥ 0 and squared_hinge(ŷ, y) ≥ 0 for finite inputs (max(0, ·) never goes below 0)",
    tolerance: "none for a correctly rounded result; otherwise its claimed error.",
    generator: "natural hinge inputs: values over the whole exponent range, ±1 labels or real targets",
    generate: LawKit.natural([.hinge, .squaredHinge]),
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let r = try await probe.result(LossCases.request(input, loss))
      return LawKit.elementwise(r.values, r.values.map { _ in 0 }, "\(loss.rawValue) ≥ 0", dtype: input.dtype) {
        a, b, i in
        Compare.atLeast(a, b, error: probe.slack(r, i), dtype: input.dtype)
      }
    })

  /// Whether `a·b ≥ 1` exactly.
  static func marginReachesOne(_ a: Double, _ b: Double) -> Bool {
    let p = a * b
    if !p.isFinite { return p > 0 }
    if p.magnitude < 0x1p-900 { return false }
    let e = (-p).addingProduct(a, b)
    return p > 1 || (p == 1 && e >= 0)
  }

  static let hingeZeroExactlyAtMargin = Law(
    name: "hinge-zero-exactly-when-margins-reach-one",
    category: .bound,
    losses: [.hinge, .squaredHinge],
    statement: "hinge(ŷ, y) = 0 exactly when every ŷᵢ·yᵢ ≥ 1 (elementwise with agg = none); squared_hinge likewise",
    tolerance: "exact: the smallest positive term 1 − ŷy of finite inputs is far above the underflow threshold, "
      + "so a correctly rounded result is 0 exactly when the exact value is (for other implementations only "
      + "\"margins ≥ 1 ⇒ 0\" is required).",
    generator: "natural hinge inputs with margins placed on ŷ·y = 1 exactly and one ulp to either side",
    generate: LawKit.natural([.hinge, .squaredHinge]) { r, input, _ in
      var yhat = input[field: "yhat"]
      let y = input[field: "y"]
      for i in 0..<yhat.count where y[i] != 0 && r.chance(0.6) {
        let inverse = input.dtype.round(1 / y[i])
        guard inverse.isFinite else { continue }
        let u = FloatFacts.ulp(inverse, input.dtype)
        yhat[i] = input.dtype.round(inverse + Double(r.pick([0, 0, 1, -1])) * u)
      }
      input[field: "yhat"] = yhat
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      let r = try await probe.result(LossCases.request(input, loss))
      let reach = (0..<yhat.count).map { marginReachesOne(yhat[$0], y[$0]) }
      let strict = probe.subject.accuracy == .correctlyRounded
      let perValue: [Bool] = LossCases.aggregation(input) == .none ? reach : [reach.allSatisfy { $0 }]
      guard perValue.count == r.count else { throw .unexpected("\(r.count) values for \(perValue.count) margins") }
      var parts: [(Deviation, String)] = []
      for (i, expectZero) in perValue.enumerated() {
        let zero = r.values[i] == 0
        let ok = expectZero ? zero : (!strict || !zero)
        let at = r.count > 1 ? " at \(i + 1)" : ""
        parts.append(
          (
            ok ? .exact : .differentClass,
            "\(loss.rawValue)\(at) = \(LawKit.show(r.values[i], input.dtype)) while the margins \(expectZero ? "all reach" : "do not all reach") 1"
          ))
      }
      return .all(parts)
    })

  static let hingeAtLeastOneMinusMeanMargin = Law(
    name: "hinge-at-least-one-minus-mean-margin",
    category: .bound,
    losses: [.hinge],
    statement: "hinge(ŷ, y) ≥ max(0, 1 − mean(ŷ·y)) (Jensen: the mean of a convex function is at least the "
      + "function of the mean)",
    tolerance: "the products ŷᵢyᵢ are split exactly by FMA and summed with a rigorous double-double bound; the "
      + "division by n and the subtraction add 2 ulps of Double; a correctly rounded hinge keeps the bound.",
    generator: "natural hinge inputs (products that overflow are discarded), agg mean",
    generate: LawKit.natural([.hinge], aggs: [.mean]),
    check: { input, probe throws(LawError) in
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      var terms: [Double] = []
      for i in 0..<yhat.count {
        let (p, e) = FloatFacts.twoProduct(yhat[i], y[i])
        guard p.isFinite, p == 0 || p.magnitude > 0x1p-900 else { throw .discard("a product is not representable") }
        terms += [p, e]
      }
      let sum = AccurateSum(terms)
      guard sum.value.isFinite else { throw .discard("the margins overflow") }
      let n = Double(yhat.count)
      let q = sum.value / n
      let bound = Swift.max(0, 1 - q)
      let error = sum.error / n + q.magnitude * 0x1p-51 + bound.ulp
      let r = try await probe.result(LossCases.request(input, .hinge))
      let d = Compare.atLeast(
        r.values[0], bound, error: error + probe.boundSlack(r, 0, bound: bound), dtype: input.dtype)
      return .judge(
        d,
        "hinge = \(LawKit.show(r.values[0], input.dtype)), max(0, 1 − mean(ŷy)) = \(LawKit.show(bound, .float64)) — \(LawKit.show(d))"
      )
    })

  static let squaredHingeAtLeastHingeSquared = Law(
    name: "squared-hinge-at-least-hinge-squared",
    category: .bound,
    losses: [.squaredHinge, .hinge],
    statement: "squared_hinge(ŷ, y) ≥ hinge(ŷ, y)² (agg = mean; Jensen: mean(h²) ≥ mean(h)²)",
    tolerance: "the exact hinge H is at least fl(H) − e(H), so the bound is (fl(H) − e(H))² rounded down in Double; "
      + "a correctly rounded squared_hinge keeps it.",
    generator: "natural hinge inputs, agg mean",
    generate: LawKit.natural([.squaredHinge], aggs: [.mean]),
    check: { input, probe throws(LawError) in
      let h = try await probe.result(LossCases.request(input, .hinge))
      let s = try await probe.result(LossCases.request(input, .squaredHinge))
      let a = Swift.max(0, h.values[0] - h.errors[0])
      let lower = a * a * (1 - 0x1p-52)
      let d = Compare.atLeast(s.values[0], lower, error: probe.boundSlack(s, 0, bound: lower), dtype: input.dtype)
      return .judge(
        d,
        "squared_hinge = \(LawKit.show(s.values[0], input.dtype)), hinge² ≥ \(LawKit.show(lower, .float64)) — \(LawKit.show(d))"
      )
    })

  static let squaredHingeIsHingeSquaredElementwise = Law(
    name: "squared-hinge-is-hinge-squared-elementwise",
    category: .bound,
    losses: [.squaredHinge, .hinge],
    statement: "squared_hinge(ŷ, y; agg = none) = hinge(ŷ, y; agg = none)² elementwise (SEMANTICS: the squares of "
      + "the hinge terms)",
    tolerance: "hᵢ² is formed exactly (FMA residual); |fl(sᵢ) − fl(hᵢ)²| ≤ e(sᵢ) + e(hᵢ)·(2fl(hᵢ) + e(hᵢ)).",
    generator: "natural hinge inputs with margins on and near 1, agg none",
    generate: LawKit.natural([.squaredHinge], aggs: [.none]),
    check: { input, probe throws(LawError) in
      let h = try await probe.result(LossCases.request(input, .hinge))
      let s = try await probe.result(LossCases.request(input, .squaredHinge))
      return LawKit.elementwise(s.values, h.values.map { $0 * $0 }, "squared_hinge vs hinge²", dtype: input.dtype) {
        _, _, i in
        let x = h.values[i]
        let (p, e) = x.isFinite ? FloatFacts.twoProduct(x, x) : (x * x, 0)
        let error = e.magnitude + s.errors[i] + h.errors[i] * (2 * x.magnitude + h.errors[i])
        return Compare.approximately(s.values[i], p, error: error, dtype: input.dtype)
      }
    })

  static let maeAtMostRootMse = Law(
    name: "mae-at-most-root-mse",
    category: .bound,
    losses: [.mae, .mse],
    statement: "mae(ŷ, y) ≤ √mse(ŷ, y) (agg = mean; Cauchy–Schwarz), equality when every |ŷ − y| is the same",
    tolerance: "the exact mse is at most fl(M) + e(M), so √mse ≤ √fl(M) + √e(M) (square roots in Double, rounded "
      + "up); a correctly rounded mae exceeds it by at most ½ ulp of the bound.",
    generator: "natural mse inputs (whole exponent range: squares that overflow or underflow the dtype), agg mean",
    generate: LawKit.natural([.mae], aggs: [.mean]),
    check: { input, probe throws(LawError) in
      let a = try await probe.result(LossCases.request(input, .mae))
      let m = try await probe.result(LossCases.request(input, .mse))
      // √(M + e) ≤ √M + √e, each square root rounded up by the factor.
      let upper = (m.values[0].squareRoot() + m.errors[0].squareRoot()) * (1 + 0x1p-51)
      let d = Compare.atMost(a.values[0], upper, error: probe.boundSlack(a, 0, bound: upper), dtype: input.dtype)
      return .judge(
        d, "mae = \(LawKit.show(a.values[0], input.dtype)), √mse ≤ \(LawKit.show(upper, .float64)) — \(LawKit.show(d))")
    })

  /// The error a correctly rounded result adds when compared with half of another correctly
  /// rounded result: none in the normal range (halving commutes with rounding), one subnormal
  /// ulp below it.
  static func halvingError(_ half: Double, _ dtype: DType, _ probe: Probe, claimed: Double) -> Double {
    if probe.subject.accuracy == .correctlyRounded {
      return half.magnitude < FloatFacts.leastNormal(dtype) ? FloatFacts.leastNonzero(dtype) : 0
    }
    return claimed
  }

  static let huberAtMostHalfMse = Law(
    name: "huber-at-most-half-mse",
    category: .bound,
    losses: [.huberLoss, .mse],
    statement: "huber_loss(ŷ, y; δ) ≤ ½·mse(ŷ, y), elementwise and aggregated (δ(e − δ/2) ≤ e²/2)",
    tolerance: "for correctly rounded results fl(H) ≤ fl(M/2) = fl(M)/2 in the normal range, one subnormal ulp "
      + "below it; otherwise the claimed errors of both.",
    generator: "natural huber inputs with δ from 10⁻³ to 10³ and on the boundary |ŷ − y| = δ; agg mean/sum/none",
    generate: LawKit.natural([.huberLoss]),
    check: { input, probe throws(LawError) in
      let h = try await probe.result(LossCases.request(input, .huberLoss))
      var params = LossCases.parameters(input, .huberLoss)
      params.delta = nil
      let m = try await probe.result(
        input.request(.mse, yhat: input[field: "yhat"], y: input[field: "y"], params: params))
      return LawKit.elementwise(h.values, m.values.map { $0 / 2 }, "huber ≤ ½·mse", dtype: input.dtype) { a, b, i in
        let error = halvingError(b, input.dtype, probe, claimed: h.errors[i] + m.errors[i] / 2)
        return Compare.atMost(a, b, error: error, dtype: input.dtype)
      }
    })

  static let huberIsHalfMseBelowDelta = Law(
    name: "huber-is-half-mse-below-delta",
    category: .bound,
    losses: [.huberLoss, .mse],
    statement: "huber_loss(ŷ, y; δ) = ½·mse(ŷ, y) when δ exceeds every |ŷ − y| (SEMANTICS erratum 1: ½|ŷ − y|², "
      + "not ½|ŷ − y|)",
    tolerance: "for correctly rounded results fl(H) = fl(M)/2 exactly in the normal range, within one subnormal "
      + "ulp below it; otherwise the claimed errors of both. Where fl(M) overflows to +∞, fl(H) must reach half the "
      + "largest finite value.",
    generator: "natural huber inputs; δ the smallest power of two above 2·max(|ŷ| + |y|) (cases where it "
      + "overflows are discarded); agg mean/sum/none",
    generate: LawKit.natural([.huberLoss]),
    check: { input, probe throws(LawError) in
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      let top = zip(yhat, y).map { $0.magnitude + $1.magnitude }.max() ?? 0
      guard (4 * top).isFinite else { throw .discard("δ would overflow") }
      let delta = top == 0 ? 1 : Double(sign: .plus, exponent: Int((2 * top).exponent) + 1, significand: 1)
      guard input.dtype.represents(delta), delta <= FloatFacts.greatestFinite(input.dtype) else {
        throw .discard("δ would overflow")
      }
      var params = LossCases.parameters(input, .huberLoss)
      params.delta = delta
      let h = try await probe.result(input.request(.huberLoss, yhat: yhat, y: y, params: params))
      params.delta = nil
      let m = try await probe.result(input.request(.mse, yhat: yhat, y: y, params: params))
      return LawKit.elementwise(
        h.values, m.values.map { $0 / 2 }, "huber(δ = \(LawKit.show(delta, input.dtype))) vs ½·mse", dtype: input.dtype
      ) {
        a, b, i in
        if b.isInfinite && a.isFinite {
          // fl(M) = +∞ (M beyond the largest finite value F) while H = M/2 fits: H ≥ F/2, so a correctly
          // rounded fl(H) ≥ F/2 too (F/2 is representable), within the claimed error otherwise.
          let reaches = 2 * (a + h.errors[i]) >= FloatFacts.greatestFinite(input.dtype)
          return reaches ? .exact : .differentClass
        }
        return Compare.approximately(
          a, b, error: halvingError(b, input.dtype, probe, claimed: h.errors[i] + m.errors[i] / 2), dtype: input.dtype)
      }
    })

  static let huberAtTheBoundary = Law(
    name: "huber-at-the-boundary",
    category: .bound,
    losses: [.huberLoss],
    statement: "huber_loss(ŷ, y; δ) = ½δ² per element when every |ŷ − y| = δ exactly (both branches agree there, "
      + "so < versus ≤ is not observable)",
    tolerance: "½δ² is formed exactly (FMA residual), n·½δ² likewise for agg = sum; plus the claimed error of the "
      + "result.",
    generator: "δ a positive value (dyadic, random, tiny or huge), y over the whole exponent range, ŷ = y ± δ "
      + "(y moved to 0 where that is not exact); agg mean/sum/none",
    generate: { r, seed in
      let dtype = Gen.dtype(&r)
      let shape = Gen.shape(&r)
      let n = shape.reduce(1, *)
      let delta = r.chance(0.5) ? Double(r.int(1...64)) / 8 : Gen.value(&r, dtype, .positive)
      var y = Gen.array(&r, count: n, dtype, .real)
      var yhat = y
      for i in 0..<n {
        let sign = r.chance(0.5) ? 1.0 : -1.0
        if let v = FloatFacts.exactSum(y[i], sign * delta, dtype) {
          yhat[i] = v
        } else {
          y[i] = 0
          yhat[i] = sign * delta
        }
      }
      return LawInput(
        seed: seed, dtype: dtype, shape: shape,
        fields: [Field("yhat", yhat, kind: .fixed), Field("y", y, kind: .fixed)],
        numbers: [Number("delta", delta, kind: .fixed)],
        choices: [
          Choice("agg", r.int(0...2), options: LossCases.aggOptions),
          Choice("delta", 1, options: ["default", "given"], shrinkable: false),
        ])
    },
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      let delta = dtype.round(input[number: "delta"] ?? 1)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      for i in 0..<y.count {
        let (d, e) = FloatFacts.twoSum(yhat[i], -y[i])
        guard e == 0, d.magnitude == delta else { throw .discard("|ŷ − y| ≠ δ") }
      }
      let r = try await probe.result(LossCases.request(input, .huberLoss))
      // ½δ² by an FMA residual, exact far from the subnormals (allow two subnormal ulps there).
      let (p, e) = FloatFacts.twoProduct(delta, delta)
      let half = p / 2
      let subnormal = p.magnitude < 0x1p-960 ? 2 * Double.leastNonzeroMagnitude : 0
      let agg = LossCases.aggregation(input)
      let n = Double(y.count)
      let x: Double
      let xe: Double
      if agg == .sum {
        let (s, se) = FloatFacts.twoProduct(n, half)
        x = s
        xe = se.magnitude + n * (e.magnitude / 2 + subnormal) + (s.magnitude < 0x1p-960 ? subnormal : 0)
      } else {
        x = half
        xe = e.magnitude / 2 + subnormal
      }
      return LawKit.elementwise(
        r.values, r.values.map { _ in x }, "huber at |ŷ − y| = δ vs \(agg == .sum ? "n·" : "")½δ²", dtype: dtype
      ) {
        a, b, i in Compare.approximately(a, b, error: xe + r.errors[i], dtype: dtype)
      }
    })

  static let huberAtMostDeltaMae = Law(
    name: "huber-at-most-delta-mae",
    category: .bound,
    losses: [.huberLoss, .mae],
    statement: "huber_loss(ŷ, y; δ) ≤ δ·mae(ŷ, y) (½e² ≤ δe below δ, δ(e − δ/2) ≤ δe above)",
    tolerance: "δ·fl(A) formed exactly (FMA residual) and raised by δ·e(A); a correctly rounded huber keeps it.",
    generator: "natural huber inputs, δ from 10⁻³ to 10³ and on the boundary; agg mean/sum/none",
    generate: LawKit.natural([.huberLoss]),
    check: { input, probe throws(LawError) in
      let delta = input[choice: "delta"] == 1 ? input.dtype.round(input[number: "delta"] ?? 1) : 1
      let h = try await probe.result(LossCases.request(input, .huberLoss))
      var params = LossCases.parameters(input, .huberLoss)
      params.delta = nil
      let a = try await probe.result(
        input.request(.mae, yhat: input[field: "yhat"], y: input[field: "y"], params: params))
      return LawKit.elementwise(h.values, a.values.map { delta * $0 }, "huber ≤ δ·mae", dtype: input.dtype) { _, _, i in
        let m = a.values[i]
        let (p, e) = m.isFinite ? FloatFacts.twoProduct(delta, m) : (delta * m, 0)
        return Compare.atMost(
          h.values[i], p, error: e.magnitude + delta * a.errors[i] + probe.boundSlack(h, i, bound: p),
          dtype: input.dtype)
      }
    })

  static let maeTriangleInequality = Law(
    name: "mae-triangle-inequality",
    category: .bound,
    losses: [.mae],
    statement: "mae(a, c) ≤ mae(a, b) + mae(b, c) (elementwise and aggregated)",
    tolerance: "the right side is added exactly (TwoSum) and raised by the claimed errors of both terms; a "
      + "correctly rounded left side keeps the bound.",
    generator: "three arrays over the whole exponent range (b often equal to a or c, or between them)",
    generate: LawKit.natural([.mae]) { r, input, _ in
      let a = input[field: "yhat"]
      let c = input[field: "y"]
      let b = zip(a, c).map { x, z in
        r.weighted([(40, Gen.value(&r, input.dtype, .real)), (20, x), (20, z), (20, input.dtype.round(x / 2 + z / 2))])
      }
      input.fields.append(Field("b", b, kind: .real))
    },
    check: { input, probe throws(LawError) in
      let params = LossCases.parameters(input, .mae)
      let a = input[field: "yhat"]
      let b = input[field: "b"]
      let c = input[field: "y"]
      guard b.count == a.count else { throw .discard("misaligned fields") }
      let ac = try await probe.result(input.request(.mae, yhat: a, y: c, params: params))
      let ab = try await probe.result(input.request(.mae, yhat: a, y: b, params: params))
      let bc = try await probe.result(input.request(.mae, yhat: b, y: c, params: params))
      return LawKit.elementwise(
        ac.values, zip(ab.values, bc.values).map(+), "mae(a, c) ≤ mae(a, b) + mae(b, c)", dtype: input.dtype
      ) {
        _, _, i in
        let (s, e) =
          ab.values[i].isFinite && bc.values[i].isFinite
          ? FloatFacts.twoSum(ab.values[i], bc.values[i]) : (ab.values[i] + bc.values[i], 0)
        return Compare.atMost(
          ac.values[i], s, error: e.magnitude + ab.errors[i] + bc.errors[i] + probe.boundSlack(ac, i, bound: s),
          dtype: input.dtype)
      }
    })

  static let poissonMinimisedAtTarget = Law(
    name: "poisson-minimised-at-target",
    category: .bound,
    losses: [.poissonLoss],
    statement: "poisson_loss(ŷ, y) ≥ poisson_loss(y, y) for finite ŷ, y ≥ 0 (ŷ − y·log ŷ is minimal at ŷ = y), "
      + "elementwise and aggregated",
    tolerance: "none for correctly rounded results (monotone rounding); otherwise the claimed errors of both.",
    generator: "counts or non-negative reals as targets; predictions independent, equal, or y·(1 ± 2⁻ᵏ) (near the "
      + "minimum); zeros on either side",
    generate: LawKit.natural([.poissonLoss]) { r, input, _ in
      let y = input[field: "y"]
      if r.chance(0.5) {
        input[field: "yhat"] = y.map { v in
          let k = r.int(1...30)
          let factor = 1 + (r.chance(0.5) ? 1 : -1) * Double(sign: .plus, exponent: -k, significand: 1)
          return Gen.fit(v * factor, input.dtype).magnitude
        }
      }
    },
    check: { input, probe throws(LawError) in
      let params = LossCases.parameters(input, .poissonLoss)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      guard (yhat + y).allSatisfy({ $0 >= 0 }) else { throw .discard("negative values") }
      // ŷ = +∞ gives ∞ − y·∞ = NaN (IEEE), not the limit +∞: the law is about finite predictions.
      guard (yhat + y).allSatisfy(\.isFinite) else { throw .discard("non-finite values") }
      let p = try await probe.result(input.request(.poissonLoss, yhat: yhat, y: y, params: params))
      let best = try await probe.result(input.request(.poissonLoss, yhat: y, y: y, params: params))
      return LawKit.elementwise(p.values, best.values, "poisson(ŷ, y) ≥ poisson(y, y)", dtype: input.dtype) { a, b, i in
        Compare.atLeast(a, b, error: probe.slack(p, i) + probe.slack(best, i), dtype: input.dtype)
      }
    })

  static let perfectFitIsZero = Law(
    name: "perfect-fit-is-zero",
    category: .bound,
    losses: [.diceCoeffLoss, .tverskyLoss],
    statement: "dice_coeff_loss(y, y; smooth) = 0 (any y, unless 0/0) and tversky_loss(y, y; β) = 0 for binary y "
      + "(SEMANTICS errata 5 and 6: no absolute values, smooth and 1 added once)",
    tolerance: "exactly 0 for a correctly rounded result; otherwise its claimed error.",
    generator: "dice: targets over [0, 1], labels or any non-negative values, smooth default, 0, or given; tversky: "
      + "0/1 labels, β default or given",
    generate: LawKit.natural([.diceCoeffLoss, .tverskyLoss]) { r, input, loss in
      if loss == .tverskyLoss {
        input[field: "y"] = Gen.array(&r, count: input.count, input.dtype, .label01)
        if let i = input.fields.firstIndex(where: { $0.name == "y" }) { input.fields[i].kind = .label01 }
      }
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let y = input[field: "y"]
      let params = LossCases.parameters(input, loss)
      if loss == .diceCoeffLoss, params.smooth == 0, y.allSatisfy({ $0 == 0 }) { throw .discard("0/0") }
      if loss == .tverskyLoss, !y.allSatisfy({ $0 == 0 || $0 == 1 }) { throw .discard("non-binary targets") }
      let r = try await probe.result(input.request(loss, yhat: y, y: y, params: params))
      let d = Compare.approximately(r.values[0], 0, error: probe.slack(r, 0), dtype: input.dtype)
      return .judge(d, "\(loss.rawValue)(y, y) = \(LawKit.show(r.values[0], input.dtype)) — \(LawKit.show(d))")
    })

  /// `lower ≤ r ≤ upper` for a scalar result.
  static func within(_ r: Probe.Result, _ lower: Double, _ upper: Double, _ what: String, _ probe: Probe) -> Finding {
    let v = r.values[0]
    let low = Compare.atLeast(v, lower, error: probe.slack(r, 0), dtype: r.dtype)
    let high = Compare.atMost(v, upper, error: probe.slack(r, 0), dtype: r.dtype)
    return .all([
      (low, "\(what) = \(LawKit.show(v, r.dtype)) ≥ \(LawKit.show(lower, r.dtype)) — \(LawKit.show(low))"),
      (high, "\(what) = \(LawKit.show(v, r.dtype)) ≤ \(LawKit.show(upper, r.dtype)) — \(LawKit.show(high))"),
    ])
  }

  static let diceWithinUnitInterval = Law(
    name: "dice-within-unit-interval",
    category: .bound,
    losses: [.diceCoeffLoss],
    statement: "0 ≤ dice_coeff_loss(ŷ, y; smooth) ≤ 1 for ŷ, y ≥ 0 and smooth ≥ 0 (2Σyŷ ≤ Σy² + Σŷ²)",
    tolerance: "none for a correctly rounded result (0 and 1 are representable); otherwise its claimed error.",
    generator: "natural dice inputs: [0, 1], labels, non-negative values over the whole exponent range, perfect "
      + "fits; smooth default, 0, ½, 2, 10⁻⁵ or random",
    generate: LawKit.natural([.diceCoeffLoss]),
    check: { input, probe throws(LawError) in
      let params = LossCases.parameters(input, .diceCoeffLoss)
      let values = input[field: "yhat"] + input[field: "y"]
      guard values.allSatisfy({ $0 >= 0 }) else { throw .discard("negative values") }
      if (params.smooth ?? 1) == 0 && values.allSatisfy({ $0 == 0 }) { throw .discard("0/0") }
      let r = try await probe.result(LossCases.request(input, .diceCoeffLoss))
      return within(r, 0, 1, "dice_coeff_loss", probe)
    })

  static let tverskyWithinUnitInterval = Law(
    name: "tversky-within-unit-interval",
    category: .bound,
    losses: [.tverskyLoss],
    statement: "0 ≤ tversky_loss(ŷ, y; β) ≤ 1 for ŷ, y ∈ [0, 1] and β ∈ [0, 1] (every denominator term is at "
      + "least yŷ ≥ 0)",
    tolerance: "none for a correctly rounded result; otherwise its claimed error.",
    generator: "ŷ and y in [0, 1] (labels, tiny, 1 − tiny), β default, 0, ½, 1 or random",
    generate: LawKit.natural([.tverskyLoss]) { r, input, _ in
      if let i = input.fields.firstIndex(where: { $0.name == "yhat" }), input.fields[i].kind != .unit {
        input.fields[i] = Field("yhat", Gen.array(&r, count: input.count, input.dtype, .unit), kind: .unit)
      }
    },
    check: { input, probe throws(LawError) in
      let values = input[field: "yhat"] + input[field: "y"]
      guard values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw .discard("values outside [0, 1]") }
      let r = try await probe.result(LossCases.request(input, .tverskyLoss))
      return within(r, 0, 1, "tversky_loss", probe)
    })
}
