import LossCore

/// A LossSpec gradient: the exact derivative of a case's formula with respect to each element of
/// ŷ (and of y when asked), correctly rounded to the dtype element by element (SEMANTICS.md,
/// "Gradients"; the derivations are next to each loss in `GradientFormulas.swift`).
public struct SpecGradient: Sendable {
  /// The loss differentiated.
  public var loss: LossID
  /// The dtype every element is rounded to (the request's).
  public var dtype: DType
  /// `∂L/∂ŷ`, one element per element of ŷ, column-major; a kink is a `.subgradient` whose ends
  /// are the one-sided derivatives, each correctly rounded.
  public var yhat: [GradientElement]
  /// `∂L/∂y` when asked for (`nil` otherwise): y's element count, or one element (the sum over
  /// the broadcast) for a scalar y.
  public var y: [GradientElement]?
  /// The error scale `S` of each ŷ-element: `|f|·Σ|p_j|`, the aggregation factor times the sum
  /// of the magnitudes of the summands the derivative is written as (per loss in
  /// `GradientFormulas.swift`); a backward-stable evaluation errs by a small multiple of `u·S`.
  /// `+∞` where a summand is not finite.
  public var yhatErrorScale: [Double]
  /// The error scale of each y-element (for a scalar y: the sum over the broadcast).
  public var yErrorScale: [Double]?
  /// The working precision in bits that decided every rounding.
  public var precision: Int
  /// `false` only if even the largest precision left an element straddling a rounding boundary
  /// (that element is then its midpoint's rounding).
  public var decided: Bool

  /// The gradient as an implementation answers it: each value rounded, and for a subgradient its
  /// **lower** one-sided end (`lower ≤ upper`; any point of the interval conforms).
  public var lossGradient: LossGradient {
    func pick(_ e: GradientElement) -> Double {
      switch e {
      case .value(let v): v
      case .subgradient(let lower, _): lower
      }
    }
    return LossGradient(yhat: yhat.map(pick), y: y?.map(pick))
  }
}

extension LossSpec {
  /// The exact gradient of `request` (its `gradient`, or ŷ only when it has none), correctly
  /// rounded per element to the dtype, with Ziv's precision ladder ``precisions``.
  ///
  /// A request carrying a `budget` stops when it is spent (error kind `Other`, "budget
  /// exceeded: …"), like ``evaluate(_:)``; the budget covers the value and the gradient.
  ///
  /// - Throws: the value's error (a case whose value is an error has no gradient), or an
  ///   `ArgumentError` for a cotangent whose count is not the unreduced result's.
  public static func gradient(_ request: LossRequest) throws(LossError) -> SpecGradient {
    let deadline = request.budget.map(Deadline.init(seconds:))
    do {
      return try gradient(request, deadline: deadline)
    } catch {
      switch error {
      case .loss(let error): throw error
      case .budgetExceeded(let exceeded): throw LossError(.other, exceeded.description)
      }
    }
  }

  static func gradient(_ request: LossRequest, deadline: Deadline?) throws(SpecFailure) -> SpecGradient {
    // The value first: its errors (shapes, parameters, domain) are the gradient's.
    _ = try evaluate(request, deadline: deadline)
    let y: [Double]
    let params: ResolvedParameters
    let cotangent: [Double]?
    do {
      (y, params) = try request.validated()
      cotangent = try request.validatedCotangent(params)
    } catch {
      throw .loss(error)
    }
    let withTarget = request.gradient?.includesTarget ?? false
    let scalarTarget: Bool
    if case .scalar = request.y { scalarTarget = true } else { scalarTarget = false }
    let format = DTypeFormat(request.dtype)
    func exceeded(_ precision: Int) -> SpecFailure {
      .budgetExceeded(
        BudgetExceeded(
          loss: request.loss, elements: request.yhat.count, budget: deadline?.budget ?? 0,
          elapsed: deadline?.elapsed ?? 0, precision: precision))
    }
    var last: (yhat: [GradientFormulas.Local], y: [GradientFormulas.Local])?
    var lastPrecision = precisions[0]
    for precision in precisions {
      if let deadline, deadline.isExpired { throw exceeded(precision) }
      lastPrecision = precision
      var formulas = GradientFormulas(
        request: request, y: y, params: params, precision: precision, cotangent: cotangent)
      formulas.deadline = deadline
      var result: (yhat: [GradientFormulas.Local], y: [GradientFormulas.Local])
      do {
        result = try formulas.evaluate(withTarget: withTarget)
      } catch LossEvaluationError.loss(let error) {
        throw .loss(error)
      } catch LossEvaluationError.budgetExceeded {
        throw exceeded(precision)
      } catch {
        continue  // an undecided sign: more precision
      }
      if withTarget && scalarTarget { result.y = [summed(result.y, precision: precision)] }
      last = result
      if let done = rounded(result, format: format, decided: true) {
        return SpecGradient(
          loss: request.loss, dtype: request.dtype, yhat: done.yhat, y: withTarget ? done.y : nil,
          yhatErrorScale: result.yhat.map(\.magnitude), yErrorScale: withTarget ? result.y.map(\.magnitude) : nil,
          precision: precision, decided: true)
      }
    }
    guard let last else {
      throw .loss(.init(.other, "LossSpec could not decide a gradient's sign even at \(lastPrecision) bits"))
    }
    let done = rounded(last, format: format, decided: false)!
    return SpecGradient(
      loss: request.loss, dtype: request.dtype, yhat: done.yhat, y: withTarget ? done.y : nil,
      yhatErrorScale: last.yhat.map(\.magnitude), yErrorScale: withTarget ? last.y.map(\.magnitude) : nil,
      precision: lastPrecision, decided: false)
  }

  /// The sum of the y-derivatives over the broadcast of a scalar y (kinks: the ends summed).
  private static func summed(_ parts: [GradientFormulas.Local], precision: Int) -> GradientFormulas.Local {
    var lower = ExtendedReal.exact(0, precision: precision)
    var upper = lower
    var kink = false
    var magnitude = 0.0
    for p in parts {
      lower = lower + p.lower
      upper = upper + p.upper
      kink = kink || p.kink
      magnitude += p.magnitude
    }
    return .init(lower: lower, upper: upper, kink: kink, magnitude: magnitude)
  }

  private static func rounded(
    _ result: (yhat: [GradientFormulas.Local], y: [GradientFormulas.Local]), format: DTypeFormat, decided: Bool
  ) -> (yhat: [GradientElement], y: [GradientElement])? {
    func round(_ x: ExtendedReal) -> Double? {
      switch x {
      case .nan: return .nan
      case .infinity(let s): return s > 0 ? .infinity : -.infinity
      case .finite(let ball):
        let lo = ball.lower.rounded(to: format)
        let hi = ball.upper.rounded(to: format)
        if lo != hi && decided { return nil }
        let mid = ball.mid.rounded(to: format)
        return mid == 0 ? 0 : mid
      }
    }
    func element(_ local: GradientFormulas.Local) -> GradientElement? {
      guard let a = round(local.lower) else { return nil }
      if !local.kink { return .value(a) }
      guard let b = round(local.upper) else { return nil }
      if a == b { return .value(a) }
      return .subgradient(lower: Swift.min(a, b), upper: Swift.max(a, b))
    }
    var yhat: [GradientElement] = []
    yhat.reserveCapacity(result.yhat.count)
    for local in result.yhat {
      guard let e = element(local) else { return nil }
      yhat.append(e)
    }
    var y: [GradientElement] = []
    for local in result.y {
      guard let e = element(local) else { return nil }
      y.append(e)
    }
    return (yhat, y)
  }
}
