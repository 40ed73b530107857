import LossCore

/// LossSpec: the reference. Every loss of SEMANTICS.md as its literal formula, evaluated exactly
/// (ball arithmetic over dyadic rationals, GSL-seeded elementary functions with rigorous error
/// bounds) and rounded *correctly* to the request's dtype (Float16, BFloat16, Float32 or Float64).
///
/// ```swift
/// let request = LossRequest(loss: .mse, dtype: .float32, yhat: Tensor([1, 2]), y: .array(Tensor([0, 0])))
/// let result = try LossSpec.evaluate(request)
/// result.value   // .scalar(2.5): (1 + 4) / 2, exactly
/// ```
public enum LossSpec {
  /// The working precisions tried in turn (Ziv's strategy): the first is enough for all but the
  /// cases whose exact value lies extremely close to a rounding boundary (or on it: exact ties
  /// and exact cancellations, which the last steps decide).
  public static let precisions = [96, 256, 768, 2304, 6144, 11_000]

  /// Evaluates `request` and rounds the exact result to Float32 and Float64.
  ///
  /// A request carrying a `budget` stops when it is spent, with the error kind `Other` and the
  /// message "budget exceeded: …"; ``evaluate(_:exactDigits:deadline:)`` tells that apart from
  /// the loss's own errors.
  ///
  /// - Throws: the loss's error (DimensionMismatch, DomainError, ArgumentError) with a message
  ///   naming the shapes, the parameter or the element.
  /// - Complexity: O(n) ball operations at the first precision; a 1e6-element case takes
  ///   seconds (see README, "Accuracy").
  public static func evaluate(_ request: LossRequest) throws(LossError) -> SpecResult {
    try evaluate(request, exactDigits: 0)
  }

  /// Evaluates `request`; with `exactDigits > 0` the precision is also raised until every
  /// finite value's 45-digit midpoint (``SpecResult/exact``) is correct to `exactDigits`
  /// significant digits (its radius is below `10^(−exactDigits−1)` of its magnitude, or below
  /// 2⁻¹²⁰⁰ for a value that cancels to zero) — what golden vectors need. A request's `budget`
  /// is honoured as in ``evaluate(_:)``.
  public static func evaluate(_ request: LossRequest, exactDigits: Int) throws(LossError) -> SpecResult {
    do {
      return try evaluate(request, exactDigits: exactDigits, deadline: request.budget.map(Deadline.init(seconds:)))
    } catch {
      switch error {
      case .loss(let error): throw error
      case .budgetExceeded(let exceeded): throw LossError(.other, exceeded.description)
      }
    }
  }

  /// Evaluates `request` (as ``evaluate(_:exactDigits:)``), giving up once `deadline` has
  /// passed (`nil`: never; the request's own `budget` is not consulted here, the caller turns it
  /// into `deadline`).
  ///
  /// The deadline is checked before every precision step and every few elements inside the
  /// loops, so an evaluation overruns it by about one element's work.
  ///
  /// - Throws: ``SpecFailure/loss(_:)`` with the loss's error, or
  ///   ``SpecFailure/budgetExceeded(_:)`` saying how long it ran and at which precision.
  public static func evaluate(_ request: LossRequest, exactDigits: Int = 0, deadline: Deadline?) throws(SpecFailure)
    -> SpecResult
  {
    let y: [Double]
    let params: ResolvedParameters
    do {
      (y, params) = try request.validated()
    } catch {
      throw .loss(error)
    }
    var lastResult: Formulas.Result?
    var lastPrecision = precisions[0]
    // Which values cancel exactly (ExactCancellation): asked once, and only when a precision
    // fails to decide, so a case decided at once pays nothing for it.
    var cancellationAsked = false
    var cancelled: [Bool]?
    func exceeded(_ precision: Int) -> SpecFailure {
      .budgetExceeded(
        BudgetExceeded(
          loss: request.loss, elements: request.yhat.count, budget: deadline?.budget ?? 0,
          elapsed: deadline?.elapsed ?? 0, precision: precision))
    }
    for precision in precisions {
      if let deadline, deadline.isExpired { throw exceeded(precision) }
      lastPrecision = precision
      var formulas = Formulas(request: request, y: y, params: params, precision: precision)
      formulas.deadline = deadline
      var result: Formulas.Result
      do {
        result = try formulas.evaluate()
      } catch LossEvaluationError.loss(let error) {
        throw .loss(error)
      } catch LossEvaluationError.budgetExceeded {
        throw exceeded(precision)
      } catch {
        continue  // undecided sign: more precision
      }
      func settled(_ result: Formulas.Result) -> SpecResult? {
        if exactDigits > 0 && !digitsSettled(result, exactDigits) { return nil }
        return round(result, decided: true, precision: precision, request: request, params: params, y: y)
      }
      if let rounded = settled(result) { return rounded }
      // Undecided. A ball straddling zero may hold an exact zero, which no precision decides:
      // replace the values that cancel exactly by an exact 0 and try this precision again.
      if result.values.contains(where: \.straddlesZero) {
        if !cancellationAsked {
          cancellationAsked = true
          do {
            cancelled = try ExactCancellation.zeros(request: request, y: y, params: params, deadline: deadline)
          } catch {
            throw exceeded(precision)  // its only error: the deadline
          }
        }
        if let cancelled, cancelled.count == result.values.count {
          var replaced = false
          for (i, isZero) in cancelled.enumerated() where isZero && result.values[i].straddlesZero {
            result.values[i] = .exact(0, precision: precision)
            replaced = true
          }
          if replaced, let rounded = settled(result) { return rounded }
        }
      }
      lastResult = result
    }
    guard let lastResult else {
      throw .loss(.init(.other, "LossSpec could not decide a sign even at \(lastPrecision) bits"))
    }
    return round(lastResult, decided: false, precision: lastPrecision, request: request, params: params, y: y)!
  }

