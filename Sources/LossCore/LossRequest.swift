/// The target `y`: an array of `ŷ`'s shape, or a bare number (a constant label, as in
/// `binarycrossentropy([0.1, 0.2, 0.9], 1)`).
public enum Target: Sendable, Hashable {
  case scalar(Double)
  case array(Tensor)
}

/// One evaluation of one loss: the unit every implementation answers, the line of the
/// `losscheck/1` protocol and of a golden vector file.
public struct LossRequest: Sendable, Hashable {
  public var id: String
  public var loss: LossID
  public var dtype: DType
  public var yhat: Tensor
  public var y: Target
  public var params: LossParameters
  /// The time the caller allows for this request, in seconds (the protocol's optional
  /// `"budget"`): an implementation that honours it (LossSpec) answers "unsupported: budget
  /// exceeded" instead of running longer; one that is always fast (LossFast) ignores it.
  /// `nil`: no limit. A decoded budget is finite and in `(0, ``maximumBudget``]`.
  public var budget: Double?
  /// The gradient asked for (the protocol's `"grad"` and `"cotangent"`); `nil`: the value only.
  public var gradient: GradientRequest?

  /// The largest budget a request may carry, in seconds (about 11.6 days): beyond it a budget is
  /// rejected as a mistake rather than silently meaning "no limit".
  public static let maximumBudget = 1e6

  public init(
    id: String = "", loss: LossID, dtype: DType, yhat: Tensor, y: Target,
    params: LossParameters = LossParameters(), budget: Double? = nil, gradient: GradientRequest? = nil
  ) {
    self.id = id
    self.loss = loss
    self.dtype = dtype
    self.yhat = yhat
    self.y = y
    self.params = params
    self.budget = budget
    self.gradient = gradient
  }

  /// Why `seconds` is not a valid budget (`nil` when it is one): it must be a finite number
  /// greater than 0 and at most ``maximumBudget``.
  public static func budgetProblem(_ seconds: Double) -> String? {
    if seconds.isNaN || seconds.isInfinite {
      return "a budget must be a finite number of seconds, got \(seconds)"
    }
    if seconds <= 0 { return "a budget must be greater than 0 seconds, got \(seconds)" }
    if seconds > maximumBudget {
      return "a budget must be at most \(Int(maximumBudget)) seconds, got \(seconds)"
    }
    return nil
  }

  /// `y` as an array of ŷ's length (a scalar `y` broadcast), column-major, after Flux's shape
  /// check (`_check_sizes`, ``Shape/agreesForLoss(with:)``): y's shape must equal ŷ's up to
  /// trailing dimensions of size 1, so the elements pair up one to one.
  ///
  /// - Throws: `DimensionMismatch` naming both shapes and the first dimension where they differ
  ///   when `y` is an array whose shape does not agree with ŷ's.
  public func targetValues() throws(LossError) -> [Double] {
    switch y {
    case .scalar(let v):
      return [Double](repeating: v, count: yhat.count)
    case .array(let t):
      if let d = yhat.shape.firstDisagreement(with: t.shape) {
        throw .dimensionMismatch(
          "\(loss.rawValue): ŷ has shape \(yhat.shape) but y has shape \(t.shape), which differ in dimension \(d) "
            + "(size \(yhat.shape.size(d)) ≠ \(t.shape.size(d))); the shapes must be equal up to trailing dimensions "
            + "of size 1 (Flux does not broadcast ŷ against y), or y a scalar")
      }
      return t.values
    }
  }

  /// The shape of the elementwise terms, Julia's broadcast of ŷ and y (SEMANTICS.md): ŷ's shape,
  /// or y's when y is an array with more dimensions (`(3,)` against `(3, 1)` gives `(3, 1)`).
  /// The unreduced result (`agg = none`) has this shape, or its reduction over `dims` for the
  /// class-reducing losses. Meaningful after ``targetValues()`` has accepted the shapes.
  public var termShape: Shape {
    if case .array(let t) = y { return yhat.shape.lossBroadcast(with: t.shape) }
    return yhat.shape
  }

  /// Validates the request as a whole and resolves its parameters: the shapes, the element type
  /// of every value, the parameters. Implementations call this first so that all of them reject
  /// the same inputs with the same error class.
  public func validated() throws(LossError) -> (y: [Double], params: ResolvedParameters) {
    try yhat.shape.validate(name: "ŷ")
    for (i, v) in yhat.values.enumerated() where !dtype.represents(v) {
      throw .argumentError("ŷ[\(i + 1)] = \(v) is not a \(dtype.rawValue) value")
    }
    let y = try targetValues()
    switch self.y {
    case .scalar(let v) where !dtype.represents(v):
      throw .argumentError("y = \(v) is not a \(dtype.rawValue) value")
    case .array(let t):
      for (i, v) in t.values.enumerated() where !dtype.represents(v) {
        throw .argumentError("y[\(i + 1)] = \(v) is not a \(dtype.rawValue) value")
      }
    default: break
    }
    let params = try params.resolved(for: loss, dtype: dtype, yhatShape: yhat.shape)
    return (y, params)
  }
}

/// A loss's value: a number, or (for `agg = none`) an array, already rounded to the element type.
public enum LossValue: Sendable, Hashable {
  case scalar(Double)
  case array(Tensor)

  /// The values, column-major (one for a scalar).
  public var values: [Double] {
    switch self {
    case .scalar(let v): [v]
    case .array(let t): t.values
    }
  }
}

/// What an implementation answers to a request.
public enum LossOutcome: Sendable, Hashable {
  case value(LossValue)
  case error(LossError)
  /// The implementation does not support this loss, dtype or parameter; the reason says which.
  case unsupported(String)
}

/// The outcome class of a scalar value or an error, used to compare implementations
/// (DESIGN.md: a different outcome class is a divergence whatever the numbers).
public enum OutcomeClass: String, Sendable, Hashable, CaseIterable, Codable {
  case finite
  case plusInfinity = "+Inf"
  case minusInfinity = "-Inf"
  case nan = "NaN"
  case domainError = "DomainError"
  case dimensionMismatch = "DimensionMismatch"
  case argumentError = "ArgumentError"
  case other = "Other"
  case unsupported

  public init(value: Double) {
    if value.isNaN {
      self = .nan
    } else if value == .infinity {
      self = .plusInfinity
    } else if value == -.infinity {
      self = .minusInfinity
    } else {
      self = .finite
    }
  }

  public init(error: LossError) {
    switch error.kind {
    case .dimensionMismatch: self = .dimensionMismatch
    case .domainError: self = .domainError
    case .argumentError: self = .argumentError
    case .other: self = .other
    }
  }
}
