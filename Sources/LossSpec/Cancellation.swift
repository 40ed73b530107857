import BigInt
import LossCore

/// An exact linear combination of logarithms, `Σ cⱼ·log aⱼ`, with dyadic coefficients `cⱼ` and
/// dyadic arguments `aⱼ > 0`, kept in a canonical form that shows exact cancellation.
///
/// Each argument is written `a = m·2^e` with `m` odd, so `c·log a = c·log m + (c·e)·log 2`; the
/// coefficients of equal odd parts are summed exactly, and so are those of `log 2` (`log 1 = 0`
/// drops out). The sum is therefore
///
///     Σ_m C_m·log m + L·log 2    (m odd, m > 1)
///
/// and it is **exactly zero when every `C_m` and `L` is zero** — an identity, decided without
/// evaluating a single logarithm. For example `kldivergence(p, p)` with ϵ = 0 gives
/// `Σ y·log y − Σ y·log y`, every `C_m = 0`; `KL([½, ½], [¼, 1])` gives `m = 1` everywhere and
/// `L = ½·(−1) + ½·(−1) − ½·(−2) − ½·0 = 0`.
///
/// The converse needs more than odd parts (`log 3 + log 5 − log 15 = 0` has three nonzero
/// `C_m`), so a nonzero form is only "not shown to be zero": LossSpec then keeps raising the
/// precision, as it always has.
struct LogLinearForm {
  /// `C_m` for each odd `m > 1` seen (entries may have summed back to zero).
  private(set) var coefficients: [BigUInt: Dyadic] = [:]
  /// `L`, the coefficient of `log 2`.
  private(set) var log2Coefficient = Dyadic.zero

  /// Adds `c·log a`. `a` must be positive.
  mutating func add(_ c: Dyadic, logOf a: Dyadic) {
    precondition(a.signum > 0, "internal: LogLinearForm.add needs a positive argument")
    if c.isZero { return }
    let magnitude = a.mantissa.magnitude
    let twos = magnitude.trailingZeroBitCount
    let odd = magnitude >> twos
    let e = a.exponent + twos
    if e != 0 { log2Coefficient = log2Coefficient + c * Dyadic(e) }
    if odd != 1 { coefficients[odd, default: .zero] = coefficients[odd, default: .zero] + c }
  }

  /// Adds every term of `other`.
  mutating func add(_ other: LogLinearForm) {
    log2Coefficient = log2Coefficient + other.log2Coefficient
    for (m, c) in other.coefficients { coefficients[m, default: .zero] = coefficients[m, default: .zero] + c }
  }

  /// Whether the sum is exactly zero by the identity above (`false`: not shown to be zero).
  var isExactlyZero: Bool { log2Coefficient.isZero && coefficients.values.allSatisfy(\.isZero) }
}

/// Decides, without evaluating any logarithm, which values of a request are **exactly zero**
/// because their logarithms cancel (``LogLinearForm``): for the losses that are sums of
/// `c·log a` with exact `c` and `a` — crossentropy, kldivergence, binarycrossentropy.
///
/// ``LossSpec`` asks only when a value's ball straddles zero after a successful evaluation, so the
/// errors (their kinds and their order) and every other value are those of the formulas; a value
/// shown to be zero is replaced by an exact zero, which rounds at the precision already reached
/// instead of climbing Ziv's ladder to 2304 bits or more (an exact zero never stops straddling).
enum ExactCancellation {
  /// For each value of the request's result (one, or the `agg = none` array in column-major
  /// order), whether it is exactly zero by cancellation; `nil` for a loss this does not cover.
  /// A value is never claimed zero when one of its terms is not finite.
  static func zeros(
    request: LossRequest, y: [Double], params: ResolvedParameters, deadline: Deadline?
  ) throws(LossEvaluationError) -> [Bool]? {
    let yhat = request.yhat.values
    let shape = request.termShape
    let n = yhat.count
    guard params.eps.isFinite else { return nil }
    let eps = Dyadic(params.eps)
    // The forms of the values before the aggregation, `nil` where a term is not finite.
    var forms: [LogLinearForm?]
    switch request.loss {
    case .crossentropy, .kldivergence:
      // crossentropy: −sum(weight · xlogy(y, ŷ + ϵ); dims); kldivergence adds sum(xlogx(y); dims)
      // before the aggregation of each (both aggregations reduce the same number of values, so
      // for every agg the value is agg of the sums of the two forms).
      let reduction = Reduction(shape, dims: params.dims)
      let groupOf = reduction.outputIndices()
      let weight = weights(params.weight, shape: shape)
      forms = [LogLinearForm?](repeating: LogLinearForm(), count: reduction.output.count)
      for i in 0..<n {
        if i & 255 == 0, let deadline, deadline.isExpired { throw .budgetExceeded }
        let g = groupOf[i]
        guard forms[g] != nil else { continue }
        guard yhat[i].isFinite, y[i].isFinite, let w = weight(i) else {
          forms[g] = nil
          continue
        }
        if y[i] == 0 { continue }  // xlogy(0, ·) = 0, no log
        let yi = Dyadic(y[i])
        let argument = Dyadic(yhat[i]) + eps
        guard argument.signum > 0 else {
          forms[g] = nil  // log 0 = −∞ (a negative argument was a DomainError before this)
          continue
        }
        forms[g]!.add(-(w * yi), logOf: argument)
        if request.loss == .kldivergence {
          guard yi.signum > 0 else {
            forms[g] = nil
            continue
          }
          forms[g]!.add(yi, logOf: yi)  // xlogx(y)
        }
      }
    case .binarycrossentropy:
      // −xlogy(y, ŷ + ϵ) − xlogy(1 − y, 1 − ŷ + ϵ), element by element.
      let one = Dyadic.one
      forms = []
      forms.reserveCapacity(n)
      for i in 0..<n {
        if i & 255 == 0, let deadline, deadline.isExpired { throw .budgetExceeded }
        guard yhat[i].isFinite, y[i].isFinite else {
          forms.append(nil)
          continue
        }
        let yi = Dyadic(y[i])
        let p = Dyadic(yhat[i])
        var form: LogLinearForm? = LogLinearForm()
        for (c, a) in [(yi, p + eps), (one - yi, one - p + eps)] where !c.isZero {
          guard a.signum > 0 else {
            form = nil
            break
          }
          form!.add(-c, logOf: a)
        }
        forms.append(form)
      }
    default:
      return nil
    }
    switch params.agg {
    case .none:
      return forms.map { $0?.isExactlyZero ?? false }
    case .sum, .mean:
      var total = LogLinearForm()
      for form in forms {
        guard let form else { return [false] }
        total.add(form)
      }
      return [total.isExactlyZero]
    }
  }

  /// The exact weight of each element (1 without a weight), `nil` where it is not finite.
  private static func weights(_ weight: Weight?, shape: Shape) -> (Int) -> Dyadic? {
    switch weight {
    case nil:
      return { _ in .one }
    case .scalar(let w):
      let exact = w.isFinite ? Dyadic(w) : nil
      return { _ in exact }
    case .array(let t):
      let indices = t.shape.broadcastIndices(to: shape)
      let values = t.values.map { $0.isFinite ? Dyadic($0) : nil }
      return { i in values[indices[i]] }
    }
  }
}
