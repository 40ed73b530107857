import Foundation
import LossCore

/// The golden vectors' random draws: LossCore's `SplitMix64`, one stream per loss and dtype, and
/// the draws the generator makes from it. Golden vectors must regenerate bit for bit, so
/// neither `SystemRandomNumberGenerator` nor `Hasher` (seeded per process) may be used.
///
/// The draws are the vectors' own (`unit()` takes the *high* 53 bits, `integer` reduces modulo
/// the range), not the property suite's, which go through the standard library's
/// `random(in:using:)`: the committed vectors were generated with these.
struct SeededRandom: RandomNumberGenerator {
  private var source: SplitMix64

  init(seed: UInt64) { source = SplitMix64(seed: seed) }

  /// A generator for one stream of a seed (one loss and dtype, say), independent of the others.
  init(seed: UInt64, stream: UInt64) {
    var mixer = SplitMix64(seed: seed ^ (stream &* 0xD6E8_FEB8_6659_FD93))
    source = SplitMix64(seed: mixer.next())
  }

  mutating func next() -> UInt64 { source.next() }

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
