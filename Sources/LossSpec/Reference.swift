import LossCore

/// LossSpec: the reference. Every loss of SEMANTICS.md as its literal formula, evaluated exactly
/// (ball arithmetic over dyadic rationals, GSL-seeded elementary functions with rigorous error
/// bounds) and rounded *correctly* to Float32 and Float64.
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
  /// 2⁻¹²⁰⁰ for a value that cancels to zero) — what golden vectors need.
  public static func evaluate(_ request: LossRequest, exactDigits: Int) throws(LossError) -> SpecResult {
    let (y, params) = try request.validated()
    var lastResult: Formulas.Result?
    var lastPrecision = precisions[0]
    for precision in precisions {
      lastPrecision = precision
      let formulas = Formulas(request: request, y: y, params: params, precision: precision)
      let result: Formulas.Result
      do {
        result = try formulas.evaluate()
      } catch LossEvaluationError.loss(let error) {
        throw error
      } catch {
        continue  // undecided sign: more precision
      }
      lastResult = result
      if exactDigits > 0 && !digitsSettled(result, exactDigits) { continue }
      if let rounded = round(result, decided: true, precision: precision, request: request, params: params, y: y) {
        return rounded
      }
    }
    guard let lastResult else {
      throw .init(.other, "LossSpec could not decide a sign even at \(lastPrecision) bits")
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
    var exact: [String] = []
    var radius: [Double] = []
    for value in result.values {
      switch value {
      case .nan:
        f32.append(.nan)
        f64.append(.nan)
        exact.append("NaN")
        radius.append(0)
      case .infinity(let s):
        f32.append(s > 0 ? .infinity : -.infinity)
        f64.append(s > 0 ? .infinity : -.infinity)
        exact.append(s > 0 ? "Infinity" : "-Infinity")
        radius.append(0)
      case .finite(let ball):
        let lower = ball.lower
        let upper = ball.upper
        var pair: [Double] = []
        for format in [DTypeFormat.float32, .float64] {
          let lo = lower.rounded(to: format)
          let hi = upper.rounded(to: format)
          if lo != hi && decided { return nil }
          // An exact zero, or a ball around zero: +0.
          let mid = ball.mid.rounded(to: format)
          pair.append(mid == 0 ? 0 : mid)
        }
        f32.append(pair[0])
        f64.append(pair[1])
        exact.append(ball.mid.decimal(digits: 45))
        radius.append(ball.rad.approximation)
      }
    }
    let scales = ErrorScale.compute(request: request, y: y, params: params)
    return SpecResult(
      request: request, shape: result.shape, float32: f32, float64: f64, exact: exact, radius: radius,
      errorScale: scales, precision: precision, decided: decided)
  }
}

/// A LossSpec result: the exact value, rounded correctly to both formats, with its bound.
public struct SpecResult: Sendable {
  public var loss: LossID
  public var dtype: DType
  /// `nil` for a scalar result; the array's shape for `agg = none`.
  public var shape: Shape?
  /// The correctly rounded Float32 values (column-major).
  public var float32: [Double]
  /// The correctly rounded Float64 values (column-major).
  public var float64: [Double]
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
    request: LossRequest, shape: Shape?, float32: [Double], float64: [Double], exact: [String],
    radius: [Double], errorScale: [Double], precision: Int, decided: Bool
  ) {
    self.loss = request.loss
    self.dtype = request.dtype
    self.shape = shape
    self.float32 = float32
    self.float64 = float64
    self.exact = exact
    self.radius = radius
    self.errorScale = errorScale
    self.precision = precision
    self.decided = decided
  }

  /// The values correctly rounded to the request's dtype.
  public var rounded: [Double] { dtype == .float32 ? float32 : float64 }

  /// The value in the request's dtype, as the protocol carries it.
  public var value: LossValue {
    if let shape {
      // The shape always matches the value count (built from the reduction).
      return .array((try? Tensor(shape: shape, values: rounded)) ?? Tensor(rounded))
    }
    return .scalar(rounded[0])
  }
}

/// LossSpec as a ``LossImplementation``: the oracle every other implementation is graded against.
public struct ReferenceImplementation: LossImplementation {
  public init() {}
  public var name: String { "LossSpec 1 (exact, correctly rounded; GSL \(GSLVersion.string))" }
  public var losses: [LossID] { LossID.allCases }
  public var dtypes: [DType] { DType.allCases }

  public func evaluate(_ request: LossRequest) async -> LossOutcome {
    do {
      return .value(try LossSpec.evaluate(request).value)
    } catch {
      return .error(error)
    }
  }
}
