import Foundation
import LossCore
import Testing

@testable import LossConformance

/// Runs the `losscheck` executable (a `losscheck conform` as a CI job would) with a timeout.
///
/// - Parameters:
///   - input: the text of its standard input (default: none, `/dev/null`).
///   - output: where its standard output goes (default: a pipe, returned as `output`).
func runExecutable(
  _ arguments: [String], input: String? = nil, output: FileHandle? = nil, timeout: Duration = .seconds(120)
) async throws -> (status: Int32, output: String, error: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: try #require(Fixtures.losscheck))
  process.arguments = arguments
  process.currentDirectoryURL = Fixtures.root
  let stdout = Pipe()
  let stderr = Pipe()
  let stdin = Pipe()
  process.standardOutput = output ?? stdout
  process.standardError = stderr
  process.standardInput = input == nil ? FileHandle.nullDevice : stdin
  try process.run()
  if let input {
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
  }
  if output != nil { try stdout.fileHandleForWriting.close() }
  let pid = process.processIdentifier
  let watchdog = Task {
    try await Task.sleep(for: timeout)
    kill(pid, SIGKILL)
  }
  async let outputData = Task.detached { stdout.fileHandleForReading.readDataToEndOfFile() }.value
  async let errorData = Task.detached { stderr.fileHandleForReading.readDataToEndOfFile() }.value
  let (out, err) = await (outputData, errorData)
  process.waitUntilExit()
  watchdog.cancel()
  return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

@Suite(
  "losscheck conform: the command",
  .enabled(if: Fixtures.losscheck != nil, "the losscheck executable is not built"),
  .enabled(if: !Fixtures.vectors.isEmpty, "Conformance/vectors is missing"),
  .timeLimit(.minutes(3)))
struct ConformCommandTests {
  @Test("shards of `serve --impl spec` pass; their JSON reports merge into one JUnit and HTML report")
  func shardsAndMerge() async throws {
    let directory = try Fixtures.temporaryDirectory("conform")
    defer { try? FileManager.default.removeItem(at: directory) }
    var reports: [String] = []
    for shard in 1...2 {
      let json = directory.appendingPathComponent("shard\(shard).json").path
      let run = try await runExecutable([
        "conform", "--adapter", "losscheck serve --impl spec", "--loss", "mae", "--loss", "hinge", "--shard",
        "\(shard)/2", "--require", "correctlyRounded", "--json", json, "--quiet",
      ])
      #expect(run.status == 0, "\(run.output) \(run.error)")
      #expect(run.output.hasPrefix("PASS"))
      reports.append(json)
    }
    let junit = directory.appendingPathComponent("merged.xml").path
    let html = directory.appendingPathComponent("merged.html").path
    let merged = try await runExecutable(["conform", "--merge"] + reports + ["--junit", junit, "--html", html])
    #expect(merged.status == 0, "\(merged.output) \(merged.error)")
    #expect(merged.output.contains("merged shards 1/2, 2/2"))
    // LossSpec advertises gradients: the gradient vectors of mae and hinge run too, each a value
    // test case and a `<id>/grad` one.
    let gradientCases = Fixtures.gradientVectors.filter { $0.loss == .mae || $0.loss == .hinge }.count
    #expect(gradientCases > 0)
    let expected = Fixtures.vectors.filter { $0.loss == .mae || $0.loss == .hinge }.count + 2 * gradientCases
    let xmlText = try String(contentsOfFile: junit, encoding: .utf8)
    #expect(xmlText.contains("tests=\"\(expected)\" failures=\"0\" errors=\"0\""))
    #expect(try String(contentsOfFile: html, encoding: .utf8).contains("PASS"))
    // A shard missing or given twice is an input error, not a pass.
    let partial = try await runExecutable(["conform", "--merge", reports[0]])
    #expect(partial.status == 2)
    #expect(partial.error.contains("incomplete merge of 2 shards: missing: 2/2"), "\(partial.error)")
    let twice = try await runExecutable(["conform", "--merge", reports[0], reports[0], reports[1]])
    #expect(twice.status == 2)
    #expect(twice.error.contains("given twice: 1/2"), "\(twice.error)")
  }

  @Test("exit status 1 for a gate failure, with the failing cases on standard output")
  func gateFailure() async throws {
    let run = try await runExecutable([
      "conform", "--adapter", Fixtures.python("testing/buggy_adapter.py", "--bug huber-erratum"), "--loss",
      "huber_loss", "--dtype", "float64",
    ])
    #expect(run.status == 1)
    #expect(run.output.contains("FAILED (below acceptable, gated)"))
    #expect(run.output.contains("FAIL:"))
  }

  @Test("exit status 2 for an adapter that cannot start, with its stderr")
  func startFailure() async throws {
    let run = try await runExecutable([
      "conform", "--adapter", Fixtures.python("testing/fault_adapter.py", "--mode exit-at-start"), "--loss", "mse",
    ])
    #expect(run.status == 2)
    #expect(run.error.contains("before writing its hello line"))
    #expect(run.error.contains("failing on purpose"))
  }

  @Test("exit status 2 for a usage error")
  func usage() async throws {
    let run = try await runExecutable(["conform", "--shard", "3/2", "--adapter", "true"])
    #expect(run.status == 2)
    #expect(run.error.contains("--shard"))
  }

  @Test("a known-divergence manifest turns a failure into a pass, and reports its stale entries")
  func manifest() async throws {
    let directory = try Fixtures.temporaryDirectory("conform")
    defer { try? FileManager.default.removeItem(at: directory) }
    let manifest = directory.appendingPathComponent("known.json")
    try #"""
    {"schema": "losscheck-divergences/1", "divergences": [
      {"loss": "huber_loss", "reason": "the seed page's erratum, on purpose", "link": "https://fluxml.ai/Flux.jl/stable/"},
      {"loss": "mse", "reason": "never divergent", "link": "https://fluxml.ai/Flux.jl/stable/"}]}
    """#.write(to: manifest, atomically: true, encoding: .utf8)
    let run = try await runExecutable([
      "conform", "--adapter", Fixtures.python("testing/buggy_adapter.py", "--bug huber-erratum"), "--loss",
      "huber_loss", "--dtype", "float64", "--divergences", manifest.path,
    ])
    #expect(run.status == 0, "\(run.output)")
    #expect(run.output.contains("known divergences"))
    #expect(run.output.contains("warning: stale divergence entries"))
  }
}
