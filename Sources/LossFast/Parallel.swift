import CLossFastKernels
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The fixed chunking of every reduction.
///
/// The input is cut into chunks of ``length`` elements (the last one shorter), a constant that
/// never depends on the thread count. Each chunk is reduced on its own with fixed lanes and a
/// fixed order, and the chunk partials are combined by a left fold in chunk order. The result is
/// therefore bit-for-bit the same for 1, 2, 3, 8 or 64 threads, and for the sequential path.
enum Chunking {
  /// Elements per chunk (a multiple of the 8 elements of one unrolled kernel step).
  static let length = 1 << 14
  /// Elements per chunk of the Float32 sums of the memory-bound losses (cost 1: mae, mse,
  /// huber_loss, hinge, squared_hinge, dice, tversky), which stream at about 0.4 ns per element:
  /// four times ``length``, so that the per-chunk work (the fold of the lane partials, a claim on
  /// the pool's counter) stays below 1% of a chunk. Also a constant.
  static let streamingLength = 1 << 16
  /// Chunk partials kept at once (one round of parallel work), in the worker pool's scratch
  /// memory. Each round wakes the helpers once: 1024 chunks of 4096 elements make three rounds
  /// at n = 10⁷ (with 128, twenty rounds and twenty wake-ups). The fold is in chunk order
  /// whatever the rounds, so this constant never shows in a result.
  static let roundCapacity = 1024
  /// Work below this many cost units stays on the calling thread (`n · cost`, cost 1 for a
  /// subtraction-and-square, 8 for a term with a logarithm).
  static let parallelThreshold = 1 << 17
}

/// What one chunk of a reduction produces; partials are combined in chunk order.
protocol ChunkPartial: SendableMetatype {
  static var zero: Self { get }
  mutating func combine(_ other: Self)
}

extension DoubleDouble: ChunkPartial {
  mutating func combine(_ other: DoubleDouble) { self += other }
}

/// Two sums reduced together (dice, tversky).
struct SumPair: ChunkPartial {
  var first: DoubleDouble
  var second: DoubleDouble
  static var zero: SumPair { SumPair(first: .zero, second: .zero) }
  mutating func combine(_ other: SumPair) {
    first += other.first
    second += other.second
  }
}

/// Three sums reduced together (dice, tversky).
struct SumTriple: ChunkPartial {
  var first: DoubleDouble
  var second: DoubleDouble
  var third: DoubleDouble
  static var zero: SumTriple { SumTriple(first: .zero, second: .zero, third: .zero) }
  mutating func combine(_ other: SumTriple) {
    first += other.first
    second += other.second
    third += other.third
  }
}

/// The lowest index whose term was not finite (elementwise outputs), `Int.max` for none.
struct FirstIndex: ChunkPartial {
  var index: Int
  static var zero: FirstIndex { FirstIndex(index: .max) }
  mutating func combine(_ other: FirstIndex) { index = Swift.min(index, other.index) }
}

/// What a reduction computes per chunk: a value type (no closure), so that the worker pool can
/// reach it through a pointer without a heap-allocated closure context.
protocol ChunkBody {
  associatedtype Partial: ChunkPartial
  /// The partial of the elements in `range` (one chunk).
  func callAsFunction(_ range: Range<Int>) -> Partial
}

/// One round of a parallel reduction, on the calling thread's stack while the round runs.
struct RoundFrame<B: ChunkBody> {
  let body: B
  let slots: UnsafeMutablePointer<B.Partial>
  /// The first chunk of the round.
  let base: Int
  let chunk: Int
  /// The element count of the whole reduction.
  let count: Int
}

extension RoundFrame {
  /// Task `c` of the round at `frame`: chunk `base + c` into slot `c`.
  ///
  /// Handed to the pool as a plain function value (`(frame, c)`), not as an existential: the
  /// helpers then run this function specialized for `B`, as the calling thread does (through an
  /// existential they would run the unspecialized generic kernel, many times slower), and in
  /// specialized code the function value has no context to allocate.
  @inline(__always)
  static func runTask(_ frame: UnsafeRawPointer, _ c: Int) {
    let f = frame.assumingMemoryBound(to: RoundFrame<B>.self).pointee
    let start = (f.base + c) * f.chunk
    (f.slots + c).initialize(to: f.body(start..<Swift.min(f.count, start + f.chunk)))
  }
}

enum Parallel {
  /// The thread count of `LOSSFAST_THREADS` if set to a positive integer, else the number of
  /// online processors; read once.
  static let defaultThreadCount: Int = {
    if let raw = getenv("LOSSFAST_THREADS"), let n = Int(String(cString: raw)), n > 0 {
      return n
    }
    return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  }()

