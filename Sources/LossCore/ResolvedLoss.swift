/// A loss with the one scalar parameter it takes resolved (Flux's default applied, converted to
/// the element type, validated by `ParameterRule`): the value every implementation dispatches
/// on, so the fourteen-way choice of a loss and its parameter is made once, here.
///
/// ```swift
/// let params = try LossParameters(eps: 0).resolved(for: .msle, dtype: .float32, yhatShape: [3])
/// params.loss   // .msle(eps: 0)
/// ```
public enum ResolvedLoss: Sendable, Hashable {
  case mae, mse, logitbinarycrossentropy, poissonLoss, hinge, squaredHinge, logitcrossentropy
  case msle(eps: Double)
  case huberLoss(delta: Double)
  case binarycrossentropy(eps: Double)
  case crossentropy(eps: Double)
  case kldivergence(eps: Double)
  case diceCoeffLoss(smooth: Double)
  case tverskyLoss(beta: Double)

  /// `loss` with its parameter taken from resolved values (the others are ignored).
  @usableFromInline init(_ loss: LossID, eps: Double, delta: Double, smooth: Double, beta: Double) {
    switch loss {
    case .mae: self = .mae
    case .mse: self = .mse
    case .msle: self = .msle(eps: eps)
    case .huberLoss: self = .huberLoss(delta: delta)
    case .crossentropy: self = .crossentropy(eps: eps)
    case .logitcrossentropy: self = .logitcrossentropy
    case .binarycrossentropy: self = .binarycrossentropy(eps: eps)
    case .logitbinarycrossentropy: self = .logitbinarycrossentropy
    case .kldivergence: self = .kldivergence(eps: eps)
    case .poissonLoss: self = .poissonLoss
    case .hinge: self = .hinge
    case .squaredHinge: self = .squaredHinge
    case .diceCoeffLoss: self = .diceCoeffLoss(smooth: smooth)
    case .tverskyLoss: self = .tverskyLoss(beta: beta)
    }
  }

  /// Resolves `loss` with parameters given as values (`nil`: Flux's default) by the rules of
  /// `ParameterRule`, as ``LossParameters/resolved(for:dtype:yhatShape:)`` does; for callers
  /// whose arguments are typed (LossFast's functions), so no parameter a loss does not take can
  /// be passed.
  ///
  /// - Throws: ArgumentError naming the parameter (a non-finite value, or one outside its domain).
  @inlinable package init(
    _ loss: LossID, eps: Double? = nil, delta: Double? = nil, smooth: Double? = nil, beta: Double? = nil,
    dtype: DType
  ) throws(LossError) {
    self.init(
      loss, eps: try ParameterRule.eps(eps, dtype: dtype), delta: try ParameterRule.delta(delta, dtype: dtype),
      smooth: try ParameterRule.smooth(smooth, dtype: dtype), beta: try ParameterRule.beta(beta, dtype: dtype))
  }

  /// The loss's identifier.
  public var id: LossID {
    switch self {
    case .mae: .mae
    case .mse: .mse
    case .msle: .msle
    case .huberLoss: .huberLoss
    case .crossentropy: .crossentropy
    case .logitcrossentropy: .logitcrossentropy
    case .binarycrossentropy: .binarycrossentropy
    case .logitbinarycrossentropy: .logitbinarycrossentropy
    case .kldivergence: .kldivergence
    case .poissonLoss: .poissonLoss
    case .hinge: .hinge
    case .squaredHinge: .squaredHinge
    case .diceCoeffLoss: .diceCoeffLoss
    case .tverskyLoss: .tverskyLoss
    }
  }
}
