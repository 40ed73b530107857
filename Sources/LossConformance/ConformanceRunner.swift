import Foundation
import LossCore

/// A case to run: its identity (known before it is built) and how to build it.
///
/// Golden cases are built already; generated large cases (10⁵–10⁶ elements) are built, and their
/// expectations computed, only when their turn comes, so a run never holds more than one of them.
public struct CaseSource: Sendable {
  public var id: String
  public var loss: LossID
  public var dtype: DType
  public var regime: Regime
  public var tags: [String]
  /// Whether the case is a gradient case (its request asks for a gradient and its expectation
  /// has one): run according to ``RunnerConfiguration/gradients``.
  public var isGradient: Bool
  let make: @Sendable () -> GoldenCase

  public init(
    id: String, loss: LossID, dtype: DType, regime: Regime, tags: [String], isGradient: Bool = false,
    make: @escaping @Sendable () -> GoldenCase
  ) {
    self.id = id
    self.loss = loss
    self.dtype = dtype
    self.regime = regime
    self.tags = tags
    self.isGradient = isGradient
    self.make = make
  }

  /// A golden case that is already built.
  public static func golden(_ golden: GoldenCase) -> CaseSource {
    CaseSource(
      id: golden.id, loss: golden.loss, dtype: golden.dtype, regime: golden.regime, tags: golden.tags,
      isGradient: golden.expectation.gradient != nil, make: { golden })
  }
}

/// Whether a run sends the gradient cases (PROTOCOL.md, "Gradient vectors").
public enum GradientSelection: String, Sendable, Hashable, CaseIterable, Codable {
  /// Exactly when the adapter's hello says `"gradients":true`.
  case auto
  /// Always (an adapter that answers without a gradient part gets "gradient unsupported").
  case on
  /// Never.
  case off

  /// Whether gradient cases run for an adapter with this hello.
  public func runs(hello: Hello) -> Bool {
    switch self {
    case .auto: hello.gradients
    case .on: true
    case .off: false
    }
  }
}

/// The settings of a run.
public struct RunnerConfiguration: Sendable {
  /// The adapter's command line, run with `/bin/sh -c`.
  public var command: String
  /// How long one case may take, from sending the request to its answer; large cases get
  /// one more second per 10⁵ elements.
  public var caseTimeout: Duration
  /// How long the adapter may take to write its hello line (imports of jax or torch take seconds).
  public var startupTimeout: Duration
  /// How many times a crashed or hung adapter is restarted before the remaining cases are given up.
  public var maxRestarts: Int
  public var grading: GradingOptions
  /// Whether the gradient cases among the cases run (the others always do); those that do not
  /// get no result at all.
  public var gradients: GradientSelection

  public init(
    command: String, caseTimeout: Duration = .seconds(10), startupTimeout: Duration = .seconds(120),
    maxRestarts: Int = 10, grading: GradingOptions = .init(), gradients: GradientSelection = .auto
  ) {
    self.command = command
    self.caseTimeout = caseTimeout
    self.startupTimeout = startupTimeout
    self.maxRestarts = maxRestarts
    self.grading = grading
    self.gradients = gradients
  }
}

/// What a run collected.
public struct RunOutcome: Sendable {
  /// The adapter's (first) hello.
  public var hello: Hello
  /// One result per case, in the order of the cases.
  public var results: [CaseResult]
  /// How often the adapter was restarted after a crash or a hang.
  public var restarts: Int
  /// Run-level observations: restarts, stale answer lines skipped, how the adapter ended.
  public var notes: [String]
  public var seconds: Double
}

/// Runs cases against an adapter process speaking `losscheck/1` (DESIGN.md, "Adapter protocol").
///
/// The adapter is started once; its hello line is read and validated; then each case's request is
/// written and its answer awaited, one at a time, with a deadline. Every way an adapter can fail
/// a case is a per-case ``FaultKind``; the run goes on, and everything collected is kept:
///
/// - no answer in time: the adapter's process group is killed, the case is a `timeout`, and the
///   adapter is restarted for the next case;
/// - the adapter exits: the case is `crashed` (with its exit status and the tail of its standard
///   error), and the adapter is restarted;
/// - a line that is not JSON, a response without a valid `id`, `value`, `error` or `unsupported`:
///   `garbage` or `malformed`;
/// - an answer with the id of an earlier case is a stale line (say, a second answer to a case
///   that already failed): it is skipped and noted, and the runner keeps waiting; any other id is
///   `wrongID`;
/// - a line longer than the limit (1 MiB, or 64 bytes per expected value if more): `oversized`;
///   its bytes are dropped up to its line feed.
///
/// After ``RunnerConfiguration/maxRestarts`` restarts, or if a restart fails, the remaining cases
/// are `notRun`.
public struct ConformanceRunner: Sendable {
  public var configuration: RunnerConfiguration

  public init(configuration: RunnerConfiguration) {
    self.configuration = configuration
  }

