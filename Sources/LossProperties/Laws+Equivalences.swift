import Foundation
import LossCore

/// Equivalences: two formulas of SEMANTICS.md that are equal in exact arithmetic.
extension Catalogue {
  static let equivalences: [Law] = [
    logitcrossentropyIsCrossentropyOfSoftmax,
    logitbinarycrossentropyIsBinarycrossentropyOfSigmoid,
    binarycrossentropyIsTwoClassCrossentropy,
    kldivergenceIsCrossentropyMinusEntropy,
    kldivergenceIsCrossentropyOnLabels,
    tverskyHalfIsDiceSmoothTwo,
    epsilonIsAShiftOfThePrediction,
    scalarTargetBroadcasts,
    hingeDependsOnlyOnTheMargin,
  ]

  /// Softmax over the groups of `dims`, in Double, each element within a relative `2⁻⁴⁹` of the
  /// exact softmax of the given values.
  ///
  /// `x − m` is split exactly by TwoSum (`t + t′`); `exp(t)·(1 + t′)` errs by at most 2 ulps
  /// (glibc's `exp` is within 1 ulp, the product and the dropped `t′²/2` another) = `4u`; the
  /// accurate sum adds `2u`, the division `u`: `7u < 2⁻⁴⁹ = 16u` with `u = 2⁻⁵³`. Elements below
  /// the normal range lose that relative bound; the law never uses them (their targets are set
  /// to 0).
  static func softmax(_ x: [Double], shape: [Int], dims: [Int]) -> [Double] {
    let (index, count) = Gen.columns(shape, groupDims: dims)
    var maxima = [Double](repeating: -.infinity, count: count)
    for (i, c) in index.enumerated() { maxima[c] = Swift.max(maxima[c], x[i]) }
    var e = [Double](repeating: 0, count: x.count)
    var groups = [[Double]](repeating: [], count: count)
    for (i, c) in index.enumerated() {
      let (t, tail) = FloatFacts.twoSum(x[i], -maxima[c])
      e[i] = Foundation.exp(t) * (1 + tail)
      groups[c].append(e[i])
    }
    let sums = groups.map { AccurateSum($0).value }
    return e.enumerated().map { $0.element / sums[index[$0.offset]] }
  }