  /// Reduces `0 ..< count` chunk by chunk: `body(range)` for each chunk, combined in chunk order.
  ///
  /// Small inputs (below ``Chunking/parallelThreshold`` cost units, or a single chunk) run on the
  /// calling thread. Larger ones run in rounds of up to ``Chunking/roundCapacity`` chunks on the
  /// persistent ``WorkerPool`` (the calling thread and up to `threads − 1` parked helpers, each
  /// taking the next unclaimed chunk), each chunk's partial written to its own slot of a stack
  /// buffer, then folded in chunk order: the same fold as the sequential path, so which thread
  /// reduced which chunk never shows in the result. Nothing is allocated on the heap per call.
  ///
  /// - Complexity: O(count) work, O(count / threads) time.
  static func reduce<B: ChunkBody>(
    count n: Int, chunk: Int = Chunking.length, threads: Int, cost: Int, _ body: B
  ) -> B.Partial {
    typealias P = B.Partial
    let chunks = n == 0 ? 0 : (n - 1) / chunk + 1
    var total = P.zero
    if threads <= 1 || chunks <= 1 || n.multipliedReportingOverflow(by: cost).partialValue < Chunking.parallelThreshold
    {
      for c in 0..<chunks {
        total.combine(body(c * chunk..<Swift.min(n, (c + 1) * chunk)))
      }
      return total
    }
    // The pool's preallocated slots (a stack buffer of 1024 partials would be 16–64 KB, which
    // `withUnsafeTemporaryAllocation` puts on the heap). Busy (a concurrent or nested call): the
    // chunks are reduced here, in the same order.
    guard let scratch = WorkerPool.shared.acquire() else {
      for c in 0..<chunks {
        total.combine(body(c * chunk..<Swift.min(n, (c + 1) * chunk)))
      }
      return total
    }
    defer { WorkerPool.shared.release() }
    let roundCapacity = Swift.max(1, Swift.min(Chunking.roundCapacity, scratch.count / MemoryLayout<P>.stride))
    let slots = scratch.baseAddress!.bindMemory(to: P.self, capacity: roundCapacity)
    defer { scratch.baseAddress!.bindMemory(to: UInt8.self, capacity: scratch.count) }
    var first = 0
    while first < chunks {
      let count = Swift.min(roundCapacity, chunks - first)
      // Each task writes only its own slot; `run` returns after every task has finished (the
      // pool's mutex orders those writes before the reads below).
      let frame = RoundFrame(body: body, slots: slots, base: first, chunk: chunk, count: n)
      withUnsafePointer(to: frame) { frame in
        WorkerPool.shared.run(tasks: count, workers: Swift.min(threads, count), frame: UnsafeRawPointer(frame)) {
          RoundFrame<B>.runTask($0, $1)
        }
      }
      for c in 0..<count {
        total.combine((slots + c).move())
      }
      first += count
    }
    return total
  }
}

/// A persistent pool of helper threads for ``Parallel/reduce``: created on first use (one helper
/// per extra thread ever asked for), then parked on a condition variable between calls, so a call
/// allocates nothing and creates no thread.
///
/// One job runs at a time. A job is `tasks` numbered tasks; the calling thread and up to
/// `workers − 1` helpers claim them one by one from an atomic counter until none is left. A helper
/// that wakes after the caller has run out of tasks does not join, so a slow wake-up never delays
/// the call. A call made while another job is running (a concurrent caller, or a nested reduction)
/// runs its tasks on its own thread: the result is the same, only the parallelism is lost.
final class WorkerPool: @unchecked Sendable {
  // Everything below `mutex` is read and written with `mutex` held, except `next` (atomic) and
  // `job` (written only while no helper may read it: before `generation` is published, and after
  // every helper that joined has left).
  static let shared = WorkerPool()

  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let workReady: UnsafeMutablePointer<pthread_cond_t>
  private let jobDone: UnsafeMutablePointer<pthread_cond_t>
  private let next = Atomic<Int>(0)
  private var job: ((UnsafeRawPointer, Int) -> Void)?
  private var jobFrame: UnsafeRawPointer?
  private var tasks = 0
  private var generation = 0
  private var helpers = 0
  /// Held by one reduction at a time (``acquire()``).
  private var busy = false
  /// Room for one round of chunk partials: 1024 of up to 64 bytes (three double-double sums).
  private static let scratchBytes = Chunking.roundCapacity * 64
  private let scratch: UnsafeMutableRawBufferPointer
  /// Helpers may still join the current job.
  private var open = false
  /// Helpers that may join the current job, and how many have.
  private var wanted = 0
  private var joined = 0
  /// Helpers inside the current job (atomic: the caller polls it before parking).
  private let running = Atomic<Int>(0)
  /// `generation`, published for the helpers' polling (written with `mutex` held).
  private let published = Atomic<Int>(0)
  /// How long a helper polls for the next job, and the caller for its helpers, before parking on
  /// the condition variable: a wake-up through the kernel costs tens of microseconds in a
  /// virtual machine (a reduction at n = 10⁵ takes about 100), so the rounds of one reduction and
  /// a loop of loss calls run without one. libgomp's default (`GOMP_SPINCOUNT`) polls longer.
  private static let pollNanoseconds = 100_000

  private init() {
    mutex = .allocate(capacity: 1)
    workReady = .allocate(capacity: 1)
    jobDone = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(workReady, nil)
    pthread_cond_init(jobDone, nil)
    scratch = .allocate(byteCount: Self.scratchBytes, alignment: 64)
  }

