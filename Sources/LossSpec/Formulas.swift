import Dispatch
import LossCore

/// The fourteen losses of SEMANTICS.md, each written as its literal formula over
/// ``ExtendedReal``s at one working precision.
///
/// Read each `case` next to the table in SEMANTICS.md: the order of operations is the formula's,
/// the arithmetic is exact (balls), and only the rounding to Float32/Float64 at the very end is
/// inexact — decided by ``LossSpec/evaluate(_:)``, which reruns this at a higher precision when a
/// ball straddles a rounding boundary.
struct Formulas {
  let request: LossRequest
  let y: [Double]
  let params: ResolvedParameters
  let precision: Int
  /// When to give up (the request's budget); `nil`: never.
  var deadline: Deadline? = nil

  /// The result: one value (`shape == nil`) or an array of `shape` (`agg = none`).
  struct Result {
    var values: [ExtendedReal]
    var shape: Shape?
  }

  private var n: Int { request.yhat.count }
  /// The shape of the elementwise terms: Julia's broadcast of ŷ and y, ŷ's shape or y's when it
  /// has more (trailing, size-1) dimensions (SEMANTICS.md, `_check_sizes`).
  private var shape: Shape { request.termShape }
  private var loss: LossID { request.loss }

  /// Throws `budgetExceeded` once the deadline has passed; loops call it every `stride`
  /// iterations (`i & (stride − 1) == 0`), so the clock is read rarely next to the work.
  private func checkDeadline(_ i: Int, every stride: Int = 16) throws(LossEvaluationError) {
    if i & (stride - 1) == 0, let deadline, deadline.isExpired { throw .budgetExceeded }
  }

  /// One input moved off its value, for ``LossSpec/centralDifferences(_:)``: `x + offset` in
  /// place of element `index` of `argument`, or of every element when `index` is `nil` (a
  /// scalar `y`, broadcast).
  struct Perturbation {
    var argument: GradientRequest.Argument
    var index: Int?
    var offset: ExtendedReal
  }
  /// The input moved off its value; `nil` (the loss itself): none.
  var perturbation: Perturbation? = nil

  private func real(_ x: Double) -> ExtendedReal { ExtendedReal(x, precision: precision) }

  /// Element `i` of ŷ or of y (broadcast), exactly, moved by ``perturbation`` where it applies.
  private func input(_ argument: GradientRequest.Argument, _ i: Int) -> ExtendedReal {
    let x = real(argument == .yhat ? request.yhat.values[i] : y[i])
    guard let p = perturbation, p.argument == argument, p.index == nil || p.index == i else { return x }
    return x + p.offset
  }
  private var zero: ExtendedReal { .exact(0, precision: precision) }
  private var one: ExtendedReal { .exact(1, precision: precision) }

