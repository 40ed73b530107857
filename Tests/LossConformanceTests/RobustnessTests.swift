import Foundation
import LossCore
import Synchronization
import Testing

@testable import LossConformance

/// The defects a hostile-input campaign found in `losscheck` (issue 12, items 1–8), each run as a
/// user would run it: the real executable, real files, devices, FIFOs and adapters. Every test
/// failed before its fix.
@Suite(
  "losscheck under hostile but realistic use",
  .enabled(if: Fixtures.losscheck != nil, "the losscheck executable is not built"),
  .enabled(if: !Fixtures.vectors.isEmpty, "Conformance/vectors is missing"),
  .timeLimit(.minutes(5)))
struct RobustnessTests {
  // Values only: LossSpec advertises gradients, and these tests count value cases.
  let spec = ["conform", "--adapter", "losscheck serve --impl spec", "--loss", "mae", "--gradients", "off"]

  static func fileType(_ path: String) -> mode_t {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
  }

  // MARK: 1, 7: report paths

  @Test("a report path that is a symlink writes its target and keeps the link")
  func symlink() async throws {
    let directory = try Fixtures.temporaryDirectory("robust")
    defer { try? FileManager.default.removeItem(at: directory) }
    let target = directory.appendingPathComponent("real.json").path
    let link = directory.appendingPathComponent("link.json").path
    try "old".write(toFile: target, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.json")
    let run = try await runExecutable(spec + ["--json", link, "--quiet"])
    #expect(run.status == 0, "\(run.error)")
    #expect(Self.fileType(link) == S_IFLNK)
    let report = try ConformanceReport.load(target)
    #expect(report.cases.count == Fixtures.vectors.filter { $0.loss == .mae }.count)
  }

  @Test("a FIFO's reader gets the report; the FIFO stays a FIFO")
  func fifo() async throws {
    let directory = try Fixtures.temporaryDirectory("robust")
    defer { try? FileManager.default.removeItem(at: directory) }
    let fifo = directory.appendingPathComponent("report.fifo").path
    #expect(mkfifo(fifo, 0o600) == 0)
    // The reader is open before losscheck starts (a non-blocking open of the read end returns at
    // once), so losscheck's open for writing finds it; it reads on a thread of its own, with a
    // deadline, so that nothing here can block the test run.
    let fd = open(fifo, O_RDONLY | O_NONBLOCK)
    #expect(fd >= 0)
    let received = Mutex(Data())
    let reader = Thread {
      defer { close(fd) }
      let deadline = ContinuousClock.now + .seconds(150)
      var buffer = [UInt8](repeating: 0, count: 65536)
      while ContinuousClock.now < deadline {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
          received.withLock { $0.append(contentsOf: buffer[0..<n]) }
        } else if n == 0 && !received.withLock({ $0.isEmpty }) {
          return  // end of file after the report
        } else {
          usleep(20_000)  // no writer yet (0) or nothing to read yet (EAGAIN)
        }
      }
    }
    reader.start()
    let run = try await runExecutable(spec + ["--json", fifo, "--quiet"])
    #expect(run.status == 0, "\(run.error)")
    for _ in 0..<500 where !reader.isFinished { try await Task.sleep(for: .milliseconds(20)) }
    let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
    #expect(text.hasPrefix("{") && text.contains(#""schema":"losscheck-conform"#), "\(text.prefix(200))")
    #expect(Self.fileType(fifo) == S_IFIFO)
  }

