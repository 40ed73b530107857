import LossCore
import Testing

/// Decodes a request line and returns the error it must throw.
private func requestError(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> LossError {
  let json = try JSONValue(parsing: line)
  return try #require(throws: LossError.self, sourceLocation: sourceLocation) {
    try ProtocolCodec.decodeRequest(json)
  }
}

/// The number of significant decimal digits of a JSON number's text.
private func significantDigits(_ text: String) -> Int {
  let mantissa = text.split(whereSeparator: { $0 == "e" || $0 == "E" }).first ?? ""
  let digits = mantissa.filter(\.isNumber).drop(while: { $0 == "0" })
  return digits.reversed().drop(while: { $0 == "0" }).count
}

/// Numbers on the wire: shortest round-trip decimals, read once in the dtype.
@Suite("ProtocolCodec numbers")
struct ProtocolNumberTests {
  @Test(
    "numbers are written as the shortest decimal that round-trips in the dtype",
    arguments: [
      (0.1, DType.float32, "0.1"),  // rounded to Float32 first, whose shortest spelling is 0.1
      (Float32Facts.pointOne, .float32, "0.1"),
      (0.1, .float64, "0.1"),
      // 2⁻¹⁴⁹ ≈ 1.401e-45; its neighbours are 0 and 2⁻¹⁴⁸ ≈ 2.8e-45, so the one-digit 1e-45 is
      // nearer to it than to either.
      (Float32Facts.leastSubnormal, .float32, "1e-45"),
      // Float32(0.1) as a Float64: 0.100000001490116119384765625 exactly; 16 digits
      // (0.1000000014901161) miss it by 1.9e-17 > half a Double ulp (6.9e-18), 17 digits do not.
      (Float32Facts.pointOne, .float64, "0.10000000149011612"),
    ])
  func shortest(x: Double, dtype: DType, expected: String) {
    #expect(ProtocolCodec.encode(x, dtype: dtype) == .number(expected))
  }

  @Test("non-finite values are the strings NaN, Infinity, -Infinity", arguments: DType.allCases)
  func nonFiniteEncoding(dtype: DType) {
    #expect(ProtocolCodec.encode(.nan, dtype: dtype) == .string("NaN"))
    #expect(ProtocolCodec.encode(.infinity, dtype: dtype) == .string("Infinity"))
    #expect(ProtocolCodec.encode(-.infinity, dtype: dtype) == .string("-Infinity"))
  }

  @Test("the non-finite strings decode to NaN, +∞, −∞", arguments: DType.allCases)
  func nonFiniteDecoding(dtype: DType) throws {
    #expect(try ProtocolCodec.decodeNumber(.string("NaN"), dtype: dtype, field: "v").isNaN)
    #expect(try ProtocolCodec.decodeNumber(.string("Infinity"), dtype: dtype, field: "v") == .infinity)
    #expect(try ProtocolCodec.decodeNumber(.string("-Infinity"), dtype: dtype, field: "v") == -.infinity)
  }