  func evaluate() throws -> Result {
    let yhat = request.yhat.values
    // The loss as LossCore resolved it: its parameter comes with the case.
    switch params.loss {
    case .mae:
      // agg(|ŷ − y|)
      return try aggregate(elementwise { i in try (input(.yhat, i) - input(.y, i)).magnitude() })
    case .mse:
      // agg((ŷ − y)²)
      return try aggregate(elementwise { i in try (input(.yhat, i) - input(.y, i)).squared() })
    case .msle(let eps):
      // agg(log((ŷ + ϵ) / (y + ϵ))²)
      let eps = real(eps)
      return try aggregate(
        elementwise { i in
          try logRatio(input(.yhat, i) + eps, input(.y, i) + eps, index: i).squared()
        })
    case .huberLoss(let deltaValue):
      // e = |ŷ − y|: 0.5·e² if e < δ, else δ·(e − 0.5·δ)
      let delta = real(deltaValue)
      let half = ExtendedReal.finite(Ball(Dyadic(mantissa: 1, exponent: -1), precision: precision))
      return try aggregate(
        elementwise { i in
          let e = try (input(.yhat, i) - input(.y, i)).magnitude()
          switch e {
          case .nan: return .nan
          case .finite(let b) where b.mid < Dyadic(deltaValue):
            return try half * e.squared()
          default:
            return try delta * (e - half * delta)
          }
        })
    case .crossentropy:
      // agg(−sum(weight · xlogy(y, ŷ + ϵ); dims))
      return try aggregate(negated(crossentropySums()))
    case .logitcrossentropy:
      // agg(−sum(weight · y · logsoftmax(ŷ; dims); dims))
      let logsoftmax = try logSoftmax(yhat)
      let weights = weightValues()
      let terms = try elementwise { i in try weights(i) * (input(.y, i) * logsoftmax[i]) }
      return try aggregate(negated(sumOverDims(terms)))
    case .binarycrossentropy(let eps):
      // agg(−xlogy(y, ŷ + ϵ) − xlogy(1 − y, 1 − ŷ + ϵ))
      let eps = real(eps)
      return try aggregate(
        elementwise { i in
          let first = try xlogy(input(.y, i), input(.yhat, i) + eps, "xlogy(y, ŷ + ϵ)", i)
          let second = try xlogy(one - input(.y, i), one - input(.yhat, i) + eps, "xlogy(1 − y, 1 − ŷ + ϵ)", i)
          return -first - second
        })
    case .logitbinarycrossentropy:
      // agg((1 − y)·ŷ − logσ(ŷ)), with −logσ(ŷ) = softplus(−ŷ)
      return try aggregate(
        elementwise { i in
          try (one - input(.y, i)) * input(.yhat, i) + (-input(.yhat, i)).softplus()
        })
    case .kldivergence:
      // agg(sum(xlogx(y); dims)) + crossentropy(ŷ, y; dims, agg, ϵ)
      let entropy = try aggregate(
        sumOverDims(elementwise { i in try xlogy(input(.y, i), input(.y, i), "xlogx(y)", i) }))
      let cross = try aggregate(negated(crossentropySums()))
      return Result(values: zip(entropy.values, cross.values).map { $0 + $1 }, shape: entropy.shape)
    case .poissonLoss:
      // agg(ŷ − xlogy(y, ŷ))
      return try aggregate(
        elementwise { i in try input(.yhat, i) - xlogy(input(.y, i), input(.yhat, i), "xlogy(y, ŷ)", i) })
    case .hinge:
      // agg(max(0, 1 − ŷ·y))
      return try aggregate(
        elementwise { i in try (one - input(.yhat, i) * input(.y, i)).clampedBelowAtZero() })
    case .squaredHinge:
      // agg(max(0, 1 − ŷ·y)²)
      return try aggregate(
        elementwise { i in try (one - input(.yhat, i) * input(.y, i)).clampedBelowAtZero().squared() })
    case .diceCoeffLoss(let smooth):
      // 1 − (2·Σ(y·ŷ) + smooth) / (Σy² + Σŷ² + smooth)
      let smooth = real(smooth)
      let two = ExtendedReal.exact(2, precision: precision)
      let overlap = try sum(elementwise { i in try input(.y, i) * input(.yhat, i) })
      let ySquares = try sum(elementwise { i in try input(.y, i).squared() })
      let yhatSquares = try sum(elementwise { i in try input(.yhat, i).squared() })
      let value = try one - (two * overlap + smooth) / (ySquares + yhatSquares + smooth)
      return Result(values: [value], shape: nil)
    case .tverskyLoss(let beta):
      // 1 − (Σ(y·ŷ) + 1) / (Σ(y·ŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ)) + 1)
      let beta = real(beta)
      let truePositive = try sum(elementwise { i in try input(.y, i) * input(.yhat, i) })
      let denominatorTerms = try elementwise { i in
        let y = input(.y, i)
        let yhat = input(.yhat, i)
        return try y * yhat + beta * (one - y) * yhat + (one - beta) * y * (one - yhat)
      }
      let value = try one - (truePositive + one) / (sum(denominatorTerms) + one)
      return Result(values: [value], shape: nil)
    }
  }

  // MARK: Building blocks

