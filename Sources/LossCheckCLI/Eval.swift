import ArgumentParser
import LossCore
import LossVerification

extension LossCheck {
  /// `losscheck eval`: evaluates one case, given by flags or as a `losscheck/1` request.
  struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Evaluate one case and print its value.",
      discussion: """
        Give the case by flags (numbers separated by commas, arrays column-major):

          losscheck eval --loss mse --dtype float32 --yhat 0.9,0.1 --y 1,0

        or as a losscheck/1 request (see Conformance/PROTOCOL.md), '-' reading it from standard \
        input:

          losscheck eval --json '{"loss":"mse","yhat":[1,2],"y":[0,0]}'

        Numbers are read directly in the dtype (one rounding); NaN, Inf and -Inf are accepted. \
        The value is printed as the shortest decimal that round-trips in the dtype. Exit status: \
        0 for a value (even NaN); 2 for a usage or input error or a loss error \
        (DimensionMismatch, DomainError, ArgumentError), with 'error: <kind>: <message>' on \
        standard error.

        A request may carry a 'budget' (seconds), and --budget gives one to a case that has \
        none: when LossSpec runs out of it, it stops with 'unsupported: budget exceeded: …' \
        (exit status 2) instead of running on. LossFast ignores budgets.
        """
    )

    @OptionGroup var request: RequestOptions

    @Option(help: "The implementation that evaluates the case.")
    var impl: BuiltInImplementation = .spec

    @OptionGroup var threadOptions: ThreadOptions

    @OptionGroup var budgetOptions: BudgetOptions

    @Option(help: "'text': the value alone; 'json': the losscheck/1 response line.")
    var format: OutputFormat = .text

    enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
      case text
      case json
    }

    func validate() throws {
      try request.validate()
      try threadOptions.validate()
      try budgetOptions.validate()
    }

    func run() async throws {
      let console = Console.current
      let implementation = impl.implementation(threads: threadOptions.threads)
      let lossRequest: LossRequest
      do {
        lossRequest = budgetOptions.applied(to: try request.makeRequest(console: console))
      } catch {
        // An input the protocol rejects: in JSON format, the response a server would send.
        if format == .json {
          let response = LossResponse(id: error.id, outcome: .error(error.error))
          console.write(ProtocolCodec.encode(response, dtype: error.dtype).serialized() + "\n")
        }
        throw CommandFailure(error.error.description)
      }
      // The shared validation every implementation performs first: an invalid input is reported
      // as such whatever the implementation, and before any evaluation.
      let outcome: LossOutcome
      do {
        _ = try lossRequest.validated()
        outcome = await implementation.evaluate(lossRequest)
      } catch {
        outcome = .error(error)
      }
      if format == .json {
        let response = LossResponse(id: lossRequest.id, outcome: outcome)
        console.write(ProtocolCodec.encode(response, dtype: lossRequest.dtype).serialized() + "\n")
      }
      switch outcome {
      case .value(let value):
        if format == .text { console.write(ValueFormatting.format(value, dtype: lossRequest.dtype) + "\n") }
      case .error(let error):
        throw CommandFailure(error.description)
      case .unsupported(let reason):
        throw CommandFailure("\(implementation.name) does not support this case: \(reason)")
      }
    }
  }
}