  static let logitcrossentropyIsCrossentropyOfSoftmax = Law(
    name: "logitcrossentropy-is-crossentropy-of-softmax",
    category: .equivalence,
    losses: [.logitcrossentropy, .crossentropy],
    statement:
      "logitcrossentropy(x, y; dims, weight, agg) = crossentropy(softmax(x; dims), y; dims, weight, agg, ϵ = 0) "
      + "(SEMANTICS erratum 2: softmax of x, not of log x)",
    tolerance: """
      softmax(x) is computed in Double within a relative 2⁻⁴⁹ and rounded to the dtype: s = softmax·(1 + δ), \
      |δ| ≤ ρ = u_T + 2⁻⁴⁹ (u_T = 2⁻²⁴ for Float32, 0 for Float64: the Double is the input). Then \
      −w·y·log s differs from −w·y·log softmax by |w·y|·|log(1 + δ)| ≤ |w·y|·ρ/(1 − ρ); summed per column and \
      aggregated like the loss, plus ½ ulp for the rounding of each of the two results. Targets whose rounded \
      softmax is subnormal or zero are set to 0 (the relative bound fails there).
      """,
    generator: "natural logitcrossentropy inputs: logits with spreads up to 10³⁰, probability/label/unit targets, "
      + "all dims options, weights (scalar, per class, full), agg mean/sum/none",
    generate: LawKit.natural([.logitcrossentropy]),
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      let x = input[field: "yhat"]
      var y = input[field: "y"]
      let dims = LossCases.dims(input)
      let rho = (dtype == .float32 ? dtype.unitRoundoff : 0) + 0x1p-49
      let s = softmax(x, shape: input.shape, dims: dims).map { dtype.round($0) }
      for i in 0..<y.count where y[i] != 0 && !(s[i] >= FloatFacts.leastNormal(dtype)) { y[i] = 0 }
      let params = LossCases.parameters(input, .logitcrossentropy)
      var ceParams = params
      ceParams.eps = 0
      let l = try await probe.result(input.request(.logitcrossentropy, yhat: x, y: y, params: params))
      let c = try await probe.result(input.request(.crossentropy, yhat: s, y: y, params: ceParams))
      let w = LawKit.weights(input, .logitcrossentropy)
      let perElement = (0..<y.count).map { (w[$0] * y[$0]).magnitude * rho / (1 - rho) * (1 + 0x1p-40) }
      let bounds = LawKit.aggregate(
        LawKit.perColumn(perElement, shape: input.shape, dims: dims), LossCases.aggregation(input))
      return LawKit.elementwise(l.values, c.values, "logitcrossentropy vs crossentropy∘softmax", dtype: dtype) {
        a, b, i in
        Compare.approximately(
          a, b, error: bounds[Swift.min(i, bounds.count - 1)] + l.errors[i] + c.errors[i], dtype: dtype)
      }
    })

  static let logitbinarycrossentropyIsBinarycrossentropyOfSigmoid = Law(
    name: "logitbinarycrossentropy-is-binarycrossentropy-of-sigmoid",
    category: .equivalence,
    losses: [.logitbinarycrossentropy, .binarycrossentropy],
    statement:
      "logitbinarycrossentropy(x, y; agg) = binarycrossentropy(σ(x), y; agg, ϵ = 0) (SEMANTICS erratum 3: σ(x), not σ(log x))",
    tolerance: """
      σ(x) and 1 − σ(x) = σ(−x) are computed in Double within a relative 2⁻⁵⁰ plus 2⁻¹⁰⁷³ absolute \
      (subnormal results); s = σ(x) rounded to the dtype errs \
      by e ≤ ½ulp_T(s) + 2⁻⁵⁰σ (Float64: the second term only). binarycrossentropy uses log s and log(1 − s) \
      exactly, so each element differs by at most |y|·δ/(1 − δ) + |1 − y|·δ′/(1 − δ′) with δ = e/σ(x), \
      δ′ = e/σ(−x); aggregated like the loss, plus ½ ulp for each result. Where δ or δ′ exceeds ¼ (s rounds to \
      0 or 1), y is set to 0 or 1 so that the ill-conditioned logarithm has weight 0.
      """,
    generator: "logits uniform in ±12 (Float32) or ±30 (Float64), 30% with spreads up to 10³⁰; 0/1 labels or "
      + "targets in [0, 1]; agg mean/sum/none",
    generate: { r, seed in
      let dtype = Gen.dtype(&r)
      let shape = Gen.shape(&r, maxCount: 48)
      let n = shape.reduce(1, *)
      let limit = dtype == .float32 ? 12.0 : 30.0
      let x =
        r.chance(0.7)
        ? (0..<n).map { _ in Gen.fit(Double.random(in: -limit...limit, using: &r), dtype) }
        : Gen.logits(&r, count: n, dtype)
      let yKind: ValueKind = r.chance(0.6) ? .label01 : .unit
      return LawInput(
        seed: seed, dtype: dtype, shape: shape,
        fields: [Field("yhat", x, kind: .real), Field("y", Gen.array(&r, count: n, dtype, yKind), kind: yKind)],
        choices: [Choice("agg", r.int(0...2), options: LossCases.aggOptions)])
    },
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      let x = input[field: "yhat"]
      var y = input[field: "y"]
      let rhoD = 0x1p-50
      var s = [Double](repeating: 0, count: x.count)
      var bound = [Double](repeating: 0, count: x.count)
      for i in 0..<x.count {
        let e = Foundation.exp(-x[i].magnitude)
        let (sigma, complement) = x[i] >= 0 ? (1 / (1 + e), e / (1 + e)) : (e / (1 + e), 1 / (1 + e))
        s[i] = dtype.round(sigma)
        // + 2⁻¹⁰⁷³ absolute: e^−|x| and the quotient may be subnormal Doubles (x < −708).
        let error =
          (dtype == .float32 ? FloatFacts.halfUlp(s[i], dtype) : 0) + rhoD * sigma * (1 + 0x1p-40)
          + 2 * Double.leastNonzeroMagnitude
        let delta = error / (sigma * (1 - rhoD))
        let deltaC = error / (complement * (1 - rhoD))
        if s[i] == 0 || !(delta < 0.25) { y[i] = 0 }
        if s[i] == 1 || !(deltaC < 0.25) { y[i] = 1 }
        let a = y[i] == 0 ? 0 : y[i].magnitude * delta / (1 - delta)
        let b = y[i] == 1 ? 0 : (1 - y[i]).magnitude * deltaC / (1 - deltaC)
        bound[i] = (a + b) * (1 + 0x1p-40)
      }
      let agg = LossCases.aggregation(input)
      let params = LossParameters(agg: agg == .mean ? nil : agg)
      var bceParams = params
      bceParams.eps = 0
      let l = try await probe.result(input.request(.logitbinarycrossentropy, yhat: x, y: y, params: params))
      let c = try await probe.result(input.request(.binarycrossentropy, yhat: s, y: y, params: bceParams))
      let bounds = LawKit.aggregate(bound, agg)
      return LawKit.elementwise(l.values, c.values, "logitbinarycrossentropy vs binarycrossentropy∘σ", dtype: dtype) {
        a, b, i in
        Compare.approximately(
          a, b, error: bounds[Swift.min(i, bounds.count - 1)] + l.errors[i] + c.errors[i], dtype: dtype)
      }
    })

  static let binarycrossentropyIsTwoClassCrossentropy = Law(
    name: "binarycrossentropy-is-two-class-crossentropy",
    category: .equivalence,
    losses: [.binarycrossentropy, .crossentropy],
    statement:
      "binarycrossentropy(ŷ, y; ϵ, agg) = crossentropy([ŷ; 1 − ŷ], [y; 1 − y]; ϵ, agg) (two classes along dims = 1)",
    tolerance: """
      exact identity: ŷ and y are chosen with 1 − ŷ and 1 − y exact in the dtype, so both sides have the same exact \
      value; a correctly rounded implementation returns the same number (any other: within its ulps of each).
      """,
    generator: "ŷ in [0, 1] (0, 1, tiny, 1 − tiny, dyadic), y 0/1 labels or in [0, 1], both moved to multiples of "
      + "2⁻ᵖ so the complements are exact; ϵ default, 0 or given; agg mean/sum/none; rank 1–2",
    generate: { r, seed in
      let dtype = Gen.dtype(&r)
      let shape = Gen.shape(&r, maxCount: 32, maxRank: 2)
      var input = LossCases.draw(&r, seed: seed, loss: .binarycrossentropy, dtype: dtype, shape: shape)
      input[field: "yhat"] = input[field: "yhat"].map { LawKit.complementable($0, dtype) }
      input[field: "y"] = input[field: "y"].map { LawKit.complementable($0, dtype) }
      return input
    },
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      var p: [Double] = []
      var t: [Double] = []
      for i in 0..<yhat.count {
        guard let a = FloatFacts.exactSum(1, -yhat[i], dtype), let b = FloatFacts.exactSum(1, -y[i], dtype) else {
          throw .discard("1 − ŷ or 1 − y is not exact")
        }
        p += [yhat[i], a]
        t += [y[i], b]
      }
      let params = LossCases.parameters(input, .binarycrossentropy)
      let bce = input.request(.binarycrossentropy, yhat: yhat, y: y, params: params)
      let ce = input.request(.crossentropy, yhat: p, y: t, shape: [2] + input.shape, params: params)
      return await probe.same(bce, ce, "binarycrossentropy vs two-class crossentropy")
    })

  static let kldivergenceIsCrossentropyMinusEntropy = Law(
    name: "kldivergence-is-crossentropy-minus-entropy",
    category: .equivalence,
    losses: [.kldivergence, .crossentropy],
    statement:
      "kldivergence(ŷ, y; ϵ, dims, agg) = crossentropy(ŷ, y; ϵ, dims, agg) − crossentropy(y, y; ϵ = 0, dims, agg)",
    tolerance: """
      exact identity (crossentropy(y, y; ϵ = 0) = −agg(Σ xlogx(y))); the three results are each rounded, so the \
      observed KL may differ from C₁ − C₂ (computed exactly by TwoSum) by ½ ulp of each of KL, C₁, C₂.
      """,
    generator: "natural kldivergence inputs: probability columns (one-hot, Dirichlet-like, nearly degenerate) or "
      + "values in [0, 1], every dims option, ϵ default/0/given, agg mean/sum/none",
    generate: LawKit.natural([.kldivergence]),
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      let params = LossCases.parameters(input, .kldivergence)
      var entropyParams = params
      entropyParams.eps = 0
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      let kl = try await probe.result(input.request(.kldivergence, yhat: yhat, y: y, params: params))
      let c1 = try await probe.result(input.request(.crossentropy, yhat: yhat, y: y, params: params))
      let c2 = try await probe.result(input.request(.crossentropy, yhat: y, y: y, params: entropyParams))
      guard c1.count == c2.count, kl.count == c1.count else { throw .unexpected("results of different sizes") }
      var difference: [Double] = []
      var errors: [Double] = []
      for i in 0..<c1.count {
        let (a, b) = (c1.values[i], c2.values[i])
        let (d, e) = a.isFinite && b.isFinite ? FloatFacts.twoSum(a, -b) : (a - b, 0)
        difference.append(d)
        errors.append(e.magnitude + kl.errors[i] + c1.errors[i] + c2.errors[i])
      }
      return LawKit.elementwise(kl.values, difference, "KL vs C₁ − C₂", dtype: dtype) { a, b, i in
        Compare.approximately(a, b, error: errors[i], dtype: dtype)
      }
    })

  static let kldivergenceIsCrossentropyOnLabels = Law(
    name: "kldivergence-is-crossentropy-on-0-1-targets",
    category: .equivalence,
    losses: [.kldivergence, .crossentropy],
    statement: "kldivergence(ŷ, y; ϵ, dims, agg) = crossentropy(ŷ, y; ϵ, dims, agg) when every y is 0 or 1 "
      + "(xlogx(0) = xlogx(1) = 0: one-hot targets have no entropy)",
    tolerance: "exact identity: the same exact value, so the same correctly rounded result.",
    generator: "natural kldivergence predictions; targets 0/1 labels (one-hot columns among them); every dims "
      + "option; ϵ default/0/given; agg mean/sum/none",
    generate: LawKit.natural([.kldivergence]) { r, input, _ in
      if let i = input.fields.firstIndex(where: { $0.name == "y" }) {
        if r.chance(0.5) {
          let dims = LossCases.dims(input)
          input.fields[i] = Field(
            "y", Gen.probabilityColumns(&r, shape: input.shape, groupDims: dims, input.dtype).map { $0 == 1 ? 1 : 0 },
            kind: .label01)
        } else {
          input.fields[i] = Field("y", Gen.array(&r, count: input.count, input.dtype, .label01), kind: .label01)
        }
      }
    },
    check: { input, probe throws(LawError) in
      let params = LossCases.parameters(input, .kldivergence)
      let kl = input.request(.kldivergence, yhat: input[field: "yhat"], y: input[field: "y"], params: params)
      var ce = kl
      ce.loss = .crossentropy
      return await probe.same(kl, ce, "kldivergence vs crossentropy")
    })

  static let tverskyHalfIsDiceSmoothTwo = Law(
    name: "tversky-half-is-dice-smooth-two",
    category: .equivalence,
    losses: [.tverskyLoss, .diceCoeffLoss],
    statement: "tversky_loss(ŷ, y; β = ½) = dice_coeff_loss(ŷ, y; smooth = 2) on binary data "
      + "(both are 1 − (2Σyŷ + 2)/(Σy + Σŷ + 2) when y² = y and ŷ² = ŷ)",
    tolerance: "exact identity: the same exact value, so the same correctly rounded result.",
    generator: "ŷ and y of 0/1 values, random shapes up to 64 elements, Float32 and Float64",
    generate: { r, seed in
      let dtype = Gen.dtype(&r)
      let shape = Gen.shape(&r)
      let n = shape.reduce(1, *)
      let yhat = Gen.array(&r, count: n, dtype, .label01)
      let y = r.chance(0.2) ? yhat : Gen.array(&r, count: n, dtype, .label01)
      return LawInput(
        seed: seed, dtype: dtype, shape: shape,
        fields: [Field("yhat", yhat, kind: .label01), Field("y", y, kind: .label01)])
    },
    check: { input, probe throws(LawError) in
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      let tversky = input.request(.tverskyLoss, yhat: yhat, y: y, params: LossParameters(beta: 0.5))
      let dice = input.request(.diceCoeffLoss, yhat: yhat, y: y, params: LossParameters(smooth: 2))
      return await probe.same(tversky, dice, "tversky(β = ½) vs dice(smooth = 2)")
    })

  static let epsilonIsAShiftOfThePrediction = Law(
    name: "epsilon-is-a-shift-of-the-prediction",
    category: .equivalence,
    losses: [.crossentropy, .kldivergence, .msle],
    statement: "L(ŷ, y; ϵ) = L(ŷ + ϵ, y; ϵ = 0) for crossentropy and kldivergence; "
      + "msle(ŷ, y; ϵ) = msle(ŷ + ϵ, y + ϵ; ϵ = 0) (ϵ is added inside the logarithm, after ofeltype)",
    tolerance: """
      exact identity when ŷ + ϵ (and y + ϵ) are exact in the dtype: the inputs are moved to multiples of ϵ's last \
      bit so they are; the same exact value gives the same correctly rounded result.
      """,
    generator: "natural inputs of the three losses; ϵ the default eps(T) or a given value (0.1, 2⁻¹⁰, 10⁻⁷, …); "
      + "predictions 0 (one-hot columns) are common, where a missing ϵ shows",
    generate: LawKit.natural([.crossentropy, .kldivergence, .msle]) { _, input, loss in
      if let i = input.choices.firstIndex(where: { $0.name == "eps" }), input.choices[i].value == 1 {
        input.choices[i].value = 0
      }
      let eps = resolvedEpsilon(input)
      input[field: "yhat"] = input[field: "yhat"].map { LawKit.shiftable($0, by: eps, input.dtype) }
      if loss == .msle { input[field: "y"] = input[field: "y"].map { LawKit.shiftable($0, by: eps, input.dtype) } }
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let dtype = input.dtype
      let eps = resolvedEpsilon(input)
      func shifted(_ xs: [Double]) throws(LawError) -> [Double] {
        var out: [Double] = []
        for x in xs {
          guard let s = FloatFacts.exactSum(x, eps, dtype) else { throw .discard("x + ϵ is not exact") }
          out.append(s)
        }
        return out
      }
      let params = LossCases.parameters(input, loss)
      var zero = params
      zero.eps = 0
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      let left = input.request(loss, yhat: yhat, y: y, params: params)
      let right = input.request(loss, yhat: try shifted(yhat), y: loss == .msle ? try shifted(y) : y, params: zero)
      return await probe.same(left, right, "\(loss.rawValue)(ŷ; ϵ) vs \(loss.rawValue)(ŷ + ϵ; 0)")
    })

  /// The `ϵ` an input resolves to: the given value or `eps(T)`, in the dtype.
  static func resolvedEpsilon(_ input: LawInput) -> Double {
    switch input[choice: "eps"] {
    case 1: 0
    case 2: input.dtype.round(input[number: "eps"] ?? input.dtype.machineEpsilon)
    default: input.dtype.machineEpsilon
    }
  }

  static let scalarTargetBroadcasts = Law(
    name: "scalar-target-broadcasts",
    category: .equivalence,
    losses: LossID.allCases,
    statement: "L(ŷ, c) = L(ŷ, fill(c, size(ŷ))) for a number c, every loss and its parameters",
    tolerance: "exact identity: the same exact value, so the same correctly rounded result.",
    generator:
      "natural inputs of each of the fourteen losses; c drawn from the target's domain (labels, [0, 1], reals)",
    generate: LawKit.natural(LossID.allCases) { r, input, _ in
      let kind = input.fields.first { $0.name == "y" }?.kind ?? .real
      let scalarKind: ValueKind
      switch kind {
      case .probability: scalarKind = .unit
      default: scalarKind = kind
      }
      input.numbers.append(Number("c", Gen.value(&r, input.dtype, scalarKind), kind: scalarKind))
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let c = input[number: "c"] ?? 0
      let params = LossCases.parameters(input, loss)
      let yhat = input[field: "yhat"]
      let scalar = input.request(loss, yhat: yhat, scalarY: c, params: params)
      let filled = input.request(loss, yhat: yhat, y: [Double](repeating: c, count: yhat.count), params: params)
      return await probe.same(scalar, filled, "\(loss.rawValue)(ŷ, c) vs \(loss.rawValue)(ŷ, fill(c))")
    })

  static let hingeDependsOnlyOnTheMargin = Law(
    name: "hinge-depends-only-on-the-margin",
    category: .equivalence,
    losses: [.hinge, .squaredHinge],
    statement: "hinge(ŷ, y) = hinge(ŷ ⊙ y, 1) and squared_hinge likewise, for labels y ∈ {−1, 1}",
    tolerance: "exact identity (ŷ ⊙ y only flips signs): the same correctly rounded result.",
    generator: "natural hinge inputs (values over the whole exponent range, margins placed on ŷ·y = 1) with ±1 labels",
    generate: LawKit.natural([.hinge, .squaredHinge]) { r, input, _ in
      if let i = input.fields.firstIndex(where: { $0.name == "y" }) {
        input.fields[i] = Field("y", Gen.array(&r, count: input.count, input.dtype, .labelPM1), kind: .labelPM1)
      }
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let params = LossCases.parameters(input, loss)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      guard y.allSatisfy({ $0 == 1 || $0 == -1 }) else { throw .discard("labels are not ±1") }
      let margins = zip(yhat, y).map { $0 * $1 }
      let left = input.request(loss, yhat: yhat, y: y, params: params)
      let right = input.request(loss, yhat: margins, scalarY: 1, params: params)
      return await probe.same(left, right, "\(loss.rawValue)(ŷ, y) vs \(loss.rawValue)(ŷ⊙y, 1)")
    })
}
