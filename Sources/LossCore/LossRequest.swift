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

  /// The largest budget a request may carry, in seconds (about 11.6 days): beyond it a budget is
  /// rejected as a mistake rather than silently meaning "no limit".
  public static let maximumBudget = 1e6

  public init(
    id: String = "", loss: LossID, dtype: DType, yhat: Tensor, y: Target,
    params: LossParameters = LossParameters(), budget: Double? = nil
  ) {
    self.id = id
    self.loss = loss
    self.dtype = dtype
    self.yhat = yhat
    self.y = y
    self.params = params
    self.budget = budget
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

  /// `y` as an array of `ŷ`'s shape (a scalar `y` broadcast), after the shape check.
  ///
  /// - Throws: `DimensionMismatch` naming both shapes when `y` is an array of another shape.
  public func targetValues() throws(LossError) -> [Double] {
    switch y {
    case .scalar(let v):
      return [Double](repeating: v, count: yhat.count)
    case .array(let t):
      guard t.shape == yhat.shape else {
        throw .dimensionMismatch(
          "\(loss.rawValue): ŷ has shape \(yhat.shape) but y has shape \(t.shape); they must be equal, or y a scalar"
        )
      }
      return t.values
    }
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
