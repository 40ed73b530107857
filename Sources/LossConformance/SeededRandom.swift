import Foundation
import LossCore

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, well-mixed generator whose output is a
/// pure function of its seed on every platform. Golden vectors must regenerate bit for bit, so
/// neither `SystemRandomNumberGenerator` nor `Hasher` (seeded per process) may be used.
struct SeededRandom: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  /// A generator for one stream of a seed (one loss and dtype, say), independent of the others.
  init(seed: UInt64, stream: UInt64) {
    var mixer = SeededRandom(seed: seed ^ (stream &* 0xD6E8_FEB8_6659_FD93))
    state = mixer.next()
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1), 53 random bits.
  mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// Uniform in [lo, hi).
  mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }

  /// Uniform in `range`.
  mutating func integer(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
  }

  mutating func chance(_ p: Double) -> Bool { unit() < p }

  /// A value of `dtype` in [lo, hi): half the time with three significant decimal digits (short,
  /// readable lines), half the time with every bit random (always, without `shortDecimals`).
  mutating func value(_ lo: Double, _ hi: Double, _ dtype: DType, shortDecimals: Bool = true) -> Double {
    let x = uniform(lo, hi)
    if shortDecimals && chance(0.5) {
      return dtype.round(Double(String(format: "%.3g", x)) ?? x)
    }
    return dtype.round(x)
  }
}