  @Test(
    "a device is written in place: /dev/full's error is reported (exit 2), the node stays a device, the other reports are written",
    .enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full"))
  func device() async throws {
    let directory = try Fixtures.temporaryDirectory("robust")
    defer { try? FileManager.default.removeItem(at: directory) }
    let html = directory.appendingPathComponent("report.html").path
    let run = try await runExecutable(spec + ["--json", "/dev/full", "--html", html, "--quiet"])
    #expect(run.status == 2)
    #expect(run.error.contains("cannot write /dev/full: No space left on device"), "\(run.error)")
    #expect(Self.fileType("/dev/full") == S_IFCHR)
    #expect(FileManager.default.fileExists(atPath: html), "one failed report must not stop the others")
  }

  @Test("report paths are checked before the run: a directory, a place that takes no files")
  func pathsCheckedFirst() async throws {
    let directory = try Fixtures.temporaryDirectory("robust")
    defer { try? FileManager.default.removeItem(at: directory) }
    // An adapter that would take 10 minutes to say hello: a check after the run would time out.
    let slow = ["conform", "--adapter", "sleep 600", "--loss", "mae", "--startup-timeout", "600"]
    let started = ContinuousClock.now
    let run = try await runExecutable(slow + ["--junit", directory.path])
    #expect(run.status == 2)
    #expect(run.error.contains("cannot write \(directory.path): it is a directory"), "\(run.error)")
    // Far below the adapter's 600 s hello (the check comes first); the bound leaves room for a
    // loaded CI machine, where this took 60.2 s once with every suite running on two cores.
    #expect(started.duration(to: .now) < .seconds(300))
    if FileManager.default.fileExists(atPath: "/proc/self") {
      let verify = try await runExecutable(["verify", "--reports", "/proc", "--law", "sum-is-n-times-mean"])
      #expect(verify.status == 2)
      #expect(verify.error.contains("/proc does not accept new files"), "\(verify.error)")
      #expect(!verify.output.contains("PASS"), "no check may run before the paths are known to work")
    }
  }

  // MARK: 2: large option values

  @Test(
    "huge, infinite and NaN option values are usage errors (exit 2) naming the option, not traps",
    arguments: [
      ["conform", "--adapter", "true", "--timeout", "1e7"], ["conform", "--adapter", "true", "--timeout", "nan"],
      ["conform", "--adapter", "true", "--startup-timeout", "inf"],
      ["conform", "--adapter", "true", "--startup-timeout", "1e300"],
      ["stability", "--adapter-timeout", "1e9"], ["verify", "--count", "9223372036854775807"],
      ["verify", "--count", "100000000000"], ["bench", "--sizes", "100000000000"],
      ["eval", "--loss", "mse", "--yhat", "1", "--y", "0", "--threads", "99999999"],
    ])
  func optionBounds(_ arguments: [String]) async throws {
    let run = try await runExecutable(arguments, timeout: .seconds(60))
    #expect(run.status == 2, "\(arguments): \(run.error)")
    #expect(run.error.contains("must "), "\(run.error)")
    #expect(!run.error.contains("Fatal error") && !run.error.contains("overflow"), "\(run.error)")
  }

  @Test("the largest allowed timeout runs (the poll deadline clamps instead of overflowing)")
  func largestTimeout() async throws {
    let run = try await runExecutable(spec + ["--timeout", "1000000", "--startup-timeout", "1000000", "--quiet"])
    #expect(run.status == 0, "\(run.error)")
  }

  // MARK: 4: write errors on standard output

  @Test(
    "a lost standard output fails the command (exit 2) with a message",
    .enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full"),
    arguments: [
      ["serve"], ["eval", "--loss", "mse", "--yhat", "1,2", "--y", "0,0"],
      ["conform", "--adapter", "losscheck serve", "--loss", "mae"],
    ])
  func standardOutputLost(_ arguments: [String]) async throws {
    let run = try await runExecutable(
      arguments, input: #"{"id":"a","loss":"mse","yhat":[1,2],"y":[0,0]}"# + "\n",
      output: try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full")))
    #expect(run.status == 2)
    #expect(run.error.contains("cannot write standard output: No space left on device"), "\(run.error)")
  }

  // MARK: 5: stability and dead adapters

  @Test("stability: an adapter that crashes at once is an adapter error, not a perfect line")
  func stabilityDeadAdapter() async throws {
    let directory = try Fixtures.temporaryDirectory("robust")
    defer { try? FileManager.default.removeItem(at: directory) }
    let run = try await runExecutable([
      "stability", "--quick", "--loss", "mae", "--impl", "fast", "--out",
      directory.appendingPathComponent("s.html").path,
      "--adapter", Fixtures.python("testing/fault_adapter.py", "--mode crash --at 1"),
    ])
    #expect(run.status == 2, "\(run.output)\(run.error)")
    #expect(run.output.contains("fault adapter (crash): no point graded"), "\(run.output)")
    #expect(run.error.contains("adapter error: fault adapter (crash) failed on"), "\(run.error)")
    #expect(!run.output.contains("fault adapter (crash): worst 0.0"))
  }

  // MARK: 8: small defects

  @Test("the summary counts the gated cases (benign and edge), not every graded one")
  func gatedCount() async throws {
    let run = try await runExecutable(spec + ["--quiet"])
    let gated = Fixtures.vectors.filter { $0.loss == .mae && $0.regime != .extreme }.count
    let extreme = Fixtures.vectors.filter { $0.loss == .mae && $0.regime == .extreme }.count
    #expect(extreme > 0, "the check needs extreme cases to tell the counts apart")
    #expect(run.output.contains("all \(gated) gated graded cases meet acceptable"), "\(run.output)")
  }

  @Test(
    "--max-restarts 0: no restart is claimed",
    .enabled(if: Fixtures.pythonWithNumpy, "python3 with numpy is not available"))
  func noRestart() async throws {
    let run = try await runExecutable([
      "conform", "--adapter", Fixtures.python("testing/fault_adapter.py", "--mode crash --at 1"), "--loss", "mae",
      "--max-restarts", "0",
    ])
    #expect(run.status == 2)
    #expect(!run.output.contains("restarted 1 time"), "\(run.output)")
    #expect(!run.output.contains("and was restarted"), "\(run.output)")
    #expect(run.output.contains("it was not restarted (0 restart(s) allowed, all used)"), "\(run.output)")
  }

  @Test("control characters of an adapter reach neither the terminal nor the reports raw")
  func controlCharacters() async throws {
    let directory = try Fixtures.temporaryDirectory("robust")
    defer { try? FileManager.default.removeItem(at: directory) }
    let script = directory.appendingPathComponent("evil.sh").path
    // A hello whose name carries ESC, BEL and NUL (JSON escapes, as a real adapter writes them),
    // and an unsupported reason that clears the screen.
    try #"""
    printf '%s\n' '{"protocol":"losscheck/1","implementation":"evil\u001b[31mRED\u0007\u0000","losses":["mae"],"dtypes":["float32","float64"]}'
    while read -r line; do
      id=$(printf '%s' "$line" | sed 's/.*"id":"\([^"]*\)".*/\1/')
      printf '{"id":"%s","unsupported":"no\\u001b[2J"}\n' "$id"
    done
    """#.write(toFile: script, atomically: true, encoding: .utf8)
    let junit = directory.appendingPathComponent("r.xml").path
    let run = try await runExecutable([
      "conform", "--adapter", "sh '\(script)'", "--loss", "mae", "--dtype", "float32", "--junit", junit,
    ])
    let bytes = Array(run.output.utf8) + Array(try String(contentsOfFile: junit, encoding: .utf8).utf8)
    #expect(!bytes.contains(0x1B) && !bytes.contains(0x07) && !bytes.contains(0x00))
    #expect(run.output.contains(#"evil\u{1B}[31mRED\u{7}\u{0}"#), "\(run.output)")
    #expect(run.output.contains(#"no\u{1B}[2J"#), "\(run.output)")
  }

  @Test("verify: a garbage --oracle file is an input error (exit 2), like a missing one")
  func garbageOracle() async throws {
    let directory = try Fixtures.temporaryDirectory("robust")
    defer { try? FileManager.default.removeItem(at: directory) }
    let garbage = directory.appendingPathComponent("oracle.jsonl").path
    try "this is not JSON\n".write(toFile: garbage, atomically: true, encoding: .utf8)
    let reports = directory.appendingPathComponent("reports").path
    let bad = try await runExecutable(["verify", "--oracle", garbage, "--reports", reports])
    let missing = try await runExecutable(["verify", "--oracle", garbage + ".absent", "--reports", reports])
    #expect(bad.status == 2, "\(bad.error)")
    #expect(bad.error.contains("1 of 1 lines are malformed (first: line 1:"), "\(bad.error)")
    #expect(missing.status == 2)
  }
}
