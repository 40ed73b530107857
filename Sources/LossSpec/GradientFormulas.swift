import LossCore

/// The derivatives of the fourteen literal formulas of ``Formulas`` (SEMANTICS.md, "Gradients"),
/// derived by hand, over ``ExtendedReal``s at one working precision.
///
/// Each loss is `agg(t_k)` (or a scalar for dice and tversky). With `f_k` the aggregation's factor
/// of the unreduced element `k` (`1/N` for `mean` over `N` elements, `1` for `sum`, the
/// cotangent `c_k` for `none`), `∂L/∂ŷ_i = Σ_k f_k ∂t_k/∂ŷ_i`; for the elementwise losses `t_k`
/// depends on `ŷ_k` and `y_k` only, for the class-reducing losses (crossentropy,
/// logitcrossentropy, kldivergence) `k` is the group of `i` over `dims`.
///
/// The **error scale** of an element is `|f|·Σ_j |p_j|`, where the `p_j` are the summands the
/// derivative formula of that loss is written as (listed per loss below): a backward-stable
/// evaluation of the formula errs by a small multiple of `u·S` (each summand carries a few
/// relative roundings of its own, the sum adds one per summand). A non-finite summand gives `+∞`.
struct GradientFormulas {
  let request: LossRequest
  let y: [Double]
  let params: ResolvedParameters
  let precision: Int
  /// The cotangent (`agg = none`), already validated.
  let cotangent: [Double]?
  var deadline: Deadline? = nil

  /// One derivative: a value (`lower == upper`), or a kink's one-sided derivatives (unordered
  /// until the factor's sign is applied), with its error scale.
  struct Local {
    var lower: ExtendedReal
    var upper: ExtendedReal
    var kink: Bool
    var magnitude: Double

    static func kink(_ a: ExtendedReal, _ b: ExtendedReal) -> Local {
      Local(lower: a, upper: b, kink: true, magnitude: Swift.max(approx(a), approx(b)))
    }

    static func value(_ v: ExtendedReal, magnitude: Double) -> Local {
      Local(lower: v, upper: v, kink: false, magnitude: magnitude)
    }

    /// `Σ parts`, with scale `Σ |parts|`.
    static func sum(_ parts: [ExtendedReal], precision: Int) -> Local {
      var total = ExtendedReal.exact(0, precision: precision)
      var magnitude = 0.0
      for p in parts {
        total = total + p
        magnitude += approx(p)
      }
      return value(total, magnitude: magnitude)
    }

    /// `f · self / divisor`, a kink's ends ordered so that `lower ≤ upper` (`f` is an exact value;
    /// `sign` its sign).
    ///
    /// The mean's `1/N` is a division, not a product with a rounded reciprocal: an exact term
    /// divided by `N` stays exact when the quotient is dyadic, so an exact tie between two values
    /// of the dtype (frequent in BFloat16: mse's ∂ŷ = 2(ŷ − y)/36 = 0.998046875, halfway between
    /// 0.99609375 and 1) is decided and rounded to even instead of staying a ball that straddles
    /// the midpoint at every precision.
    func scaled(by f: ExtendedReal, sign: Double, dividedBy divisor: Int = 1) throws -> Local {
      var a = try lower * f
      var b = try upper * f
      if divisor != 1 {
        let d = ExtendedReal.exact(divisor, precision: Self.precision(of: a, b))
        a = try a / d
        b = try b / d
      }
      if kink && sign < 0 { swap(&a, &b) }
      return Local(lower: a, upper: b, kink: kink, magnitude: magnitude * abs(approx(f)) / Double(divisor))
    }

    /// The working precision of the balls among `values` (any finite one's), 64 otherwise.
    private static func precision(of values: ExtendedReal...) -> Int {
      for v in values { if case .finite(let ball) = v { return ball.precision } }
      return 64
    }
  }

  /// `|x|` as a Double estimate, `+∞` for a non-finite value.
  static func approx(_ x: ExtendedReal) -> Double {
    if case .finite(let b) = x { return abs(b.mid.approximation) }
    return .infinity
  }

  private var n: Int { request.yhat.count }
  private var shape: Shape { request.termShape }
  private func real(_ x: Double) -> ExtendedReal { ExtendedReal(x, precision: precision) }
  private var zero: ExtendedReal { .exact(0, precision: precision) }
  private var one: ExtendedReal { .exact(1, precision: precision) }