  /// Takes the pool for one reduction: its scratch memory (for the chunk partials of a round),
  /// or `nil` if another reduction holds it. Pair with ``release()``.
  func acquire() -> UnsafeMutableRawBufferPointer? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    if busy { return nil }
    busy = true
    return scratch
  }

  /// Gives the pool back after ``acquire()``.
  func release() {
    pthread_mutex_lock(mutex)
    busy = false
    pthread_mutex_unlock(mutex)
  }

  /// Runs `task(0) … task(tasks − 1)`, each exactly once, on the calling thread and up to
  /// `workers − 1` helpers; returns when all have finished. Only between ``acquire()`` and
  /// ``release()``.
  func run(
    tasks count: Int, workers: Int, frame: UnsafeRawPointer, _ task: @escaping (UnsafeRawPointer, Int) -> Void
  ) {
    if workers <= 1 {
      for c in 0..<count { task(frame, c) }
      return
    }
    do {
      pthread_mutex_lock(mutex)
      while helpers < workers - 1 {
        if !startHelper() { break }
      }
      job = task
      jobFrame = frame
      tasks = count
      next.store(0, ordering: .relaxed)
      wanted = workers - 1
      joined = 0
      open = true
      generation &+= 1
      published.store(generation, ordering: .releasing)
      pthread_cond_broadcast(workReady)
      pthread_mutex_unlock(mutex)

      claimTasks(task, frame, count)
      Self.poll { self.running.load(ordering: .acquiring) == 0 }

      pthread_mutex_lock(mutex)
      open = false
      // A helper's decrement to 0 happens before it takes `mutex` to check `open`, so either
      // this sees 0 or the helper signals after this waits.
      while running.load(ordering: .acquiring) > 0 { pthread_cond_wait(jobDone, mutex) }
      job = nil
      jobFrame = nil
      pthread_mutex_unlock(mutex)
    }
  }

  /// Runs unclaimed tasks until none is left.
  @inline(__always)
  private func claimTasks(_ task: (UnsafeRawPointer, Int) -> Void, _ frame: UnsafeRawPointer, _ count: Int) {
    while true {
      let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
      if c >= count { return }
      task(frame, c)
    }
  }

  /// A helper's life: park until a new job is published, join it if there is still room, run
  /// tasks, report, park again. Never returns.
  fileprivate func helperLoop(seen: Int) -> Never {
    var seen = seen
    pthread_mutex_lock(mutex)
    while true {
      if generation == seen {
        pthread_mutex_unlock(mutex)
        Self.poll { self.published.load(ordering: .acquiring) != seen }
        pthread_mutex_lock(mutex)
      }
      while generation == seen { pthread_cond_wait(workReady, mutex) }
      seen = generation
      guard open, joined < wanted, job != nil else { continue }
      joined += 1
      running.add(1, ordering: .relaxed)
      let count = tasks
      pthread_mutex_unlock(mutex)
      work(count)
      let left = running.subtract(1, ordering: .releasing).newValue
      pthread_mutex_lock(mutex)
      if left == 0 && !open { pthread_cond_signal(jobDone) }
    }
  }

  /// Polls `done` (with the CPU's spin-wait hint) until it holds or ``pollNanoseconds`` have
  /// passed; the caller then falls back to the condition variable, which decides.
  private static func poll(until done: () -> Bool) {
    if done() { return }
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    var polls = 0
    while !done() {
      lfk_spin_hint()
      polls &+= 1
      if polls & 255 == 0 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let elapsed = (now.tv_sec - start.tv_sec) * 1_000_000_000 + (now.tv_nsec - start.tv_nsec)
        if elapsed >= pollNanoseconds { return }
      }
    }
  }

  /// A helper's share of the current job (`job` is not written while a helper is inside).
  @inline(never)
  private func work(_ count: Int) {
    guard let job, let jobFrame else { return }
    claimTasks(job, jobFrame, count)
  }

  /// Starts one more helper (with `mutex` held); false if the system refuses a thread, in which
  /// case the job runs with fewer helpers.
  private func startHelper() -> Bool {
    let start = HelperStart(pool: self, seen: generation)
    let argument = Unmanaged.passRetained(start).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    #if canImport(Darwin)
      var thread: pthread_t? = nil
    #else
      var thread = pthread_t()
    #endif
    let status = pthread_create(
      &thread, &attributes,
      { argument in
        let start = Unmanaged<HelperStart>.fromOpaque(argument!).takeRetainedValue()
        start.pool.helperLoop(seen: start.seen)
      }, argument)
    guard status == 0 else {
      Unmanaged<HelperStart>.fromOpaque(argument).release()
      return false
    }
    helpers += 1
    return true
  }
}

/// What a new helper thread needs to start: the pool, and the generation it has already seen.
private final class HelperStart: @unchecked Sendable {
  let pool: WorkerPool
  let seen: Int
  init(pool: WorkerPool, seen: Int) {
    self.pool = pool
    self.seen = seen
  }
}
