import ArgumentParser
import LossCore
import Testing

@testable import LossCheckCLI
@testable import LossVerification

@Suite("Parsing real argument lists")
struct CommandLineParsingTests {
  @Test("no arguments selects verify, the default subcommand")
  func defaultSubcommand() throws {
    let command = try LossCheck.parseAsRoot([])
    #expect(command is LossCheck.Verify)
  }

  @Test("eval by flags")
  func evalFlags() throws {
    let command = try LossCheck.parseAsRoot([
      "eval", "--loss", "mse", "--dtype", "float32", "--yhat", "0.9,0.1", "--y", "1,0", "--agg", "sum",
    ])
    let eval = try #require(command as? LossCheck.Eval)
    #expect(eval.request.loss == .mse)
    #expect(eval.request.dtype == .float32)
    #expect(eval.request.yhat == "0.9,0.1")
    #expect(eval.request.y == "1,0")
    #expect(eval.request.agg == .sum)
    #expect(eval.impl == .spec)
    #expect(eval.format == .text)
  }

  @Test("eval accepts Flux's later loss names and agg = identity")
  func aliases() throws {
    let command = try LossCheck.parseAsRoot([
      "eval", "--loss", "hinge_loss", "--yhat", "1", "--y", "1", "--agg", "identity",
    ])
    let eval = try #require(command as? LossCheck.Eval)
    #expect(eval.request.loss == .hinge)
    #expect(eval.request.agg == Aggregation.none)
  }

  @Test("values may start with a minus sign")
  func negativeValues() throws {
    let command = try LossCheck.parseAsRoot([
      "eval", "--loss", "huber_loss", "--yhat", "-1,2", "--y", "-0.5", "--delta", "-1",
    ])
    let eval = try #require(command as? LossCheck.Eval)
    #expect(eval.request.yhat == "-1,2")
    #expect(eval.request.y == "-0.5")
    #expect(eval.request.delta == "-1")
  }

  @Test("eval with --json and --format json")
  func evalJSON() throws {
    let command = try LossCheck.parseAsRoot(["eval", "--json", "-", "--format", "json"])
    let eval = try #require(command as? LossCheck.Eval)
    #expect(eval.request.json == "-")
    #expect(eval.format == .json)
  }

  @Test("--json cannot be combined with case flags")
  func jsonExcludesFlags() {
    #expect(throws: (any Error).self) {
      try LossCheck.parseAsRoot(["eval", "--json", "{}", "--loss", "mse"])
    }
  }

  @Test("serve takes --impl")
  func serve() throws {
    let command = try LossCheck.parseAsRoot(["serve", "--impl", "spec"])
    let serve = try #require(command as? LossCheck.Serve)
    #expect(serve.impl == .spec)
  }

  @Test("an unknown implementation is a usage error")
  func unknownImplementation() {
    #expect(throws: (any Error).self) { try LossCheck.parseAsRoot(["serve", "--impl", "nope"]) }
  }

  @Test("verify options")
  func verify() throws {
    let command = try LossCheck.parseAsRoot(["verify", "--reports", "out", "--quiet"])
    let verify = try #require(command as? LossCheck.Verify)
    #expect(verify.reports == "out")
    #expect(verify.quiet)
    #expect(verify.oracle == nil)
  }

  @Test("every built-in implementation maps to an implementation that names itself")
  func implementations() {
    for choice in BuiltInImplementation.allCases {
      #expect(!choice.implementation.name.isEmpty)
      #expect(BuiltInImplementation.allValueDescriptions[choice.rawValue] != nil)
    }
  }
}

@Suite("Help text")
struct HelpTests {
  @Test("the root help lists the subcommands and the default")
  func rootHelp() {
    let help = LossCheck.helpMessage(columns: 100)
    for subcommand in ["verify", "eval", "serve"] {
      #expect(help.contains(subcommand))
    }
    #expect(help.contains("(default)"))
  }

  @Test("eval's help lists every loss, the dtypes and the implementations")
  func evalHelp() {
    let help = LossCheck.helpMessage(for: LossCheck.Eval.self, columns: 200)
    for loss in LossID.allCases { #expect(help.contains(loss.rawValue)) }
    #expect(help.contains("float32"))
    #expect(help.contains("--impl"))
    #expect(help.contains("spec"))
    #expect(help.contains("--json"))
  }

  @Test("serve's and verify's help name their options")
  func otherHelp() {
    #expect(LossCheck.helpMessage(for: LossCheck.Serve.self, columns: 100).contains("--impl"))
    let verify = LossCheck.helpMessage(for: LossCheck.Verify.self, columns: 100)
    #expect(verify.contains("--reports"))
    #expect(verify.contains("--oracle"))
    #expect(verify.contains("--quiet"))
  }

  @Test("--help exits 0 with the help on standard output")
  func helpFlag() async {
    let run = await runLossCheck(["eval", "--help"])
    #expect(run.status == 0)
    #expect(run.output.contains("USAGE: losscheck eval"))
    #expect(run.error.isEmpty)
  }
}
