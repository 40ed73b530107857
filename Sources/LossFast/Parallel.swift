import Dispatch

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
  /// Chunk partials kept at once (one round of parallel work), in a stack buffer.
  static let roundCapacity = 128
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
  /// calling thread. Larger ones run in rounds of up to ``Chunking/roundCapacity`` chunks spread
  /// over `threads` workers (`DispatchQueue.concurrentPerform`), each chunk's partial written to
  /// its own slot of a stack buffer, then folded in order: the same fold as the sequential path.
  ///
  /// - Complexity: O(count) work, O(count / threads) time.
  static func reduce<P: ChunkPartial>(
    count n: Int, chunk: Int = Chunking.length, threads: Int, cost: Int, _ body: (Range<Int>) -> P
  ) -> P {
    let chunks = n == 0 ? 0 : (n - 1) / chunk + 1
    var total = P.zero
    if threads <= 1 || chunks <= 1 || n.multipliedReportingOverflow(by: cost).partialValue < Chunking.parallelThreshold
    {
      for c in 0..<chunks {
        total.combine(body(c * chunk..<Swift.min(n, (c + 1) * chunk)))
      }
      return total
    }
    withoutActuallyEscaping(body) { body in
      withUnsafeTemporaryAllocation(of: P.self, capacity: Chunking.roundCapacity) { slots in
        // Each worker writes only the slots of its own chunks (c ≡ worker mod workers); the
        // calling thread reads them after concurrentPerform has returned.
        nonisolated(unsafe) let slots = slots
        nonisolated(unsafe) let body = body
        var first = 0
        while first < chunks {
          let count = Swift.min(Chunking.roundCapacity, chunks - first)
          let workers = Swift.min(threads, count)
          let base = first
          DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var c = worker
            while c < count {
              let start = (base + c) * chunk
              (slots.baseAddress! + c).initialize(to: body(start..<Swift.min(n, start + chunk)))
              c += workers
            }
          }
          for c in 0..<count {
            total.combine((slots.baseAddress! + c).move())
          }
          first += count
        }
      }
    }
    return total
  }
}