  private func checkDeadline(_ i: Int) throws(LossEvaluationError) {
    if i & 63 == 0, let deadline, deadline.isExpired { throw .budgetExceeded }
  }

  /// The derivatives with respect to each element of ŷ and (when `withTarget`) of y, one per
  /// term (ŷ's element count), aggregation factors applied.
  func evaluate(withTarget: Bool) throws -> (yhat: [Local], y: [Local]) {
    let yhat = request.yhat.values
    var dyhat: [Local] = []
    var dy: [Local] = []
    dyhat.reserveCapacity(n)
    if withTarget { dy.reserveCapacity(n) }
    // The factor of each unreduced element, and which unreduced element each term feeds.
    let groupOf: [Int]
    let groups: Int
    switch params.loss {
    case .crossentropy, .logitcrossentropy, .kldivergence:
      let reduction = Reduction(shape, dims: params.dims)
      groupOf = reduction.outputIndices()
      groups = reduction.output.count
    default:
      groupOf = Array(0..<n)
      groups = n
    }
    // (factor, its sign, divisor): the mean divides by the group count (exactly, see
    // `Local.scaled(by:sign:dividedBy:)`).
    let factors: [(ExtendedReal, Double, Int)] = (0..<groups).map { k in
      if let cotangent { return (real(cotangent[k]), cotangent[k], 1) }
      // dice and tversky have no aggregation: each term is summed once into the scalar.
      if case .diceCoeffLoss = params.loss { return (one, 1, 1) }
      if case .tverskyLoss = params.loss { return (one, 1, 1) }
      switch params.agg {
      case .mean: return (one, 1, Swift.max(groups, 1))
      case .sum, .none: return (one, 1, 1)
      }
    }
    let weights = weightValues()
    func push(_ i: Int, _ a: Local, _ b: @autoclosure () throws -> Local) throws {
      let (f, s, d) = factors[groupOf[i]]
      dyhat.append(try a.scaled(by: f, sign: s, dividedBy: d))
      if withTarget { dy.append(try b().scaled(by: f, sign: s, dividedBy: d)) }
    }
    func sum(_ parts: ExtendedReal...) -> Local { Local.sum(parts, precision: precision) }

    switch params.loss {
    case .mae:
      // t = |ŷ − y|: ∂t/∂ŷ = sign(ŷ − y), ∂t/∂y = −sign(ŷ − y); at ŷ = y the kink [−1, 1] for
      // both. NaN difference: NaN; ±∞: ±1 (IEEE sign). Scale: 1.
      for i in 0..<n {
        try checkDeadline(i)
        let e = real(yhat[i]) - real(y[i])
        let local: Local
        switch try e.sign() {
        case nil: local = .value(.nan, magnitude: .infinity)
        case 0: local = .kink(.exact(-1, precision: precision), one)
        case let s?: local = .value(.exact(s, precision: precision), magnitude: 1)
        }
        try push(i, local, local.kink ? local : Local.value(-local.lower, magnitude: local.magnitude))
      }
    case .mse:
      // t = (ŷ − y)²: ∂t/∂ŷ = 2(ŷ − y), ∂t/∂y = −2(ŷ − y). Summand: 2(ŷ − y).
      let two = ExtendedReal.exact(2, precision: precision)
      for i in 0..<n {
        try checkDeadline(i)
        let g = try two * (real(yhat[i]) - real(y[i]))
        try push(i, sum(g), sum(-g))
      }
    case .msle(let epsValue):
      // t = l², l = log((ŷ + ϵ)/(y + ϵ)): ∂t/∂ŷ = 2l/(ŷ + ϵ), ∂t/∂y = −2l/(y + ϵ) (the
      // logarithm's derivative; l exactly as the value computes it). Summand: the product.
      let eps = real(epsValue)
      let two = ExtendedReal.exact(2, precision: precision)
      for i in 0..<n {
        try checkDeadline(i)
        let a = real(yhat[i]) + eps
        let b = real(y[i]) + eps
        let l = try logRatio(a, b)
        try push(i, sum(try two * l / a), sum(-(try two * l / b)))
      }
    case .huberLoss(let deltaValue):
      // e = ŷ − y; |e| < δ: t = e²/2, ∂t/∂ŷ = e; else t = δ(|e| − δ/2), ∂t/∂ŷ = δ·sign(e)
      // (equal at |e| = δ: no kink). ∂t/∂y = −∂t/∂ŷ. Summand: the derivative itself.
      let delta = real(deltaValue)
      for i in 0..<n {
        try checkDeadline(i)
        let e = real(yhat[i]) - real(y[i])
        let g: ExtendedReal
        switch try e.magnitude() {
        case .nan: g = .nan
        case .finite(let b) where b.mid < Dyadic(deltaValue): g = e
        default: g = try delta * .exact(try e.sign()!, precision: precision)
        }
        try push(i, sum(g), sum(-g))
      }
    case .crossentropy, .kldivergence:
      // crossentropy t_k = −Σ_{i∈k} w_i·xlogy(y_i, ŷ_i + ϵ): ∂/∂ŷ_i = −w_i·y_i/(ŷ_i + ϵ), and
      // exactly −w_i·0 where y_i = 0 (xlogy is identically 0 there); ∂/∂y_i = −w_i·log(ŷ_i + ϵ).
      // kldivergence adds agg(Σ xlogx(y)) (the same groups, so the same factors):
      // ∂/∂ŷ_i as crossentropy, ∂/∂y_i += log(y_i) + 1. Summands: those products, and
      // log(y_i), 1.
      let eps = real(params.eps)
      let isKL = request.loss == .kldivergence
      for i in 0..<n {
        try checkDeadline(i)
        let yi = real(y[i])
        let a = real(yhat[i]) + eps
        let w = weights(i)
        let q = yi.isExactZero ? zero : try yi / a
        let gyhat = sum(-(try w * q))
        try push(
          i, gyhat,
          try {
            let la = try a.log("∂/∂y of xlogy(y, ŷ + ϵ)")
            let cross = -(try w * la)
            if isKL { return sum(try yi.log("∂/∂y of xlogx(y)"), one, cross) }
            return sum(cross)
          }())
      }
    case .logitcrossentropy:
      // t_k = −Σ_{i∈k} w_i y_i ls_i, ls = logsoftmax: ∂ls_i/∂ŷ_j = δ_ij − softmax_j, so
      // ∂t_k/∂ŷ_j = softmax_j·Σ_{i∈k} w_i y_i − w_j y_j, ∂t_k/∂y_j = −w_j·ls_j. softmax and ls
      // use NNlib's rule for an infinite maximum (as the value does). Summands: the two
      // products; the one product.
      let x = yhat
      var maxima = [Double](repeating: -.infinity, count: groups)
      for (i, g) in groupOf.enumerated() {
        if x[i].isNaN || maxima[g].isNaN {
          maxima[g] = .nan
        } else if x[i] > maxima[g] {
          maxima[g] = x[i]
        }
      }
      var shifted: [ExtendedReal] = []
      shifted.reserveCapacity(n)
      for i in 0..<n {
        let m = maxima[groupOf[i]]
        if m == .infinity {
          shifted.append(x[i] == .infinity ? zero : .infinity(sign: -1))
        } else {
          shifted.append(real(x[i]) - real(m))
        }
      }
      let exps = shifted.map { $0.exp() }
      var sums = [ExtendedReal](repeating: zero, count: groups)
      var wy = [ExtendedReal](repeating: zero, count: groups)
      var wyi: [ExtendedReal] = []
      wyi.reserveCapacity(n)
      for i in 0..<n {
        try checkDeadline(i)
        let g = groupOf[i]
        sums[g] = sums[g] + exps[i]
        let p = try weights(i) * real(y[i])
        wyi.append(p)
        wy[g] = wy[g] + p
      }
      var logs: [ExtendedReal] = []
      for s in sums { logs.append(try s.log("logsoftmax normaliser")) }
      for i in 0..<n {
        try checkDeadline(i)
        let g = groupOf[i]
        let softmax = try exps[i] / sums[g]
        try push(
          i, sum(try softmax * wy[g], -wyi[i]),
          sum(-(try weights(i) * (shifted[i] - logs[g]))))
      }
    case .binarycrossentropy(let epsValue):
      // t = −xlogy(y, ŷ + ϵ) − xlogy(1 − y, 1 − ŷ + ϵ): ∂t/∂ŷ = −y/(ŷ + ϵ) + (1 − y)/(1 − ŷ + ϵ),
      // each quotient exactly 0 where its y-factor is 0; ∂t/∂y = −log(ŷ + ϵ) + log(1 − ŷ + ϵ)
      // (exactly 0 when both arguments are equal, ŷ = 1/2). Summands: the two quotients; the
      // two logarithms.
      let eps = real(epsValue)
      for i in 0..<n {
        try checkDeadline(i)
        let yi = real(y[i])
        let ci = one - yi
        let a = real(yhat[i]) + eps
        let b = one - real(yhat[i]) + eps
        let first = yi.isExactZero ? zero : -(try yi / a)
        let second = ci.isExactZero ? zero : try ci / b
        try push(
          i, sum(first, second),
          try {
            let la = try a.log("∂/∂y of xlogy(y, ŷ + ϵ)")
            if case .finite(let p) = a, case .finite(let q) = b, p.isExact, q.isExact, p.mid == q.mid {
              return Local.value(zero, magnitude: 2 * Self.approx(la))
            }
            return sum(-la, try b.log("∂/∂y of xlogy(1 − y, 1 − ŷ + ϵ)"))
          }())
      }
    case .logitbinarycrossentropy:
      // t = (1 − y)ŷ + softplus(−ŷ): ∂t/∂ŷ = (1 − y) − σ(−ŷ), σ(−ŷ) = 1/(1 + e^ŷ) (written
      // e^(−ŷ)/(1 + e^(−ŷ)) for ŷ > 0, so no exponent is positive); ∂t/∂y = −ŷ. Summands:
      // 1 − y and σ(−ŷ); ŷ.
      for i in 0..<n {
        try checkDeadline(i)
        let xi = real(yhat[i])
        let sigma: ExtendedReal
        switch xi {
        case .nan: sigma = .nan
        case .infinity(let s): sigma = s > 0 ? zero : one
        case .finite:
          if yhat[i] > 0 {
            let t = (-xi).exp()
            sigma = try t / (one + t)
          } else {
            sigma = try one / (one + xi.exp())
          }
        }
        try push(i, sum(one - real(y[i]), -sigma), sum(-xi))
      }
    case .poissonLoss:
      // t = ŷ − xlogy(y, ŷ): ∂t/∂ŷ = 1 − y/ŷ (the quotient exactly 0 where y = 0); ∂t/∂y =
      // −log ŷ. Summands: 1 and y/ŷ; log ŷ.
      for i in 0..<n {
        try checkDeadline(i)
        let yi = real(y[i])
        let xi = real(yhat[i])
        let q = yi.isExactZero ? zero : try yi / xi
        try push(i, sum(one, -q), sum(-(try xi.log("∂/∂y of xlogy(y, ŷ)"))))
      }
    case .hinge, .squaredHinge:
      // m = 1 − ŷy. hinge t = max(0, m): m > 0: ∂t/∂ŷ = −y, ∂t/∂y = −ŷ; m < 0: 0; m = 0: the
      // kink between 0 and −y (resp. −ŷ); NaN: NaN. squared_hinge t = max(0, m)²: m > 0:
      // ∂t/∂ŷ = −2m·y, ∂t/∂y = −2m·ŷ; m ≤ 0: 0 (differentiable at m = 0). Summand: the product.
      let squared = params.loss == .squaredHinge
      let two = ExtendedReal.exact(2, precision: precision)
      for i in 0..<n {
        try checkDeadline(i)
        let xi = real(yhat[i])
        let yi = real(y[i])
        let m = try one - xi * yi
        switch try m.sign() {
        case nil:
          try push(i, .value(.nan, magnitude: .infinity), .value(.nan, magnitude: .infinity))
        case let s? where s < 0 || (s == 0 && squared):
          try push(i, .value(zero, magnitude: 0), .value(zero, magnitude: 0))
        case 0:
          try push(i, .kink(zero, -yi), .kink(zero, -xi))
        default:
          if squared {
            let c = try two * m
            try push(i, sum(-(try c * yi)), sum(-(try c * xi)))
          } else {
            try push(i, sum(-yi), sum(-xi))
          }
        }
      }
    case .diceCoeffLoss(let smoothValue):
      // L = 1 − N/D, N = 2Σyŷ + s, D = Σy² + Σŷ² + s: ∂L/∂ŷ_i = 2(N·ŷ_i − D·y_i)/D²,
      // ∂L/∂y_i = 2(N·y_i − D·ŷ_i)/D² (the numerator exact, so an exact zero stays exact).
      // Summands: 2N·ŷ_i/D² and 2D·y_i/D².
      let s = real(smoothValue)
      let two = ExtendedReal.exact(2, precision: precision)
      var overlap = zero
      var squares = zero
      for i in 0..<n {
        try checkDeadline(i)
        let xi = real(yhat[i])
        let yi = real(y[i])
        overlap = overlap + (try yi * xi)
        squares = squares + (try yi.squared()) + (try xi.squared())
      }
      let numerator = try two * overlap + s
      let denominator = squares + s
      let scale = try two / denominator.squared()
      func part(_ u: Double, _ v: Double) throws -> Local {
        let p = try numerator * real(u)
        let q = try denominator * real(v)
        let value = try (p - q) * scale
        let mag = abs(Self.approx(scale)) * (Self.approx(p) + Self.approx(q))
        return .value(value, magnitude: mag)
      }
      for i in 0..<n {
        try checkDeadline(i)
        try push(i, try part(yhat[i], y[i]), try part(y[i], yhat[i]))
      }
    case .tverskyLoss(let betaValue):
      // L = 1 − A/B, A = Σyŷ + 1, B = Σ(yŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ)) + 1:
      // ∂L/∂ŷ_i = (A·b_i − B·y_i)/B² with b_i = ∂B/∂ŷ_i = y_i + β(1 − y_i) − (1 − β)y_i;
      // ∂L/∂y_i = (A·c_i − B·ŷ_i)/B² with c_i = ŷ_i − βŷ_i + (1 − β)(1 − ŷ_i).
      // Summands: A·b_i/B², B·y_i/B² (resp. with c_i, ŷ_i).
      let beta = real(betaValue)
      var tp = zero
      var terms = zero
      for i in 0..<n {
        try checkDeadline(i)
        let xi = real(yhat[i])
        let yi = real(y[i])
        tp = tp + (try yi * xi)
        terms = terms + (try yi * xi + beta * (one - yi) * xi + (one - beta) * yi * (one - xi))
      }
      let a = tp + one
      let b = terms + one
      let inv = try one / b.squared()
      func part(_ d: ExtendedReal, _ v: ExtendedReal) throws -> Local {
        let p = try a * d
        let q = try b * v
        return .value(try (p - q) * inv, magnitude: abs(Self.approx(inv)) * (Self.approx(p) + Self.approx(q)))
      }
      for i in 0..<n {
        try checkDeadline(i)
        let xi = real(yhat[i])
        let yi = real(y[i])
        let bi = try yi + beta * (one - yi) - (one - beta) * yi
        try push(
          i, try part(bi, yi),
          try part(try xi - beta * xi + (one - beta) * (one - xi), xi))
      }
    }
    return (dyhat, dy)
  }

  /// The weight paired with each element (1 for `weight = nothing`).
  private func weightValues() -> (Int) -> ExtendedReal {
    switch params.weight {
    case nil:
      let one = self.one
      return { _ in one }
    case .scalar(let w):
      let weight = real(w)
      return { _ in weight }
    case .array(let t):
      let indices = t.shape.broadcastIndices(to: shape)
      let values = t.values.map(real)
      return { i in values[indices[i]] }
    }
  }

  /// `log(a / b)` exactly as ``Formulas`` computes msle's logarithm (its domain errors were
  /// already reported by the value).
  private func logRatio(_ a: ExtendedReal, _ b: ExtendedReal) throws -> ExtendedReal {
    if case .finite(let p) = a, case .finite(let q) = b, let sp = p.certainSign, let sq = q.certainSign,
      sp != 0, sq != 0, sp == sq
    {
      let t = (p - q) / q
      if let st = t.certainSign, st == 0 { return zero }
      if t.mid.approximation.magnitude <= 0.25 { return .finite(Elementary.log1p(t)) }
      return .finite(Elementary.log(p / q))
    }
    let ratio = try a / b
    if ratio.isExactZero { return .infinity(sign: -1) }
    return try ratio.log("msle gradient")
  }
}
