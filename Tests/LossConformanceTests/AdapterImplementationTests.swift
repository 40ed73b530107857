import Foundation
import LossCore
import Testing

@testable import LossConformance

/// An adapter process as a `LossImplementation` (what `losscheck stability --adapter` uses): real
/// answers come back as outcomes, and every fault is an `.unsupported` outcome with its reason,
/// within the timeout, with the adapter restarted for the next request.
@Suite(
  "AdapterImplementation",
  .enabled(if: Fixtures.pythonWithNumpy, "python3 with numpy is not installed"),
  .timeLimit(.minutes(10)))
struct AdapterImplementationTests {
  /// mse([1, 2], [0, 0]) = (1 + 4)/2 = 2.5 exactly.
  static let request = LossRequest(
    loss: .mse, dtype: .float64, yhat: try! Tensor(shape: Shape([2]), values: [1, 2]),
    y: .array(try! Tensor(shape: Shape([2]), values: [0, 0])))

  static func value(_ outcome: LossOutcome) -> Double? {
    if case .value(.scalar(let v)) = outcome { return v }
    return nil
  }

  static func reason(_ outcome: LossOutcome) -> String? {
    if case .unsupported(let r) = outcome { return r }
    return nil
  }

  @Test("the numpy adapter answers through the protocol; its hello names it")
  func numpy() async throws {
    let adapter = try await start(Fixtures.python("numpy_adapter.py"))
    defer { adapter.stop() }
    #expect(adapter.name.contains("numpy"))
    #expect(adapter.losses.count == 14)
    #expect(Self.value(await adapter.evaluate(Self.request)) == 2.5)
    // A loss error travels as an outcome: a shape mismatch is a DimensionMismatch.
    let mismatch = LossRequest(
      loss: .mse, dtype: .float64, yhat: try Tensor(shape: Shape([2]), values: [1, 2]),
      y: .array(try Tensor(shape: Shape([3]), values: [0, 0, 0])))
    if case .error(let e) = await adapter.evaluate(mismatch) {
      #expect(e.kind == .dimensionMismatch)
    } else {
      Issue.record("expected a DimensionMismatch")
    }
  }

  @Test("inputs above the size limit are not sent")
  func sizeLimit() async throws {
    let adapter = try await start(Fixtures.python("numpy_adapter.py"), maxElements: 1)
    defer { adapter.stop() }
    #expect(Self.reason(await adapter.evaluate(Self.request))?.contains("above the adapter limit") == true)
  }

  @Test(
    "faults become unsupported outcomes and the adapter is restarted",
    arguments: [("crash", "ended before answering"), ("hang", "no answer within"), ("garbage", "invalid answer")])
  func fault(mode: String, message: String) async throws {
    let started = ContinuousClock.now
    let adapter = try await start(
      Fixtures.python("testing/fault_adapter.py", "--mode \(mode) --at 2"), timeout: .seconds(2))
    defer { adapter.stop() }
    #expect(Self.value(await adapter.evaluate(Self.request)) == 2.5)
    let second = await adapter.evaluate(Self.request)
    #expect(Self.reason(second)?.contains(message) == true, "\(second)")
    // The next request is answered: by the same process (garbage) or a restarted one.
    #expect(Self.value(await adapter.evaluate(Self.request)) == 2.5)
    #expect(started.duration(to: .now) < .seconds(600))
  }

  @Test("an adapter that never says hello is a start error within the startup timeout")
  func noHello() async throws {
    let seconds = await offCooperativePool { () -> Double? in
      let started = ContinuousClock.now
      do {
        _ = try AdapterImplementation(
          command: Fixtures.python("testing/fault_adapter.py", "--mode no-hello"), startupTimeout: .seconds(2))
        return nil
      } catch {
        return started.duration(to: .now).seconds
      }
    }
    let s = try #require(seconds, "the adapter started")
    // The adapter sleeps for an hour; measured on the starting thread.
    #expect(s < 60, "\(s) s")
  }

  /// Starts an adapter on a thread of its own (the start blocks until the hello line).
  func start(_ command: String, timeout: Duration = .seconds(60), maxElements: Int = 200_000) async throws
    -> AdapterImplementation
  {
    let result = await offCooperativePool { () -> Result<AdapterImplementation, AdapterStartError> in
      Result { () throws(AdapterStartError) in
        try AdapterImplementation(command: command, timeout: timeout, maxElements: maxElements)
      }
    }
    return try result.get()
  }
}
