import LossFast
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The short kernels of the Float32 losses (`ShortMath`) against the C library.
///
/// The measure is the relative error `|kernel(x) − libm(x)| / |libm(x)|`, as a power of two; libm
/// errs by less than 1 Double ulp (2⁻⁵²), so the kernel's error against the exact value is below
/// the measured figure plus 2⁻⁵². The documented bounds (`ShortMath`'s table) are asserted, and
/// the kernel rounded to Float must be *faithful* (one of the two Floats around libm's value),
/// which a relative error below 2⁻²⁵ guarantees; results that are not the correctly rounded Float
/// are counted (expected: the inputs whose value lies within 2⁻³² of a Float rounding boundary).
enum ShortCheck {
  enum Function: String, CaseIterable, Sendable {
    case log, log1p, exp

    func kernel(_ x: SIMD4<Double>) -> SIMD4<Double> {
      switch self {
      case .log: ShortMath.log(x)
      case .log1p: ShortMath.log1p(x)
      case .exp: ShortMath.exp(x)
      }
    }
    func reference(_ x: Double) -> Double {
      switch self {
      case .log: Glibc.log(x)
      case .log1p: Glibc.log1p(x)
      case .exp: Glibc.exp(x)
      }
    }
    /// The documented bound on the relative error, as a power of two.
    var boundExponent: Double {
      switch self {
      case .log: -32.5
      case .log1p: -32.5
      case .exp: -33
      }
    }
    /// The Float inputs of the domain as bit patterns: every positive finite Float for log and
    /// log1p, (−1, 0) for log1p too, and [−708, 709] for exp (beyond, the kernel returns 0 or
    /// defers to VectorMath).
    var floatDomain: [ClosedRange<UInt32>] {
      let positiveFinite: ClosedRange<UInt32> = 0x0000_0001...0x7f7f_ffff
      switch self {
      case .log: return [positiveFinite]
      case .log1p: return [positiveFinite, 0x8000_0001...0xbf7f_ffff]
      case .exp: return [0x0000_0000...0x4431_4000, 0x8000_0001...0xc431_0000]  // 709, −708
      }
    }
  }

  struct Tally: SweepTally {
    var count = 0
    /// The largest relative error and its input.
    var worst = 0.0
    var worstInput = 0.0
    var notFaithful = 0
    var notCorrectlyRounded = 0
    var firstNotFaithful: Double?

    mutating func merge(_ o: Tally) {
      count += o.count
      if o.worst > worst {
        worst = o.worst
        worstInput = o.worstInput
      }
      notFaithful += o.notFaithful
      notCorrectlyRounded += o.notCorrectlyRounded
      if firstNotFaithful == nil { firstNotFaithful = o.firstNotFaithful }
    }

    var worstExponent: Double { worst == 0 ? -.infinity : Glibc.log2(worst) }
  }

  static func check(_ f: Function, _ x: SIMD4<Double>, floats: Bool, into t: inout Tally) {
    let k = f.kernel(x)
    for j in 0..<4 {
      let r = f.reference(x[j])
      t.count += 1
      guard r.isFinite, r != 0 else {
        if !(k[j] == r || (k[j].isNaN && r.isNaN)) {
          t.worst = .infinity
          t.worstInput = x[j]
        }
        continue
      }
      let e = Swift.abs(k[j] - r) / Swift.abs(r)
      if e > t.worst {
        t.worst = e
        t.worstInput = x[j]
      }
      guard floats else { continue }
      let rounded = Float(k[j])
      if rounded != Float(r) { t.notCorrectlyRounded += 1 }
      // The two Floats around r (r itself if it is one).
      let nearest = Float(r)
      let below = Double(nearest) > r ? nearest.nextDown : nearest
      let above = Double(nearest) < r ? nearest.nextUp : nearest
      if rounded != below && rounded != above && nearest.isFinite {
        t.notFaithful += 1
        if t.firstNotFaithful == nil { t.firstNotFaithful = x[j] }
      }
    }
  }

  /// Every Float of the domain (`stride` 1) or every `stride`-th, split over the cores.
  static func floats(_ f: Function, stride: UInt32) -> Tally {
    KernelSweep.floats(f.floatDomain, stride: stride) { x, t in check(f, x, floats: true, into: &t) }
  }

