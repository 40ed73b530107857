import Foundation
import LossCore

/// An adapter process seen as a `LossImplementation`: each request is written as a `losscheck/1`
/// line and its answer read back, with the runner's deadlines — what `losscheck stability
/// --adapter` uses to put numpy, JAX or PyTorch on the same charts as the built-in
/// implementations.
///
/// ```swift
/// let numpy = try AdapterImplementation(command: "python3 Conformance/adapters/numpy_adapter.py")
/// let outcome = await numpy.evaluate(request)   // .value, .error, or .unsupported(reason)
/// let answer = await numpy.answer(gradientRequest)   // + .gradient(…) or .unsupported(reason)
/// ```
///
/// ``evaluate(_:)`` sends the value request only (a request's `gradient` is left out);
/// ``answer(_:)`` sends the request with its `grad` and `cotangent` and returns the answer's
/// gradient part.
///
/// Faults never escape as errors: an answer that is late, garbage, of the wrong id or from an
/// adapter that died becomes `.unsupported` with the reason, the adapter is restarted for the
/// next request (at most `maxRestarts` times, then every later request is unsupported), and
/// nothing blocks longer than `timeout`. Requests larger than `maxElements` are not sent.
/// Requests are serialised: one process answers one request at a time.
public final class AdapterImplementation: LossImplementation, @unchecked Sendable {
  public let name: String
  public let losses: [LossID]
  public let dtypes: [DType]
  /// The command, as given.
  public let command: String
  /// Whether the adapter's hello advertises gradients (`"gradients":true`).
  public let gradients: Bool

  private let timeout: Duration
  private let startupTimeout: Duration
  private let maxElements: Int
  private let maxRestarts: Int
  // Guards everything below; `AdapterProcess` is not thread-safe.
  private let lock = NSLock()
  private var process: AdapterProcess?
  private var restarts = 0
  private var givenUp: String?
  private var counter = 0
  private var faultCount = 0
  private var firstFault: String?

  /// Starts the adapter and reads its hello line.
  ///
  /// - Throws: ``AdapterStartError`` if it cannot be started or its first line is not a valid hello.
  public init(
    command: String, timeout: Duration = .seconds(60), startupTimeout: Duration = .seconds(180),
    maxElements: Int = 200_000, maxRestarts: Int = 3
  ) throws(AdapterStartError) {
    self.command = command
    self.timeout = timeout
    self.startupTimeout = startupTimeout
    self.maxElements = maxElements
    self.maxRestarts = maxRestarts
    let (process, hello) = try AdapterProcess.start(command: command, startupTimeout: startupTimeout)
    self.process = process
    name = hello.implementation
    losses = hello.losses.compactMap { LossID(name: $0) }
    dtypes = hello.dtypes.compactMap { DType(rawValue: $0) }
    gradients = hello.gradients
  }

  deinit {
    _ = process?.terminate(grace: .seconds(2))
  }

  public func evaluate(_ request: LossRequest) async -> LossOutcome {
    var valueOnly = request
    valueOnly.gradient = nil
    return await answer(valueOnly).outcome
  }

  /// Sends the request, with its `grad` and `cotangent` when it asks for a gradient, and returns
  /// the adapter's answer. For a gradient request answered with a value, the gradient part is the
  /// adapter's `grad`, or `.unsupported` with its `gradUnsupported` reason, or `.unsupported` when
  /// it wrote neither (an adapter that predates the extension ignores `grad`). Whether the
  /// gradient's counts fit is for grading to judge.
  public func answer(_ request: LossRequest) async -> LossAnswer {
    guard losses.contains(request.loss) else {
      return LossAnswer(outcome: .unsupported("\(name) does not list \(request.loss.rawValue)"))
    }
    guard dtypes.contains(request.dtype) else {
      return LossAnswer(outcome: .unsupported("\(name) does not list \(request.dtype.rawValue)"))
    }
    guard request.yhat.count <= maxElements else {
      return LossAnswer(
        outcome: .unsupported("\(request.yhat.count) elements: above the adapter limit of \(maxElements)"))
    }
    // The exchange blocks in poll(2) for up to the timeout: on a thread of its own, not on one of
    // the few cooperative threads of Swift concurrency.
    let response = await withCheckedContinuation { continuation in
      Thread.detachNewThread {
        continuation.resume(returning: self.lock.withLock { self.exchange(request) })
      }
    }
    guard request.gradient != nil else { return LossAnswer(outcome: response.outcome) }
    switch (response.outcome, response.gradient) {
    case (.value, nil):
      return LossAnswer(
        outcome: response.outcome,
        gradient: .unsupported("\(name) answered the value without 'grad' or 'gradUnsupported'"))
    case (_, let gradient):
      return LossAnswer(outcome: response.outcome, gradient: gradient)
    }
  }

