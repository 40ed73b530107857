/// What a request asks to be differentiated (SEMANTICS.md, "Gradients"): the gradient with
/// respect to ŷ, and optionally y, of the same literal formula as the value, with `ϵ`, `δ`, `β`,
/// `smooth` and `weight` held fixed at their dtype values.
///
/// The protocol's `"grad": ["yhat"]` or `["yhat", "y"]`, with an optional `"cotangent"` for
/// `agg = none` (`Conformance/PROTOCOL.md`).
public struct GradientRequest: Sendable, Hashable {
  /// Which argument a gradient is taken with respect to.
  public enum Argument: String, Sendable, Hashable, CaseIterable {
    case yhat
    case y
  }

  /// The arguments, in the order `yhat`, `y` (ŷ always included).
  public private(set) var arguments: [Argument]
  /// For `agg = none`: the cotangent of the vector–Jacobian product, one value per element of
  /// the unreduced result, column-major (`nil`: all ones). Ignored for a scalar result.
  public var cotangent: [Double]?

  /// A gradient with respect to ŷ, and to y too when `withTarget` is set.
  public init(withTarget: Bool = false, cotangent: [Double]? = nil) {
    arguments = withTarget ? [.yhat, .y] : [.yhat]
    self.cotangent = cotangent
  }

  /// Whether the gradient with respect to y is asked for.
  public var includesTarget: Bool { arguments.contains(.y) }
}

/// One element of an exact gradient, as a reference states it: the derivative's value, or at a
/// kink (`|e|` at 0, `max(0, m)` at 0) the interval between the two one-sided derivatives, any
/// point of which conforms (SEMANTICS.md).
public enum GradientElement: Sendable, Hashable {
  /// The derivative, rounded to the dtype (an exact value of the dtype, held as a Double).
  case value(Double)
  /// A kink: the one-sided derivatives, `lower ≤ upper`, each rounded to the dtype.
  case subgradient(lower: Double, upper: Double)
}

/// A gradient as an implementation answers it: flat, column-major, in ŷ's shape (and y's; a
/// scalar y gets one element, the sum over the broadcast). Values are exact values of the dtype.
public struct LossGradient: Sendable, Hashable {
  public var yhat: [Double]
  /// `nil` when the gradient with respect to y was not asked for.
  public var y: [Double]?

  public init(yhat: [Double], y: [Double]? = nil) {
    self.yhat = yhat
    self.y = y
  }
}

/// The gradient part of an answer: the gradient, or why there is none.
public enum GradientOutcome: Sendable, Hashable {
  case gradient(LossGradient)
  /// The implementation cannot differentiate this case (the protocol's `"gradUnsupported"`).
  case unsupported(String)
}

/// A whole answer to a request: the value's outcome, and the gradient's when the request asked
/// for one (`nil` otherwise, and when the value is an error: such a case has no gradient).
public struct LossAnswer: Sendable, Hashable {
  public var outcome: LossOutcome
  public var gradient: GradientOutcome?

  public init(outcome: LossOutcome, gradient: GradientOutcome? = nil) {
    self.outcome = outcome
    self.gradient = gradient
  }
}

extension LossRequest {
  /// The number of elements of the unreduced result (`agg = none`): the terms' shape for the
  /// elementwise losses, its reduction over `dims` for crossentropy, logitcrossentropy and
  /// kldivergence, and 1 for dice and tversky (which have no `agg`).
  public func unreducedCount(dims: Set<Int>) -> Int {
    switch loss {
    case .crossentropy, .logitcrossentropy, .kldivergence:
      return Reduction(termShape, dims: dims).output.count
    case .diceCoeffLoss, .tverskyLoss:
      return 1
    default:
      return termShape.count
    }
  }

  /// The cotangent of the vector–Jacobian product, one value per element of the unreduced
  /// result (SEMANTICS.md, "Gradients"): the request's, or all ones when it has none; `nil` for
  /// a scalar result (`agg = mean`/`sum`, dice, tversky), where a cotangent is ignored.
  ///
  /// Every implementation validates the cotangent with this, after ``validated()``.
  ///
  /// - Throws: an `ArgumentError` naming both counts when the cotangent's element count differs
  ///   from the unreduced result's.
  public func validatedCotangent(_ params: ResolvedParameters) throws(LossError) -> [Double]? {
    guard params.agg == .none, loss != .diceCoeffLoss, loss != .tverskyLoss else { return nil }
    let count = unreducedCount(dims: params.dims)
    guard let cotangent = gradient?.cotangent else { return [Double](repeating: 1, count: count) }
    guard cotangent.count == count else {
      throw .argumentError(
        "\(loss.rawValue): the cotangent has \(cotangent.count) elements, the unreduced result has \(count)")
    }
    return cotangent
  }
}