  @Test(
    "other strings and JSON types are not numbers: an ArgumentError naming the field",
    arguments: [
      JSONValue.string("nan"), .string("inf"), .string("+Infinity"), .string("1"), .bool(true), .null, .array([]),
    ]
  )
  func notANumber(value: JSONValue) throws {
    let error = try #require(throws: LossError.self) {
      try ProtocolCodec.decodeNumber(value, dtype: .float64, field: "yhat[3]")
    }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("yhat[3]"))
  }

  @Test("the sign of zero survives the round trip", arguments: DType.allCases)
  func negativeZero(dtype: DType) throws {
    let decoded = try ProtocolCodec.decodeNumber(ProtocolCodec.encode(-0.0, dtype: dtype), dtype: dtype, field: "v")
    #expect(decoded == 0)
    #expect(decoded.sign == .minus)
  }

  /// A deterministic sweep of Float32 bit patterns (every 524 287th, a prime, from 1 up to +∞ and
  /// mirrored to negatives): every finite value comes back bit for bit, and never needs more than
  /// 9 significant digits (⌈1 + 24·log₁₀2⌉ = 9).
  @Test("every Float32 value round-trips through its encoding in at most 9 digits")
  func float32Sweep() throws {
    var bits: UInt32 = 1
    while bits < 0x7F80_0000 {
      for x in [Float(bitPattern: bits), -Float(bitPattern: bits)] {
        let encoded = ProtocolCodec.encode(Double(x), dtype: .float32)
        let decoded = try ProtocolCodec.decodeNumber(encoded, dtype: .float32, field: "v")
        #expect(decoded == Double(x), "\(encoded.serialized())")
        #expect(significantDigits(encoded.serialized()) <= 9, "\(encoded.serialized())")
      }
      bits += 524_287
    }
  }

  /// Float64 bit patterns from a fixed linear congruential sequence (Knuth's MMIX constants): every
  /// finite value comes back bit for bit, in at most 17 digits (⌈1 + 53·log₁₀2⌉ = 17).
  @Test("every Float64 value round-trips through its encoding in at most 17 digits")
  func float64Sweep() throws {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    for _ in 0..<4096 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let x = Double(bitPattern: state)
      guard x.isFinite else { continue }
      let encoded = ProtocolCodec.encode(x, dtype: .float64)
      let decoded = try ProtocolCodec.decodeNumber(encoded, dtype: .float64, field: "v")
      #expect(decoded.bitPattern == x.bitPattern, "\(encoded.serialized())")
      #expect(significantDigits(encoded.serialized()) <= 17, "\(encoded.serialized())")
    }
  }

  @Test("the decimal 0.1 in a float32 request is Float32(0.1), parsed in Float32")
  func pointOneInFloat32() throws {
    let request = try decodeRequest(#"{"loss":"mse","dtype":"float32","yhat":[0.1],"y":0.1}"#)
    #expect(request.yhat.values == [Double(Float(0.1))])
    #expect(request.yhat.values == [0.100000001490116119384765625])  // 13 421 773 · 2⁻²⁷
    #expect(request.y == .scalar(Float32Facts.pointOne))
  }

  /// Decimals just off a Float32 midpoint, closer to it than half a Double ulp (2⁻⁵³ ≈ 1.1e-16 at
  /// 1): parsed as a Double first they land *on* the midpoint, and the second rounding (ties to
  /// even) goes the wrong way. Parsed once in Float32 they round to the nearer neighbour.
  ///
  /// - 1.000000059604644775390625 is 1 + 2⁻²⁴, the midpoint of 1 and 1 + 2⁻²³: a decimal 1e-30
  ///   above it belongs to 1 + 2⁻²³; through Double it ties to the even 1.
  /// - 1.000000178813934326171875 is 1 + 3·2⁻²⁴, the midpoint of 1 + 2⁻²³ and 1 + 2⁻²²: a decimal
  ///   1e-30 below it belongs to 1 + 2⁻²³; through Double it ties to the even 1 + 2⁻²².
  static let doubleRounding: [(String, Double, Double)] = [
    ("1.000000059604644775390625000001", Float32Facts.midpointAboveOne, Float32Facts.successorOfOne),
    ("1.00000005960464477539062500000001", Float32Facts.midpointAboveOne, Float32Facts.successorOfOne),
    ("1.000000178813934326171874999999", 1 + 3 * 0x1p-24, Float32Facts.successorOfOne),
  ]

  @Test("a float32 number is rounded once, never through Float64", arguments: doubleRounding)
  func noDoubleRounding(text: String, midpoint: Double, direct: Double) throws {
    // Preconditions: the example is real — the Double parse lands on the midpoint, and converting
    // that to Float32 gives another value than the direct parse.
    let viaDouble = try #require(Double(text))
    try #require(viaDouble == midpoint)
    try #require(Double(Float(viaDouble)) != direct)
    #expect(try ProtocolCodec.decodeNumber(.number(text), dtype: .float32, field: "v") == direct)
    let request = try decodeRequest(
      #"{"loss":"crossentropy","dtype":"float32","yhat":[\#(text)],"y":[\#(text)],"#
        + #""params":{"weight":{"shape":[1],"data":[\#(text)]}}}"#)
    #expect(request.yhat.values == [direct])
    #expect(request.y == .array(Tensor([direct])))
    #expect(request.params.weight == .array(Tensor([direct])))
    let response = try ProtocolCodec.decodeResponse(
      JSONValue(parsing: #"{"id":"r","value":\#(text)}"#), dtype: .float32)
    #expect(response.outcome == .value(.scalar(direct)))
  }

  /// PROTOCOL.md: scalar parameters are Julia Float64 literals converted by `ofeltype`, so in Julia
  /// `Float32(1.000000059604644775390625000001)` parses the literal to the Float64 1 + 2⁻²⁴ and
  /// then ties to the even 1.0f0: here double rounding *is* the semantics.
  @Test("scalar parameters are read as Float64 and converted to the dtype afterwards")
  func parametersAreFloat64Literals() throws {
    let request = try decodeRequest(
      #"{"loss":"huber_loss","dtype":"float32","yhat":[1],"y":[0],"params":{"delta":1.000000059604644775390625000001}}"#
    )
    #expect(request.params.delta == Float32Facts.midpointAboveOne)
    #expect(try request.validated().params.delta == 1)
  }

  @Test(
    "a finite decimal that overflows the dtype is an ArgumentError",
    arguments: [
      ("1e39", DType.float32),
      ("-1e39", .float32),
      // Above the midpoint (2 − 2⁻²⁴)·2¹²⁷ ≈ 3.40282357e38 between the largest Float32 and 2¹²⁸.
      ("3.4028236e38", .float32),
      ("1e309", .float64),
      ("-2e308", .float64),
    ])
  func overflow(text: String, dtype: DType) throws {
    let error = try #require(throws: LossError.self) {
      try ProtocolCodec.decodeNumber(.number(text), dtype: dtype, field: "yhat[1]")
    }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("yhat[1]"))
  }

  @Test(
    "the largest finite values are in range",
    arguments: [
      ("3.4028235e+38", DType.float32, Float32Facts.greatest),
      ("1e39", .float64, 1e39),
      ("1.7976931348623157e308", .float64, Double.greatestFiniteMagnitude),
    ])
  func largestInRange(text: String, dtype: DType, expected: Double) throws {
    #expect(try ProtocolCodec.decodeNumber(.number(text), dtype: dtype, field: "v") == expected)
  }

  @Test("a float32 overflow in a request names the element and the dtype")
  func overflowInRequest() throws {
    let error = try requestError(#"{"loss":"mse","dtype":"float32","yhat":[1,1e39],"y":0}"#)
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("yhat[2]"))
    #expect(error.message.contains("float32"))
  }
}

/// Request lines: decoding, encoding and their round trip.
@Suite("ProtocolCodec requests")
struct ProtocolRequestTests {
  static func fullRequest(dtype: DType) throws -> LossRequest {
    // Data exact in both dtypes, so the same request is valid for each; the scalar parameters are
    // Float64 literals (PROTOCOL.md) and need not be Float32 values.
    LossRequest(
      id: "ce-\(dtype.rawValue)-1", loss: .crossentropy, dtype: dtype,
      yhat: try Tensor(
        shape: [3, 2],
        values: [
          Float32Facts.pointOne, 0.25, Float32Facts.pointSeven, -0.0, Float32Facts.leastSubnormal,
          Float32Facts.greatest,
        ]),
      y: .array(try Tensor(shape: [3, 2], values: [0, 0, 1, 1, 0, 0])),
      params: LossParameters(
        agg: .sum, eps: 1e-5, dims: [1, 2], weight: .array(try Tensor(shape: [3, 1], values: [0.5, 1, 2])),
        delta: 0.5, smooth: 2, beta: 0.25))
  }

  @Test("a request with every field survives encode, serialize, parse, decode", arguments: DType.standard)
  func fullRoundTrip(dtype: DType) throws {
    let request = try Self.fullRequest(dtype: dtype)
    try #require(request.yhat.values.allSatisfy(dtype.represents))
    let decoded = try decodeRequest(encodeLine(request))
    #expect(decoded == request)
  }

  @Test("a scalar y and a scalar weight survive the round trip")
  func scalarRoundTrip() throws {
    let request = LossRequest(
      id: "bce", loss: .binarycrossentropy, dtype: .float32, yhat: Tensor([Float32Facts.pointOne, 0.25]),
      y: .scalar(1), params: LossParameters(eps: 0))
    #expect(try decodeRequest(encodeLine(request)) == request)
    let weighted = LossRequest(
      loss: .logitcrossentropy, dtype: .float64, yhat: Tensor([0.5]), y: .scalar(0),
      params: LossParameters(weight: .scalar(0.1)))
    #expect(try decodeRequest(encodeLine(weighted)) == weighted)
  }

  @Test("a y of another shape is written with its yshape, and then fails validation naming both shapes")
  func yshapeRoundTrip() throws {
    let request = LossRequest(
      id: "dm", loss: .mse, dtype: .float64, yhat: try Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6]),
      y: .array(try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])))
    let json = ProtocolCodec.encode(request)
    #expect(json["yshape"] == .array([.number("2"), .number("3")]))
    let decoded = try ProtocolCodec.decodeRequest(JSONValue(parsing: json.serialized()))
    #expect(decoded == request)
    let error = try #require(throws: LossError.self) { try decoded.validated() }
    #expect(error.kind == .dimensionMismatch)
    #expect(error.message.contains("(3, 2)"))
    #expect(error.message.contains("(2, 3)"))
  }

  @Test("absent parameters are omitted from the line")
  func noParams() {
    let request = LossRequest(loss: .mse, dtype: .float64, yhat: Tensor([1]), y: .scalar(0))
    #expect(ProtocolCodec.encode(request)["params"] == nil)
    #expect(ProtocolCodec.encode(request)["yshape"] == nil)
  }

  @Test("the request of DESIGN.md decodes to its values, rounded once to Float32")
  func designExample() throws {
    let request = try decodeRequest(
      #"{"id":"mse-f32-17","loss":"mse","dtype":"float32","shape":[4],"#
        + #""yhat":[0.9,0.1,0.1,0.9],"y":[1,1,0,0],"params":{"agg":"mean"}}"#)
    // Float32(0.9) = round(0.9 · 2²⁴) · 2⁻²⁴ = 15 099 494 · 2⁻²⁴ (0.9 · 2²⁴ = 15 099 494.4).
    let pointNine = 15_099_494 * 0x1p-24
    #expect(request.id == "mse-f32-17")
    #expect(request.loss == .mse)
    #expect(request.dtype == .float32)
    #expect(
      request.yhat
        == (try Tensor(shape: [4], values: [pointNine, Float32Facts.pointOne, Float32Facts.pointOne, pointNine])))
    #expect(request.y == .array(Tensor([1, 1, 0, 0])))
    #expect(request.params == LossParameters(agg: .mean))
  }

  @Test("defaults: dtype float64, shape a vector of ŷ's length, id empty")
  func defaults() throws {
    let request = try decodeRequest(#"{"loss":"hinge_loss","yhat":[0.5,2],"y":1}"#)
    #expect(request.id == "")
    #expect(request.loss == .hinge)
    #expect(request.dtype == .float64)
    #expect(request.yhat.shape == [2])
  }

  @Test("shape [] is a 0-dimensional array of one element")
  func rankZero() throws {
    let request = try decodeRequest(#"{"loss":"mse","shape":[],"yhat":[2],"y":[1]}"#)
    #expect(request.yhat.shape == [])
    #expect(request.y == .array(Tensor(scalar: 1)))
  }

  @Test("a numeric id is read as its text; unknown fields such as expect are ignored")
  func numericIdAndExtraFields() throws {
    let request = try decodeRequest(#"{"id":17,"loss":"mse","yhat":[1],"y":0,"expect":{"class":"finite"}}"#)
    #expect(request.id == "17")
  }

  @Test("the non-finite strings are read in ŷ and y")
  func nonFiniteData() throws {
    let request = try decodeRequest(
      #"{"loss":"mse","dtype":"float32","yhat":["NaN","Infinity","-Infinity"],"y":"-Infinity"}"#)
    let values = request.yhat.values
    #expect(values.count == 3)
    #expect(values[0].isNaN)
    #expect(values[1] == .infinity)
    #expect(values[2] == -.infinity)
    #expect(request.y == .scalar(-.infinity))
  }

  @Test("dims may be one integer or an array")
  func dimsForms() throws {
    let one = try decodeRequest(#"{"loss":"crossentropy","yhat":[1],"y":[1],"params":{"dims":2}}"#)
    #expect(one.params.dims == [2])
    let two = try decodeRequest(#"{"loss":"crossentropy","yhat":[1],"y":[1],"params":{"dims":[1,2]}}"#)
    #expect(two.params.dims == [1, 2])
  }

  @Test("an unknown loss is an ArgumentError listing the known losses")
  func unknownLoss() throws {
    let error = try requestError(#"{"loss":"l2","yhat":[1],"y":[1]}"#)
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("'l2'"))
    for (name, _) in fluxNames {
      #expect(error.message.contains(name))
    }
  }

  /// Lines that lack or misspell a field: (line, error kind, words the message must contain).
  @Test(
    "a missing or malformed field is an error naming it",
    arguments: [
      (#"{"loss":"mse","yhat":[1]}"#, LossError.Kind.argumentError, "'y'"),
      (#"{"id":"a","loss":"mse","yhat":[1]}"#, .argumentError, "'y'"),
      (#"{"loss":"mse","y":[1]}"#, .argumentError, "yhat"),
      (#"{"yhat":[1],"y":[1]}"#, .argumentError, "loss"),
      (#"{"loss":3,"yhat":[1],"y":[1]}"#, .argumentError, "loss"),
      (#"{"loss":"mse","yhat":1,"y":[1]}"#, .argumentError, "yhat"),
      (#"{"loss":"mse","yhat":[1],"y":[1],"params":{"agg":"identity"}}"#, .argumentError, "agg"),
      (#"{"loss":"mse","yhat":[1],"y":[1],"params":{"alpha":1}}"#, .argumentError, "alpha"),
      (#"{"loss":"mse","yhat":[1],"y":[1],"params":[]}"#, .argumentError, "params"),
      (#"{"loss":"msle","yhat":[1],"y":[1],"params":{"eps":"tiny"}}"#, .argumentError, "eps"),
      (#"{"loss":"crossentropy","yhat":[1],"y":[1],"params":{"dims":[1.5]}}"#, .argumentError, "dims"),
      (#"{"loss":"mse","dtype":"float8","yhat":[1],"y":[1]}"#, .argumentError, "dtype"),
      (#"{"loss":"mse","shape":[-1],"yhat":[],"y":[]}"#, .argumentError, "shape"),
      (#"{"loss":"mse","shape":[2.5],"yhat":[1],"y":[1]}"#, .argumentError, "shape"),
      (#"{"loss":"mse","yhat":["one"],"y":[1]}"#, .argumentError, "yhat[1]"),
      (#"{"loss":"mse","id":[],"yhat":[1],"y":[1]}"#, .argumentError, "id"),
      // ŷ's count does not fit its shape.
      (#"{"loss":"mse","shape":[2,2],"yhat":[1,2,3],"y":0}"#, .dimensionMismatch, "(2, 2)"),
      // y's count does not fit ŷ's shape (no yshape given).
      (#"{"loss":"mse","shape":[2],"yhat":[1,2],"y":[1,2,3]}"#, .dimensionMismatch, "(2,)"),
      // y's count does not fit its own yshape.
      (#"{"loss":"mse","yhat":[1,2],"y":[1,2,3],"yshape":[2,2]}"#, .dimensionMismatch, "(2, 2)"),
      (
        #"{"loss":"crossentropy","yhat":[1,2],"y":[1,2],"params":{"weight":{"shape":[3],"data":[1]}}}"#,
        .dimensionMismatch, "(3,)"
      ),
    ])
  func malformedField(line: String, kind: LossError.Kind, mention: String) throws {
    let error = try requestError(line)
    #expect(error.kind == kind)
    #expect(error.message.contains(mention), "message: \(error.message)")
  }

  @Test("a request that is not an object is an ArgumentError", arguments: ["[]", "1", #""mse""#, "null"])
  func notAnObject(line: String) throws {
    let error = try requestError(line)
    #expect(error.kind == .argumentError)
  }
}

/// Response lines.
@Suite("ProtocolCodec responses")
struct ProtocolResponseTests {
  @Test("a scalar value is written as the dtype's shortest decimal")
  func scalarText() {
    let response = LossResponse(id: "mse-f32-17", outcome: .value(.scalar(Float32Facts.pointOne)))
    #expect(ProtocolCodec.encode(response, dtype: .float32).serialized() == #"{"id":"mse-f32-17","value":0.1}"#)
  }

  @Test(
    "values, arrays with their shape, errors and unsupported survive the round trip",
    arguments: [
      LossResponse(id: "a", outcome: .value(.scalar(0.41))),
      LossResponse(id: "b", outcome: .value(.scalar(-0.0))),
      LossResponse(id: "c", outcome: .value(.scalar(.infinity))),
      LossResponse(id: "d", outcome: .value(.array(Tensor([0.1, 0.9, 0, 0.5])))),
      LossResponse(id: "e", outcome: .error(.domainError("msle: log of a negative ratio at ŷ[2]"))),
      LossResponse(id: "f", outcome: .error(.dimensionMismatch("ŷ has shape (3,) but y has shape (2,)"))),
      LossResponse(id: "g", outcome: .error(LossError(.other, "adapter crashed: \"quoted\"\n"))),
      LossResponse(id: "h", outcome: .unsupported("dtype float16 is not implemented")),
    ])
  func roundTrip(response: LossResponse) throws {
    let line = ProtocolCodec.encode(response, dtype: .float64).serialized()
    #expect(try ProtocolCodec.decodeResponse(JSONValue(parsing: line), dtype: .float64) == response)
  }

  @Test("an array value keeps its shape", arguments: DType.allCases)
  func arrayWithShape(dtype: DType) throws {
    let value = try Tensor(shape: [2, 2], values: [0.1, 0.9, 0, 0.5].map(dtype.round))
    let response = LossResponse(id: "mae-none-3", outcome: .value(.array(value)))
    let json = ProtocolCodec.encode(response, dtype: dtype)
    #expect(json["shape"] == .array([.number("2"), .number("2")]))
    let decoded = try ProtocolCodec.decodeResponse(JSONValue(parsing: json.serialized()), dtype: dtype)
    #expect(decoded == response)
  }

  @Test("a NaN value round-trips as the string NaN")
  func nanValue() throws {
    let line = ProtocolCodec.encode(LossResponse(id: "n", outcome: .value(.scalar(.nan))), dtype: .float32).serialized()
    #expect(line == #"{"id":"n","value":"NaN"}"#)
    let decoded = try ProtocolCodec.decodeResponse(JSONValue(parsing: line), dtype: .float32)
    guard case .value(.scalar(let v)) = decoded.outcome else {
      Issue.record("expected a scalar value, got \(decoded.outcome)")
      return
    }
    #expect(v.isNaN)
  }

  @Test("an array value without shape is a vector")
  func arrayWithoutShape() throws {
    let decoded = try ProtocolCodec.decodeResponse(JSONValue(parsing: #"{"id":"x","value":[1,2,3]}"#), dtype: .float64)
    #expect(decoded.outcome == .value(.array(Tensor([1, 2, 3]))))
  }

  @Test("an unknown error kind reads as Other; a missing message as empty")
  func unknownKind() throws {
    let decoded = try ProtocolCodec.decodeResponse(
      JSONValue(parsing: #"{"id":"x","error":{"kind":"TypeError"}}"#), dtype: .float64)
    #expect(decoded.outcome == .error(LossError(.other, "")))
  }

  @Test(
    "a response without id or without an outcome is an ArgumentError",
    arguments: [#"{"value":1}"#, #"{"id":"x"}"#, #"{"id":"x","error":{}}"#, "[]"])
  func malformedResponse(line: String) throws {
    let json = try JSONValue(parsing: line)
    let error = try #require(throws: LossError.self) { try ProtocolCodec.decodeResponse(json, dtype: .float64) }
    #expect(error.kind == .argumentError)
  }
}

/// The hello line.
@Suite("ProtocolCodec hello")
struct ProtocolHelloTests {
  struct Fake: LossImplementation {
    var name: String { "numpy-flux 2.4" }
    var losses: [LossID] { [.mse, .crossentropy] }
    var dtypes: [DType] { [.float32, .float64] }
    func evaluate(_ request: LossRequest) async -> LossOutcome { .unsupported("fake") }
  }

  @Test("an implementation's hello is the line of PROTOCOL.md")
  func helloText() {
    let line = ProtocolCodec.encode(Fake().hello).serialized()
    #expect(
      line
        == #"{"protocol":"losscheck/1","implementation":"numpy-flux 2.4","losses":["mse","crossentropy"],"dtypes":["float32","float64"]}"#
    )
  }

  @Test("hello survives the round trip")
  func roundTrip() throws {
    let hello = Hello(implementation: "LossSpec 1", losses: ["mae", "tversky_loss"], dtypes: ["float64"])
    let line = ProtocolCodec.encode(hello).serialized()
    #expect(try ProtocolCodec.decodeHello(JSONValue(parsing: line)) == hello)
  }

  @Test("another protocol version is rejected, naming it")
  func wrongProtocol() throws {
    let json = try JSONValue(parsing: #"{"protocol":"losscheck/2","implementation":"x","losses":[],"dtypes":[]}"#)
    let error = try #require(throws: LossError.self) { try ProtocolCodec.decodeHello(json) }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("losscheck/2"))
  }

  @Test(
    "a hello without protocol, or with losses that are not strings, is rejected",
    arguments: [
      #"{"implementation":"x","losses":[],"dtypes":[]}"#,
      #"{"protocol":"losscheck/1","implementation":"x","losses":[1],"dtypes":[]}"#,
      #"{"protocol":"losscheck/1","implementation":"x","dtypes":[]}"#,
    ])
  func malformedHello(line: String) throws {
    let json = try JSONValue(parsing: line)
    #expect(throws: LossError.self) { try ProtocolCodec.decodeHello(json) }
  }
}

/// The optional `budget` of a request (seconds): an additive `losscheck/1` extension.
@Suite("ProtocolCodec budget")
struct ProtocolBudgetTests {
  @Test("a budget is read as seconds and survives the round trip", arguments: [0.5, 2, 1e-3, 1e6])
  func roundTrip(seconds: Double) throws {
    let request = try decodeRequest(#"{"id":"b","loss":"mse","yhat":[1],"y":[0],"budget":\#(seconds)}"#)
    #expect(request.budget == seconds)
    #expect(try decodeRequest(encodeLine(request)) == request)
  }

  @Test("without a budget the request has none and the line has no budget field")
  func absent() throws {
    let request = try decodeRequest(#"{"loss":"mse","yhat":[1],"y":[0]}"#)
    #expect(request.budget == nil)
    #expect(ProtocolCodec.encode(request)["budget"] == nil)
  }

  @Test(
    "a budget that is not a positive finite number of at most 1e6 seconds is an ArgumentError naming it",
    arguments: [
      ("0", "greater than 0"), ("-1", "greater than 0"), ("1e300", "at most 1000000"), ("1e400", "finite"),
      (#""NaN""#, "number of seconds"), (#""Infinity""#, "number of seconds"), (#""2""#, "number of seconds"),
      ("[1]", "number of seconds"), ("1000000.5", "at most 1000000"),
    ])
  func invalid(text: String, fragment: String) throws {
    let error = try requestError(#"{"id":"b","loss":"mse","yhat":[1],"y":[0],"budget":\#(text)}"#)
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("budget"))
    #expect(error.message.contains(fragment))
  }
}

/// The gradient extension of `losscheck/1` (PROTOCOL.md, "Gradients"): a request's `grad` and
/// `cotangent`, a response's `grad` and `gradUnsupported`, the hello's `gradients`.
@Suite("ProtocolCodec gradients")
struct ProtocolGradientTests {
  static let base = #""loss":"mae","dtype":"float32","shape":[2],"yhat":[0.5,2],"y":[1,1]"#

  /// A request line with `extra` members appended to ``base``.
  static func line(_ extra: String) -> String { "{" + base + extra + "}" }

  @Test("grad [\"yhat\"] asks for ∂L/∂ŷ; [\"yhat\",\"y\"] (in either order) for ∂L/∂y too")
  func gradForms() throws {
    let yhatOnly = try decodeRequest(Self.line(#","grad":["yhat"]"#))
    #expect(yhatOnly.gradient == GradientRequest())
    #expect(yhatOnly.gradient?.arguments == [.yhat])
    #expect(yhatOnly.gradient?.includesTarget == false)
    for form in [#"["yhat","y"]"#, #"["y","yhat"]"#] {
      let both = try decodeRequest(Self.line(#","grad":"# + form))
      #expect(both.gradient == GradientRequest(withTarget: true))
      #expect(both.gradient?.arguments == [.yhat, .y])
    }
  }

  @Test("without grad a request asks for no gradient")
  func noGrad() throws {
    #expect(try decodeRequest(Self.line("")).gradient == nil)
  }

  /// (the `grad` member, words the message must contain).
  @Test(
    "any other grad is an ArgumentError naming the field and what is allowed",
    arguments: [
      (#""yhat""#, "grad must be"),
      (#"{"yhat":true}"#, "grad must be"),
      ("true", "grad must be"),
      ("null", "grad must be"),
      ("[]", "must include \"yhat\""),
      (#"["y"]"#, "must include \"yhat\""),
      (#"["yhat","z"]"#, "\"z\" is not an argument"),
      (#"["ŷ"]"#, "\"ŷ\" is not an argument"),
      (#"["YHAT"]"#, "\"YHAT\" is not an argument"),
      (#"[1]"#, "1 is not an argument"),
      (#"[["yhat"]]"#, "is not an argument"),
      (#"["yhat","yhat"]"#, "\"yhat\" appears more than once"),
      (#"["yhat","y","y"]"#, "\"y\" appears more than once"),
    ])
  func malformedGrad(grad: String, fragment: String) throws {
    let error = try requestError(Self.line(#","grad":"# + grad))
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("grad"), "message: \(error.message)")
    #expect(error.message.contains(#"["yhat"] or ["yhat", "y"]"#), "message: \(error.message)")
    #expect(error.message.contains(fragment), "message: \(error.message)")
  }

  @Test("a cotangent is read like ŷ: once, in the dtype, with the non-finite strings")
  func cotangent() throws {
    let text = "1.000000059604644775390625000001"  // just above a Float32 midpoint (see above)
    let request = try decodeRequest(
      #"{"loss":"mae","dtype":"float32","yhat":[1,2,3],"y":[0,0,0],"params":{"agg":"none"},"#
        + #""grad":["yhat"],"cotangent":[0.1,\#(text),"-Infinity"]}"#)
    let cotangent = try #require(request.gradient?.cotangent)
    #expect(cotangent == [Float32Facts.pointOne, Float32Facts.successorOfOne, -.infinity])
    let nan = try decodeRequest(Self.line(#","grad":["yhat"],"cotangent":["NaN",1]"#))
    #expect(nan.gradient?.cotangent?.first?.isNaN == true)
  }

  /// A cotangent's count is not the codec's business (it depends on the loss's reduction):
  /// the implementation checks it.
  @Test("a cotangent of any count decodes")
  func cotangentCount() throws {
    let request = try decodeRequest(Self.line(#","grad":["yhat"],"cotangent":[1,2,3,4,5]"#))
    #expect(request.gradient?.cotangent == [1, 2, 3, 4, 5])
    let empty = try decodeRequest(Self.line(#","grad":["yhat"],"cotangent":[]"#))
    #expect(empty.gradient?.cotangent == [])
  }

  /// (the members after ``base``, words the message must contain).
  @Test(
    "a cotangent without grad, or a malformed one, is an ArgumentError naming cotangent",
    arguments: [
      (#","cotangent":[1,1]"#, "only meaningful with 'grad'"),
      (#","grad":["yhat"],"cotangent":1"#, "cotangent must be an array of numbers"),
      (#","grad":["yhat"],"cotangent":{"data":[1]}"#, "cotangent must be an array of numbers"),
      (#","grad":["yhat"],"cotangent":[1,"one"]"#, "cotangent[2]"),
      (#","grad":["yhat"],"cotangent":[1,"inf"]"#, "cotangent[2]"),
      (#","grad":["yhat"],"cotangent":[1e39,1]"#, "cotangent[1]: 1e39 is outside the range of float32"),
    ])
  func malformedCotangent(extra: String, fragment: String) throws {
    let error = try requestError(Self.line(extra))
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("cotangent"), "message: \(error.message)")
    #expect(error.message.contains(fragment), "message: \(error.message)")
  }

  static let gradientRequests: [GradientRequest] = [
    GradientRequest(),
    GradientRequest(withTarget: true),
    GradientRequest(cotangent: [1, -0.0, Float32Facts.pointOne, .infinity, -.infinity, Float32Facts.leastSubnormal]),
    GradientRequest(withTarget: true, cotangent: [Float32Facts.greatest, 0.25]),
  ]

  @Test(
    "a request's grad and cotangent survive encode, serialize, parse, decode", arguments: gradientRequests,
    DType.standard)
  func requestRoundTrip(gradient: GradientRequest, dtype: DType) throws {
    var request = try ProtocolRequestTests.fullRequest(dtype: dtype)
    request.gradient = gradient
    let line = encodeLine(request)
    #expect(line.contains(gradient.includesTarget ? #""grad":["yhat","y"]"# : #""grad":["yhat"]"#))
    #expect(line.contains(#""cotangent":"#) == (gradient.cotangent != nil))
    #expect(try decodeRequest(line) == request)
  }

  @Test("the grad members follow params and precede budget; a request without grad has neither")
  func requestLine() throws {
    let request = LossRequest(
      id: "g", loss: .mse, dtype: .float32, yhat: Tensor([Float32Facts.pointOne, 2]), y: .scalar(0),
      params: LossParameters(agg: Aggregation.none), budget: 2,
      gradient: GradientRequest(withTarget: true, cotangent: [1, .nan]))
    #expect(
      encodeLine(request)
        == #"{"id":"g","loss":"mse","dtype":"float32","shape":[2],"yhat":[0.1,2.0],"y":0.0,"params":{"agg":"none"},"#
        + #""grad":["yhat","y"],"cotangent":[1.0,"NaN"],"budget":2.0}"#)
    var plain = request
    plain.gradient = nil
    #expect(
      encodeLine(plain)
        == #"{"id":"g","loss":"mse","dtype":"float32","shape":[2],"yhat":[0.1,2.0],"y":0.0,"params":{"agg":"none"},"budget":2.0}"#
    )
  }

  // MARK: Responses

  @Test("a response's grad is written after the value, flat, numbers spelled in the dtype")
  func responseText() {
    let response = LossResponse(
      id: "mae-1", outcome: .value(.scalar(0.75)),
      gradient: .gradient(LossGradient(yhat: [-0.5, Float32Facts.pointOne], y: [0.5, -Float32Facts.pointOne])))
    #expect(
      ProtocolCodec.encode(response, dtype: .float32).serialized()
        == #"{"id":"mae-1","value":0.75,"grad":{"yhat":[-0.5,0.1],"y":[0.5,-0.1]}}"#)
    #expect(
      ProtocolCodec.encode(response, dtype: .float64).serialized()
        == #"{"id":"mae-1","value":0.75,"grad":{"yhat":[-0.5,0.10000000149011612],"y":[0.5,-0.10000000149011612]}}"#)
  }

  @Test("without ∂L/∂y the grad object has only yhat; gradUnsupported carries the reason")
  func responseForms() {
    let yhatOnly = LossResponse(
      id: "a", outcome: .value(.array(Tensor([1, 2]))), gradient: .gradient(LossGradient(yhat: [1, -1])))
    #expect(
      ProtocolCodec.encode(yhatOnly, dtype: .float64).serialized()
        == #"{"id":"a","value":[1.0,2.0],"shape":[2],"grad":{"yhat":[1.0,-1.0]}}"#)
    let unsupported = LossResponse(
      id: "b", outcome: .value(.scalar(1)), gradient: .unsupported("LossFast 1 does not compute gradients"))
    #expect(
      ProtocolCodec.encode(unsupported, dtype: .float64).serialized()
        == #"{"id":"b","value":1.0,"gradUnsupported":"LossFast 1 does not compute gradients"}"#)
  }

  @Test("non-finite gradient elements are the strings NaN, Infinity, -Infinity")
  func nonFiniteGradient() throws {
    let response = LossResponse(
      id: "n", outcome: .value(.scalar(.infinity)),
      gradient: .gradient(LossGradient(yhat: [.nan, .infinity, -.infinity, -0.0], y: [.nan])))
    let line = ProtocolCodec.encode(response, dtype: .float32).serialized()
    #expect(
      line == #"{"id":"n","value":"Infinity","grad":{"yhat":["NaN","Infinity","-Infinity",-0.0],"y":["NaN"]}}"#)
    let decoded = try ProtocolCodec.decodeResponse(JSONValue(parsing: line), dtype: .float32)
    guard case .gradient(let g)? = decoded.gradient else {
      Issue.record("expected a gradient, got \(String(describing: decoded.gradient))")
      return
    }
    #expect(g.yhat.count == 4)
    #expect(g.yhat[0].isNaN)
    #expect(g.yhat[1] == .infinity)
    #expect(g.yhat[2] == -.infinity)
    #expect(g.yhat[3] == 0 && g.yhat[3].sign == .minus)
    #expect(g.y?.count == 1)
    #expect(g.y?.first?.isNaN == true)
  }

  static let gradientResponses: [LossResponse] = [
    LossResponse(id: "a", outcome: .value(.scalar(0.375)), gradient: .gradient(LossGradient(yhat: [0.25, -0.5]))),
    LossResponse(
      id: "b", outcome: .value(.scalar(2)), gradient: .gradient(LossGradient(yhat: [1, 2, 3], y: [-1]))),
    LossResponse(
      id: "c", outcome: .value(.array(Tensor([0.5, 1]))),
      gradient: .gradient(LossGradient(yhat: [0.5, -1], y: [-0.5, 1]))),
    LossResponse(id: "d", outcome: .value(.scalar(1)), gradient: .gradient(LossGradient(yhat: [], y: []))),
    LossResponse(id: "e", outcome: .value(.scalar(1)), gradient: .unsupported("no autodiff for \"hinge\"\n")),
    // Decoded whatever the outcome: grading judges an error with a gradient.
    LossResponse(
      id: "f", outcome: .error(.domainError("msle")), gradient: .gradient(LossGradient(yhat: [1]))),
    LossResponse(id: "g", outcome: .unsupported("float16"), gradient: .unsupported("float16")),
  ]

  @Test("grad and gradUnsupported survive the round trip", arguments: gradientResponses, DType.allCases)
  func responseRoundTrip(response: LossResponse, dtype: DType) throws {
    let line = ProtocolCodec.encode(response, dtype: dtype).serialized()
    #expect(try ProtocolCodec.decodeResponse(JSONValue(parsing: line), dtype: dtype) == response)
  }

  /// Float32 gradient decimals are rounded once in Float32, like values: the shortest spelling of
  /// a Float32 comes back bit for bit, and a decimal just off a midpoint goes to the nearer value.
  @Test("Float32 gradient decimals are exact and read once in Float32", arguments: ProtocolNumberTests.doubleRounding)
  func float32Exactness(text: String, midpoint: Double, direct: Double) throws {
    let line = #"{"id":"r","value":1,"grad":{"yhat":[\#(text),0.1],"y":[\#(text)]}}"#
    let decoded = try ProtocolCodec.decodeResponse(JSONValue(parsing: line), dtype: .float32)
    #expect(decoded.gradient == .gradient(LossGradient(yhat: [direct, Float32Facts.pointOne], y: [direct])))
    // And the shortest Float32 spellings of those values are what the encoder writes.
    let response = LossResponse(
      id: "r", outcome: .value(.scalar(1)),
      gradient: .gradient(LossGradient(yhat: [direct, Float32Facts.pointOne], y: [direct])))
    let written = ProtocolCodec.encode(response, dtype: .float32).serialized()
    #expect(written == #"{"id":"r","value":1.0,"grad":{"yhat":[1.0000001,0.1],"y":[1.0000001]}}"#)
    #expect(try ProtocolCodec.decodeResponse(JSONValue(parsing: written), dtype: .float32) == response)
  }

  /// The wrong count is not the codec's business: grading checks it.
  @Test("a gradient of any count decodes")
  func anyCount() throws {
    let decoded = try ProtocolCodec.decodeResponse(
      JSONValue(parsing: #"{"id":"x","value":1,"grad":{"yhat":[1,2,3,4,5],"y":[1,2]}}"#), dtype: .float64)
    #expect(decoded.gradient == .gradient(LossGradient(yhat: [1, 2, 3, 4, 5], y: [1, 2])))
  }

  @Test("unknown members of grad are ignored (additive extensions)")
  func unknownMembers() throws {
    let decoded = try ProtocolCodec.decodeResponse(
      JSONValue(parsing: #"{"id":"x","value":1,"grad":{"yhat":[1],"weight":[2]},"note":"n"}"#), dtype: .float64)
    #expect(decoded.gradient == .gradient(LossGradient(yhat: [1])))
  }

  /// (the gradient members of a response, words the message must contain).
  @Test(
    "a malformed gradient part is an ArgumentError saying what is wrong",
    arguments: [
      (#""grad":[1,2]"#, "grad must be an object"),
      (#""grad":null"#, "grad must be an object"),
      (#""grad":"none""#, "grad must be an object"),
      (#""grad":{}"#, "grad is missing the array field 'yhat'"),
      (#""grad":{"y":[1]}"#, "grad is missing the array field 'yhat'"),
      (#""grad":{"yhat":1}"#, "grad.yhat must be an array of numbers"),
      (#""grad":{"yhat":null}"#, "grad.yhat must be an array of numbers"),
      (#""grad":{"yhat":[1,"x"]}"#, "grad.yhat[2]"),
      (#""grad":{"yhat":[1,null]}"#, "grad.yhat[2] must be a number"),
      (#""grad":{"yhat":[1],"y":2}"#, "grad.y must be an array of numbers"),
      (#""grad":{"yhat":[1],"y":[true]}"#, "grad.y[1] must be a number"),
      (#""grad":{"yhat":[1],"y":["nan"]}"#, "grad.y[1]"),
      (#""gradUnsupported":true"#, "gradUnsupported must be a string"),
      (#""gradUnsupported":null"#, "gradUnsupported must be a string"),
      (#""grad":{"yhat":[1]},"gradUnsupported":"no""#, "both 'grad' and 'gradUnsupported'"),
    ])
  func malformedGradient(members: String, fragment: String) throws {
    let json = try JSONValue(parsing: #"{"id":"x","value":1,\#(members)}"#)
    let error = try #require(throws: LossError.self) { try ProtocolCodec.decodeResponse(json, dtype: .float64) }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("'x'"), "message: \(error.message)")
    #expect(error.message.contains(fragment), "message: \(error.message)")
  }

  @Test("a Float32 gradient decimal that overflows is an ArgumentError naming the element")
  func gradientOverflow() throws {
    let json = try JSONValue(parsing: #"{"id":"x","value":1,"grad":{"yhat":[1,1e39]}}"#)
    let error = try #require(throws: LossError.self) { try ProtocolCodec.decodeResponse(json, dtype: .float32) }
    #expect(error.message.contains("grad.yhat[2]"))
    #expect(error.message.contains("float32"))
  }

  @Test("a response without a gradient part is the plain line and decodes without one")
  func plainResponse() throws {
    let response = LossResponse(id: "p", outcome: .value(.scalar(0.41)))
    let line = ProtocolCodec.encode(response, dtype: .float64).serialized()
    #expect(line == #"{"id":"p","value":0.41}"#)
    #expect(try ProtocolCodec.decodeResponse(JSONValue(parsing: line), dtype: .float64).gradient == nil)
  }

  // MARK: Hello

  @Test("a hello advertises gradients with \"gradients\":true, and is the plain line otherwise")
  func helloGradients() throws {
    let plain = Hello(implementation: "x 1", losses: ["mse"], dtypes: ["float64"])
    #expect(plain.gradients == false)
    #expect(
      ProtocolCodec.encode(plain).serialized()
        == #"{"protocol":"losscheck/1","implementation":"x 1","losses":["mse"],"dtypes":["float64"]}"#)
    var advertising = plain
    advertising.gradients = true
    let line = ProtocolCodec.encode(advertising).serialized()
    #expect(
      line
        == #"{"protocol":"losscheck/1","implementation":"x 1","losses":["mse"],"dtypes":["float64"],"gradients":true}"#
    )
    #expect(try ProtocolCodec.decodeHello(JSONValue(parsing: line)) == advertising)
    let explicitFalse =
      #"{"protocol":"losscheck/1","implementation":"x 1","losses":["mse"],"dtypes":["float64"],"gradients":false}"#
    #expect(try ProtocolCodec.decodeHello(JSONValue(parsing: explicitFalse)) == plain)
  }

  @Test("a hello whose gradients is not a boolean is rejected, naming it")
  func helloGradientsType() throws {
    let json = try JSONValue(
      parsing: #"{"protocol":"losscheck/1","implementation":"x","losses":[],"dtypes":[],"gradients":"yes"}"#)
    let error = try #require(throws: LossError.self) { try ProtocolCodec.decodeHello(json) }
    #expect(error.message.contains("gradients"))
  }
}
