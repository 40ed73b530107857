import Foundation
import LossCore
import Testing

@testable import LossConformance

/// Adapters that crash, hang, print garbage, answer out of order or never start: each is
/// reported as a clear per-case fault (or a start error) within the timeouts, the run goes on,
/// and the other cases are still graded.
@Suite(
  "Runner: faulty adapters",
  .enabled(if: Fixtures.pythonWithNumpy, "python3 with numpy is not installed"),
  .enabled(if: !Fixtures.vectors.isEmpty, "Conformance/vectors is missing"),
  .timeLimit(.minutes(10)))
struct FaultTests {
  /// Six benign mse cases; the fault adapter misbehaves on the second.
  let cases = Array(Fixtures.cases { $0.loss == .mse && $0.regime == .benign }.prefix(6))

  func run(_ mode: String, timeout: Duration = .seconds(3), maxRestarts: Int = 10) async throws -> (
    report: ConformanceReport, evaluation: GateEvaluation, seconds: Double
  ) {
    let started = ContinuousClock.now
    let (report, evaluation) = try await conform(
      Fixtures.python("testing/fault_adapter.py", "--mode \(mode) --id \(cases[1].id)"), cases, timeout: timeout,
      startupTimeout: .seconds(20), maxRestarts: maxRestarts)
    return (report, evaluation, started.duration(to: .now).seconds)
  }

  /// The second case is a fault of `kind`; every other case is graded and passes.
  func expectOnlySecondFaults(_ report: ConformanceReport, _ kind: FaultKind, message: String) {
    #expect(report.cases.count == cases.count)
    #expect(report.cases[1].status == .fault)
    #expect(report.cases[1].fault == kind)
    #expect(report.cases[1].detail.contains(message), "\(report.cases[1].detail)")
    for (index, result) in report.cases.enumerated() where index != 1 {
      #expect(result.status == .graded, "case \(index + 1): \(result.detail)")
      #expect(result.tier.map { $0.meets(.acceptable) } == true)
    }
    #expect(GateEvaluation(report: report).exitStatus(runError: nil) == 2)
  }

  @Test("a crash mid-run: the case is marked crashed (exit status, stderr), the adapter restarted")
  func crash() async throws {
    let (report, _, _) = try await run("crash")
    expectOnlySecondFaults(report, .crashed, message: "exit status 3")
    #expect(report.cases[1].detail.contains("crashing on purpose"))
    #expect(report.notes.contains { $0.contains("restarted 1 time") })
  }

  @Test("a hang: the case times out within its timeout, the adapter is killed and restarted")
  func hang() async throws {
    let (report, _, _) = try await run("hang", timeout: .seconds(2))
    expectOnlySecondFaults(report, .timeout, message: "no answer within")
    // Six cases, one of which hangs for its 2 s timeout: far below a minute even on a loaded machine.
    // The runner's own clock (its thread): the wall time of the await also counts how long the
    // parallel test run kept this task from resuming (69 s once, with the property suite).
    #expect(report.seconds < 60, "the run took \(report.seconds) s")
  }

  @Test("garbage: a line that is not JSON is a per-case error")
  func garbage() async throws {
    let (report, _, _) = try await run("garbage")
    expectOnlySecondFaults(report, .garbage, message: "not JSON")
  }

  @Test("a wrong id is a per-case error naming both ids")
  func wrongID() async throws {
    let (report, _, _) = try await run("wrong-id")
    expectOnlySecondFaults(report, .wrongID, message: "never-sent")
  }

  @Test("a missing field is a per-case error naming what is missing")
  func missingField() async throws {
    let (report, _, _) = try await run("missing-field")
    expectOnlySecondFaults(report, .malformed, message: "none of 'value', 'error', 'unsupported'")
  }

  @Test("a huge answer is dropped with a per-case error; the next answers are read")
  func huge() async throws {
    let (report, _, _) = try await run("huge")
    expectOnlySecondFaults(report, .oversized, message: "longer than")
  }

  @Test("an answer out of order (an earlier id) is skipped as stale; every case is graded")
  func outOfOrder() async throws {
    let (report, evaluation, _) = try await run("out-of-order")
    #expect(report.cases.allSatisfy { $0.status == .graded })
    #expect(evaluation.passed)
    #expect(report.notes.contains { $0.contains("stale answer line") })
  }

  @Test(
    "an adapter that exits before its hello is a start error with its status and stderr",
    arguments: ["exit-at-start", "bad-hello"])
  func noStart(_ mode: String) async throws {
    do {
      _ = try await run(mode)
      Issue.record("the run should not have started")
    } catch let error as AdapterStartError {
      if mode == "exit-at-start" {
        #expect(error.message.contains("exit status 1"))
        #expect(error.message.contains("failing on purpose"))
      } else {
        #expect(error.message.contains("losscheck/0"))
      }
    }
  }

