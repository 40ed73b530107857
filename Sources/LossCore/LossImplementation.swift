/// Anything that computes the fourteen losses: the reference (LossSpec), the fast path
/// (LossFast), or an external process speaking `losscheck/1`.
///
/// The runner, the property suite and the reports only ever talk to this protocol, so none of them
/// special-cases who computed a value.
public protocol LossImplementation: Sendable {
  /// A human-readable name with a version, e.g. `"LossSpec 1"` or `"numpy-flux 2.4"`.
  var name: String { get }
  /// The losses it implements.
  var losses: [LossID] { get }
  /// The element types it computes in.
  var dtypes: [DType] { get }

  /// Evaluates one request. Errors of the loss (shape, domain, parameter) are outcomes, not
  /// thrown: the protocol carries them as values.
  func evaluate(_ request: LossRequest) async -> LossOutcome

  /// Evaluates one request and, when it asks for one (``LossRequest/gradient``), its gradient.
  /// The default answers the value and, for a gradient request whose value is not an error,
  /// "unsupported": implementations that differentiate override it.
  func answer(_ request: LossRequest) async -> LossAnswer

  /// Whether ``answer(_:)`` computes gradients (the hello's `"gradients":true`). Default `false`.
  var answersGradients: Bool { get }
}

extension LossImplementation {
  public func answer(_ request: LossRequest) async -> LossAnswer {
    let outcome = await evaluate(request)
    guard request.gradient != nil, case .value = outcome else { return LossAnswer(outcome: outcome) }
    return LossAnswer(outcome: outcome, gradient: .unsupported("\(name) does not compute gradients"))
  }
}

extension LossImplementation {
  public var answersGradients: Bool { false }

  /// The hello line this implementation sends when it speaks `losscheck/1`.
  public var hello: Hello {
    Hello(
      implementation: name, losses: losses.map(\.rawValue), dtypes: dtypes.map(\.rawValue),
      gradients: answersGradients)
  }
}

/// The first line an adapter writes.
public struct Hello: Sendable, Hashable {
  public static let currentProtocol = "losscheck/1"

  public var protocolName: String
  public var implementation: String
  public var losses: [String]
  public var dtypes: [String]
  /// Whether the implementation answers gradient requests (the hello's optional
  /// `"gradients":true`, an additive `losscheck/1` extension; written only when `true`).
  public var gradients: Bool

  public init(
    protocolName: String = Hello.currentProtocol, implementation: String, losses: [String],
    dtypes: [String], gradients: Bool = false
  ) {
    self.protocolName = protocolName
    self.implementation = implementation
    self.losses = losses
    self.dtypes = dtypes
    self.gradients = gradients
  }
}

/// One response line: the request's id, its outcome and, when the request asked for one, the
/// gradient part (the protocol's `"grad"` or `"gradUnsupported"`).
public struct LossResponse: Sendable, Hashable {
  public var id: String
  public var outcome: LossOutcome
  /// The gradient, or why there is none; `nil`: the response has no gradient part (the request
  /// asked for none, or the adapter wrote none).
  public var gradient: GradientOutcome?

  public init(id: String, outcome: LossOutcome, gradient: GradientOutcome? = nil) {
    self.id = id
    self.outcome = outcome
    self.gradient = gradient
  }
}