  /// How many requests ended in a fault (no answer in time, a crash, an unreadable answer, or not
  /// sent because the adapter had failed too often), and the first fault's reason: a report must
  /// not show points an adapter never answered as if it had.
  public var faults: (count: Int, first: String?) {
    lock.withLock { (faultCount, firstFault) }
  }

  /// Counts a fault and returns it as the request's outcome.
  private func fault(_ reason: String) -> LossResponse {
    faultCount += 1
    if firstFault == nil { firstFault = reason }
    return LossResponse(id: "", outcome: .unsupported(reason))
  }

  /// Ends the adapter (closes its input, then kills it after a grace period).
  public func stop() {
    lock.withLock {
      _ = process?.terminate(grace: .seconds(2))
      process = nil
      givenUp = "stopped"
    }
  }

  /// One request and its answer; the lock is held.
  private func exchange(_ original: LossRequest) -> LossResponse {
    if let givenUp {
      return givenUp == "stopped" ? LossResponse(id: "", outcome: .unsupported(givenUp)) : fault(givenUp)
    }
    guard let process else { return fault("the adapter is not running") }
    counter += 1
    var request = original
    request.id = "stability-\(counter)"
    let deadline = ContinuousClock.now + timeout + .milliseconds(request.yhat.count / 100)
    switch process.send(ProtocolCodec.encode(request).serialized() + "\n", deadline: deadline) {
    case .written: break
    case .closed: return restart(after: "the adapter closed its input")
    case .timeout: return restart(after: "the adapter did not read the request within \(timeout)")
    }
    while true {
      switch process.readLine(deadline: deadline) {
      case .timeout: return restart(after: "no answer within \(timeout)")
      case .endOfOutput: return restart(after: "the adapter ended before answering")
      case .oversized(let n): return fault("an answer of \(n) bytes, over the line limit")
      case .line(let text):
        if text.allSatisfy(\.isWhitespace) { continue }
        do {
          let json = try JSONValue(parsing: text)
          guard case .string(let id)? = json["id"] else { return fault("an answer without an id") }
          // A late answer to an earlier (timed-out) request: skip it.
          if id != request.id { continue }
          var response = try ProtocolCodec.decodeResponse(json, dtype: request.dtype)
          response.outcome = response.outcome.displaySafe
          if case .unsupported(let reason)? = response.gradient {
            response.gradient = .unsupported(displaySafe(reason))
          }
          return response
        } catch {
          return fault("an invalid answer: \(displaySafe("\(error)"))")
        }
      }
    }
  }

  /// Kills the adapter, restarts it for the next request, and reports this one as not answered.
  private func restart(after reason: String) -> LossResponse {
    _ = process?.terminate(grace: .zero)
    process = nil
    restarts += 1
    if restarts > maxRestarts {
      givenUp = "the adapter failed \(restarts) times (last: \(reason)); not run"
    } else {
      do {
        process = try AdapterProcess.start(command: command, startupTimeout: startupTimeout).0
      } catch {
        givenUp = "the adapter could not be restarted after '\(reason)': \(error.message)"
      }
    }
    return fault(reason)
  }
}
