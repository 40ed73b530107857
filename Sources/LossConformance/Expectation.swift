import LossCore

/// What a golden case expects: the `"expect"` object of a vector line (`Conformance/PROTOCOL.md`,
/// "Golden vectors").
///
/// The values are LossSpec's: the exact value of the formula as a decimal of at least 40 correct
/// significant digits, the exact value correctly rounded to Float32, Float64 and (for a half-precision case) the case's
/// dtype, and the error scale `S`
/// that the stable and acceptable tiers are measured in.
public struct Expectation: Sendable, Hashable {
  /// The kind of result.
  public enum Outcome: Sendable, Hashable {
    /// One number (`exact` has one element).
    case scalar
    /// `agg = "none"`: an array of this shape, column-major.
    case array(Shape)
    /// The loss throws an error of this kind.
    case error(LossError.Kind)
  }

  public var outcome: Outcome
  /// Per value: a decimal (≥ 40 significant digits) or `"NaN"`, `"Infinity"`, `"-Infinity"`.
  public var exact: [String]
  /// Per value: the exact value correctly rounded to Float32 (held as a Double).
  public var float32: [Double]
  /// Per value: the exact value correctly rounded to Float64.
  public var float64: [Double]
  /// Per value, for a Float16 or BFloat16 case: the exact value correctly rounded to that dtype
  /// (the member named by the dtype, `"float16"` or `"bfloat16"`); empty for the other dtypes.
  public var halfPrecision: [Double]
  /// Per value: the error scale `S` (DESIGN.md, "Verdicts"); `+∞` when the inputs are not finite.
  public var errorScale: [Double]
  public var regime: Regime
  /// Labels for selection and reporting, such as `agg:none`, `shape:empty`, `special:nan`.
  public var tags: [String]
  /// A gradient case's expected gradient (the `"gradient"` member; `nil` for a value case).
  public var gradient: GradientExpectation?

  public init(
    outcome: Outcome, exact: [String] = [], float32: [Double] = [], float64: [Double] = [],
    halfPrecision: [Double] = [], errorScale: [Double] = [], regime: Regime, tags: [String] = [],
    gradient: GradientExpectation? = nil
  ) {
    self.outcome = outcome
    self.exact = exact
    self.float32 = float32
    self.float64 = float64
    self.halfPrecision = halfPrecision
    self.errorScale = errorScale
    self.regime = regime
    self.tags = tags
    self.gradient = gradient
  }

  /// The correctly rounded values in `dtype`.
  public func rounded(_ dtype: DType) -> [Double] {
    switch dtype {
    case .float32: float32
    case .float64: float64
    case .float16, .bfloat16: halfPrecision
    }
  }

  /// The outcome's spelling in a vector file and in reports: an `OutcomeClass` of the exact
  /// value (`finite`, `+Inf`, `-Inf`, `NaN`), `array`, or the error kind.
  public var outcomeName: String {
    switch outcome {
    case .scalar:
      switch exact.first {
      case "NaN": OutcomeClass.nan.rawValue
      case "Infinity": OutcomeClass.plusInfinity.rawValue
      case "-Infinity": OutcomeClass.minusInfinity.rawValue
      default: OutcomeClass.finite.rawValue
      }
    case .array: "array"
    case .error(let kind): kind.rawValue
    }
  }
}

// MARK: JSON

extension Expectation {
  /// The `"expect"` object; a gradient case's `"gradient"` member is written in `dtype`.
  func json(dtype: DType = .float64) -> JSONValue {
    var members: [(key: String, value: JSONValue)] = [("outcome", .string(outcomeName))]
    func numbers(_ xs: [Double], _ dtype: DType) -> JSONValue {
      .array(xs.map { ProtocolCodec.encode($0, dtype: dtype) })
    }
    switch outcome {
    case .scalar:
      members += [
        ("exact", .string(exact[0])),
        ("float32", ProtocolCodec.encode(float32[0], dtype: .float32)),
        ("float64", ProtocolCodec.encode(float64[0], dtype: .float64)),
      ]
      if dtype.isHalfPrecision {
        members.append((dtype.rawValue, ProtocolCodec.encode(halfPrecision[0], dtype: dtype)))
      }
      members.append(("errorScale", Self.encodeScale(errorScale[0])))
    case .array(let shape):
      members += [
        ("shape", .array(shape.dims.map { .number(String($0)) })),
        ("exact", .array(exact.map { .string($0) })),
        ("float32", numbers(float32, .float32)),
        ("float64", numbers(float64, .float64)),
      ]
      if dtype.isHalfPrecision { members.append((dtype.rawValue, numbers(halfPrecision, dtype))) }
      members.append(("errorScale", .array(errorScale.map(Self.encodeScale))))
    case .error:
      break
    }
    members += [("regime", .string(regime.rawValue)), ("tags", .array(tags.map { .string($0) }))]
    if let gradient { members.append(("gradient", gradient.json(dtype: dtype))) }
    return .object(members)
  }

