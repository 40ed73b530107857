import LossFast
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The vectorized `log`, `log1p`, `exp` of LossFast against the C library, whose own errors are
/// below 0.52 ulp (`log`, `exp`: glibc ≥ 2.28) and 1 ulp (`log1p`, fdlibm's).
///
/// Two measures per kernel:
/// - `ulps`: `|kernel − libm| / ulp(libm)` in Double (the kernel's error against the exact value
///   is below `ulps + ` libm's bound);
/// - Float32 correct rounding: for a Float input `x`, `Float(kernel(x))` against `Float(libm(x))`,
///   which is the correctly rounded Float value unless `libm(x)` lies within 2 Double ulps of a
///   Float rounding boundary (libm errs by less than 1 ulp, so only there could it round to the
///   wrong side: such inputs are counted and skipped).
enum KernelCheck {
  enum Function: String, CaseIterable, Sendable {
    case log, log1p, exp

    func kernel(_ x: SIMD4<Double>) -> SIMD4<Double> {
      switch self {
      case .log: VectorMath.log(x)
      case .log1p: VectorMath.log1p(x)
      case .exp: VectorMath.exp(x)
      }
    }
    func reference(_ x: Double) -> Double {
      switch self {
      case .log: Glibc.log(x)
      case .log1p: Glibc.log1p(x)
      case .exp: Glibc.exp(x)
      }
    }
    /// The Float inputs of the domain, as bit patterns (positive, then negative).
    var floatDomain: [ClosedRange<UInt32>] {
      let positiveFinite: ClosedRange<UInt32> = 0x0000_0001...0x7f7f_ffff
      switch self {
      case .log: return [positiveFinite]
      case .log1p: return [positiveFinite, 0x8000_0001...0xbf7f_ffff]  // (−1, 0) ∪ (0, max]
      case .exp: return [0x0000_0001...0x4432_0000, 0x8000_0001...0xc43a_8000]  // |x| ≤ 712, ≥ −746
      }
    }
  }

  struct Tally: SweepTally {
    var count = 0
    var maxULPs = 0.0
    var worstInput = 0.0
    var floatMismatches = 0
    var nearMidpoint = 0
    var firstMismatch: Double?

    mutating func merge(_ o: Tally) {
      count += o.count
      if o.maxULPs > maxULPs {
        maxULPs = o.maxULPs
        worstInput = o.worstInput
      }
      floatMismatches += o.floatMismatches
      nearMidpoint += o.nearMidpoint
      if firstMismatch == nil { firstMismatch = o.firstMismatch }
    }
  }

  /// Compares 4 inputs (`floats`: also check the Float rounding).
  static func check(_ f: Function, _ x: SIMD4<Double>, floats: Bool, into t: inout Tally) {
    let k = f.kernel(x)
    for j in 0..<4 {
      let r = f.reference(x[j])
      let v = k[j]
      t.count += 1
      if r.isNaN && v.isNaN { continue }
      if floats {
        // libm errs by less than 1 Double ulp: when its result lies within 2 ulps of a Float
        // rounding boundary it cannot certify the rounding, and the input is counted instead.
        let f0 = Float(r)
        let neighbour = r > Double(f0) ? f0.nextUp : f0.nextDown
        let midpoint = (Double(f0) + Double(neighbour)) / 2
        if r.isFinite && Double(f0) != r && Swift.abs(r - midpoint) <= 2 * r.magnitude.ulp {
          t.nearMidpoint += 1
        } else if Float(v) != f0 {
          t.floatMismatches += 1
          if t.firstMismatch == nil { t.firstMismatch = x[j] }
        }
      }
      if r == v { continue }
      let ulps: Double
      if r.isFinite && v.isFinite {
        ulps = Swift.abs(v - r) / (r == 0 ? Double.leastNonzeroMagnitude : r.magnitude.ulp)
      } else {
        ulps = .infinity
      }
      if ulps > t.maxULPs {
        t.maxULPs = ulps
        t.worstInput = x[j]
      }
    }
  }

  /// Every Float of `f`'s domain, split over the cores.
  static func exhaustive(_ f: Function) -> Tally {
    KernelSweep.floats(f.floatDomain) { x, t in check(f, x, floats: true, into: &t) }
  }

  /// Random Doubles: uniform bit patterns over the domain plus uniform values in the ranges
  /// where the kernels switch methods.
  static func randomDoubles(_ f: Function, count: Int, seed: UInt64) -> Tally {
    KernelSweep.randomDoubles(
      count: count, seed: seed,
      draw: { rng in
        var x: Double
        switch (f, rng.next() % 4) {
        case (.log, 0), (.log1p, 0): x = Double(bitPattern: rng.next() >> 1)  // any positive
        case (.log, _): x = Double.random(in: 0.5..<2, using: &rng)
        case (.log1p, 1): x = Double.random(in: -1..<1, using: &rng)
        case (.log1p, 2): x = Double.random(in: -0.3..<0.42, using: &rng)
        case (.log1p, _): x = Double.random(in: 0..<100, using: &rng)
        case (.exp, 0): x = Double.random(in: -745.2 ..< -700, using: &rng)
        case (.exp, 1): x = Double.random(in: -1..<1, using: &rng)
        case (.exp, _): x = Double.random(in: -745.2..<709.8, using: &rng)
        }
        return x.isFinite ? x : 1
      },
      check: { x, t in check(f, x, floats: false, into: &t) })
  }

