import LossCore

/// The random source of the property suite: LossCore's `SplitMix64`, seeded by one `UInt64`.
///
/// Every generated case is a pure function of its *case seed*, so a seed printed on failure
/// reproduces the case anywhere: `losscheck verify --law NAME --seed S --count 1`, or a line of
/// the replayed corpus. SplitMix64 is chosen for that: a 64-bit state, every seed valid, no
/// platform-dependent behaviour (Swift's `SystemRandomNumberGenerator` cannot be seeded).
extension SplitMix64 {
  /// The seed of case `index` of a run seeded with `runSeed`.
  ///
  /// Case 0 has the run's seed itself, so a case seed `S` is replayed alone by a run with
  /// `--seed S --count 1`; the others are spread by SplitMix64's mixing function.
  public static func caseSeed(run runSeed: UInt64, index: Int) -> UInt64 {
    if index == 0 { return runSeed }
    var mixer = SplitMix64(seed: runSeed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
    return mixer.next()
  }

  /// A fresh seed from the system's generator (what a run without `--seed` uses).
  public static func freshSeed() -> UInt64 {
    var system = SystemRandomNumberGenerator()
    return system.next() >> 11  // 53 bits: exact as a JSON number and short to type
  }
}

extension SplitMix64 {
  /// `true` with probability `p`.
  public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }

  /// A uniform integer of `range`.
  public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

  /// A uniform element of a non-empty array.
  public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

  /// An element chosen with the given (positive) weights.
  public mutating func weighted<T>(_ items: [(weight: Double, value: T)]) -> T {
    let total = items.reduce(0) { $0 + $1.weight }
    var x = Double.random(in: 0..<total, using: &self)
    for item in items {
      if x < item.weight { return item.value }
      x -= item.weight
    }
    return items[items.count - 1].value
  }

  /// A uniform double of `[0, 1)`.
  public mutating func unit() -> Double { Double.random(in: 0..<1, using: &self) }
}
