import Foundation

/// Runs CPU-heavy synchronous work on a thread of its own, so that it does not hold one of the
/// few cooperative threads the other (timing-sensitive) tests need: every test target runs in
/// one process, and on two cores the pool has two threads.
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    Thread.detachNewThread { continuation.resume(returning: body()) }
  }
}
