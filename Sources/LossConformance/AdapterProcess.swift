#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An adapter process: `/bin/sh -c "<command>"` started in a process group of its own, with pipes
/// for its standard streams, read and written with deadlines.
///
/// Nothing here ever blocks without a deadline: the pipes are non-blocking and every wait is a
/// `poll(2)` bounded by the caller's deadline, so a hung, silent or flooding adapter costs at most
/// its timeout. Standard error is drained whenever the process is waited on (so the adapter never
/// blocks on a full pipe) and its last few kilobytes are kept for messages. Killing the adapter
/// kills its whole process group (the shell and whatever it started), by the group's id.
///
/// Not thread-safe: one runner drives one process from one thread.
final class AdapterProcess {
  /// What reading the next line of standard output found.
  enum ReadEvent: Sendable, Hashable {
    /// A complete line, without its line feed (and without a carriage return before it).
    case line(String)
    /// A line longer than the limit; its bytes are dropped up to the next line feed.
    case oversized(Int)
    /// Standard output was closed (the adapter exited or closed it).
    case endOfOutput
    /// The deadline passed first.
    case timeout
  }

  enum WriteResult: Sendable, Hashable {
    case written
    /// The adapter closed its standard input (or exited).
    case closed
    case timeout
  }

  let pid: pid_t
  private var stdinFD: Int32
  private var stdoutFD: Int32
  private var stderrFD: Int32
  var maxLineBytes: Int
  /// Bytes of the current (incomplete) line.
  private var partial: [UInt8] = []
  /// Complete lines and oversize notices not yet returned.
  private var events: [ReadEvent] = []
  /// Inside an oversized line: bytes are dropped until the next line feed.
  private var discarding = false
  private var stderrTail: [UInt8] = []
  private static let stderrTailLimit = 8192
  /// The `waitpid` status once the process has been reaped.
  private var reapedStatus: Int32?