  /// Runs `cases` on a thread of its own (the process I/O blocks in `poll(2)` with deadlines).
  ///
  /// - Parameters:
  ///   - cases: the planned cases, run in order.
  ///   - progress: called after each case with (done, total).
  /// - Throws: ``AdapterStartError`` if the adapter cannot be started the first time or its hello
  ///   is missing or invalid (nothing was graded).
  public func run(
    _ cases: [CaseSource], progress: (@Sendable (Int, Int) -> Void)? = nil
  ) async throws(AdapterStartError) -> RunOutcome {
    let result: Result<RunOutcome, AdapterStartError> = await withCheckedContinuation { continuation in
      let configuration = self.configuration
      Thread.detachNewThread {
        var session = RunSession(configuration: configuration)
        continuation.resume(
          returning: Result { () throws(AdapterStartError) in try session.run(cases, progress: progress) })
      }
    }
    return try result.get()
  }
}

/// The state of one run (one thread).
private struct RunSession {
  let configuration: RunnerConfiguration
  var process: AdapterProcess?
  var hello: Hello?
  /// Restarts done, and failures that called for one (one more than the restarts once given up).
  var restarts = 0
  var failures = 0
  var notes: [String] = []
  /// Ids of cases already sent, for recognising stale answer lines.
  var sentIDs: Set<String> = []
  var staleLines = 0
  /// Set once the adapter cannot be (re)started; the remaining cases are not run.
  var givenUp: String?

  init(configuration: RunnerConfiguration) { self.configuration = configuration }

  mutating func run(_ cases: [CaseSource], progress: (@Sendable (Int, Int) -> Void)?) throws(AdapterStartError)
    -> RunOutcome
  {
    let started = ContinuousClock.now
    let firstHello = try start()
    let cases =
      configuration.gradients.runs(hello: firstHello) ? cases : cases.filter { !$0.isGradient }
    var results: [CaseResult] = []
    results.reserveCapacity(cases.count)
    for (index, source) in cases.enumerated() {
      results.append(runCase(source, hello: hello ?? firstHello))
      progress?(index + 1, cases.count)
    }
    if let process {
      let end = process.terminate(grace: .seconds(5))
      if end != "exit status 0" { notes.append("at the end of its input the adapter ended with \(end)") }
      self.process = nil
    }
    if staleLines > 0 { notes.append("\(staleLines) stale answer line(s) (ids of earlier cases) were skipped") }
    if restarts > 0 { notes.append("the adapter was restarted \(restarts) time(s)") }
    return RunOutcome(
      hello: firstHello, results: results, restarts: restarts, notes: notes,
      seconds: started.duration(to: .now).seconds)
  }

  /// Starts the adapter and reads its hello.
  mutating func start() throws(AdapterStartError) -> Hello {
    let (process, hello) = try AdapterProcess.start(
      command: configuration.command, startupTimeout: configuration.startupTimeout)
    self.process = process
    self.hello = hello
    return hello
  }

  /// Kills the adapter after a failure and restarts it for the next case.
  mutating func restart(after reason: String) {
    process?.terminate(grace: .zero)
    process = nil
    failures += 1
    if restarts >= configuration.maxRestarts {
      givenUp = "the adapter failed \(failures) time(s) (last: \(reason)); the remaining cases were not run"
      return
    }
    restarts += 1
    do {
      _ = try start()
    } catch {
      givenUp = "the adapter could not be restarted after \(reason): \(error.message)"
    }
  }

  /// What happened after the last failure: "and restarted", or why it was not.
  var restartNote: String {
    givenUp == nil
      ? " and was restarted" : "; it was not restarted (\(configuration.maxRestarts) restart(s) allowed, all used)"
  }

