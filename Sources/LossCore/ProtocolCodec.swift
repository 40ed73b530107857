/// The JSON codec of the `losscheck/1` protocol (see `Conformance/PROTOCOL.md`).
///
/// Numbers are written as the shortest decimal that round-trips in the dtype and read directly in
/// the dtype (one rounding); non-finite values are the strings `"NaN"`, `"Infinity"`,
/// `"-Infinity"`. Every decoding error is a `LossError` whose message names the field.
public enum ProtocolCodec {
  // MARK: Numbers

  /// The protocol's spelling of `x`, an exact value of `dtype` (``DType/spelling(of:_:)``): a
  /// JSON number, or for NaN and the infinities a JSON string.
  public static func encode(_ x: Double, dtype: DType) -> JSONValue {
    let text = dtype.spelling(of: x, .json)
    return x.isFinite ? .number(text) : .string(text)
  }

  /// Reads a number of `dtype` from its protocol spelling, rounding the decimal once, in `dtype`.
  ///
  /// - Throws: `ArgumentError` naming `field` for a non-number, or a finite decimal that
  ///   overflows the dtype.
  public static func decodeNumber(_ value: JSONValue, dtype: DType, field: String) throws(LossError)
    -> Double
  {
    switch value {
    case .string("NaN"): return .nan
    case .string("Infinity"): return .infinity
    case .string("-Infinity"): return -.infinity
    case .number(let text):
      let parsed = dtype.parse(text)
      guard let parsed else { throw .argumentError("\(field): '\(text)' is not a number") }
      guard parsed.isFinite else {
        throw .argumentError("\(field): \(text) is outside the range of \(dtype.rawValue)")
      }
      return parsed
    default:
      throw .argumentError(
        "\(field) must be a number or \"NaN\"/\"Infinity\"/\"-Infinity\", got \(value.typeName)")
    }
  }

  static func decodeNumbers(_ value: JSONValue?, dtype: DType, field: String) throws(LossError)
    -> [Double]
  {
    guard case .array(let items)? = value else {
      throw .argumentError("\(field) must be an array of numbers, got \(value?.typeName ?? "nothing")")
    }
    var out: [Double] = []
    out.reserveCapacity(items.count)
    for (i, item) in items.enumerated() {
      out.append(try decodeNumber(item, dtype: dtype, field: "\(field)[\(i + 1)]"))
    }
    return out
  }

  static func decodeShape(_ value: JSONValue?, field: String) throws(LossError) -> Shape {
    guard case .array(let items)? = value else {
      throw .argumentError("\(field) must be an array of non-negative integers, got \(value?.typeName ?? "nothing")")
    }
    var dims: [Int] = []
    for item in items {
      guard case .number(let text) = item, let d = Int(text), d >= 0 else {
        throw .argumentError("\(field) must be an array of non-negative integers, got \(item.serialized())")
      }
      dims.append(d)
    }
    let shape = Shape(dims)
    try shape.validate(name: field)
    return shape
  }

  // MARK: Requests

