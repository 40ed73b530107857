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

  @Test("a request with every field survives encode, serialize, parse, decode", arguments: DType.allCases)
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
      (#"{"loss":"mse","dtype":"float16","yhat":[1],"y":[1]}"#, .argumentError, "dtype"),
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
