import LossCore
import Testing

@testable import LossCheckCLI
@testable import LossVerification

@Suite("serve: the losscheck/1 server, line by line")
struct ProtocolServerTests {
  let server = ProtocolServer(
    implementation: TableImplementation(answers: [
      "a": .value(.scalar(0.41)),
      "f32": .value(.scalar(Double(Float(0.1)))),
      "nan": .value(.scalar(.nan)),
      "arr": .value(.array(Tensor([1, 0.5]))),
      "err": .error(.domainError("log of a negative number")),
    ]))

  @Test("the hello line names the protocol, the implementation, the losses and dtypes")
  func hello() throws {
    let json = try JSONValue(parsing: server.helloLine)
    let hello = try ProtocolCodec.decodeHello(json)
    #expect(hello.protocolName == "losscheck/1")
    #expect(hello.implementation == "table")
    #expect(hello.losses.count == LossID.allCases.count)
    #expect(hello.dtypes == ["float32", "float64", "float16", "bfloat16"])
  }

  @Test("a value is encoded in the request's dtype")
  func values() async {
    #expect(await server.respond(to: #"{"id":"a","loss":"mse","yhat":[1],"y":[0]}"#) == #"{"id":"a","value":0.41}"#)
    #expect(
      await server.respond(to: #"{"id":"f32","loss":"mse","dtype":"float32","yhat":[1],"y":[0]}"#)
        == #"{"id":"f32","value":0.1}"#)
    #expect(
      await server.respond(to: #"{"id":"nan","loss":"mse","yhat":[1],"y":[0]}"#) == #"{"id":"nan","value":"NaN"}"#)
    #expect(
      await server.respond(to: #"{"id":"arr","loss":"mse","yhat":[1,2],"y":[0,0],"params":{"agg":"none"}}"#)
        == #"{"id":"arr","value":[1.0,0.5],"shape":[2]}"#)
  }

  @Test("a loss error is an error response with its kind")
  func lossError() async {
    #expect(
      await server.respond(to: #"{"id":"err","loss":"msle","yhat":[-2],"y":[0]}"#)
        == #"{"id":"err","error":{"kind":"DomainError","message":"log of a negative number"}}"#)
  }

  @Test("malformed JSON: an ArgumentError with the column, and the id when it can be read")
  func malformed() async throws {
    let response = try #require(await server.respond(to: #"{"id":"b","loss":"mse","yhat":[1,"#))
    let json = try JSONValue(parsing: response)
    #expect(json["id"] == .string("b"))
    #expect(json["error"]?["kind"] == .string("ArgumentError"))
    guard case .string(let message)? = json["error"]?["message"] else {
      Issue.record("no message in \(response)")
      return
    }
    #expect(message == "malformed JSON at column 34: unexpected end of input")
  }

  @Test("malformed JSON without a readable id gets the id \"\"")
  func malformedWithoutID() async throws {
    let response = try #require(await server.respond(to: "not json"))
    #expect(response.hasPrefix(#"{"id":"","error":{"kind":"ArgumentError","message":"malformed JSON at column 2: "#))
  }

  @Test("a missing field and an unknown loss are ArgumentErrors carrying the id")
  func missingFieldAndUnknownLoss() async throws {
    let missing = try JSONValue(parsing: try #require(await server.respond(to: #"{"id":"m","loss":"mse","yhat":[1]}"#)))
    #expect(missing["id"] == .string("m"))
    #expect(missing["error"]?["kind"] == .string("ArgumentError"))
    let unknown = try JSONValue(
      parsing: try #require(await server.respond(to: #"{"id":7,"loss":"nope","yhat":[1],"y":1}"#)))
    #expect(unknown["id"] == .string("7"))
    #expect(unknown["error"]?["kind"] == .string("ArgumentError"))
  }

  @Test("blank lines get no response; a CR before the LF is ignored")
  func blankLines() async {
    #expect(await server.respond(to: "") == nil)
    #expect(await server.respond(to: "   \t") == nil)
    #expect(await server.respond(to: "\r") == nil)
    #expect(
      await server.respond(to: #"{"id":"a","loss":"mse","yhat":[1],"y":[0]}"# + "\r") == #"{"id":"a","value":0.41}"#)
  }

  @Test("a whole session: hello, then one line per request, in order")
  func session() async throws {
    let streams = CapturedStreams(input: [
      #"{"id":"a","loss":"mse","yhat":[1],"y":[0]}"#, "", #"{"id":"b","#,
      #"{"id":"err","loss":"msle","yhat":[-2],"y":[0]}"#,
    ])
    await server.serve(console: streams.console)
    let lines = streams.outputText.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 5)  // hello, three responses, and the empty string after the last line feed
    #expect(lines.first?.hasPrefix(#"{"protocol":"losscheck/1""#) == true)
    let ids = try lines.dropFirst().dropLast().map { try JSONValue(parsing: String($0))["id"] }
    #expect(ids == [.string("a"), .string("b"), .string("err")])
    #expect(lines.last == "")
  }
}

/// An implementation that differentiates: ∂L/∂ŷ = 2ŷ (and ∂L/∂y = −2y, when asked), times the
/// cotangent's first element when one is given; "unsupported" for the loss `hinge`.
struct DifferentiatingImplementation: LossImplementation {
  var name: String { "differentiating" }
  var losses: [LossID] { LossID.allCases }
  var dtypes: [DType] { DType.allCases }

  func evaluate(_ request: LossRequest) async -> LossOutcome { .value(.scalar(0.5)) }

  func answer(_ request: LossRequest) async -> LossAnswer {
    let outcome = await evaluate(request)
    guard let gradient = request.gradient else { return LossAnswer(outcome: outcome) }
    if request.loss == .hinge { return LossAnswer(outcome: outcome, gradient: .unsupported("no hinge")) }
    let scale = gradient.cotangent?.first ?? 1
    let targets: [Double]
    switch request.y {
    case .scalar(let v): targets = [v]  // a scalar y has a one-element gradient
    case .array(let t): targets = t.values
    }
    let y = gradient.includesTarget ? targets.map { -2 * scale * $0 } : nil
    return LossAnswer(
      outcome: outcome,
      gradient: .gradient(LossGradient(yhat: request.yhat.values.map { 2 * scale * $0 }, y: y)))
  }
}

/// The gradient extension of `losscheck/1` on the server side.
@Suite("serve: gradients")
struct ProtocolServerGradientTests {
  let table = ProtocolServer(implementation: TableImplementation(answers: ["a": .value(.scalar(0.41))]))
  let differentiating = ProtocolServer(implementation: DifferentiatingImplementation())

  @Test("a gradient request to an implementation without gradients: the value and gradUnsupported")
  func unsupported() async {
    #expect(
      await table.respond(to: #"{"id":"a","loss":"mse","yhat":[1],"y":[0],"grad":["yhat"]}"#)
        == #"{"id":"a","value":0.41,"gradUnsupported":"table does not compute gradients"}"#)
  }

  @Test("a gradient request whose value is not a value gets no gradient part")
  func noGradientForErrors() async {
    #expect(
      await table.respond(to: #"{"id":"missing","loss":"mse","yhat":[1],"y":[0],"grad":["yhat"]}"#)
        == #"{"id":"missing","unsupported":"no answer for 'missing'"}"#)
  }

  @Test("a value-only request gets the plain losscheck/1 line, whoever answers")
  func valueOnly() async {
    #expect(await table.respond(to: #"{"id":"a","loss":"mse","yhat":[1],"y":[0]}"#) == #"{"id":"a","value":0.41}"#)
    #expect(
      await differentiating.respond(to: #"{"id":"v","loss":"mse","dtype":"float32","yhat":[1],"y":[0]}"#)
        == #"{"id":"v","value":0.5}"#)
  }

  @Test("the gradient follows the value, flat, in the request's dtype")
  func gradient() async {
    #expect(
      await differentiating.respond(
        to: #"{"id":"g","loss":"mse","dtype":"float32","yhat":[0.05,-1],"y":[0.25,1],"grad":["yhat"]}"#)
        == #"{"id":"g","value":0.5,"grad":{"yhat":[0.1,-2.0]}}"#)
    #expect(
      await differentiating.respond(
        to: #"{"id":"g","loss":"mse","yhat":[0.5],"y":0.25,"grad":["yhat","y"],"cotangent":["Infinity"]}"#)
        == #"{"id":"g","value":0.5,"grad":{"yhat":["Infinity"],"y":["-Infinity"]}}"#)
    #expect(
      await differentiating.respond(to: #"{"id":"h","loss":"hinge","yhat":[0.5],"y":1,"grad":["yhat"]}"#)
        == #"{"id":"h","value":0.5,"gradUnsupported":"no hinge"}"#)
  }

  @Test("a malformed grad or cotangent is an ArgumentError response naming it")
  func malformed() async throws {
    for (line, field) in [
      (#"{"id":"m","loss":"mse","yhat":[1],"y":[0],"grad":["y"]}"#, "grad"),
      (#"{"id":"m","loss":"mse","yhat":[1],"y":[0],"cotangent":[1]}"#, "cotangent"),
    ] {
      let response = try #require(await differentiating.respond(to: line))
      let json = try JSONValue(parsing: response)
      #expect(json["id"] == .string("m"))
      #expect(json["error"]?["kind"] == .string("ArgumentError"))
      guard case .string(let message)? = json["error"]?["message"] else {
        Issue.record("no message in \(response)")
        continue
      }
      #expect(message.contains(field), "\(message)")
    }
  }
}

@Suite("serve: salvaging the id of a malformed line")
struct SalvageIDTests {
  @Test(
    arguments: [
      (#"{"id":"x1","loss":"#, "x1"),
      (#"{ "id" : "with \"quote\"", "#, #"with "quote""#),
      (#"{"id":42,"loss""#, "42"),
      (#"{"loss":"mse","id":"late""#, "late"),
    ])
  func salvaged(text: String, id: String) {
    #expect(RequestDecoding.salvageID(fromMalformed: text) == id)
  }

  @Test(arguments: [#"{"id":"unterminated"#, #"{"id":"#, "nothing here", #"{"ids":"#])
  func notSalvaged(text: String) {
    #expect(RequestDecoding.salvageID(fromMalformed: text) == nil)
  }
}
