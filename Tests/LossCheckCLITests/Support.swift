import Foundation
import LossCore
import Synchronization

// The shared helpers (makeTemporaryDirectory), for every file of the target.
@_exported import _LossTestSupport
@testable import LossCheckCLI

/// What a command wrote and how it ended.
struct CommandRun: Sendable {
  var status: Int32
  var output: String
  var error: String
}

/// Standard streams for a command run inside a test: the output and error text are collected,
/// the input is a fixed list of lines.
final class CapturedStreams: Sendable {
  private let output = Mutex("")
  private let error = Mutex("")
  private let input: Mutex<[String]>

  init(input: [String] = []) { self.input = Mutex(input) }

  var console: Console {
    Console(
      write: { text in self.output.withLock { $0 += text } },
      writeError: { text in self.error.withLock { $0 += text } },
      readLine: { self.input.withLock { $0.isEmpty ? nil : $0.removeFirst() } },
      errorIsTerminal: false)
  }

  var outputText: String { output.withLock { $0 } }
  var errorText: String { error.withLock { $0 } }
}

/// Runs `losscheck <arguments>` in-process with captured streams.
func runLossCheck(_ arguments: [String], input: [String] = []) async -> CommandRun {
  let streams = CapturedStreams(input: input)
  let status = await Console.$current.withValue(streams.console) {
    await LossCheck.execute(arguments)
  }
  return CommandRun(status: status, output: streams.outputText, error: streams.errorText)
}

/// An implementation that answers from a table (by request id), for testing the checks without
/// depending on LossSpec's numerics.
struct TableImplementation: LossImplementation {
  var answers: [String: LossOutcome]
  var name: String { "table" }
  var losses: [LossID] { LossID.allCases }
  var dtypes: [DType] { DType.allCases }

  func evaluate(_ request: LossRequest) async -> LossOutcome {
    answers[request.id] ?? .unsupported("no answer for '\(request.id)'")
  }
}