  /// Whether every finite value's radius is small enough for `digits` correct significant digits.
  private static func digitsSettled(_ result: Formulas.Result, _ digits: Int) -> Bool {
    let bits = Int((Double(digits + 1) * 3.3219280948873626).rounded(.up)) + 2
    for case .finite(let ball) in result.values where !ball.isExact {
      if ball.mid.isZero || ball.rad.topExponent >= ball.mid.topExponent - 4 {
        if ball.rad.topExponent >= -1200 { return false }
      } else if ball.rad.topExponent > ball.mid.topExponent - bits {
        return false
      }
    }
    return true
  }

  /// Rounds every value of `result` to both formats; `nil` if a ball straddles a rounding
  /// boundary and `decided` is required.
  private static func round(
    _ result: Formulas.Result, decided: Bool, precision: Int, request: LossRequest,
    params: ResolvedParameters, y: [Double]
  ) -> SpecResult? {
    var f32: [Double] = []
    var f64: [Double] = []
    var half: [Double] = []
    var exact: [String] = []
    var radius: [Double] = []
    let formats = [DTypeFormat.float32, .float64] + (request.dtype.isHalfPrecision ? [DTypeFormat(request.dtype)] : [])
    for value in result.values {
      switch value {
      case .nan:
        f32.append(.nan)
        f64.append(.nan)
        half.append(.nan)
        exact.append("NaN")
        radius.append(0)
      case .infinity(let s):
        f32.append(s > 0 ? .infinity : -.infinity)
        f64.append(s > 0 ? .infinity : -.infinity)
        half.append(s > 0 ? .infinity : -.infinity)
        exact.append(s > 0 ? "Infinity" : "-Infinity")
        radius.append(0)
      case .finite(let ball):
        let lower = ball.lower
        let upper = ball.upper
        var pair: [Double] = []
        for format in formats {
          let lo = lower.rounded(to: format)
          let hi = upper.rounded(to: format)
          if lo != hi && decided { return nil }
          // An exact zero, or a ball around zero: +0.
          let mid = ball.mid.rounded(to: format)
          pair.append(mid == 0 ? 0 : mid)
        }
        f32.append(pair[0])
        f64.append(pair[1])
        if pair.count > 2 { half.append(pair[2]) }
        exact.append(ball.mid.decimal(digits: 45))
        radius.append(ball.rad.approximation)
      }
    }
    let scales = ErrorScale.compute(request: request, y: y, params: params)
    return SpecResult(
      request: request, shape: result.shape, float32: f32, float64: f64,
      rounded: request.dtype.isHalfPrecision ? half : (request.dtype == .float32 ? f32 : f64), exact: exact,
      radius: radius, errorScale: scales, precision: precision, decided: decided)
  }
}

