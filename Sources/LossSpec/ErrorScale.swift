import Foundation
import LossCore

/// The error scale `S` of a case (DESIGN.md, "Verdicts").
///
/// `S` is the magnitude of everything a straightforward evaluation in the dtype must round: for
/// each element, `|term| + c`, where `c` is the first-order coefficient of the term's own rounding
/// errors (`|fl(term) − term| ≲ u·c` for a straightforward evaluation with unit roundoff `u`),
/// summed over what the result reduces, and divided by the count for `mean`. A straightforward
/// evaluation then errs by about `u·S` per operation in a chain, so verdicts compare
/// `|r − v| / (u·S)` with a bound growing like `log₂ n` (pairwise summation) or `n` (recursive).
///
/// The coefficients per loss, with `d = ŷ − y`, `l` the logarithm, `t` the term:
///
/// | loss | `|t| + c` per element |
/// |---|---|
/// | mae | `2|d|` (the rounding of `d`, the term) |
/// | mse | `4d²` (`2d²` from `d`, `d²` the square, the term) |
/// | msle | `4l² + 6|l|` (`ŷ+ϵ`, `y+ϵ`, the quotient each shift `l` by `u`; the log, the square) |
/// | huber | quadratic `2.5·|t|`-ish: `|t| + 1.5d²`; linear `3|t| + δ|d|` |
/// | crossentropy | `4|w y l| + |w y|` (the sum `ŷ+ϵ`, the log, two products) |
/// | logitcrossentropy | `|w y|·(3|ls| + 2|x − m| + 2|L| + 2)`, `L` the log-sum-exp |
/// | binarycrossentropy | the crossentropy coefficient for both terms, plus `|1 − ŷ|/|1 − ŷ + ϵ|` |
/// | logitbinarycrossentropy | `2|t| + 2|(1 − y)ŷ| + 2 softplus(−ŷ)` |
/// | kldivergence | `3|y log y| + |y|` plus crossentropy's |
/// | poisson_loss | `2|t| + |ŷ| + 2|y l| + |y|` |
/// | hinge | `|ŷy| + 2|1 − ŷy|` |
/// | squared_hinge | `2h² + 2h(|ŷy| + |1 − ŷy|)`, `h` the hinge term |
/// | dice, tversky | `|1 − q| + |q|·(A_N/|N| + A_D/|D| + 1)`: `q = N/D`, `A` the sums of magnitudes |
///
/// The scale is an estimate in Double: a non-finite input or an overflow makes it `+∞`.
public enum ErrorScale {
  static func compute(request: LossRequest, y: [Double], params: ResolvedParameters) -> [Double] {
    let yhat = request.yhat.values
    let n = yhat.count
    // The terms' shape, as the formulas use it (Julia's broadcast of ŷ and y): it differs from
    // ŷ's only by trailing dimensions of size 1, which change no element's position.
    let shape = request.termShape
    let eps = params.eps
    var weightAt: (Int) -> Double = { _ in 1 }
    switch params.weight {
    case .scalar(let w)?: weightAt = { _ in abs(w) }
    case .array(let t)?:
      let idx = t.shape.broadcastIndices(to: shape)
      weightAt = { i in abs(t.values[idx[i]]) }
    case nil: break
    }
    func xlogyScale(_ x: Double, _ p: Double) -> Double {
      if x == 0 { return 0 }
      let l = Foundation.log(abs(p))
      return 4 * abs(x * l) + abs(x)
    }
    var perElement = [Double](repeating: 0, count: n)
    switch request.loss {
    case .mae:
      for i in 0..<n { perElement[i] = 2 * abs(yhat[i] - y[i]) }
    case .mse:
      for i in 0..<n {
        let d = yhat[i] - y[i]
        perElement[i] = 4 * d * d
      }
    case .msle:
      for i in 0..<n {
        var l = abs(Foundation.log(abs((yhat[i] + eps) / (y[i] + eps))))
        // Near a fit the Double quotient can round to 1 (l = 0) although ŷ ≠ y, e.g. 3 + ϵ over
        // 2.9999999999999996 + ϵ: the relative difference (ŷ − y is exact there) is l to first order.
        let relative = abs((yhat[i] - y[i]) / (y[i] + eps))
        if relative < 0x1p-20 { l = Swift.max(l, relative) }
        perElement[i] = 4 * l * l + 6 * l
      }
    case .huberLoss:
      let delta = params.delta
      for i in 0..<n {
        let d = abs(yhat[i] - y[i])
        perElement[i] = d < delta ? 2 * d * d : 3 * delta * (d - delta / 2) + delta * d
      }
    case .crossentropy, .kldivergence:
      for i in 0..<n {
        perElement[i] = weightAt(i) * xlogyScale(y[i], yhat[i] + eps)
        // xlogx(0) = 0 exactly: a zero target adds nothing (0·log 0 would make the scale NaN).
        if request.loss == .kldivergence && y[i] != 0 {
          perElement[i] += 3 * abs(y[i] * Foundation.log(abs(y[i]))) + abs(y[i])
        }
      }
    case .logitcrossentropy:
      let reduction = Reduction(shape, dims: params.dims)
      let group = reduction.outputIndices()
      var m = [Double](repeating: -.infinity, count: reduction.output.count)
      for i in 0..<n { m[group[i]] = max(m[group[i]], yhat[i]) }
      var s = [Double](repeating: 0, count: m.count)
      for i in 0..<n { s[group[i]] += Foundation.exp(yhat[i] - m[group[i]]) }
      for i in 0..<n {
        let d = yhat[i] - m[group[i]]
        let logSum = Foundation.log(s[group[i]])
        perElement[i] = weightAt(i) * abs(y[i]) * (3 * abs(d - logSum) + 2 * abs(d) + 2 * abs(logSum) + 2)
      }
    case .binarycrossentropy:
      for i in 0..<n {
        let q = 1 - yhat[i] + eps
        perElement[i] =
          xlogyScale(y[i], yhat[i] + eps) + xlogyScale(1 - y[i], q) + abs(1 - y[i]) * abs(1 - yhat[i]) / abs(q)
      }
    case .logitbinarycrossentropy:
      for i in 0..<n {
        let z = -yhat[i]
        let softplus = max(z, 0) + Foundation.log1p(Foundation.exp(-abs(z)))
        let t = (1 - y[i]) * yhat[i] + softplus
        perElement[i] = 2 * abs(t) + 2 * abs((1 - y[i]) * yhat[i]) + 2 * softplus
      }
    case .poissonLoss:
      for i in 0..<n {
        let yl = y[i] == 0 ? 0 : y[i] * Foundation.log(abs(yhat[i]))
        perElement[i] = 2 * abs(yhat[i] - yl) + abs(yhat[i]) + 2 * abs(yl) + abs(y[i])
      }
    case .hinge:
      for i in 0..<n {
        let p = yhat[i] * y[i]
        perElement[i] = abs(p) + 2 * abs(1 - p)
      }
    case .squaredHinge:
      for i in 0..<n {
        let p = yhat[i] * y[i]
        let h = max(0, 1 - p)
        perElement[i] = 2 * h * h + 2 * h * (abs(p) + abs(1 - p))
      }
    case .diceCoeffLoss:
      var overlap = 0.0
      var aN = 0.0
      var aD = 0.0
      var d = 0.0
      for i in 0..<n {
        overlap += y[i] * yhat[i]
        aN += 2 * abs(y[i] * yhat[i])
        d += y[i] * y[i] + yhat[i] * yhat[i]
      }
      let s = params.smooth
      let num = 2 * overlap + s
      let den = d + s
      aD = den
      return [finite(ratioScale(num: num, den: den, aN: aN + s, aD: aD))]
    case .tverskyLoss:
      let b = params.beta
      var tp = 0.0
      var den = 0.0
      var aN = 0.0
      var aD = 0.0
      for i in 0..<n {
        let yi = y[i]
        let p = yhat[i]
        tp += yi * p
        aN += abs(yi * p)
        den += yi * p + b * (1 - yi) * p + (1 - b) * yi * (1 - p)
        aD += 2 * (abs(yi * p) + b * abs((1 - yi) * p) + (1 - b) * abs(yi * (1 - p)))
      }
      return [finite(ratioScale(num: tp + 1, den: den + 1, aN: aN + 1, aD: aD + 1))]
    }
    // Reduce like the loss: over dims for the class-reducing losses, then agg.
    var reduced = perElement
    var count = n
    if request.loss.reducesOverDims {
      let reduction = Reduction(shape, dims: params.dims)
      reduced = [Double](repeating: 0, count: reduction.output.count)
      for (i, g) in reduction.outputIndices().enumerated() { reduced[g] += perElement[i] }
      count = reduced.count
    }
    switch params.agg {
    case .none: return reduced.map(finite)
    case .sum: return [finite(reduced.reduce(0, +))]
    case .mean: return [finite(count == 0 ? 0 : reduced.reduce(0, +) / Double(count))]
    }
  }

  private static func ratioScale(num: Double, den: Double, aN: Double, aD: Double) -> Double {
    let q = num / den
    return abs(1 - q) + abs(q) * (aN / abs(num) + aD / abs(den) + 1)
  }

  private static func finite(_ x: Double) -> Double { x.isFinite ? x : .infinity }
}

extension ReferenceImplementation: LossReference {
  /// LossSpec's error scale of each value of `request` (``ErrorScale``); empty for an error
  /// outcome (or a request whose `budget` runs out).
  public func errorScale(_ request: LossRequest) -> [Double] {
    (try? LossSpec.evaluate(request))?.errorScale ?? []
  }
}
