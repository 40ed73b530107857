import Foundation
import LossCore
import LossVerification
import Testing

/// Runs the built `losscheck` executable, as a client of `losscheck serve` would.
@Suite("serve: end to end, through the losscheck executable")
struct ServeEndToEndTests {
  /// The executable built with this test bundle: next to the test bundle in the build directory,
  /// else `<package>/.build/debug/losscheck`.
  static func executable() throws -> URL {
    var candidates = [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("losscheck")]
    if let executableDirectory = Bundle.main.executableURL?.deletingLastPathComponent() {
      candidates.append(executableDirectory.appendingPathComponent("losscheck"))
    }
    for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
      candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("losscheck"))
    }
    // Tests/LossCheckCLITests/ServeEndToEndTests.swift → the package root.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/losscheck"))
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
      return found
    }
    throw ExecutableNotFound(searched: candidates.map(\.path))
  }

  struct ExecutableNotFound: Error, CustomStringConvertible {
    var searched: [String]
    var description: String {
      "the losscheck executable was not found (run `swift build` first); searched: \(searched.joined(separator: ", "))"
    }
  }

  struct Finished: Sendable {
    var status: Int32
    var output: String
    var error: String
    var timedOut: Bool
  }

  /// Runs `losscheck <arguments>` with `input` on standard input; kills it after `timeout`.
  static func run(_ arguments: [String], input: String, timeout: Duration = .seconds(30)) async throws -> Finished {
    let process = Process()
    process.executableURL = try executable()
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let pid = process.processIdentifier

    // The watchdog kills only this process, by its id, if it outlives the timeout.
    let watchdog = Task {
      try await Task.sleep(for: timeout)
      kill(pid, SIGKILL)
    }
    // Read both pipes to their end concurrently so that neither can fill up and block the child.
    async let output = Task.detached { stdout.fileHandleForReading.readDataToEndOfFile() }.value
    async let error = Task.detached { stderr.fileHandleForReading.readDataToEndOfFile() }.value
    try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let (outputData, errorData) = await (output, error)
    process.waitUntilExit()
    let timedOut = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
    watchdog.cancel()
    return Finished(
      status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
      error: String(decoding: errorData, as: UTF8.self), timedOut: timedOut)
  }

  @Test("hello, then one response per request in order (a malformed line in the middle), exit 0 at EOF")
  func session() async throws {
    let input =
      [
        #"{"id":"first","loss":"mse","dtype":"float64","shape":[2],"yhat":[1,2],"y":[0,0]}"#,
        #"{"id":"broken","loss":"mse","yhat":[1,2"#,
        #"{"id":"third","loss":"hinge","dtype":"float32","yhat":[0.5],"y":1}"#,
      ].joined(separator: "\n") + "\n"
    let finished = try await Self.run(["serve", "--impl", "spec"], input: input)
    #expect(!finished.timedOut, "losscheck serve did not finish within 30 s")
    #expect(finished.status == 0, "stderr: \(finished.error)")

    var lines = finished.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines.last == "", "the output must end with a line feed")
    lines.removeLast()
    try #require(lines.count == 4, "expected a hello and 3 responses, got:\n\(finished.output)")

    let hello = try ProtocolCodec.decodeHello(try JSONValue(parsing: lines[0]))
    #expect(hello.protocolName == "losscheck/1")
    #expect(hello.implementation.hasPrefix("LossSpec"))
    #expect(Set(hello.losses) == Set(LossID.allCases.map(\.rawValue)))

    let responses = try lines.dropFirst().map { try JSONValue(parsing: $0) }
    #expect(responses.map { $0["id"] } == [.string("first"), .string("broken"), .string("third")])
    // The malformed line: an ArgumentError naming the column.
    #expect(responses[1]["error"]?["kind"] == .string("ArgumentError"))
    if case .string(let message)? = responses[1]["error"]?["message"] {
      #expect(message.contains("column"))
    } else {
      Issue.record("the malformed line's response has no message: \(lines[2])")
    }
    // The well-formed requests: a value, an error or an unsupported answer, each well-formed.
    for response in [responses[0], responses[2]] {
      #expect(response["value"] != nil || response["error"] != nil || response["unsupported"] != nil)
      #expect(throws: Never.self) { try ProtocolCodec.decodeResponse(response, dtype: .float64) }
    }
  }

  /// The gradient extension through the executable: LossFast differentiates, so its hello
  /// advertises gradients and a gradient request gets its value and `grad` (the expected
  /// gradients are LossSpec's, answered in process); a value-only request gets the plain line.
  @Test("serve --impl fast: the hello advertises gradients, a grad request gets the value and LossSpec's gradient")
  func gradients() async throws {
    let value = #"{"id":"v","loss":"mse","dtype":"float64","shape":[2],"yhat":[1,2],"y":[0,0]}"#
    let grad = #"{"id":"g","loss":"mse","dtype":"float64","shape":[2],"yhat":[1,2],"y":[0,0],"grad":["yhat","y"]}"#
    let none =
      #"{"id":"n","loss":"mae","dtype":"float32","yhat":[1,2],"y":[0,0],"params":{"agg":"none"},"#
      + #""grad":["yhat"],"cotangent":[1,0.5]}"#
    let finished = try await Self.run(
      ["serve", "--impl", "fast", "--threads", "1"], input: [value, grad, none, value].joined(separator: "\n") + "\n")
    #expect(!finished.timedOut, "losscheck serve did not finish within 30 s")
    #expect(finished.status == 0, "stderr: \(finished.error)")
    let lines = finished.output.split(separator: "\n").map(String.init)
    try #require(lines.count == 5, "expected a hello and 4 responses, got:\n\(finished.output)")
    #expect(lines[0].contains(#""gradients":true"#))
    #expect(lines[1] == #"{"id":"v","value":2.5}"#)
    #expect(lines[4] == lines[1])
    let spec = BuiltInImplementation.spec.implementation(threads: nil)
    let g = try ProtocolCodec.decodeResponse(JSONValue(parsing: lines[2]), dtype: .float64)
    let gRequest = try ProtocolCodec.decodeRequest(JSONValue(parsing: grad))
    #expect(g.outcome == .value(.scalar(2.5)))
    #expect(g.gradient == (await spec.answer(gRequest)).gradient)
    let n = try ProtocolCodec.decodeResponse(JSONValue(parsing: lines[3]), dtype: .float32)
    let nRequest = try ProtocolCodec.decodeRequest(JSONValue(parsing: none))
    #expect(n.outcome == .value(.array(Tensor([1, 2]))))
    #expect(n.gradient == (await spec.answer(nRequest)).gradient)
  }

  @Test("no input: the hello line alone, exit 0")
  func emptyInput() async throws {
    let finished = try await Self.run(["serve"], input: "")
    #expect(!finished.timedOut)
    #expect(finished.status == 0)
    #expect(finished.output.hasPrefix(#"{"protocol":"losscheck/1""#))
    #expect(finished.output.filter { $0 == "\n" }.count == 1)
  }

  @Test("a request line of several megabytes is read whole")
  func longLine() async throws {
    let n = 400_000
    let values = [String](repeating: "0.5", count: n).joined(separator: ",")
    let request = #"{"id":"long","loss":"mse","yhat":["# + values + #"],"y":["# + values + "]}"
    let finished = try await Self.run(["serve"], input: request + "\n")
    #expect(!finished.timedOut)
    #expect(finished.status == 0)
    let lines = finished.output.split(separator: "\n")
    try #require(lines.count == 2)
    #expect(try JSONValue(parsing: String(lines[1]))["id"] == .string("long"))
  }

  @Test("the executable exits with status 2 on a usage error")
  func usageError() async throws {
    let finished = try await Self.run(["eval", "--loss"], input: "")
    #expect(finished.status == 2)
    #expect(finished.error.contains("--loss"))
  }
}
