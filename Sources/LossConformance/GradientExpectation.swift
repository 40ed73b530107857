import LossCore

/// What a golden gradient case expects of the gradient: the `"gradient"` member of its `"expect"`
/// object (`Conformance/PROTOCOL.md`, "Gradient vectors").
///
/// Every element is LossSpec's: the exact derivative correctly rounded to the request's dtype, or
/// at a kink the two one-sided derivatives, each correctly rounded. The error scales are those of
/// `SpecGradient`-style references (the magnitudes a straightforward evaluation of the
/// derivative rounds), and ``terms`` is the `n` of the stable and acceptable bounds.
public struct GradientExpectation: Sendable, Hashable {
  /// `∂L/∂ŷ`, one element per element of ŷ, column-major.
  public var yhat: [GradientElement]
  /// `∂L/∂y` when the request asks for it: one element per element of y (one for a scalar y).
  public var y: [GradientElement]?
  /// The error scale `S` of each ŷ-element.
  public var yhatErrorScale: [Double]
  /// The error scale of each y-element.
  public var yErrorScale: [Double]?
  /// `n` of the bounds (``Grader/gradientTermCount(_:)``).
  public var terms: Int
  /// `false` when the reference could not decide a rounding (written only then).
  public var decided: Bool

  public init(
    yhat: [GradientElement], y: [GradientElement]? = nil, yhatErrorScale: [Double], yErrorScale: [Double]? = nil,
    terms: Int, decided: Bool = true
  ) {
    self.yhat = yhat
    self.y = y
    self.yhatErrorScale = yhatErrorScale
    self.yErrorScale = yErrorScale
    self.terms = terms
    self.decided = decided
  }

  /// The expected elements and scales of one argument (`nil` for y when not asked for).
  public func elements(_ argument: GradientRequest.Argument) -> (elements: [GradientElement], scales: [Double])? {
    switch argument {
    case .yhat: return (yhat, yhatErrorScale)
    case .y:
      guard let y else { return nil }
      return (y, yErrorScale ?? [Double](repeating: .infinity, count: y.count))
    }
  }

  /// Whether some element is a kink (a `[lower, upper]` pair).
  public var hasKink: Bool {
    (yhat + (y ?? [])).contains {
      if case .subgradient = $0 { true } else { false }
    }
  }

  // MARK: JSON

  /// The `"gradient"` object.
  func json(dtype: DType) -> JSONValue {
    func elements(_ xs: [GradientElement]) -> JSONValue {
      .array(
        xs.map { element in
          switch element {
          case .value(let v): ProtocolCodec.encode(v, dtype: dtype)
          case .subgradient(let lower, let upper):
            .array([ProtocolCodec.encode(lower, dtype: dtype), ProtocolCodec.encode(upper, dtype: dtype)])
          }
        })
    }
    var members: [(key: String, value: JSONValue)] = [
      ("terms", .number(String(terms))), ("yhat", elements(yhat)),
      ("yhatErrorScale", .array(yhatErrorScale.map(Expectation.encodeScale))),
    ]
    if let y {
      members.append(("y", elements(y)))
      members.append(("yErrorScale", .array((yErrorScale ?? []).map(Expectation.encodeScale))))
    }
    if !decided { members.append(("decided", .bool(false))) }
    return .object(members)
  }

  /// Reads a `"gradient"` object.
  ///
  /// - Throws: ``VectorFileError`` naming the field.
  static func decode(_ json: JSONValue, dtype: DType) throws(VectorFileError) -> GradientExpectation {
    guard case .object = json else { throw VectorFileError("expect.gradient must be an object") }
    func number(_ value: JSONValue, _ field: String, _ dtype: DType) throws(VectorFileError) -> Double {
      do {
        return try ProtocolCodec.decodeNumber(value, dtype: dtype, field: "expect.gradient.\(field)")
      } catch {
        throw VectorFileError(error.message)
      }
    }
    func elements(_ field: String) throws(VectorFileError) -> [GradientElement]? {
      guard let value = json[field] else { return nil }
      guard case .array(let items) = value else { throw VectorFileError("expect.gradient.\(field) must be an array") }
      var out: [GradientElement] = []
      out.reserveCapacity(items.count)
      for item in items {
        if case .array(let pair) = item {
          guard pair.count == 2 else {
            throw VectorFileError("expect.gradient.\(field): a kink must be a pair [lower, upper]")
          }
          let lower = try number(pair[0], field, dtype)
          let upper = try number(pair[1], field, dtype)
          guard lower <= upper else {
            throw VectorFileError("expect.gradient.\(field): a kink [lower, upper] needs lower ≤ upper")
          }
          out.append(.subgradient(lower: lower, upper: upper))
        } else {
          out.append(.value(try number(item, field, dtype)))
        }
      }
      return out
    }
    func scales(_ field: String) throws(VectorFileError) -> [Double]? {
      guard let value = json[field] else { return nil }
      guard case .array(let items) = value else { throw VectorFileError("expect.gradient.\(field) must be an array") }
      var out: [Double] = []
      for item in items { out.append(try number(item, field, .float64)) }
      return out
    }
    guard case .number(let termsText)? = json["terms"], let terms = Int(termsText), terms >= 0 else {
      throw VectorFileError("expect.gradient.terms must be an integer ≥ 0")
    }
    guard let yhat = try elements("yhat") else { throw VectorFileError("expect.gradient.yhat is missing") }
    let yhatScale = try scales("yhatErrorScale") ?? []
    guard yhatScale.count == yhat.count else {
      throw VectorFileError("expect.gradient.yhatErrorScale must have one scale per element of yhat")
    }
    let y = try elements("y")
    let yScale = try scales("yErrorScale")
    if let y, yScale?.count != y.count {
      throw VectorFileError("expect.gradient.yErrorScale must have one scale per element of y")
    }
    var decided = true
    if case .bool(let b)? = json["decided"] { decided = b }
    return GradientExpectation(
      yhat: yhat, y: y, yhatErrorScale: yhatScale, yErrorScale: y == nil ? nil : yScale, terms: terms,
      decided: decided)
  }
}

extension Grader {
  /// The `n` of the stable and acceptable bounds of a gradient case (PROTOCOL.md, "Gradient
  /// vectors"): 1 for the elementwise losses; one reduced block (the product of the sizes of
  /// `dims`) for crossentropy, logitcrossentropy and kldivergence; every element of ŷ for dice
  /// and tversky; and every element of ŷ when a scalar y's gradient (a sum over the broadcast)
  /// is asked for.
  public static func gradientTermCount(_ request: LossRequest) -> Int {
    let n = request.yhat.count
    var terms = 1
    switch request.loss {
    case .diceCoeffLoss, .tverskyLoss: terms = n
    case .crossentropy, .logitcrossentropy, .kldivergence:
      let dims = Set(request.params.dims ?? [1])
      terms = dims.reduce(1) { $0 * request.yhat.shape.size($1) }
    default: break
    }
    if case .scalar = request.y, request.gradient?.includesTarget == true { terms = max(terms, n) }
    return max(terms, 1)
  }
}