  /// The scale with 6 significant digits: it is an estimate, and a short spelling keeps files
  /// small and stable across libm versions.
  static func encodeScale(_ s: Double) -> JSONValue {
    guard s.isFinite else { return ProtocolCodec.encode(s, dtype: .float64) }
    let rounded = Double(s.formatted(significantDigits: 6)) ?? s
    return .number(rounded.description)
  }

  /// Reads an `"expect"` object.
  ///
  /// - Throws: ``VectorFileError`` naming the field.
  static func decode(_ json: JSONValue, dtype: DType) throws(VectorFileError) -> Expectation {
    var expectation = try decodeValue(json, dtype: dtype)
    if let gradient = json["gradient"] {
      expectation.gradient = try GradientExpectation.decode(gradient, dtype: dtype)
    }
    return expectation
  }

  private static func decodeValue(_ json: JSONValue, dtype: DType) throws(VectorFileError) -> Expectation {
    guard case .object = json else { throw VectorFileError("expect must be an object") }
    guard case .string(let outcomeName)? = json["outcome"] else {
      throw VectorFileError("expect.outcome must be a string")
    }
    guard case .string(let regimeName)? = json["regime"], let regime = Regime(rawValue: regimeName) else {
      throw VectorFileError("expect.regime must be one of \(Regime.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    var tags: [String] = []
    if case .array(let items)? = json["tags"] {
      for case .string(let tag) in items { tags.append(tag) }
    }
    func number(_ value: JSONValue?, _ dtype: DType, _ field: String) throws(VectorFileError) -> Double {
      guard let value else { throw VectorFileError("expect.\(field) is missing") }
      do {
        return try ProtocolCodec.decodeNumber(value, dtype: dtype, field: "expect.\(field)")
      } catch {
        throw VectorFileError(error.message)
      }
    }
    func list(_ field: String) throws(VectorFileError) -> [JSONValue] {
      guard case .array(let items)? = json[field] else {
        throw VectorFileError("expect.\(field) must be an array for an array outcome")
      }
      return items
    }
    switch outcomeName {
    case "array":
      guard case .array(let dims)? = json["shape"] else { throw VectorFileError("expect.shape is missing") }
      var shape: [Int] = []
      for case .number(let text) in dims {
        guard let d = Int(text) else { throw VectorFileError("expect.shape must hold integers") }
        shape.append(d)
      }
      var exact: [String] = []
      for item in try list("exact") {
        guard case .string(let s) = item else { throw VectorFileError("expect.exact must hold strings") }
        exact.append(s)
      }
      var f32: [Double] = []
      for item in try list("float32") { f32.append(try number(item, .float32, "float32")) }
      var f64: [Double] = []
      for item in try list("float64") { f64.append(try number(item, .float64, "float64")) }
      var half: [Double] = []
      if dtype.isHalfPrecision {
        for item in try list(dtype.rawValue) { half.append(try number(item, dtype, dtype.rawValue)) }
      }
      var scales: [Double] = []
      for item in try list("errorScale") { scales.append(try number(item, .float64, "errorScale")) }
      let count = Shape(shape).count
      guard exact.count == count, f32.count == count, f64.count == count, scales.count == count,
        !dtype.isHalfPrecision || half.count == count
      else {
        throw VectorFileError("expect: the value arrays must have \(count) elements for shape \(Shape(shape))")
      }
      return Expectation(
        outcome: .array(Shape(shape)), exact: exact, float32: f32, float64: f64, halfPrecision: half,
        errorScale: scales, regime: regime, tags: tags)
    case OutcomeClass.finite.rawValue, OutcomeClass.nan.rawValue, OutcomeClass.plusInfinity.rawValue,
      OutcomeClass.minusInfinity.rawValue:
      guard case .string(let exact)? = json["exact"] else { throw VectorFileError("expect.exact must be a string") }
      return Expectation(
        outcome: .scalar, exact: [exact], float32: [try number(json["float32"], .float32, "float32")],
        float64: [try number(json["float64"], .float64, "float64")],
        halfPrecision: dtype.isHalfPrecision ? [try number(json[dtype.rawValue], dtype, dtype.rawValue)] : [],
        errorScale: [try number(json["errorScale"], .float64, "errorScale")], regime: regime, tags: tags)
    default:
      guard let kind = LossError.Kind(rawValue: outcomeName) else {
        throw VectorFileError("expect.outcome '\(outcomeName)' is not an outcome")
      }
      return Expectation(outcome: .error(kind), regime: regime, tags: tags)
    }
  }
}

/// A problem in a golden vector file or a manifest, with the line when known.
public struct VectorFileError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
