/// SplitMix64 (Steele, Lea and Flood, 2014): the package's one seeded random source, a 64-bit
/// state whose output is a pure function of its seed on every platform.
///
/// Everything generated from a seed uses it, so a seed reproduces its cases anywhere: the
/// property suite's cases (`losscheck verify --law NAME --seed S --count 1`), the golden vectors
/// (`losscheck vectors --check`), the seeded tests. Neither `SystemRandomNumberGenerator` (which
/// cannot be seeded) nor `Hasher` (seeded per process) would do. Every seed is valid.
///
/// ```swift
/// var random = SplitMix64(seed: 0)
/// random.next()   // 0xE220A8397B1DCDAF, the first output of SplitMix64 seeded with 0
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
  /// The state: the seed plus the golden-ratio increment once per output.
  public private(set) var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  ///
  /// - Complexity: O(1).
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