  mutating func runCase(_ source: CaseSource, hello: Hello) -> CaseResult {
    var result = CaseResult(source)
    let aliases = source.loss == .hinge ? ["hinge_loss"] : source.loss == .squaredHinge ? ["squared_hinge_loss"] : []
    guard hello.losses.contains(source.loss.rawValue) || aliases.contains(where: hello.losses.contains) else {
      result.detail = "the adapter's hello does not list the loss \(source.loss.rawValue)"
      return result
    }
    guard hello.dtypes.contains(source.dtype.rawValue) else {
      result.detail = "the adapter's hello does not list the dtype \(source.dtype.rawValue)"
      return result
    }
    if let givenUp {
      result.status = .fault
      result.fault = .notRun
      result.detail = givenUp
      return result
    }
    let golden = source.make()
    result.expecting(golden)
    guard let process else {
      result.status = .fault
      result.fault = .notRun
      result.detail = givenUp ?? "the adapter is not running"
      return result
    }
    let valueCount = max(golden.expectation.exact.count, 1)
    let limit = max(1 << 20, 64 * valueCount + 65536)
    let timeout = configuration.caseTimeout + .milliseconds(golden.request.yhat.count / 100)
    let started = ContinuousClock.now
    let deadline = started + timeout
    func fail(_ kind: FaultKind, _ message: String) -> CaseResult {
      result.status = .fault
      result.fault = kind
      result.detail = message
      result.seconds = started.duration(to: .now).seconds
      return result
    }
    sentIDs.insert(golden.id)
    let timeoutText = "\(timeout.seconds.formatted(significantDigits: 3)) s"
    switch process.send(golden.requestLine + "\n", deadline: deadline) {
    case .written: break
    case .closed:
      let end = process.terminate(grace: .seconds(1))
      let message = "the adapter closed its input before the request was written (\(end))" + process.standardErrorSuffix
      restart(after: "a crash")
      return fail(.crashed, message)
    case .timeout:
      restart(after: "a timeout")
      return fail(.timeout, "the adapter did not read the request within \(timeoutText); it was killed")
    }
    while true {
      switch process.readLineLimited(limit, deadline: deadline) {
      case .timeout:
        let stderr = process.standardErrorSuffix
        restart(after: "a timeout")
        return fail(.timeout, "no answer within \(timeoutText); the adapter was killed" + restartNote + stderr)
      case .endOfOutput:
        let end = process.terminate(grace: .seconds(1))
        let stderr = process.standardErrorSuffix
        restart(after: "a crash")
        return fail(.crashed, "the adapter ended (\(end)) before answering" + restartNote + stderr)
      case .oversized(let bytes):
        return fail(.oversized, "the answer line is longer than \(limit) bytes (\(bytes) bytes read); it was dropped")
      case .line(let text):
        if text.allSatisfy(\.isWhitespace) { continue }
        let json: JSONValue
        do {
          json = try JSONValue(parsing: text)
        } catch {
          return fail(.garbage, "the answer is not JSON (\(error)): \(abbreviate(text, 200))")
        }
        guard case .object = json else {
          return fail(.garbage, "the answer is \(json.typeName), not a JSON object: \(abbreviate(text, 200))")
        }
        guard case .string(let id)? = json["id"] else {
          return fail(.malformed, "the answer has no string 'id': \(abbreviate(text, 200))")
        }
        if id != golden.id {
          if sentIDs.contains(id) {
            staleLines += 1
            continue
          }
          return fail(.wrongID, "the answer has the id '\(abbreviate(id, 80))', expected '\(golden.id)'")
        }
        var response: LossResponse
        do {
          response = try ProtocolCodec.decodeResponse(json, dtype: golden.dtype)
          response.outcome = response.outcome.displaySafe
        } catch {
          return fail(.malformed, "the answer is not a valid response: \(displaySafe(error.message))")
        }
        result.seconds = started.duration(to: .now).seconds
        if golden.expectation.gradient != nil {
          result.record(
            LossAnswer(outcome: response.outcome, gradient: response.gradient), for: golden,
            options: configuration.grading)
        } else {
          result.record(response.outcome, for: golden, options: configuration.grading)
        }
        return result
      }
    }
  }
}

extension AdapterProcess {
  /// ``readLine(deadline:)`` with a line limit for this read.
  func readLineLimited(_ limit: Int, deadline: ContinuousClock.Instant) -> ReadEvent {
    maxLineBytes = limit
    return readLine(deadline: deadline)
  }
}

extension AdapterProcess {
  /// Starts `command` and reads its hello line within `startupTimeout` (blank lines skipped): what
  /// the conformance runner and ``AdapterImplementation`` do first.
  ///
  /// - Throws: ``AdapterStartError`` if the process cannot be spawned, writes nothing in time,
  ///   ends, or begins with anything but a valid `losscheck/1` hello; the process is then killed.
  static func start(command: String, startupTimeout: Duration) throws(AdapterStartError) -> (AdapterProcess, Hello) {
    let process = try AdapterProcess(command: command, maxLineBytes: 1 << 20)
    let deadline = ContinuousClock.now + startupTimeout
    while true {
      switch process.readLine(deadline: deadline) {
      case .timeout:
        process.terminate(grace: .zero)
        throw AdapterStartError(
          "the adapter wrote no hello line within \(startupTimeout.seconds.formatted(significantDigits: 3)) s"
            + process.standardErrorSuffix)
      case .endOfOutput:
        let end = process.terminate(grace: .seconds(2))
        throw AdapterStartError(
          "the adapter ended (\(end)) before writing its hello line" + process.standardErrorSuffix)
      case .oversized(let n):
        process.terminate(grace: .zero)
        throw AdapterStartError("the adapter's first line is \(n) bytes long, not a hello line")
      case .line(let text):
        if text.allSatisfy(\.isWhitespace) { continue }
        do {
          return (process, try ProtocolCodec.decodeHello(try JSONValue(parsing: text)).displaySafe)
        } catch {
          process.terminate(grace: .zero)
          throw AdapterStartError(
            "the adapter's first line is not a valid losscheck/1 hello (\(error)): \(abbreviate(text, 200))")
        }
      }
    }
  }

  /// "; its standard error ends with: …" when the adapter wrote to standard error, else empty.
  var standardErrorSuffix: String {
    let tail = standardErrorTail
    return tail.isEmpty ? "" : "; its standard error ends with: " + abbreviate(String(tail.suffix(600)), 600)
  }
}
