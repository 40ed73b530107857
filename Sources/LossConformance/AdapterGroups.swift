import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The process groups of the adapters that are running, so that an interrupted `losscheck`
/// takes them with it.
///
/// Every adapter runs in a process group of its own (`AdapterProcess`), so the terminal's
/// Ctrl-C — which goes to the foreground group — never reaches it, and a `kill` of losscheck
/// alone would leave the adapter and whatever it started running. With
/// ``installSignalHandlers()`` (called once by the `losscheck` executable), SIGINT, SIGTERM and
/// SIGHUP kill every registered group with SIGKILL and then end losscheck by the same signal, so
/// its parent sees the usual status (130 for Ctrl-C).
public enum AdapterGroups {
  private static let live = Mutex<Set<pid_t>>([])
  private static let sources = Mutex<[any DispatchSourceSignal]>([])

  static func register(_ group: pid_t) { _ = live.withLock { $0.insert(group) } }
  static func unregister(_ group: pid_t) { _ = live.withLock { $0.remove(group) } }

  /// The groups registered now (for tests).
  static var registered: Set<pid_t> { live.withLock { $0 } }

  /// Kills every registered adapter's process group.
  public static func killAll() {
    for group in live.withLock({ $0 }) {
      kill(-group, SIGKILL)
      kill(group, SIGKILL)
    }
  }

  /// Installs the handlers of SIGINT, SIGTERM and SIGHUP (idempotent). The signals are taken by
  /// Dispatch sources, so the work happens on a queue, not inside a signal handler.
  public static func installSignalHandlers() {
    sources.withLock { sources in
      guard sources.isEmpty else { return }
      for number in [SIGINT, SIGTERM, SIGHUP] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
          killAll()
          signal(number, SIG_DFL)
          kill(getpid(), number)
        }
        source.resume()
        sources.append(source)
      }
    }
  }
}