  /// Decodes one request line (also a golden-vector line: unknown fields such as `expect` are
  /// ignored).
  ///
  /// - Throws: `ArgumentError` naming the missing or malformed field; `DimensionMismatch` when
  ///   a value count disagrees with its shape.
  public static func decodeRequest(_ json: JSONValue) throws(LossError) -> LossRequest {
    guard case .object = json else {
      throw .argumentError("a request must be a JSON object, got \(json.typeName)")
    }
    let id: String
    switch json["id"] {
    case .string(let s)?: id = s
    case .number(let n)?: id = n
    case nil: id = ""
    case let other?: throw .argumentError("id must be a string, got \(other.typeName)")
    }
    guard case .string(let lossName)? = json["loss"] else {
      throw .argumentError("request \(id.isEmpty ? "" : "'\(id)' ")is missing the string field 'loss'")
    }
    guard let loss = LossID(name: lossName) else {
      throw .argumentError(
        "unknown loss '\(lossName)' (known: \(LossID.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    var dtype = DType.float64
    if let d = json["dtype"] {
      guard case .string(let name) = d, let parsed = DType(rawValue: name) else {
        throw .argumentError(
          "dtype must be one of \(DType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got \(d.serialized())"
        )
      }
      dtype = parsed
    }
    let yhatValues = try decodeNumbers(json["yhat"], dtype: dtype, field: "yhat")
    let shape =
      json["shape"] == nil ? Shape([yhatValues.count]) : try decodeShape(json["shape"], field: "shape")
    let yhat = try Tensor(shape: shape, values: yhatValues)
    let y: Target
    switch json["y"] {
    case nil:
      throw .argumentError("request \(id.isEmpty ? "" : "'\(id)' ")is missing the field 'y'")
    case .array?:
      let values = try decodeNumbers(json["y"], dtype: dtype, field: "y")
      let yshape = json["yshape"] == nil ? shape : try decodeShape(json["yshape"], field: "yshape")
      do {
        y = .array(try Tensor(shape: yshape, values: values))
      } catch {
        throw .dimensionMismatch(
          "y has \(values.count) values, which does not fit its shape \(yshape) (give 'yshape' when y's shape differs from ŷ's)"
        )
      }
    case let value?:
      y = .scalar(try decodeNumber(value, dtype: dtype, field: "y"))
    }
    let params = try decodeParameters(json["params"], dtype: dtype)
    let budget = try decodeBudget(json["budget"])
    let gradient = try decodeGradientRequest(grad: json["grad"], cotangent: json["cotangent"], dtype: dtype)
    return LossRequest(
      id: id, loss: loss, dtype: dtype, yhat: yhat, y: y, params: params, budget: budget, gradient: gradient)
  }

  /// What the optional `grad` may hold, as error messages quote it.
  static let allowedGrad = #"["yhat"] or ["yhat", "y"]"#

  /// The optional `grad` (`["yhat"]` or `["yhat", "y"]`, in either order) and `cotangent` (a flat
  /// column-major array of numbers in the request's dtype, read like `yhat`; only with `grad`).
  /// Whether the cotangent's count fits the unreduced result is for the implementation to check.
  ///
  /// - Throws: `ArgumentError` naming `grad` for anything else (not an array, an entry that is not
  ///   `"yhat"` or `"y"`, a duplicate, `"y"` without `"yhat"`, an empty array), naming `cotangent`
  ///   for a malformed one or one without `grad`.
  static func decodeGradientRequest(grad: JSONValue?, cotangent: JSONValue?, dtype: DType) throws(LossError)
    -> GradientRequest?
  {
    guard let grad else {
      if cotangent != nil {
        throw .argumentError("cotangent is only meaningful with 'grad' (\(allowedGrad)), which the request lacks")
      }
      return nil
    }
    guard case .array(let items) = grad else {
      throw .argumentError("grad must be \(allowedGrad), got \(grad.serialized())")
    }
    var seen: [GradientRequest.Argument] = []
    for item in items {
      guard case .string(let name) = item, let argument = GradientRequest.Argument(rawValue: name) else {
        throw .argumentError(
          "grad: \(item.serialized()) is not an argument of the loss (allowed: \(allowedGrad)), "
            + "in \(grad.serialized())")
      }
      guard !seen.contains(argument) else {
        throw .argumentError(
          "grad: \"\(name)\" appears more than once in \(grad.serialized()) (allowed: \(allowedGrad))")
      }
      seen.append(argument)
    }
    guard seen.contains(.yhat) else {
      throw .argumentError(
        "grad must include \"yhat\" (the gradient with respect to ŷ is always computed; allowed: \(allowedGrad)), got \(grad.serialized())"
      )
    }
    let cotangentValues = try cotangent.map { (c) throws(LossError) in
      try decodeNumbers(c, dtype: dtype, field: "cotangent")
    }
    return GradientRequest(withTarget: seen.contains(.y), cotangent: cotangentValues)
  }

  /// The optional `budget`, seconds: a JSON number, finite, in `(0, 1e6]`.
  static func decodeBudget(_ value: JSONValue?) throws(LossError) -> Double? {
    guard let value else { return nil }
    guard case .number(let text) = value, let seconds = Double(text) else {
      throw .argumentError("budget must be a number of seconds, got \(value.serialized())")
    }
    if let problem = LossRequest.budgetProblem(seconds) { throw .argumentError(problem) }
    return seconds
  }

  static func decodeParameters(_ json: JSONValue?, dtype: DType) throws(LossError) -> LossParameters {
    var params = LossParameters()
    guard let json else { return params }
    guard case .object(let members) = json else {
      throw .argumentError("params must be an object, got \(json.typeName)")
    }
    for (key, value) in members {
      guard let name = ParameterName(rawValue: key) else {
        throw .argumentError(
          "unknown parameter '\(key)' (known: \(ParameterName.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      switch name {
      case .agg:
        guard case .string(let s) = value, let agg = Aggregation(rawValue: s) else {
          throw .argumentError("agg must be \"mean\", \"sum\" or \"none\", got \(value.serialized())")
        }
        params.agg = agg
      case .eps: params.eps = try decodeNumber(value, dtype: .float64, field: "params.eps")
      case .delta: params.delta = try decodeNumber(value, dtype: .float64, field: "params.delta")
      case .smooth: params.smooth = try decodeNumber(value, dtype: .float64, field: "params.smooth")
      case .beta: params.beta = try decodeNumber(value, dtype: .float64, field: "params.beta")
      case .dims:
        let items: [JSONValue]
        if case .array(let a) = value { items = a } else { items = [value] }
        var dims: [Int] = []
        for item in items {
          guard case .number(let text) = item, let d = Int(text) else {
            throw .argumentError("dims must be 1-based integers, got \(value.serialized())")
          }
          dims.append(d)
        }
        params.dims = dims
      case .weight:
        switch value {
        case .object:
          let wshape = try decodeShape(value["shape"], field: "params.weight.shape")
          let data = try decodeNumbers(value["data"], dtype: dtype, field: "params.weight.data")
          params.weight = .array(try Tensor(shape: wshape, values: data))
        default:
          params.weight = .scalar(try decodeNumber(value, dtype: .float64, field: "params.weight"))
        }
      }
    }
    return params
  }

  /// Encodes a request line (absent parameters are omitted).
  public static func encode(_ request: LossRequest) -> JSONValue {
    let dtype = request.dtype
    func numbers(_ xs: [Double]) -> JSONValue { .array(xs.map { encode($0, dtype: dtype) }) }
    func shape(_ s: Shape) -> JSONValue { .array(s.dims.map { .number(String($0)) }) }
    var members: [(key: String, value: JSONValue)] = [
      ("id", .string(request.id)),
      ("loss", .string(request.loss.rawValue)),
      ("dtype", .string(dtype.rawValue)),
      ("shape", shape(request.yhat.shape)),
      ("yhat", numbers(request.yhat.values)),
    ]
    switch request.y {
    case .scalar(let v): members.append(("y", encode(v, dtype: dtype)))
    case .array(let t):
      members.append(("y", numbers(t.values)))
      if t.shape != request.yhat.shape { members.append(("yshape", shape(t.shape))) }
    }
    var params: [(key: String, value: JSONValue)] = []
    let p = request.params
    if let agg = p.agg { params.append(("agg", .string(agg.rawValue))) }
    if let eps = p.eps { params.append(("eps", encode(eps, dtype: .float64))) }
    if let dims = p.dims { params.append(("dims", .array(dims.map { .number(String($0)) }))) }
    switch p.weight {
    case .scalar(let w)?: params.append(("weight", encode(w, dtype: .float64)))
    case .array(let t)?:
      params.append(("weight", .object([("shape", shape(t.shape)), ("data", numbers(t.values))])))
    case nil: break
    }
    if let delta = p.delta { params.append(("delta", encode(delta, dtype: .float64))) }
    if let smooth = p.smooth { params.append(("smooth", encode(smooth, dtype: .float64))) }
    if let beta = p.beta { params.append(("beta", encode(beta, dtype: .float64))) }
    if !params.isEmpty { members.append(("params", .object(params))) }
    if let gradient = request.gradient {
      members.append(("grad", .array(gradient.arguments.map { .string($0.rawValue) })))
      if let cotangent = gradient.cotangent { members.append(("cotangent", numbers(cotangent))) }
    }
    if let budget = request.budget { members.append(("budget", encode(budget, dtype: .float64))) }
    return .object(members)
  }

  // MARK: Responses

  /// Encodes a response line: the outcome, then the gradient part when there is one
  /// (`"grad":{"yhat":[…],"y":[…]}` or `"gradUnsupported":"reason"`). A response without a
  /// gradient is the line of plain `losscheck/1`.
  public static func encode(_ response: LossResponse, dtype: DType) -> JSONValue {
    func numbers(_ xs: [Double]) -> JSONValue { .array(xs.map { encode($0, dtype: dtype) }) }
    var members: [(key: String, value: JSONValue)] = [("id", .string(response.id))]
    switch response.outcome {
    case .value(.scalar(let v)):
      members.append(("value", encode(v, dtype: dtype)))
    case .value(.array(let t)):
      members.append(("value", numbers(t.values)))
      members.append(("shape", .array(t.shape.dims.map { .number(String($0)) })))
    case .error(let e):
      members.append(
        ("error", .object([("kind", .string(e.kind.rawValue)), ("message", .string(e.message))])))
    case .unsupported(let reason):
      members.append(("unsupported", .string(reason)))
    }
    switch response.gradient {
    case nil: break
    case .gradient(let g)?:
      var grad: [(key: String, value: JSONValue)] = [("yhat", numbers(g.yhat))]
      if let y = g.y { grad.append(("y", numbers(y))) }
      members.append(("grad", .object(grad)))
    case .unsupported(let reason)?:
      members.append(("gradUnsupported", .string(reason)))
    }
    return .object(members)
  }

  /// Decodes a response line. An array value without a `shape` is taken as a vector. The gradient
  /// part (`grad` or `gradUnsupported`) is read whatever the outcome; whether its counts fit ŷ and
  /// y is for grading to judge, not for the codec.
  ///
  /// - Throws: `ArgumentError` for a missing id or outcome, and for a malformed gradient part:
  ///   `grad` not an object, `grad.yhat` missing or not an array of numbers, `grad.y` not an
  ///   array of numbers, `gradUnsupported` not a string, or both `grad` and `gradUnsupported`.
  public static func decodeResponse(_ json: JSONValue, dtype: DType) throws(LossError) -> LossResponse {
    guard case .object = json else {
      throw .argumentError("a response must be a JSON object, got \(json.typeName)")
    }
    guard case .string(let id)? = json["id"] else {
      throw .argumentError("response is missing the string field 'id'")
    }
    let outcome = try decodeOutcome(json, id: id, dtype: dtype)
    let gradient = try decodeGradientOutcome(json, id: id, dtype: dtype)
    return LossResponse(id: id, outcome: outcome, gradient: gradient)
  }

  static func decodeOutcome(_ json: JSONValue, id: String, dtype: DType) throws(LossError) -> LossOutcome {
    if let error = json["error"] {
      guard case .string(let kindName)? = error["kind"] else {
        throw .argumentError("response '\(id)': error.kind must be a string")
      }
      let kind = LossError.Kind(rawValue: kindName) ?? .other
      var message = ""
      if case .string(let m)? = error["message"] { message = m }
      return .error(LossError(kind, message))
    }
    if case .string(let reason)? = json["unsupported"] {
      return .unsupported(reason)
    }
    switch json["value"] {
    case nil:
      throw .argumentError("response '\(id)' has none of 'value', 'error', 'unsupported'")
    case .array?:
      let values = try decodeNumbers(json["value"], dtype: dtype, field: "value")
      let shape = json["shape"] == nil ? Shape([values.count]) : try decodeShape(json["shape"], field: "shape")
      return .value(.array(try Tensor(shape: shape, values: values)))
    case let value?:
      return .value(.scalar(try decodeNumber(value, dtype: dtype, field: "value")))
    }
  }

  static func decodeGradientOutcome(_ json: JSONValue, id: String, dtype: DType) throws(LossError)
    -> GradientOutcome?
  {
    switch (json["grad"], json["gradUnsupported"]) {
    case (nil, nil):
      return nil
    case (_?, _?):
      throw .argumentError("response '\(id)' has both 'grad' and 'gradUnsupported'; give one of them")
    case (nil, let reason?):
      guard case .string(let text) = reason else {
        throw .argumentError("response '\(id)': gradUnsupported must be a string (the reason), got \(reason.typeName)")
      }
      return .unsupported(text)
    case (let grad?, nil):
      guard case .object = grad else {
        throw .argumentError(
          "response '\(id)': grad must be an object {\"yhat\":[…]} or {\"yhat\":[…],\"y\":[…]}, got \(grad.typeName)")
      }
      guard grad["yhat"] != nil else {
        throw .argumentError("response '\(id)': grad is missing the array field 'yhat'")
      }
      let yhat = try decodeNumbers(grad["yhat"], dtype: dtype, field: "response '\(id)': grad.yhat")
      let y = try grad["y"].map { (v) throws(LossError) in
        try decodeNumbers(v, dtype: dtype, field: "response '\(id)': grad.y")
      }
      return .gradient(LossGradient(yhat: yhat, y: y))
    }
  }

  // MARK: Hello

  /// Encodes a hello line; `"gradients":true` only when the implementation advertises gradients,
  /// so a hello without them is the line of plain `losscheck/1`.
  public static func encode(_ hello: Hello) -> JSONValue {
    var members: [(key: String, value: JSONValue)] = [
      ("protocol", .string(hello.protocolName)),
      ("implementation", .string(hello.implementation)),
      ("losses", .array(hello.losses.map { .string($0) })),
      ("dtypes", .array(hello.dtypes.map { .string($0) })),
    ]
    if hello.gradients { members.append(("gradients", .bool(true))) }
    return .object(members)
  }

  public static func decodeHello(_ json: JSONValue) throws(LossError) -> Hello {
    guard case .string(let proto)? = json["protocol"] else {
      throw .argumentError("hello line is missing the string field 'protocol'")
    }
    guard proto == Hello.currentProtocol else {
      throw .argumentError("adapter speaks '\(proto)', expected '\(Hello.currentProtocol)'")
    }
    func strings(_ key: String) throws(LossError) -> [String] {
      guard case .array(let items)? = json[key] else {
        throw .argumentError("hello line is missing the array field '\(key)'")
      }
      var out: [String] = []
      for item in items {
        guard case .string(let s) = item else {
          throw .argumentError("hello '\(key)' must hold strings")
        }
        out.append(s)
      }
      return out
    }
    var name = ""
    if case .string(let s)? = json["implementation"] { name = s }
    var gradients = false
    switch json["gradients"] {
    case nil: break
    case .bool(let b)?: gradients = b
    case let other?: throw .argumentError("hello 'gradients' must be true or false, got \(other.serialized())")
    }
    return Hello(
      implementation: name, losses: try strings("losses"), dtypes: try strings("dtypes"), gradients: gradients)
  }
}
