import LossCore
import RealModule

/// ∂L/∂ŷ in Flux's evaluation order: what `Zygote.gradient` computes for the source formulas of
/// `Flux.Losses` (0.13, `src/losses/functions.jl`, the same code ``NaiveFluxImplementation``
/// evaluates for values), transcribed rule by rule and evaluated in the dtype in the order of the
/// reverse pass. The rules are the frameworks', not the mathematics':
///
/// - Zygote's broadcast (`src/lib/broadcast.jl`) does not fuse: every dotted call is its own
///   step with its own adjoint — `+`, `-`: the cotangent passes (negated); `x .* y`: `Δ .* y` and
///   `Δ .* x`; `x ./ y`: `Δ ./ y`; `x .^ 2`: `_pow_grad(Δ, 2x)` (0 where `2x == 0`, else `Δ·2x`,
///   so `0·∞` is NaN); `abs2`: `2Δ·x`. Any other scalar function is differentiated by ForwardDiff
///   dual numbers: `log` gives `Δ·inv(x)`, `max(0, m)` gives `Δ·!(0 > m)` (DiffRules), `abs`
///   gives `Δ·sign(x)` (Zygote ≥ 0.7.11: `sign(0) = 0`, ChainRules' convention; before, ForwardDiff
///   took `+1` at `+0` — both lie in the subgradient interval of `mae`).
/// - Flux's own adjoint of `xlogy.(x, y)` (`src/losses/utils.jl`): `Δ .* x ./ y` for `y`, with no
///   special case for `x = 0` — `0/0` is NaN where `x = y = 0` although `xlogy` is identically 0
///   there. (Flux also declares ChainRules' `@scalar_rule xlogy(x, y) (log(y), x/y)`, the same
///   quotient.)
/// - NNlib's rules (≥ 0.8.4): `logσ` broadcast: `Δ·sigmoid_fast(−x)`, which is exactly 1 above
///   40 and exactly 0 below −80; `logsoftmax`: `∇logsoftmax(dy, y) = dy .- sum(dy; dims) .*
///   exp.(y)`, softmax recomputed from the rounded logsoftmax.
/// - ChainRules: `mean`'s pullback is `sum`'s fill of `ȳ / n` (in `T`, Zygote's seed `ȳ = 1`),
///   `sum`'s fills `ȳ`, scalar `x / y` gives `(Δ·(1/y), Δ·(−(Ω/y)))`, scalar `*` multiplies.
/// - Julia's `false` is a strong zero (`false * ∞ == 0`), `1 - true` is the integer 0.
///
/// A variable used twice accumulates its contributions in reverse order of use.
///
/// Emulation choices: Flux 0.13's source (`abs2` in mse, the masked Huber broadcast) with the
/// current Zygote (0.7.12) rules; `exp`, `log` are glibc's in `T` (NNlib's `@fastmath exp` in
/// `sigmoid_fast` may differ by an ulp or two); sums are sequential, as in the value emulation.
/// Weights, which Flux 0.13 no longer has, enter as `w .* xlogy(…)` and `(w .* y) .* logsoftmax`.
extension NaiveFluxImplementation {
  /// The value and, when the request asks for one, ∂L/∂ŷ as Zygote computes it for Flux's source
  /// (see the extension's documentation). ∂L/∂y is not emulated: a request that asks for it
  /// gets the value and "unsupported".
  public func answer(_ request: LossRequest) async -> LossAnswer {
    answerNow(request)
  }