  /// Evaluates `term` at every element index, in parallel for large inputs.
  ///
  /// The terms are independent, so the parallel evaluation gives the same values as a sequential
  /// one; an error is that of the lowest failing index, as a sequential loop would report it.
  ///
  /// Every 16 elements the deadline is checked (`budgetExceeded`, like an error at that index).
  private func elementwise(_ term: (Int) throws -> ExtendedReal) throws -> [ExtendedReal] {
    let chunk = 2048
    if n <= chunk {
      var out: [ExtendedReal] = []
      out.reserveCapacity(n)
      for i in 0..<n {
        try checkDeadline(i)
        out.append(try term(i))
      }
      return out
    }
    let chunks = (n + chunk - 1) / chunk
    var results = [ExtendedReal?](repeating: nil, count: n)
    var failures = [(index: Int, error: any Error)?](repeating: nil, count: chunks)
    try withoutActuallyEscaping(term) { term in
      results.withUnsafeMutableBufferPointer { resultBuffer in
        failures.withUnsafeMutableBufferPointer { failureBuffer in
          // Each chunk writes only its own slots.
          nonisolated(unsafe) let resultSlots = resultBuffer
          nonisolated(unsafe) let failureSlots = failureBuffer
          nonisolated(unsafe) let term = term
          let deadline = self.deadline
          DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for i in (c * chunk)..<Swift.min(n, (c + 1) * chunk) {
              do {
                if i & 15 == 0, let deadline, deadline.isExpired { throw LossEvaluationError.budgetExceeded }
                resultSlots[i] = try term(i)
              } catch {
                failureSlots[c] = (i, error)
                return
              }
            }
          }
        }
      }
      if let first = failures.lazy.compactMap({ $0 }).first {
        throw first.error
      }
    }
    return results.map { $0! }
  }

  /// `Σ values`, exactly (balls) or by IEEE's rules for non-finite values.
  private func sum(_ values: [ExtendedReal]) throws(LossEvaluationError) -> ExtendedReal {
    var total = zero
    for (i, v) in values.enumerated() {
      try checkDeadline(i, every: 1024)
      total = total + v
    }
    return total
  }

  /// `sum(values; dims)`, Julia's reduced array (reduced dimensions kept with size 1).
  private func sumOverDims(_ values: [ExtendedReal]) throws(LossEvaluationError) -> (
    values: [ExtendedReal], shape: Shape
  ) {
    let reduction = Reduction(shape, dims: params.dims)
    var out = [ExtendedReal](repeating: zero, count: reduction.output.count)
    for (i, target) in reduction.outputIndices().enumerated() {
      try checkDeadline(i, every: 1024)
      out[target] = out[target] + values[i]
    }
    return (out, reduction.output)
  }

  private func negated(_ array: (values: [ExtendedReal], shape: Shape)) -> (values: [ExtendedReal], shape: Shape) {
    (array.values.map { -$0 }, array.shape)
  }

  private func aggregate(_ values: [ExtendedReal]) throws -> Result {
    try aggregate((values, shape))
  }

  /// `agg(values)`: mean (NaN for no elements), sum (0 for none), or the array itself.
  private func aggregate(_ array: (values: [ExtendedReal], shape: Shape)) throws -> Result {
    switch params.agg {
    case .none: return Result(values: array.values, shape: array.shape)
    case .sum: return Result(values: [try sum(array.values)], shape: nil)
    case .mean:
      return Result(values: [try sum(array.values) / .exact(array.values.count, precision: precision)], shape: nil)
    }
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

  /// `sum(weight · xlogy(y, ŷ + ϵ); dims)`, before the sign and the aggregation.
  private func crossentropySums() throws -> (values: [ExtendedReal], shape: Shape) {
    let eps = real(params.eps)
    let weights = weightValues()
    return try sumOverDims(
      elementwise { i in try weights(i) * xlogy(input(.y, i), input(.yhat, i) + eps, "xlogy(y, ŷ + ϵ)", i) })
  }

  /// `xlogy(x, y)`: DomainError for `y < 0` (even when `x == 0`); 0 when `x == 0`; else `x·log(y)`.
  private func xlogy(_ x: ExtendedReal, _ y: ExtendedReal, _ what: String, _ index: Int) throws
    -> ExtendedReal
  {
    if let s = try y.sign(), s < 0 {
      throw LossEvaluationError.loss(
        .domainError("\(loss.rawValue): \(what) at element \(index + 1): log of a negative number \(describe(y))"))
    }
    if x.isExactZero { return zero }
    return try x * y.log("\(loss.rawValue) \(what) at element \(index + 1)")
  }

  /// `log(a / b)` by IEEE's reading of the quotient; the quotient's sign is decided exactly.
  private func logRatio(_ a: ExtendedReal, _ b: ExtendedReal, index: Int) throws -> ExtendedReal {
    let context = "\(loss.rawValue): log((ŷ + ϵ)/(y + ϵ)) at element \(index + 1)"
    if case .finite(let p) = a, case .finite(let q) = b, let sp = p.certainSign, let sq = q.certainSign,
      sp != 0, sq != 0
    {
      guard sp == sq else {
        throw LossEvaluationError.loss(
          .domainError("\(context): the ratio \(p.mid.approximation)/\(q.mid.approximation) is negative"))
      }
      // log(a/b) = log1p((a − b)/b): accurate relative to the result near a perfect fit.
      let t = (p - q) / q
      if let st = t.certainSign, st == 0 { return zero }
      if t.mid.approximation.magnitude <= 0.25 {
        return .finite(Elementary.log1p(t))
      }
      return .finite(Elementary.log(p / q))
    }
    let ratio = try a / b
    // log of any zero is −∞ (Julia: log(-0.0) == -Inf).
    if ratio.isExactZero { return .infinity(sign: -1) }
    return try ratio.log(context)
  }

  /// `logsoftmax(x; dims) = x − m − log(Σ exp(x − m))`, `m = maximum(x; dims)`.
  ///
  /// Where `m = +∞`, the shifted entry `x − m` is `0` for the entries equal to `+∞` and `−∞` for
  /// all others, instead of IEEE's `∞ − ∞ = NaN` (NNlib's `_logsoftmax!`, `src/softmax.jl`:
  /// `ifelse(isequal(max_, Inf), ifelse(isequal(x, Inf), 0, -Inf), x - max_)`), then the same
  /// formula: `logsoftmax([∞, 0]) = [0, −∞]`, and `k` entries `+∞` each get `−log k`. A NaN or
  /// `−∞` maximum keeps IEEE's reading (NaN everywhere in the group).
  private func logSoftmax(_ x: [Double]) throws -> [ExtendedReal] {
    let reduction = Reduction(shape, dims: params.dims)
    let groupOf = reduction.outputIndices()
    // m = maximum(x; dims): NaN if the group holds a NaN (Julia's maximum).
    var maxima = [Double](repeating: -.infinity, count: reduction.output.count)
    for (i, g) in groupOf.enumerated() {
      if x[i].isNaN || maxima[g].isNaN {
        maxima[g] = .nan
      } else if x[i] > maxima[g] {
        maxima[g] = x[i]
      }
    }
    let shifted = try elementwise { i in
      let m = maxima[groupOf[i]]
      if m == .infinity { return x[i] == .infinity ? zero : .infinity(sign: -1) }
      return input(.yhat, i) - real(m)
    }
    var sums = [ExtendedReal](repeating: zero, count: reduction.output.count)
    for (i, g) in groupOf.enumerated() {
      try checkDeadline(i)
      sums[g] = sums[g] + shifted[i].exp()
    }
    var logs: [ExtendedReal] = []
    for (g, s) in sums.enumerated() {
      try checkDeadline(g)
      logs.append(try s.log("logsoftmax normaliser"))
    }
    return try elementwise { i in shifted[i] - logs[groupOf[i]] }
  }

  private func describe(_ x: ExtendedReal) -> String {
    switch x {
    case .nan: "NaN"
    case .infinity(let s): s > 0 ? "Inf" : "-Inf"
    case .finite(let b): "\(b.mid.approximation)"
    }
  }
}
