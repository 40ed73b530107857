import LossCore
import RealModule

/// Flux's own evaluation order, emulated in the dtype: the behaviour Flux users actually get.
///
/// Each loss is the code of `Flux.Losses` (0.11–0.13, `src/losses/functions.jl`) transcribed term
/// by term: broadcasts elementwise in `T`, then `sum`/`mean` — Flux's Huber evaluates *both*
/// branches and masks them (`Inf · 0` is NaN in the untaken branch), `msle` forms the quotient
/// `(ŷ + ϵ) ./ (y + ϵ)` before the log, `logitbinarycrossentropy` uses NNlib's
/// `logσ(x) = −softplus(−x)` with `softplus(x) = log1p(exp(−|x|)) + max(x, 0)`, and
/// `logsoftmax` subtracts the maximum first.
///
/// Emulation choices (documented in the report): `sum` is a *sequential* left-to-right sum.
/// Julia's `sum` over an array is pairwise with 1024-element blocks, so for n ≤ 1024 the two differ
/// only by the reassociation of Julia's SIMD base case, and beyond that the sequential sum's error
/// bound (∝ n) is an upper envelope of Julia's (∝ log n). `log`, `exp`, `log1p` are the platform's
/// (glibc) functions in `T`, like Julia's (both within about 1 ulp). A log of a negative number is a
/// DomainError, as in Julia.
///
/// Gradients: ``answer(_:)`` adds ∂L/∂ŷ as `Zygote.gradient` computes it for the same source
/// (`NaiveFlux+Gradient.swift`, each loss's rules documented there).
public struct NaiveFluxImplementation: LossImplementation {
  public init() {}
  public var name: String { "Flux order (emulated in Swift)" }
  public var losses: [LossID] { LossID.allCases }
  /// Julia's Float16 is emulated with Swift's `Float16` (each operation rounded to the type, the
  /// elementary functions evaluated in Float32 and rounded, as Julia's `Base.Math` does for
  /// Float16); BFloat16 (BFloat16s.jl) is not emulated.
  public var dtypes: [DType] { [.float32, .float64, .float16] }

  public func evaluate(_ request: LossRequest) async -> LossOutcome {
    evaluateNow(request)
  }

  /// The synchronous evaluation.
  public func evaluateNow(_ request: LossRequest) -> LossOutcome {
    do {
      let (y, params) = try request.validated()
      switch request.dtype {
      case .float32:
        return .value(try NaiveFlux<Float>(request: request, y: y, params: params).evaluate())
      case .float64:
        return .value(try NaiveFlux<Double>(request: request, y: y, params: params).evaluate())
      case .float16:
        return .value(try NaiveFlux<Float16>(request: request, y: y, params: params).evaluate())
      case .bfloat16:
        return .error(.argumentError("\(name): bfloat16 (BFloat16s.jl) is not emulated"))
      }
    } catch {
      return .error(error)
    }
  }
}

struct NaiveFlux<T: Real & BinaryFloatingPoint> {
  let yhat: [T]
  let y: [T]
  let shape: Shape
  let params: ResolvedParameters
  let loss: LossID
  let eps: T

  init(request: LossRequest, y: [Double], params: ResolvedParameters) {
    self.yhat = request.yhat.values.map { T($0) }
    self.y = y.map { T($0) }
    // Julia's broadcast of ŷ and y (`_check_sizes` accepts only shapes equal up to trailing 1s).
    self.shape = request.termShape
    self.params = params
    self.loss = request.loss
    self.eps = T(params.eps)
  }

  var n: Int { yhat.count }

  /// Julia's `max(0, x)`: NaN propagates.
  func relu(_ x: T) -> T { x.isNaN ? x : Swift.max(0, x) }

  /// Julia's `log`: DomainError for a negative argument.
  func log(_ x: T, _ what: String) throws(LossError) -> T {
    if x < 0 { throw .domainError("\(loss.rawValue): log of the negative number \(x) in \(what)") }
    return T.log(x)
  }

  /// Flux's `xlogy(x, y)`: `x * log(y)`, then 0 where `x == 0`.
  func xlogy(_ x: T, _ y: T, _ what: String) throws(LossError) -> T {
    let result = x * (try log(y, what))
    return x == 0 ? 0 : result
  }

  /// A sequential sum.
  func sum(_ xs: [T]) -> T {
    var s: T = 0
    for x in xs { s += x }
    return s
  }

  func aggregate(_ xs: [T], shape: Shape) -> LossValue {
    switch params.agg {
    case .none:
      var values = [Double](repeating: 0, count: xs.count)
      for i in xs.indices { values[i] = Double(xs[i]) }
      return .array((try? Tensor(shape: shape, values: values)) ?? Tensor(values))
    case .sum: return .scalar(Double(sum(xs)))
    case .mean: return .scalar(Double(sum(xs) / T(xs.count)))
    }
  }

  /// `sum(x; dims)` with sequential sums per output element.
  func sumOverDims(_ xs: [T]) -> (values: [T], shape: Shape) {
    let reduction = Reduction(shape, dims: params.dims)
    var out = [T](repeating: 0, count: reduction.output.count)
    for (i, g) in reduction.outputIndices().enumerated() { out[g] += xs[i] }
    return (out, reduction.output)
  }

  func weights() -> [T] {
    switch params.weight {
    case nil: return [T](repeating: 1, count: n)
    case .scalar(let w): return [T](repeating: T(w), count: n)
    case .array(let t):
      let idx = t.shape.broadcastIndices(to: shape)
      return (0..<n).map { T(t.values[idx[$0]]) }
    }
  }