  /// Starts `command` with `/bin/sh -c`.
  ///
  /// - Parameter maxLineBytes: the longest response line accepted (longer ones are
  ///   ``ReadEvent/oversized(_:)``).
  /// - Throws: ``AdapterStartError`` if the process cannot be spawned.
  init(command: String, maxLineBytes: Int) throws(AdapterStartError) {
    Self.ignoreSIGPIPE()
    var input: [Int32] = [-1, -1]
    var output: [Int32] = [-1, -1]
    var error: [Int32] = [-1, -1]
    guard pipe(&input) == 0, pipe(&output) == 0, pipe(&error) == 0 else {
      throw AdapterStartError("cannot create pipes: \(String(cString: strerror(errno)))")
    }
    // The parent's ends must not leak into other children (the child's copies are dup2'ed).
    for fd in input + output + error { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_adddup2(&actions, error[1], 2)
    // Every other descriptor of this process is closed in the child: an adapter must not hold the
    // write end of a pipe someone else waits on (another adapter's, or a test harness's without
    // close-on-exec), or that reader never sees end-of-file while the adapter lives.
    _ = Self.closeFrom?(&actions, 3)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setpgroup(&attributes, 0)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    // The adapter starts with the default action for the signals losscheck ignores or takes
    // (SIGPIPE; SIGINT, SIGTERM, SIGHUP under AdapterGroups), which an exec would otherwise inherit.
    for number in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, number) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    posix_spawnattr_setflags(
      &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    let arguments: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (word: String) in strdup(word) }
    defer {
      for argument in arguments { free(argument) }
    }
    var argv: [UnsafeMutablePointer<CChar>?] = arguments + [nil]
    var child: pid_t = 0
    let status = posix_spawn(&child, "/bin/sh", &actions, &attributes, &argv, environ)
    close(input[0])
    close(output[1])
    close(error[1])
    guard status == 0 else {
      close(input[1])
      close(output[0])
      close(error[0])
      throw AdapterStartError("cannot start /bin/sh: \(String(cString: strerror(status)))")
    }
    pid = child
    AdapterGroups.register(child)
    stdinFD = input[1]
    stdoutFD = output[0]
    stderrFD = error[0]
    self.maxLineBytes = maxLineBytes
    for fd in [stdinFD, stdoutFD, stderrFD] {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
  }

  deinit {
    _ = terminate(grace: .zero)
  }

  /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; not visible to Swift's
  /// Glibc module, hence looked up by name), `nil` where the C library lacks it.
  private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(
      symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
  }()

  private static func ignoreSIGPIPE() {
    // A write to an adapter that has exited must fail with EPIPE, not kill the runner.
    signal(SIGPIPE, SIG_IGN)
  }

  // MARK: Reading

  /// The next line of standard output, waiting at most until `deadline`.
  func readLine(deadline: ContinuousClock.Instant) -> ReadEvent {
    while true {
      if !events.isEmpty { return events.removeFirst() }
      if stdoutFD < 0 {
        if !partial.isEmpty && !discarding {
          let rest = partial
          partial = []
          return .line(Self.text(rest))
        }
        return .endOfOutput
      }
      if wait(deadline: deadline, forWriting: false) == nil { return .timeout }
    }
  }

  /// The last few kilobytes the adapter wrote to standard error, for messages.
  var standardErrorTail: String {
    drainStandardError()
    let text = Self.text(stderrTail)
    return displaySafe(text.trimmingTrailingWhitespace)
  }

  /// Waits until the deadline for stdout data (or, with `forWriting`, for stdin to accept more),
  /// draining stdout into lines and stderr into the tail meanwhile. `nil` on timeout.
  private func wait(deadline: ContinuousClock.Instant, forWriting: Bool) -> Bool? {
    var fds: [pollfd] = []
    if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
    if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
    if forWriting && stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
    let remaining = ContinuousClock.now.duration(to: deadline)
    if remaining <= .zero { return nil }
    let milliseconds = Int32(min(Int64(remaining.milliseconds) + 1, 60_000))
    let count = poll(&fds, nfds_t(fds.count), milliseconds)
    if count < 0 {
      if errno == EINTR { return true }
      return nil
    }
    if count == 0 { return ContinuousClock.now < deadline ? true : nil }
    for entry in fds where entry.revents != 0 {
      if entry.fd == stdoutFD {
        readAvailableOutput()
      } else if entry.fd == stderrFD {
        drainStandardError()
      }
    }
    return true
  }

  private func readAvailableOutput() {
    var chunk = [UInt8](repeating: 0, count: 65536)
    while stdoutFD >= 0 {
      let n = chunk.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
      if n > 0 {
        accept(chunk[0..<n])
        if n < chunk.count { return }
      } else if n == 0 {
        close(stdoutFD)
        stdoutFD = -1
      } else {
        if errno == EINTR { continue }
        if errno == EAGAIN || errno == EWOULDBLOCK { return }
        close(stdoutFD)
        stdoutFD = -1
      }
    }
  }

  /// Splits new stdout bytes into lines and oversize notices.
  private func accept(_ bytes: ArraySlice<UInt8>) {
    var start = bytes.startIndex
    while start < bytes.endIndex {
      guard let newline = bytes[start...].firstIndex(of: 0x0A) else {
        if !discarding {
          partial.append(contentsOf: bytes[start...])
          if partial.count > maxLineBytes {
            events.append(.oversized(partial.count))
            partial = []
            discarding = true
          }
        }
        return
      }
      if discarding {
        discarding = false
      } else {
        partial.append(contentsOf: bytes[start..<newline])
        if partial.count > maxLineBytes {
          events.append(.oversized(partial.count))
        } else {
          if partial.last == 0x0D { partial.removeLast() }
          events.append(.line(Self.text(partial)))
        }
      }
      partial = []
      start = newline + 1
    }
  }

  private func drainStandardError() {
    var chunk = [UInt8](repeating: 0, count: 16384)
    while stderrFD >= 0 {
      let n = chunk.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, $0.count) }
      if n > 0 {
        stderrTail.append(contentsOf: chunk[0..<n])
        if stderrTail.count > Self.stderrTailLimit {
          stderrTail.removeFirst(stderrTail.count - Self.stderrTailLimit)
        }
      } else if n == 0 {
        close(stderrFD)
        stderrFD = -1
      } else {
        if errno == EINTR { continue }
        if errno != EAGAIN && errno != EWOULDBLOCK {
          close(stderrFD)
          stderrFD = -1
        }
        return
      }
    }
  }

  private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

  // MARK: Writing

  /// Writes `text` to the adapter's standard input, waiting at most until `deadline` (reading its
  /// output meanwhile, so that neither side can block the other).
  func send(_ text: String, deadline: ContinuousClock.Instant) -> WriteResult {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      guard stdinFD >= 0 else { return .closed }
      let n = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress! + offset, $0.count - offset) }
      if n > 0 {
        offset += n
        continue
      }
      if n < 0 && errno == EINTR { continue }
      if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
        if wait(deadline: deadline, forWriting: true) == nil { return .timeout }
        continue
      }
      closeInput()
      return .closed
    }
    return .written
  }

  /// Closes the adapter's standard input (its end-of-input signal to finish).
  func closeInput() {
    if stdinFD >= 0 {
      close(stdinFD)
      stdinFD = -1
    }
  }

  // MARK: Ending

  /// Whether the process has exited (reaping it if so).
  var hasExited: Bool {
    if reapedStatus != nil { return true }
    var status: Int32 = 0
    let result = waitpid(pid, &status, WNOHANG)
    if result == pid {
      reapedStatus = status
      return true
    }
    return result < 0
  }

  /// Ends the adapter: closes its input, waits up to `grace` for it to exit, then kills its
  /// process group. Returns how it ended, e.g. "exit status 0", "killed by signal 9".
  @discardableResult
  func terminate(grace: Duration) -> String {
    closeInput()
    let deadline = ContinuousClock.now + grace
    while !hasExited && ContinuousClock.now < deadline {
      _ = wait(deadline: min(deadline, ContinuousClock.now + .milliseconds(50)), forWriting: false)
    }
    if !hasExited {
      kill(-pid, SIGKILL)
      kill(pid, SIGKILL)
      let killDeadline = ContinuousClock.now + .seconds(5)
      while !hasExited && ContinuousClock.now < killDeadline {
        usleep(2000)
      }
    } else {
      // The shell is gone; make sure nothing it started lingers in its group.
      kill(-pid, SIGKILL)
    }
    AdapterGroups.unregister(pid)
    drainStandardError()
    for fd in [stdoutFD, stderrFD] where fd >= 0 { close(fd) }
    stdoutFD = -1
    stderrFD = -1
    return endDescription
  }

  /// How the process ended ("exit status 3", "killed by signal 9"), or "still running".
  var endDescription: String {
    guard hasExited, let status = reapedStatus else { return "still running" }
    let signalNumber = status & 0x7F
    if signalNumber == 0 { return "exit status \((status >> 8) & 0xFF)" }
    return "killed by signal \(signalNumber)"
  }
}

/// The adapter could not be started, or its hello line was missing or wrong.
public struct AdapterStartError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

extension Duration {
  /// Whole milliseconds, clamped to `Int32` (a deadline days away waits in steps anyway).
  var milliseconds: Int32 {
    let (seconds, attoseconds) = components
    let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
    if overflow { return seconds < 0 ? .min : .max }
    return Int32(clamping: scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).partialValue)
  }

  /// Seconds as a Double.
  var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) * 1e-18
  }
}

extension String {
  var trimmingTrailingWhitespace: String {
    var s = Substring(self)
    while let last = s.last, last.isWhitespace { s.removeLast() }
    return String(s)
  }
}