/// A LossSpec result: the exact value, rounded correctly to the request's dtype and to Float32 and
/// Float64, with its bound.
public struct SpecResult: Sendable {
  public var loss: LossID
  public var dtype: DType
  /// `nil` for a scalar result; the array's shape for `agg = none`.
  public var shape: Shape?
  /// The correctly rounded Float32 values (column-major).
  public var float32: [Double]
  /// The correctly rounded Float64 values (column-major).
  public var float64: [Double]
  /// The values correctly rounded to the request's dtype (one of the above for Float32 and
  /// Float64; rounded once from the exact value for Float16 and BFloat16).
  public var rounded: [Double]
  /// The midpoint of each exact value's enclosure, 45 significant digits (`NaN`, `Infinity`,
  /// `-Infinity` for the IEEE outcomes).
  public var exact: [String]
  /// A bound on the distance between each midpoint and the exact value (0: exact).
  public var radius: [Double]
  /// The error scale `S` of each value (DESIGN.md, verdicts; see ``ErrorScale``).
  public var errorScale: [Double]
  /// The working precision in bits that decided the rounding.
  public var precision: Int
  /// `false` only if even the largest precision left a ball straddling a rounding boundary (the
  /// values are then the midpoint's rounding); never observed in the test corpus.
  public var decided: Bool

  init(
    request: LossRequest, shape: Shape?, float32: [Double], float64: [Double], rounded: [Double],
    exact: [String], radius: [Double], errorScale: [Double], precision: Int, decided: Bool
  ) {
    self.loss = request.loss
    self.dtype = request.dtype
    self.shape = shape
    self.float32 = float32
    self.float64 = float64
    self.rounded = rounded
    self.exact = exact
    self.radius = radius
    self.errorScale = errorScale
    self.precision = precision
    self.decided = decided
  }

  /// The value in the request's dtype, as the protocol carries it.
  public var value: LossValue {
    if let shape {
      // The shape always matches the value count (built from the reduction).
      return .array((try? Tensor(shape: shape, values: rounded)) ?? Tensor(rounded))
    }
    return .scalar(rounded[0])
  }
}

/// LossSpec as a `LossImplementation`: the oracle every other implementation is graded against.
public struct ReferenceImplementation: LossImplementation {
  public init() {}
  public var name: String { "LossSpec 1 (exact, correctly rounded; GSL \(GSLVersion.string))" }
  public var losses: [LossID] { LossID.allCases }
  public var dtypes: [DType] { DType.allCases }
  /// The exact gradients of ``LossSpec/gradient(_:)`` (the hello's `"gradients":true`).
  public var answersGradients: Bool { true }

  /// The value, the loss's error, or `unsupported` ("budget exceeded: …") when the request's
  /// `budget` ran out first.
  public func evaluate(_ request: LossRequest) async -> LossOutcome {
    do {
      return .value(try LossSpec.evaluate(request, deadline: request.budget.map(Deadline.init(seconds:))).value)
    } catch {
      switch error {
      case .loss(let error): return .error(error)
      case .budgetExceeded(let exceeded): return .unsupported(exceeded.description)
      }
    }
  }

  /// The value (as ``evaluate(_:)``) and, when the request asks for one and the value is not an
  /// error, the exact gradient (``LossSpec/gradient(_:)``) rounded to the dtype; at a kink the
  /// **lower** one-sided derivative is reported (``SpecGradient/lossGradient``). The request's
  /// `budget` covers both: a gradient that runs out of it is `unsupported` ("budget exceeded:
  /// …"). A cotangent of the wrong length makes the whole request an `ArgumentError`.
  public func answer(_ request: LossRequest) async -> LossAnswer {
    let deadline = request.budget.map(Deadline.init(seconds:))
    let outcome: LossOutcome
    do {
      outcome = .value(try LossSpec.evaluate(request, deadline: deadline).value)
    } catch {
      switch error {
      case .loss(let error): return LossAnswer(outcome: .error(error))
      case .budgetExceeded(let exceeded): return LossAnswer(outcome: .unsupported(exceeded.description))
      }
    }
    guard request.gradient != nil else { return LossAnswer(outcome: outcome) }
    do {
      let gradient = try LossSpec.gradient(request, deadline: deadline)
      return LossAnswer(outcome: outcome, gradient: .gradient(gradient.lossGradient))
    } catch {
      switch error {
      case .loss(let error): return LossAnswer(outcome: .error(error))
      case .budgetExceeded(let exceeded):
        return LossAnswer(outcome: outcome, gradient: .unsupported(exceeded.description))
      }
    }
  }
}

extension ExtendedReal {
  /// A finite, inexact ball that contains zero: it straddles the rounding boundary at 0 (or
  /// touches it) and cannot round until its radius is below the smallest subnormal.
  var straddlesZero: Bool {
    if case .finite(let ball) = self { ball.certainSign == nil } else { false }
  }
}