  /// The synchronous ``answer(_:)``.
  public func answerNow(_ request: LossRequest) -> LossAnswer {
    let outcome = evaluateNow(request)
    guard let asked = request.gradient, case .value = outcome else { return LossAnswer(outcome: outcome) }
    if asked.includesTarget {
      return LossAnswer(outcome: outcome, gradient: .unsupported("\(name): ∂L/∂y is not emulated, only ∂L/∂ŷ"))
    }
    do {
      let (y, params) = try request.validated()
      let cotangent = try request.validatedCotangent(params)
      let gradient: [Double]
      switch request.dtype {
      case .float32:
        gradient = try NaiveFlux<Float>(request: request, y: y, params: params).gradient(cotangent: cotangent)
          .map(Double.init)
      case .float64:
        gradient = try NaiveFlux<Double>(request: request, y: y, params: params).gradient(cotangent: cotangent)
      case .float16:
        gradient = try NaiveFlux<Float16>(request: request, y: y, params: params).gradient(cotangent: cotangent)
          .map(Double.init)
      case .bfloat16:
        return LossAnswer(outcome: outcome, gradient: .unsupported("\(name): bfloat16 (BFloat16s.jl) is not emulated"))
      }
      return LossAnswer(outcome: outcome, gradient: .gradient(LossGradient(yhat: gradient)))
    } catch {
      return LossAnswer(outcome: .error(error))
    }
  }
}

extension NaiveFlux {
  /// Julia's `sign`: NaN for NaN, ±0 for ±0, else ±1.
  func sign(_ x: T) -> T {
    if x.isNaN || x == 0 { return x }
    return x > 0 ? 1 : -1
  }

  /// Zygote's `_pow_grad(ȳ, df)` for `x .^ p`: exactly 0 where the local derivative is 0, else
  /// `ȳ·df` (so `0·∞` is NaN).
  func powGrad(_ cotangent: T, _ derivative: T) -> T {
    derivative == 0 ? 0 : cotangent * derivative
  }

  /// Julia's `Bool * x`: `false` is a strong zero (`false * NaN == 0`, sign kept).
  func strongMultiply(_ flag: Bool, _ x: T) -> T {
    flag ? x : (x.sign == .minus ? -0.0 : 0)
  }

  /// NNlib's `sigmoid_fast(x)`: `t = exp(−|x|)`, `x ≥ 0 ? 1/(1 + t) : t/(1 + t)`, then exactly 1
  /// above 40 and exactly 0 below −80.
  func sigmoidFast(_ x: T) -> T {
    let t = T.exp(-abs(x))
    let y = x >= 0 ? 1 / (1 + t) : t / (1 + t)
    return x > 40 ? 1 : (x < -80 ? 0 : y)
  }

  /// The cotangent reaching each unreduced element: ChainRules' `mean` pullback `ȳ / n` with
  /// `ȳ = one(T)` (computed in T, as `1f0 / n` is), `sum`'s `ȳ`, or the caller's cotangent for
  /// `agg = none` (rounded to T).
  func factors(count: Int, cotangent: [Double]?) -> [T] {
    if let cotangent { return cotangent.map { T($0) } }
    switch params.agg {
    case .mean: return [T](repeating: 1 / T(count), count: count)
    case .sum, .none: return [T](repeating: 1, count: count)
    }
  }

