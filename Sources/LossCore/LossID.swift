/// The fourteen losses of Flux.jl's "Loss Functions" page, by their Flux names.
///
/// The raw value is the identifier used on the command line, in the `losscheck/1` protocol and in
/// golden vectors. `hinge_loss` and `squared_hinge_loss` (the names of later Flux versions) are
/// accepted as aliases by ``init(name:)``.
public enum LossID: String, CaseIterable, Sendable, Hashable, Codable {
  case mae
  case mse
  case msle
  case huberLoss = "huber_loss"
  case crossentropy
  case logitcrossentropy
  case binarycrossentropy
  case logitbinarycrossentropy
  case kldivergence
  case poissonLoss = "poisson_loss"
  case hinge
  case squaredHinge = "squared_hinge"
  case diceCoeffLoss = "dice_coeff_loss"
  case tverskyLoss = "tversky_loss"

  /// Looks a loss up by its Flux name or an accepted alias.
  public init?(name: String) {
    switch name {
    case "hinge_loss": self = .hinge
    case "squared_hinge_loss": self = .squaredHinge
    default:
      guard let id = LossID(rawValue: name) else { return nil }
      self = id
    }
  }

  /// The parameters this loss accepts (besides `ŷ` and `y`), as in `SEMANTICS.md`.
  public var acceptedParameters: Set<ParameterName> {
    switch self {
    case .mae, .mse, .hinge, .squaredHinge, .logitbinarycrossentropy, .poissonLoss: [.agg]
    case .msle, .binarycrossentropy: [.agg, .eps]
    case .huberLoss: [.agg, .delta]
    case .crossentropy: [.agg, .eps, .dims, .weight]
    case .logitcrossentropy: [.agg, .dims, .weight]
    case .kldivergence: [.agg, .eps, .dims]
    case .diceCoeffLoss: [.smooth]
    case .tverskyLoss: [.beta]
    }
  }

  /// Whether the loss reduces over `dims` before aggregating (the class dimension).
  public var reducesOverDims: Bool { acceptedParameters.contains(.dims) }

  /// Whether the loss takes an `agg` (dice and tversky reduce over everything and take none).
  public var takesAggregation: Bool { acceptedParameters.contains(.agg) }
}

/// The name of a loss parameter, as spelled in the protocol (`eps` is Flux's `ϵ`).
public enum ParameterName: String, CaseIterable, Sendable, Hashable, Comparable {
  case agg, eps, dims, weight, delta, smooth, beta

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