  /// Random Doubles: uniform bit patterns over the domain and uniform values where the kernels
  /// reduce their arguments.
  static func randomDoubles(_ f: Function, count: Int, seed: UInt64) -> Tally {
    KernelSweep.randomDoubles(
      count: count, seed: seed,
      draw: { rng in
        var x: Double
        switch (f, rng.next() % 3) {
        case (.log, 0), (.log1p, 0): x = Double(bitPattern: rng.next() >> 1)
        case (.log, _): x = Double.random(in: 0.5..<2, using: &rng)
        case (.log1p, 1): x = Double.random(in: -0.5..<0.5, using: &rng)
        case (.log1p, _): x = Double.random(in: -1..<100, using: &rng)
        case (.exp, 0): x = Double.random(in: -708..<709, using: &rng)
        case (.exp, _): x = Double.random(in: -1..<1, using: &rng)
        }
        return !x.isFinite || (f == .log1p && x <= -1) ? 1 : x
      },
      check: { x, t in check(f, x, floats: false, into: &t) })
  }
}

@Suite("Short kernels of the Float32 losses (ShortMath)")
struct ShortMathTests {
  @Test("special values are VectorMath's; exp is 0 below −708")
  func specialValues() {
    let inf = Double.infinity
    let log = ShortMath.log(SIMD4(-1, 0, inf, .nan))
    #expect(log[0].isNaN && log[1] == -inf && log[2] == inf && log[3].isNaN)
    #expect(ShortMath.log(SIMD4(1, 2, 0x1p-1074, 4))[2] == VectorMath.log(SIMD4(1, 2, 0x1p-1074, 4))[2])
    let log1p = ShortMath.log1p(SIMD4(-2, -1, inf, .nan))
    #expect(log1p[0].isNaN && log1p[1] == -inf && log1p[2] == inf && log1p[3].isNaN)
    // Tiny arguments: log1p(x) = x to far beyond Double precision.
    #expect(ShortMath.log1p(SIMD4(0x1p-1074, -0x1p-60, 0, 1e-300)) == SIMD4(0x1p-1074, -0x1p-60, 0, 1e-300))
    let exp = ShortMath.exp(SIMD4(-inf, inf, .nan, 0))
    #expect(exp[0] == 0 && exp[1] == inf && exp[2].isNaN && exp[3] == 1)
    let small = ShortMath.exp(SIMD4(-708.5, -1000, 0, -708))
    #expect(small[0] == 0 && small[1] == 0 && small[2] == 1 && small[3] > 0)
    // A lane beyond 709 sends the vector to VectorMath (Double's range ends at 709.78).
    #expect(ShortMath.exp(SIMD4(709.5, 1, 2, 3)) == VectorMath.exp(SIMD4(709.5, 1, 2, 3)))
  }

  @Test(
    "random Doubles: relative error within the documented bound (4·10⁸ per kernel with LOSSFAST_EXHAUSTIVE=1)",
    arguments: ShortCheck.Function.allCases)
  func randomDoubles(function: ShortCheck.Function) {
    let count = environmentFlag("LOSSFAST_EXHAUSTIVE") ? 400_000_000 : 200_000
    let t = ShortCheck.randomDoubles(function, count: count, seed: 7)
    print(
      "ShortMath.\(function) Double: \(t.count) inputs, max relative error 2^\(t.worstExponent) at x = \(t.worstInput)")
    #expect(t.worstExponent <= function.boundExponent, "worst input \(t.worstInput)")
  }

  @Test(
    "Float inputs: faithful after rounding, within the bound (every Float with LOSSFAST_EXHAUSTIVE=1)",
    arguments: ShortCheck.Function.allCases)
  func floatInputs(function: ShortCheck.Function) {
    let exhaustive = environmentFlag("LOSSFAST_EXHAUSTIVE")
    let t = ShortCheck.floats(function, stride: exhaustive ? 1 : 9973)
    print(
      "ShortMath.\(function) \(exhaustive ? "every" : "a sample of") Float input: \(t.count) inputs, max relative error 2^\(t.worstExponent) at x = \(t.worstInput); not faithful: \(t.notFaithful); not correctly rounded: \(t.notCorrectlyRounded)"
    )
    #expect(t.notFaithful == 0, "first at \(t.firstNotFaithful ?? .nan)")
    #expect(t.worstExponent <= function.boundExponent, "worst input \(t.worstInput)")
  }
}
