import ArgumentParser
import LossConformance

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `losscheck` command: verifies, with proof, that loss functions compute what Flux.jl's
/// losses mean.
///
/// The executable target holds only `@main extension LossCheck {}`; the command tree lives here so
/// that tests can parse real argument lists and run commands with a captured ``Console``.
///
/// Exit codes (DESIGN.md): 0 everything holds (for `eval`: a loss value, even NaN); 1 a check or
/// verdict failed; 2 a usage, input or adapter error, or (for `eval`) a loss error outcome.
public struct LossCheck: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "losscheck",
    abstract: "Check loss functions against the meaning of Flux.jl's losses.",
    discussion: """
      Without a subcommand, runs `verify`: the built-in checks, with a report written to \
      Reports/index.html. Exit status: 0 all checks hold, 1 a check failed, 2 a usage or input \
      error.
      """,
    version: "1.0.0",
    subcommands: [Verify.self, Eval.self, Serve.self, Stability.self, Bench.self, Conform.self, Vectors.self],
    defaultSubcommand: Verify.self
  )

  public init() {}

  /// Runs the command named by the program's arguments and exits with its status.
  ///
  /// This replaces ArgumentParser's entry point so that every usage error exits with status 2
  /// (ArgumentParser's default is 64), as DESIGN.md fixes.
  ///
  /// Interrupting `losscheck` (SIGINT, SIGTERM, SIGHUP) also ends the adapters it runs, each in a
  /// process group of its own (``AdapterGroups``).
  public static func main() async {
    AdapterGroups.installSignalHandlers()
    let status = await execute(Array(CommandLine.arguments.dropFirst()))
    exitProcess(status)
  }

  /// Parses `arguments`, runs the command and returns its exit status, writing messages through
  /// ``Console/current``.
  ///
  /// A command whose standard output could not be written (`> /dev/full`, a closed pipe) fails
  /// with status 2 and says so on standard error, whatever it computed: its answers are lost.
  package static func execute(_ arguments: [String]) async -> Int32 {
    var status: Int32
    do {
      var command = try parseAsRoot(arguments)
      if var asyncCommand = command as? AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
      status = 0
    } catch {
      status = report(error)
    }
    if let failure = Console.current.outputFailure() {
      Console.current.writeError("error: cannot write standard output: \(failure)\n")
      status = 2
    }
    return status
  }

  /// Writes the message of an error that ended a command and returns the exit status for it.
  static func report(_ error: any Error) -> Int32 {
    let console = Console.current
    if let failure = error as? CommandFailure {
      console.writeError("error: \(failure.message)\n")
      return failure.status
    }
    if let code = error as? ExitCode {
      // Thrown by a command that has already written its messages.
      return code.rawValue
    }
    let message = fullMessage(for: error)
    let code = exitCode(for: error)
    if code.isSuccess {
      // --help, --version.
      if !message.isEmpty { console.write(message + "\n") }
      return 0
    }
    if !message.isEmpty { console.writeError(message + "\n") }
    // Usage errors (ArgumentParser's 64) and anything unexpected are exit status 2; status 1 is
    // reserved for a failed check.
    return 2
  }
}

/// An error that ends a command with a message on standard error (`error: <message>`) and an exit
/// status: 2 for usage, input and adapter errors (the default), 1 for a failed check.
package struct CommandFailure: Error, CustomStringConvertible {
  package var message: String
  package var status: Int32

  package init(_ message: String, status: Int32 = 2) {
    self.message = message
    self.status = status
  }

  package var description: String { message }
}

/// Ends the process (a free function: inside `LossCheck`, `exit` names ArgumentParser's method).
private func exitProcess(_ status: Int32) -> Never {
  exit(status)
}
