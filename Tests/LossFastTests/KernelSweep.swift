import Dispatch

/// What a kernel sweep accumulates per block; blocks are merged in block order.
protocol SweepTally: Sendable {
  init()
  mutating func merge(_ other: Self)
}

/// The sweeps of the elementary-kernel tests (`ElementaryKernelTests`, `ShortMathTests`): inputs
/// cut into blocks, the blocks run over the cores, each into a tally of its own, the tallies merged
/// in block order.
enum KernelSweep {
  /// `body(b, &tally)` for the blocks `0 ..< count`, concurrently.
  static func blocks<T: SweepTally>(_ count: Int, _ body: @Sendable (Int, inout T) -> Void) -> T {
    var tallies = [T](repeating: T(), count: count)
    tallies.withUnsafeMutableBufferPointer { buffer in
      nonisolated(unsafe) let slots = buffer  // each block writes its own slot
      DispatchQueue.concurrentPerform(iterations: count) { b in
        var t = T()
        body(b, &t)
        slots[b] = t
      }
    }
    return tallies.reduce(into: T()) { $0.merge($1) }
  }

  /// Every `stride`-th Float of `domain` (ranges of bit patterns), widened to Double, four at a
  /// time (at the end of a block of 2²² patterns the last pattern fills the remaining lanes).
  static func floats<T: SweepTally>(
    _ domain: [ClosedRange<UInt32>], stride: UInt32 = 1, _ check: @Sendable (SIMD4<Double>, inout T) -> Void
  ) -> T {
    var ranges: [(UInt64, UInt64)] = []
    for range in domain {
      var start = UInt64(range.lowerBound)
      let end = UInt64(range.upperBound)
      while start <= end {
        let stop = Swift.min(end, start + (1 << 22) - 1)
        ranges.append((start, stop))
        start = stop + 1
      }
    }
    let blocks = ranges
    let step = UInt64(stride)
    return Self.blocks(blocks.count) { b, t in
      var bits = blocks[b].0
      let last = blocks[b].1
      while bits <= last {
        var x = SIMD4<Double>.zero
        for j in 0..<4 {
          x[j] = Double(Float(bitPattern: UInt32(Swift.min(bits + UInt64(j) * step, last))))
        }
        check(x, &t)
        bits += 4 * step
      }
    }
  }

  /// About `count` random Doubles from `draw`, in 64 blocks, each with its own generator seeded
  /// from `seed` and the block number; `check` sees them four at a time.
  static func randomDoubles<T: SweepTally>(
    count: Int, seed: UInt64, draw: @Sendable (inout SplitMix64) -> Double,
    check: @Sendable (SIMD4<Double>, inout T) -> Void
  ) -> T {
    let blocks = 64
    let perBlock = (count + blocks - 1) / blocks
    return Self.blocks(blocks) { b, t in
      var rng = SplitMix64(seed: seed &+ UInt64(b) &* 0x9E37)
      for _ in 0..<(perBlock / 4) {
        var x = SIMD4<Double>.zero
        for j in 0..<4 { x[j] = draw(&rng) }
        check(x, &t)
      }
    }
  }
}