  func crossentropyTerms() throws(LossError) -> [T] {
    let w = weights()
    var terms = [T](repeating: 0, count: n)
    for i in 0..<n { terms[i] = w[i] * (try xlogy(y[i], yhat[i] + eps, "xlogy(y, ŷ + ϵ)")) }
    return terms
  }

  func evaluate() throws(LossError) -> LossValue {
    var terms = [T](repeating: 0, count: n)
    switch loss {
    case .mae:
      for i in 0..<n { terms[i] = abs(yhat[i] - y[i]) }
    case .mse:
      for i in 0..<n { terms[i] = (yhat[i] - y[i]) * (yhat[i] - y[i]) }
    case .msle:
      for i in 0..<n {
        let l = try log((yhat[i] + eps) / (y[i] + eps), "log((ŷ + ϵ) ./ (y + ϵ))")
        terms[i] = l * l
      }
    case .huberLoss:
      // abs_error = abs.(ŷ .- y); temp = abs_error .< δ; x = 0.5
      // agg(((abs_error .^ 2) .* temp) .* x .+ δ * (abs_error .- x * δ) .* (1 .- temp))
      let delta = T(params.delta)
      let half: T = 0.5
      for i in 0..<n {
        let e = abs(yhat[i] - y[i])
        let temp: T = e < delta ? 1 : 0
        terms[i] = ((e * e) * temp) * half + delta * (e - half * delta) * (1 - temp)
      }
    case .crossentropy:
      let sums = sumOverDims(try crossentropyTerms())
      return aggregate(sums.values.map { -$0 }, shape: sums.shape)
    case .logitcrossentropy:
      // NNlib's _logsoftmax!: out = x .- maximum(x; dims), except where the maximum is +Inf:
      // ifelse(isequal(max_, Inf), ifelse(isequal(x, Inf), 0, -Inf), x - max_);
      // then out .-= log.(sum(exp, out; dims)).
      let reduction = Reduction(shape, dims: params.dims)
      let out = logsoftmax(group: reduction.outputIndices(), groups: reduction.output.count)
      let w = weights()
      for i in 0..<n { terms[i] = w[i] * y[i] * out[i] }
      let sums = sumOverDims(terms)
      return aggregate(sums.values.map { -$0 }, shape: sums.shape)
    case .binarycrossentropy:
      for i in 0..<n {
        terms[i] =
          -(try xlogy(y[i], yhat[i] + eps, "xlogy(y, ŷ + ϵ)"))
          - (try xlogy(1 - y[i], 1 - yhat[i] + eps, "xlogy(1 − y, 1 − ŷ + ϵ)"))
      }
    case .logitbinarycrossentropy:
      // (1 − y)·ŷ − logσ(ŷ), logσ(x) = −softplus(−x), softplus(x) = log1p(exp(−|x|)) + relu(x)
      for i in 0..<n {
        let x = -yhat[i]
        let softplus = T.log(onePlus: T.exp(-abs(x))) + relu(x)
        terms[i] = (1 - y[i]) * yhat[i] - (-softplus)
      }
    case .kldivergence:
      var entropyTerms = [T](repeating: 0, count: n)
      for i in 0..<n { entropyTerms[i] = try xlogy(y[i], y[i], "xlogx(y)") }
      let entropy = sumOverDims(entropyTerms)
      let cross = sumOverDims(try crossentropyTerms())
      let crossValues = cross.values.map { -$0 }
      switch params.agg {
      case .none:
        var values = [Double](repeating: 0, count: crossValues.count)
        for i in values.indices { values[i] = Double(entropy.values[i] + crossValues[i]) }
        return .array((try? Tensor(shape: entropy.shape, values: values)) ?? Tensor(values))
      case .sum: return .scalar(Double(sum(entropy.values) + sum(crossValues)))
      case .mean:
        let count = T(entropy.values.count)
        return .scalar(Double(sum(entropy.values) / count + sum(crossValues) / count))
      }
    case .poissonLoss:
      for i in 0..<n { terms[i] = yhat[i] - (try xlogy(y[i], yhat[i], "xlogy(y, ŷ)")) }
    case .hinge:
      for i in 0..<n { terms[i] = relu(1 - yhat[i] * y[i]) }
    case .squaredHinge:
      for i in 0..<n {
        let h = relu(1 - yhat[i] * y[i])
        terms[i] = h * h
      }
    case .diceCoeffLoss:
      let s = T(params.smooth)
      let overlap = sum((0..<n).map { y[$0] * yhat[$0] })
      let ySquares = sum(y.map { $0 * $0 })
      let yhatSquares = sum(yhat.map { $0 * $0 })
      return .scalar(Double(1 - (2 * overlap + s) / (ySquares + yhatSquares + s)))
    case .tverskyLoss:
      let beta = T(params.beta)
      let numerator = sum((0..<n).map { y[$0] * yhat[$0] }) + 1
      var denominatorTerms = [T](repeating: 0, count: n)
      for i in 0..<n {
        let truePositive: T = y[i] * yhat[i]
        let falsePositive: T = beta * (1 - y[i]) * yhat[i]
        let falseNegative: T = (1 - beta) * y[i] * (1 - yhat[i])
        denominatorTerms[i] = truePositive + falsePositive + falseNegative
      }
      let denominator = sum(denominatorTerms) + 1
      return .scalar(Double(1 - numerator / denominator))
    }
    return aggregate(terms, shape: shape)
  }
}