  @Test("an adapter that never writes its hello fails within the startup timeout")
  func noHello() async throws {
    let started = ContinuousClock.now
    let runner = ConformanceRunner(
      configuration: RunnerConfiguration(
        command: Fixtures.python("testing/fault_adapter.py", "--mode no-hello"), startupTimeout: .seconds(2)))
    await #expect(throws: AdapterStartError.self) { _ = try await runner.run(cases) }
    // The adapter sleeps for an hour. The wall time of the await also counts how long a loaded
    // parallel test run kept this task from resuming, so the start itself is timed on the thread
    // that runs it (the runner's start routine, called directly).
    #expect(started.duration(to: .now) < .seconds(600))
    let seconds = await offCooperativePool { () -> Double? in
      let clock = ContinuousClock.now
      do throws(AdapterStartError) {
        _ = try AdapterProcess.start(
          command: Fixtures.python("testing/fault_adapter.py", "--mode no-hello"), startupTimeout: .seconds(2))
        return nil
      } catch {
        #expect(error.message.contains("wrote no hello line within 2 s"), "\(error.message)")
        return clock.duration(to: .now).seconds
      }
    }
    let s = try #require(seconds, "the adapter started")
    #expect(s < 60, "\(s) s")
  }

  @Test("an adapter that crashes on every case is given up after --max-restarts; nothing is lost")
  func givesUp() async throws {
    let command =
      "python3 -c 'import sys, json; print(json.dumps({\"protocol\":\"losscheck/1\",\"implementation\":\"dies\",\"losses\":[\"mse\"],\"dtypes\":[\"float32\",\"float64\"]}), flush=True); sys.stdin.readline(); sys.exit(5)'"
    let (report, evaluation) = try await conform(command, cases, timeout: .seconds(3), maxRestarts: 2)
    #expect(report.cases.count == cases.count)
    #expect(report.cases.prefix(3).allSatisfy { $0.fault == .crashed })
    #expect(report.cases.dropFirst(3).allSatisfy { $0.fault == .notRun })
    #expect(evaluation.exitStatus(runError: nil) == 2)
  }

  @Test("a loss the hello does not list is unsupported without being sent")
  func notInHello() async throws {
    let command =
      "python3 -c 'import sys, json; print(json.dumps({\"protocol\":\"losscheck/1\",\"implementation\":\"none\",\"losses\":[],\"dtypes\":[]}), flush=True); sys.stdin.read()'"
    let (report, evaluation) = try await conform(command, cases)
    #expect(report.cases.allSatisfy { $0.status == .unsupported && $0.detail.contains("hello does not list") })
    #expect(!evaluation.passed, "a run that graded nothing does not pass")
    #expect(evaluation.exitStatus(runError: nil) == 1)
  }
}

/// An adapter inherits no descriptor of the runner but its standard streams: a test harness (or
/// any caller) may hold pipes without close-on-exec, and an adapter holding the write end of
/// such a pipe kept its reader from ever seeing end-of-file (a CI run hung on exactly that).
@Suite("Adapter processes inherit only their standard streams", .timeLimit(.minutes(1)))
struct AdapterDescriptorTests {
  @Test("a pipe without close-on-exec, open in the runner, is not open in the adapter")
  func noInheritedDescriptors() throws {
    var leaked: [Int32] = [-1, -1]
    try #require(pipe(&leaked) == 0)  // no FD_CLOEXEC, as Foundation's Pipe on Linux
    defer {
      close(leaked[0])
      close(leaked[1])
    }
    let listing = FileManager.default.temporaryDirectory.appendingPathComponent("fds-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: listing) }
    // `ls` lists its own descriptors (0, 1, 2 from the adapter and the one it reads the
    // directory with); the file appears once the listing is complete.
    let process = try AdapterProcess(
      command: "ls /proc/self/fd > '\(listing).tmp'; mv '\(listing).tmp' '\(listing)'; sleep 30",
      maxLineBytes: 1 << 16)
    defer { _ = process.terminate(grace: .zero) }
    var text: String?
    for _ in 0..<200 where text == nil {
      text = try? String(contentsOfFile: listing, encoding: .utf8)
      if text == nil { usleep(10_000) }
    }
    let descriptors = try #require(text, "the adapter did not list its descriptors").split(separator: "\n")
      .compactMap { Int32($0) }
    #expect(descriptors.contains(0) && descriptors.contains(1) && descriptors.contains(2))
    #expect(!descriptors.contains(leaked[0]) && !descriptors.contains(leaked[1]), "\(descriptors)")
    #expect(descriptors.allSatisfy { $0 <= 3 }, "inherited: \(descriptors)")
  }
}
