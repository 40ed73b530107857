import ArgumentParser
import LossCore
import LossVerification

extension LossCheck {
  /// `losscheck serve`: speaks the `losscheck/1` adapter protocol on standard input and output,
  /// so any tool can use a built-in implementation as an oracle.
  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Speak the losscheck/1 protocol on standard input and output.",
      discussion: """
        Writes a hello line, then answers each request line (JSON) with exactly one response \
        line, in order, flushing each; blank lines are ignored. A malformed line gets an error \
        response (kind ArgumentError) and the server goes on. Exits with status 0 at the end of \
        input. The protocol is described in Conformance/PROTOCOL.md.

        A request may carry a 'budget' (seconds); --budget gives one to the requests that do \
        not. When LossSpec runs out of it the answer is {"id":…,"unsupported":"budget \
        exceeded: …"} and the server goes on; LossFast ignores budgets.

        A request may ask for a gradient ("grad":["yhat"] or ["yhat","y"], with a \
        "cotangent" for agg "none"); the response then carries "grad":{"yhat":[…],"y":[…]}, \
        or "gradUnsupported":"reason" when the implementation does not differentiate.
        """
    )

    @Option(help: "The implementation that answers the requests.")
    var impl: BuiltInImplementation = .spec

    @OptionGroup var threadOptions: ThreadOptions

    @OptionGroup var budgetOptions: BudgetOptions

    func validate() throws {
      try budgetOptions.validate()
    }

    func run() async throws {
      await ProtocolServer(
        implementation: impl.implementation(threads: threadOptions.threads), defaultBudget: budgetOptions.budget
      ).serve(console: Console.current)
    }
  }
}
