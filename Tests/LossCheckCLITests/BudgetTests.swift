import LossCore
import Testing

@testable import LossCheckCLI
@testable import LossVerification

/// A request line of kldivergence on `columns` columns of 10 classes: y uniform-ish, ŷ another
/// probability array, both exact Float64 multiples of 2⁻¹⁰ (no cancellation: an ordinary case).
private func klLine(id: String, columns: Int, budget: String? = nil) -> String {
  var yhat: [String] = []
  var y: [String] = []
  for c in 0..<columns {
    for k in 0..<10 {
      yhat.append(String(Double(1 + (c * 7 + k * 3) % 50) * 0x1p-10))
      y.append(String(Double(1 + (c * 5 + k * 11) % 50) * 0x1p-10))
    }
  }
  let budgetField = budget.map { #","budget":\#($0)"# } ?? ""
  return #"{"id":"\#(id)","loss":"kldivergence","shape":[10,\#(columns)],"yhat":[\#(yhat.joined(separator: ","))],"#
    + #""y":[\#(y.joined(separator: ","))],"params":{"eps":0}\#(budgetField)}"#
}

@Suite("serve and eval: a per-request time budget")
struct BudgetCLITests {
  @Test("serve --budget: a request that runs out is answered unsupported, with its id, and the server goes on")
  func serveDefaultBudget() async throws {
    let server = ProtocolServer(implementation: BuiltInImplementation.spec.implementation, defaultBudget: 1e-6)
    let response = try #require(await server.respond(to: klLine(id: "slow", columns: 400)))
    #expect(
      response.hasPrefix(
        #"{"id":"slow","unsupported":"budget exceeded: LossSpec kldivergence on 4000 elements stopped after "#))
    #expect(response.contains("(budget 1e-06 s)"))
    // A request with a budget of its own is not bound by the default.
    let own = try #require(await server.respond(to: klLine(id: "own", columns: 2, budget: "1000")))
    #expect(own.hasPrefix(#"{"id":"own","value":"#))
  }

  @Test("a request's own budget is honoured without a server default")
  func requestBudget() async throws {
    let server = ProtocolServer(implementation: BuiltInImplementation.spec.implementation)
    let response = try #require(await server.respond(to: klLine(id: "b", columns: 400, budget: "1e-6")))
    #expect(response.hasPrefix(#"{"id":"b","unsupported":"budget exceeded: "#))
  }

  @Test("LossFast ignores budgets")
  func fastIgnores() async throws {
    let server = ProtocolServer(implementation: BuiltInImplementation.fast.implementation, defaultBudget: 1e-6)
    let response = try #require(await server.respond(to: klLine(id: "f", columns: 400, budget: "1e-6")))
    #expect(response.hasPrefix(#"{"id":"f","value":"#))
  }

  @Test("an invalid budget in a request is an ArgumentError response with the id")
  func invalidRequestBudget() async throws {
    let server = ProtocolServer(implementation: BuiltInImplementation.spec.implementation)
    for text in ["0", "-2", "1e300", #""fast""#] {
      let response = try #require(await server.respond(to: klLine(id: "bad", columns: 1, budget: text)))
      let json = try JSONValue(parsing: response)
      #expect(json["id"] == .string("bad"))
      #expect(json["error"]?["kind"] == .string("ArgumentError"))
    }
  }

  @Test(
    "--budget must be a finite number of seconds in (0, 1e6]: a usage error otherwise, never a crash",
    arguments: ["nan", "inf", "-inf", "0", "-1", "1e300", "1000001", "soon"])
  func invalidBudgetOption(value: String) async {
    for command in [["eval", "--loss", "mse", "--yhat", "1", "--y", "0"], ["serve"]] {
      let run = await runLossCheck(command + ["--budget=\(value)"])
      #expect(run.status == 2)
      #expect(run.error.contains("--budget"))
      #expect(run.output.isEmpty)
    }
  }

  @Test("eval --budget: the JSON answer is unsupported with the id, exit status 2")
  func evalBudget() async {
    let run = await runLossCheck([
      "eval", "--budget", "1e-6", "--format", "json", "--json", klLine(id: "e", columns: 400),
    ])
    #expect(run.status == 2)
    #expect(run.output.hasPrefix(#"{"id":"e","unsupported":"budget exceeded: LossSpec kldivergence"#))
    #expect(run.error.contains("budget exceeded"))
    // A generous budget changes nothing.
    let fine = await runLossCheck(["eval", "--budget", "600", "--loss", "mse", "--yhat", "1,2", "--y", "0,0"])
    #expect(fine.status == 0)
    #expect(fine.output == "2.5\n")
  }
}