  /// The documented bounds against libm, in Double ulps (measured maxima in
  /// Benchmarks/README.md are below these).
  static func bound(_ f: Function) -> Double {
    switch f {
    case .log: 1
    case .log1p: 1.5
    case .exp: 1
    }
  }
}

@Suite("Vectorized elementary functions")
struct ElementaryKernelTests {
  @Test("special values, as Julia's log/log1p/exp")
  func specialValues() {
    let nan = Double.nan
    let inf = Double.infinity
    let log = VectorMath.log(SIMD4(-1, 0, inf, nan))
    #expect(log[0].isNaN && log[1] == -inf && log[2] == inf && log[3].isNaN)
    #expect(VectorMath.log(SIMD4(-0.0, 1, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude))[0] == -inf)
    #expect(VectorMath.log(SIMD4(-0.0, 1, 2, 4))[1] == 0)
    let log1p = VectorMath.log1p(SIMD4(-2, -1, inf, nan))
    #expect(log1p[0].isNaN && log1p[1] == -inf && log1p[2] == inf && log1p[3].isNaN)
    #expect(VectorMath.log1p(SIMD4(0x1p-1074, -0x1p-60, 0, 1e-300)) == SIMD4(0x1p-1074, -0x1p-60, 0, 1e-300))
    let exp = VectorMath.exp(SIMD4(-inf, inf, nan, 0))
    #expect(exp[0] == 0 && exp[1] == inf && exp[2].isNaN && exp[3] == 1)
    let extremes = VectorMath.exp(SIMD4(-746, 710, -745.1, 709.78))
    #expect(extremes[0] == 0 && extremes[1] == inf && extremes[2] > 0 && extremes[3].isFinite)
  }

  @Test(
    "random and edge Doubles against libm (10⁵ per kernel; 4·10⁸ with LOSSFAST_EXHAUSTIVE=1)",
    arguments: KernelCheck.Function.allCases)
  func randomDoubles(function: KernelCheck.Function) {
    let count = environmentFlag("LOSSFAST_EXHAUSTIVE") ? 400_000_000 : 100_000
    let t = KernelCheck.randomDoubles(function, count: count, seed: 42)
    print("\(function) Double: \(t.count) inputs, max \(t.maxULPs) ulps vs libm at x = \(t.worstInput)")
    #expect(t.maxULPs <= KernelCheck.bound(function), "worst input \(t.worstInput)")
  }

  @Test(
    "a sample of Float inputs: rounded to Float, the correctly rounded value", arguments: KernelCheck.Function.allCases)
  func floatSample(function: KernelCheck.Function) {
    var t = KernelCheck.Tally()
    for range in function.floatDomain {
      let step = UInt32(Swift.max(1, (range.upperBound - range.lowerBound) / 50_000))
      var bits = range.lowerBound
      while bits <= range.upperBound - 4 * step {
        let x = SIMD4<Double>((0..<4).map { Double(Float(bitPattern: bits + UInt32($0) * step)) })
        KernelCheck.check(function, x, floats: true, into: &t)
        bits += 4 * step
      }
    }
    #expect(t.floatMismatches == 0, "first mismatch at \(t.firstMismatch ?? .nan)")
    #expect(t.maxULPs <= KernelCheck.bound(function))
  }

  @Test(
    "every Float input of the domain (LOSSFAST_EXHAUSTIVE=1; run it in release)",
    arguments: KernelCheck.Function.allCases)
  func exhaustiveFloat(function: KernelCheck.Function) {
    guard environmentFlag("LOSSFAST_EXHAUSTIVE") else {
      print(
        "skipped: the exhaustive Float32 sweep of \(function) runs with LOSSFAST_EXHAUSTIVE=1 (about 2·10⁹ inputs; use `swift test -c release`)"
      )
      return
    }
    var clock = timespec()
    clock_gettime(CLOCK_MONOTONIC, &clock)
    let start = Double(clock.tv_sec) + Double(clock.tv_nsec) * 1e-9
    let t = KernelCheck.exhaustive(function)
    clock_gettime(CLOCK_MONOTONIC, &clock)
    let seconds = Double(clock.tv_sec) + Double(clock.tv_nsec) * 1e-9 - start
    print(
      "\(function) exhaustive Float32: \(t.count) inputs in \(Int(seconds)) s; max \(t.maxULPs) Double ulps vs libm at x = \(t.worstInput); Float results not correctly rounded: \(t.floatMismatches); skipped near a Float midpoint: \(t.nearMidpoint)"
    )
    #expect(t.floatMismatches == 0, "first mismatch at \(t.firstMismatch ?? .nan)")
    #expect(t.maxULPs <= KernelCheck.bound(function))
  }
}
