import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the commands read and write: the process's standard streams, or (in tests) captures.
///
/// Every command writes through ``current`` and never calls `print`, so output is unbuffered
/// (each protocol line reaches the pipe before the next request is read) and a test can capture
/// it by binding ``current`` for the duration of a call.
package struct Console: Sendable {
  /// Writes text to standard output, unbuffered.
  package var write: @Sendable (String) -> Void
  /// Writes text to standard error, unbuffered.
  package var writeError: @Sendable (String) -> Void
  /// Reads one line of standard input without its line terminator; `nil` at end of input.
  package var readLine: @Sendable () -> String?
  /// Whether standard error is a terminal (progress lines are shown only then).
  package var errorIsTerminal: Bool
  /// The first failure to write standard output ("No space left on device", "Broken pipe"), or
  /// `nil` while every write has succeeded: a command whose output was lost must not succeed.
  package var outputFailure: @Sendable () -> String?

  package init(
    write: @escaping @Sendable (String) -> Void,
    writeError: @escaping @Sendable (String) -> Void,
    readLine: @escaping @Sendable () -> String?,
    errorIsTerminal: Bool,
    outputFailure: @escaping @Sendable () -> String? = { nil }
  ) {
    self.write = write
    self.writeError = writeError
    self.readLine = readLine
    self.errorIsTerminal = errorIsTerminal
    self.outputFailure = outputFailure
  }

  /// The process's standard streams.
  package static let standard = Console(
    write: { text in
      if let failure = writeAll(text, to: 1) { standardOutputFailure.withLock { $0 = $0 ?? failure } }
    },
    writeError: { _ = writeAll($0, to: 2) },
    readLine: { Swift.readLine(strippingNewline: true) },
    errorIsTerminal: isatty(2) == 1,
    outputFailure: { standardOutputFailure.withLock { $0 } }
  )

  /// The first write error of standard output.
  private static let standardOutputFailure = Mutex<String?>(nil)

  /// The console of the running command.
  @TaskLocal package static var current = Console.standard

  /// Reads standard input to its end (for `eval --json -`), lines joined by line feeds.
  package func readAll() -> String {
    var lines: [String] = []
    while let line = readLine() { lines.append(line) }
    return lines.joined(separator: "\n")
  }
}

/// Writes `text` to a file descriptor with as many `write(2)` calls as it takes; the error's
/// text if a write fails (`/dev/full`, a closed pipe once SIGPIPE is ignored), which drops the
/// rest of the text.
private func writeAll(_ text: String, to descriptor: Int32) -> String? {
  var bytes = Array(text.utf8)
  return bytes.withUnsafeMutableBytes { buffer -> String? in
    guard let base = buffer.baseAddress else { return nil }
    var offset = 0
    while offset < buffer.count {
      let written = write(descriptor, base + offset, buffer.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        return String(cString: strerror(errno))
      }
      offset += written
    }
    return nil
  }
}

/// A progress line on a terminal's standard error ("\r  1200000/100000000 cases"), redrawn at
/// most once a second, so that a long run shows it is alive; nothing when standard error is not
/// a terminal, and nothing for runs shorter than a second.
package final class ProgressLine: Sendable {
  private let console: Console
  private let unit: String
  /// When the line was last drawn (nil: never), and whether anything was drawn.
  private let state: Mutex<(last: ContinuousClock.Instant, drawn: Bool)>

  package init(console: Console, unit: String) {
    self.console = console
    self.unit = unit
    state = Mutex((ContinuousClock.now, false))
  }

  /// Records progress; draws the line if a second has passed since the last one.
  package func update(_ done: Int, _ total: Int) {
    guard console.errorIsTerminal else { return }
    let now = ContinuousClock.now
    let draw = state.withLock { state -> Bool in
      guard now - state.last >= .seconds(1) else { return false }
      state = (now, true)
      return true
    }
    if draw { console.writeError("\r  \(done)/\(total) \(unit)") }
  }

  /// Ends the line if one was drawn.
  package func finish() {
    if state.withLock({ $0.drawn }) { console.writeError("\n") }
  }
}