  /// ∂L/∂ŷ in the reverse-pass order of Zygote for Flux's source (per loss below: the forward
  /// steps, then what Zygote computes).
  func gradient(cotangent: [Double]?) throws(LossError) -> [T] {
    var g = [T](repeating: 0, count: n)
    switch loss {
    case .mae:
      // abs.(ŷ .- y): Δe = Δ·sign(e) (abs through sign, sign(0) = 0); ŷ .- y passes it.
      let f = factors(count: n, cotangent: cotangent)
      for i in 0..<n { g[i] = f[i] * sign(yhat[i] - y[i]) }
    case .mse:
      // abs2.(ŷ .- y): Zygote's abs2 adjoint `2 .* Δ .* e`.
      let f = factors(count: n, cotangent: cotangent)
      for i in 0..<n { g[i] = (2 * f[i]) * (yhat[i] - y[i]) }
    case .msle:
      // q = l .^ 2, l = log.(r), r = (ŷ .+ ϵ) ./ (y .+ ϵ): Δl = _pow_grad(Δ, 2l), Δr = Δl·inv(r)
      // (ForwardDiff's log), Δ(ŷ + ϵ) = Δr / (y + ϵ).
      let f = factors(count: n, cotangent: cotangent)
      for i in 0..<n {
        let a = yhat[i] + eps
        let b = y[i] + eps
        let r = a / b
        let l = T.log(r)
        let dl = powGrad(f[i], 2 * l)
        let dr = dl * (1 / r)
        g[i] = dr / b
      }
    case .huberLoss:
      // G = ((e .^ 2) .* temp) .* ½ .+ δ * (e .- ½δ) .* (1 .- temp), e = abs.(ŷ .- y), temp a
      // BitArray (dropgrad): quadratic path Δ(e²) = (Δ·½)·temp (false: a strong zero), then
      // _pow_grad(·, 2e), which is 0·∞ = NaN once 2e overflows in the linear branch; linear path
      // δ·(Δ·(1 − temp)); their sum times sign(ŷ − y).
      let f = factors(count: n, cotangent: cotangent)
      let delta = T(params.delta)
      let half: T = 0.5
      for i in 0..<n {
        let d = yhat[i] - y[i]
        let e = abs(d)
        let temp = e < delta
        let quadratic = powGrad(strongMultiply(temp, f[i] * half), 2 * e)
        let linear = delta * (f[i] * (temp ? 0 : 1))
        g[i] = (linear + quadratic) * sign(d)
      }
    case .crossentropy, .kldivergence:
      // .-sum(w .* xlogy.(y, ŷ .+ ϵ); dims) (kldivergence adds a term constant in ŷ): Δxlogy =
      // (−Δ_k)·w, then Flux's xlogy adjoint (Δ·y) / (ŷ + ϵ) — NaN where y = 0 and ŷ + ϵ = 0.
      let reduction = Reduction(shape, dims: params.dims)
      let group = reduction.outputIndices()
      let f = factors(count: reduction.output.count, cotangent: cotangent)
      let w = weights()
      for i in 0..<n {
        let dx = params.weight == nil ? -f[group[i]] : -f[group[i]] * w[i]
        g[i] = (dx * y[i]) / (yhat[i] + eps)
      }
    case .logitcrossentropy:
      // .-sum((w .* y) .* logsoftmax(ŷ); dims): Δls = (−Δ_k)·(w·y), then NNlib's ∇logsoftmax
      // `Δls .- sum(Δls; dims) .* exp.(ls)` with ls the rounded logsoftmax (the value's).
      let reduction = Reduction(shape, dims: params.dims)
      let group = reduction.outputIndices()
      let f = factors(count: reduction.output.count, cotangent: cotangent)
      let ls = logsoftmax(group: group, groups: reduction.output.count)
      let w = weights()
      var dls = [T](repeating: 0, count: n)
      var sums = [T](repeating: 0, count: reduction.output.count)
      for i in 0..<n {
        dls[i] = -f[group[i]] * (w[i] * y[i])
        sums[group[i]] += dls[i]
      }
      for i in 0..<n { g[i] = dls[i] - sums[group[i]] * T.exp(ls[i]) }
    case .binarycrossentropy:
      // -xlogy(y, ŷ + ϵ) - xlogy(1 - y, (1 - ŷ) + ϵ), unfused: Δ(ŷ + ϵ) = ((−Δ)·y) / (ŷ + ϵ),
      // Δ((1 − ŷ) + ϵ) = ((−Δ)·(1 − y)) / ((1 − ŷ) + ϵ), which reaches ŷ negated.
      let f = factors(count: n, cotangent: cotangent)
      for i in 0..<n {
        let first = (-f[i] * y[i]) / (yhat[i] + eps)
        let second = (-f[i] * (1 - y[i])) / ((1 - yhat[i]) + eps)
        g[i] = first + -second
      }
    case .logitbinarycrossentropy:
      // (1 .- y) .* ŷ .- logσ.(ŷ): Δ·(1 − y) from the product, (−Δ)·sigmoid_fast(−ŷ) from NNlib's
      // logσ rule — the exact 1 − σ(−ŷ) cancels, and sigmoid_fast is clamped at 40 and −80.
      let f = factors(count: n, cotangent: cotangent)
      for i in 0..<n { g[i] = -f[i] * sigmoidFast(-yhat[i]) + f[i] * (1 - y[i]) }
    case .poissonLoss:
      // ŷ .- xlogy.(y, ŷ): Δ from ŷ, plus Flux's xlogy adjoint ((−Δ)·y) / ŷ — NaN at ŷ = y = 0.
      let f = factors(count: n, cotangent: cotangent)
      for i in 0..<n { g[i] = (-f[i] * y[i]) / yhat[i] + f[i] }
    case .hinge, .squaredHinge:
      // max.(0, m) (.^ 2), m = 1 .- ŷ .* y: squared_hinge's Δh = _pow_grad(Δ, 2h); max's dual
      // derivative !(0 > m) (1 at the kink m = 0 and for NaN); Δ(ŷ·y) = −Δm, Δŷ = Δ(ŷ·y)·y.
      let f = factors(count: n, cotangent: cotangent)
      let squared = loss == .squaredHinge
      for i in 0..<n {
        let m = 1 - yhat[i] * y[i]
        let dh = squared ? powGrad(f[i], 2 * relu(m)) : f[i]
        let dm = dh * (0 > m ? 0 : 1)
        g[i] = -dm * y[i]
      }
    case .diceCoeffLoss:
      // 1 - (2 * sum(y .* ŷ) + s) / ((sum(y .^ 2) + sum(ŷ .^ 2)) + s): scalar `/` gives
      // ΔN = −1·(1/D), ΔD = −1·(−(Q/D)); ΔΣyŷ = ΔN·2; Δŷ = _pow_grad(ΔD, 2ŷ) + ΔΣyŷ·y.
      let s = T(params.smooth)
      let overlap = sum((0..<n).map { y[$0] * yhat[$0] })
      let ySquares = sum(y.map { $0 * $0 })
      let yhatSquares = sum(yhat.map { $0 * $0 })
      let numerator = 2 * overlap + s
      let denominator = ySquares + yhatSquares + s
      let quotient = numerator / denominator
      let dn = -1 * (1 / denominator)
      let dd = -1 * -(quotient / denominator)
      let doverlap = dn * 2
      for i in 0..<n { g[i] = powGrad(dd, 2 * yhat[i]) + doverlap * y[i] }
    case .tverskyLoss:
      // 1 - num/den, num = sum(y .* ŷ) + 1, den = sum(y .* ŷ + β * (1 .- y) .* ŷ + (1 - β) * y
      // .* (1 .- ŷ)) + 1: Δnum = −1·(1/den), Δden = −1·(−(Q/den)); ŷ's four uses accumulate in
      // reverse order: −Δden·((1 − β)y), Δden·(β(1 − y)), Δden·y, Δnum·y.
      let beta = T(params.beta)
      let numerator = sum((0..<n).map { y[$0] * yhat[$0] }) + 1
      var terms = [T](repeating: 0, count: n)
      for i in 0..<n {
        terms[i] = y[i] * yhat[i] + beta * (1 - y[i]) * yhat[i] + (1 - beta) * y[i] * (1 - yhat[i])
      }
      let denominator = sum(terms) + 1
      let quotient = numerator / denominator
      let dnum = -1 * (1 / denominator)
      let dden = -1 * -(quotient / denominator)
      for i in 0..<n {
        let fromComplement = -(dden * ((1 - beta) * y[i]))
        let fromFalsePositive = dden * (beta * (1 - y[i]))
        g[i] = ((fromComplement + fromFalsePositive) + dden * y[i]) + dnum * y[i]
      }
    }
    return g
  }

  /// NNlib's `_logsoftmax!` in T (shared with the value): `x − max` (NNlib's rule at an infinite
  /// maximum), then `− log(Σ exp)` per group.
  func logsoftmax(group: [Int], groups: Int) -> [T] {
    var maxima = [T](repeating: -.infinity, count: groups)
    for i in 0..<n where yhat[i] > maxima[group[i]] || yhat[i].isNaN { maxima[group[i]] = yhat[i] }
    var out = (0..<n).map { i -> T in
      let m = maxima[group[i]]
      if m == .infinity { return yhat[i] == .infinity ? 0 : -.infinity }
      return yhat[i] - m
    }
    var expSums = [T](repeating: 0, count: groups)
    for i in 0..<n { expSums[group[i]] += T.exp(out[i]) }
    for i in 0..<n { out[i] -= T.log(expSums[group[i]]) }
    return out
  }
}
