import LossCore
import Testing

@testable import LossCheckCLI

/// `--threads N` on `eval` and `serve`: accepted, validated, and without effect on the bits.
///
/// The inputs are long enough (3 chunks of LossFast's 16 384 elements, above every loss's
/// parallel threshold) for the fast path to split the work between threads. Values are printed as
/// the shortest decimal that round-trips in the dtype, so equal text is equal bits.
@Suite("--threads on eval and serve")
struct ThreadsOptionTests {
  static let count = 40_000

  /// A request with ŷ in (0, 1) and y in [0, 1): every loss is finite on it.
  static func request(_ loss: String, dtype: String, id: String = "t") -> String {
    var yhat: [String] = []
    var y: [String] = []
    yhat.reserveCapacity(count)
    y.reserveCapacity(count)
    for i in 0..<count {
      yhat.append("0.\(String(i % 997 + 1).leftPadded(to: 3))")
      y.append(i % 3 == 0 ? "0" : "0.\(String((i * 7) % 1000).leftPadded(to: 3))")
    }
    return
      #"{"id":"\#(id)","loss":"\#(loss)","dtype":"\#(dtype)","yhat":[\#(yhat.joined(separator: ","))],"y":[\#(y.joined(separator: ","))]}"#
  }

  @Test(
    "eval --impl fast gives the same bits with --threads 1, 2, 3 and 8 as by default",
    arguments: ["mse", "msle", "binarycrossentropy", "kldivergence", "tversky_loss"], ["float32", "float64"])
  func evalSameBits(loss: String, dtype: String) async {
    let request = Self.request(loss, dtype: dtype)
    let base = await runLossCheck(["eval", "--impl", "fast", "--json", request])
    #expect(base.status == 0, "\(base.error)")
    #expect(!base.output.isEmpty)
    for threads in ["1", "2", "3", "8"] {
      let run = await runLossCheck(["eval", "--impl", "fast", "--threads", threads, "--json", request])
      #expect(run.status == 0, "\(run.error)")
      #expect(run.output == base.output, "--threads \(threads)")
    }
  }

  @Test("eval --threads is accepted with --impl spec (and has no effect there)")
  func evalSpec() async {
    let run = await runLossCheck([
      "eval", "--impl", "spec", "--threads", "2", "--loss", "mse", "--yhat", "1,2", "--y", "0,0",
    ])
    #expect(run.status == 0, "\(run.error)")
    #expect(run.output == "2.5\n")
  }

  @Test("serve --impl fast --threads 3 answers with the same bits as by default")
  func serveSameBits() async {
    let lines = [
      Self.request("mse", dtype: "float32", id: "a"), Self.request("logitcrossentropy", dtype: "float64", id: "b"),
    ]
    let base = await runLossCheck(["serve", "--impl", "fast"], input: lines)
    let threaded = await runLossCheck(["serve", "--impl", "fast", "--threads", "3"], input: lines)
    #expect(base.status == 0 && threaded.status == 0, "\(base.error) \(threaded.error)")
    let baseLines = base.output.split(separator: "\n")
    let threadedLines = threaded.output.split(separator: "\n")
    #expect(baseLines.count == 3)
    // The hello line names the thread count; the responses must be identical.
    #expect(threadedLines.first?.contains("3 threads") == true)
    #expect(Array(threadedLines.dropFirst()) == Array(baseLines.dropFirst()))
    #expect(baseLines.dropFirst().allSatisfy { $0.contains(#""value":"#) })
  }

  @Test("--threads outside 1…1024 is a usage error naming the flag", arguments: ["eval", "serve"])
  func rejectsZero(command: String) async {
    for bad in ["0", "-2", "1025"] {
      var arguments = [command, "--impl", "fast", "--threads=\(bad)"]
      if command == "eval" { arguments += ["--loss", "mse", "--yhat", "1", "--y", "0"] }
      let run = await runLossCheck(arguments)
      #expect(run.status == 2)
      #expect(run.error.contains("--threads must lie in 1…1024, got \(bad)"), "\(run.error)")
      #expect(run.output.isEmpty)
    }
  }

  @Test("--threads that is not an integer is a usage error")
  func rejectsNonInteger() async {
    let run = await runLossCheck([
      "eval", "--impl", "fast", "--threads", "two", "--loss", "mse", "--yhat", "1", "--y", "0",
    ])
    #expect(run.status == 2)
    #expect(run.error.contains("--threads"))
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
