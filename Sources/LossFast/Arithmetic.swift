import LossCore

/// Error-free transformations and the accumulators built on them.
///
/// Post-conditions, in exact arithmetic, for finite arguments without overflow:
/// - ``twoSum(_:_:)``: `s + e == a + b` exactly and `s == fl(a + b)` (Knuth: no precondition on
///   the magnitudes; 6 additions).
/// - ``twoProduct(_:_:)``: `p + e == a · b` exactly and `p == fl(a · b)` (Dekker with Veltkamp's
///   split in the portable build, since `fma` on x86-64 without an FMA target is a libm call per
///   lane; requires `|a|, |b| < 2⁹⁹⁵` and no underflow of the partial products. With
///   `LOSSFAST_FMA`, one fused multiply-add: the same pair, no range limit but underflow).
@inline(__always) func twoSum(_ a: Lanes, _ b: Lanes) -> (hi: Lanes, lo: Lanes) {
  let s = a + b
  let bb = s - a
  let e = (a - (s - bb)) + (b - bb)
  return (s, e)
}

@inline(__always) func split(_ a: Lanes) -> (hi: Lanes, lo: Lanes) {
  let c = 134_217_729.0 * a  // 2²⁷ + 1
  let hi = c - (c - a)
  return (hi, a - hi)
}

@inline(__always) func twoProduct(_ a: Lanes, _ b: Lanes) -> (hi: Lanes, lo: Lanes) {
  let p = a * b
  #if LOSSFAST_FMA
    // Native builds (Package.swift): `a·b − p` is a Double (barring underflow) and one fused
    // multiply-add computes it exactly: the same pair as Dekker's below wherever that one is
    // exact, in 2 instructions instead of 17, and without Dekker's range limit.
    return (p, (-p).addingProduct(a, b))
  #else
    let (ah, al) = split(a)
    let (bh, bl) = split(b)
    let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return (p, e)
  #endif
}

/// An unevaluated sum `hi + lo` of two Doubles (double-double), `|lo| ≤ ulp(hi)/2` after
/// ``normalized``; the exact partial results of the chunked reductions.
package struct DoubleDouble: Sendable, Hashable {
  package var hi: Double
  package var lo: Double

  package init(_ hi: Double, _ lo: Double = 0) {
    self.hi = hi
    self.lo = lo
  }

  package static let zero = DoubleDouble(0, 0)

  package var isFinite: Bool { hi.isFinite }

  /// The nearest Double (`hi + lo` rounded once).
  package var value: Double { hi + lo }

  /// `self + other` with a relative error of a few `2⁻¹⁰⁶`; IEEE's non-finite results in `hi`.
  @inline(__always) package static func + (a: DoubleDouble, b: DoubleDouble) -> DoubleDouble {
    let s = a.hi + b.hi
    guard s.isFinite else { return DoubleDouble(s, 0) }
    let bb = s - a.hi
    let e = (a.hi - (s - bb)) + (b.hi - bb) + (a.lo + b.lo)
    let hi = s + e
    return DoubleDouble(hi, e - (hi - s))
  }

  @inline(__always) package static func += (a: inout DoubleDouble, b: DoubleDouble) { a = a + b }

  /// `self / d`, rounded once to a Double (for a mean: `d` is the element count).
  package func divided(by d: Double) -> Double {
    let q = hi / d
    guard q.isFinite, q != 0 else { return (hi + lo) / d }
    // hi − q·d is exactly representable and one fused multiply-add computes it exactly (the
    // scalar `fma` is exact everywhere, in hardware or in libm).
    let r = hi.addingProduct(-q, d) + lo
    return q + r / d
  }

  /// `self · w`, rounded once to a Double.
  package func multiplied(by w: Double) -> Double {
    let p = hi * w
    guard p.isFinite, p != 0 else { return (hi + lo) * w }
    let err = (-p).addingProduct(hi, w)  // hi·w − p, exactly
    return p + (err + lo * w)
  }
}

/// How a kernel's terms are summed within a chunk, lane by lane. The lane count, the order of the
/// additions and the chunk length are fixed, so a chunk's partial never depends on the thread
/// that computed it.
protocol LaneAccumulator {
  init()
  /// Whether terms should be delivered as `hi + lo` (Float64: compensated) or `hi` alone.
  static var compensated: Bool { get }
  /// Adds the term `hi + lo` to every lane.
  mutating func add(_ hi: Lanes, _ lo: Lanes)
  /// The lanes' total, summed in lane order.
  var total: DoubleDouble { get }
}

/// Float32 data: the terms are Doubles (the full-precision kernels err far below a Float32 ulp;
/// the short kernels' errors are bounded by the terms' magnitudes, see ``ShortMath``), summed plainly in
/// Double (a chunk of `Chunking.length` elements adds `length/8` terms per lane: a relative
/// error below 2⁻⁴² of the sum of magnitudes).
struct PlainAccumulator: LaneAccumulator {
  var s = Lanes.zero
  init() {}
  static var compensated: Bool { false }
  @inline(__always) mutating func add(_ hi: Lanes, _ lo: Lanes) { s += hi }
  var total: DoubleDouble {
    var t = DoubleDouble.zero
    for i in 0..<Lanes.scalarCount { t += DoubleDouble(s[i]) }
    return t
  }
}

/// Float64 data: per lane a running sum `s` and the exact rounding errors of its additions
/// (``twoSum(_:_:)``) plus the terms' own low parts, summed in `c` (Ogita–Rump–Oishi's Sum2,
/// lanewise): the result is as accurate as if computed in twice the working precision.
struct CompensatedAccumulator: LaneAccumulator {
  var s = Lanes.zero
  var c = Lanes.zero
  init() {}
  static var compensated: Bool { true }
  @inline(__always) mutating func add(_ hi: Lanes, _ lo: Lanes) {
    let (sum, e) = twoSum(s, hi)
    s = sum
    c += e + lo
  }
  var total: DoubleDouble {
    var t = DoubleDouble.zero
    for i in 0..<Lanes.scalarCount { t += DoubleDouble(s[i]) }
    var low = 0.0
    for i in 0..<Lanes.scalarCount { low += c[i] }
    guard t.isFinite else { return t }
    return t + DoubleDouble(low)
  }
}

/// Where a kernel reads one of its operands: a Float or Double array, or a constant (a scalar
/// `y`, a scalar weight).
protocol Operand {
  /// Lanes `i ..< i + 4`.
  func load(_ i: Int) -> Lanes
  /// Lanes `i ..< i + count` (`count < 4`), the others filled with 1 (a value every loss maps to
  /// a finite term, masked out afterwards).
  func loadPartial(_ i: Int, count: Int) -> Lanes
  /// Element `i`.
  subscript(_ i: Int) -> Double { get }
  /// The Float elements from `i` on, for the C kernels; nil for any other element type.
  func floats(from i: Int) -> UnsafePointer<Float>?
  /// The Double elements from `i` on, for the C kernels; nil for any other element type.
  func doubles(from i: Int) -> UnsafePointer<Double>?
}

extension Operand {
  @inline(__always) func floats(from i: Int) -> UnsafePointer<Float>? { nil }
  @inline(__always) func doubles(from i: Int) -> UnsafePointer<Double>? { nil }
}

struct FloatOperand: Operand {
  let base: UnsafePointer<Float>
  /// Four element loads, widened one by one: LLVM merges them into one load and one conversion
  /// for every target, whereas a `SIMD4<Float>` load converted with `Lanes(_:)` is split into
  /// scalar loads, broadcasts and blends when compiled for AVX-512 (3× slower streaming, measured).
  @inline(__always) func load(_ i: Int) -> Lanes {
    Lanes(Double(base[i]), Double(base[i + 1]), Double(base[i + 2]), Double(base[i + 3]))
  }
  @inline(__always) func loadPartial(_ i: Int, count: Int) -> Lanes {
    var v = Lanes(repeating: 1)
    for j in 0..<count { v[j] = Double(base[i + j]) }
    return v
  }
  @inline(__always) subscript(_ i: Int) -> Double { Double(base[i]) }
  @inline(__always) func floats(from i: Int) -> UnsafePointer<Float>? { base + i }
}

struct DoubleOperand: Operand {
  let base: UnsafePointer<Double>
  @inline(__always) func doubles(from i: Int) -> UnsafePointer<Double>? { base + i }
  @inline(__always) func load(_ i: Int) -> Lanes {
    UnsafeRawPointer(base + i).loadUnaligned(as: Lanes.self)
  }
  @inline(__always) func loadPartial(_ i: Int, count: Int) -> Lanes {
    var v = Lanes(repeating: 1)
    for j in 0..<count { v[j] = base[i + j] }
    return v
  }
  @inline(__always) subscript(_ i: Int) -> Double { base[i] }
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
  /// Float16 data, widened to Double on load (exactly: every Float16 is a Double).
  struct Float16Operand: Operand {
    let base: UnsafePointer<Float16>
    @inline(__always) func load(_ i: Int) -> Lanes {
      Lanes(Double(base[i]), Double(base[i + 1]), Double(base[i + 2]), Double(base[i + 3]))
    }
    @inline(__always) func loadPartial(_ i: Int, count: Int) -> Lanes {
      var v = Lanes(repeating: 1)
      for j in 0..<count { v[j] = Double(base[i + j]) }
      return v
    }
    @inline(__always) subscript(_ i: Int) -> Double { Double(base[i]) }
  }
#endif

/// BFloat16 data (their bit patterns), widened to Double on load: the 16 bits are the upper half
/// of a Float's, and the Float widens exactly.
struct BFloat16Operand: Operand {
  let base: UnsafePointer<UInt16>
  @inline(__always) static func widen(_ bits: UInt16) -> Double {
    Double(Float(bitPattern: UInt32(bits) &<< 16))
  }
  @inline(__always) func load(_ i: Int) -> Lanes {
    Lanes(
      Self.widen(base[i]), Self.widen(base[i + 1]), Self.widen(base[i + 2]), Self.widen(base[i + 3]))
  }
  @inline(__always) func loadPartial(_ i: Int, count: Int) -> Lanes {
    var v = Lanes(repeating: 1)
    for j in 0..<count { v[j] = Self.widen(base[i + j]) }
    return v
  }
  @inline(__always) subscript(_ i: Int) -> Double { Self.widen(base[i]) }
}

/// `x` rounded once to the nearest BFloat16 (ties to even), as its bit pattern: the same bits as
/// `BFloat16(x)` (LossCore), without its general path where the result is a normal BFloat16.
///
/// For `2⁻¹²⁶ ≤ |x| < 2¹²⁸` the Double's fraction is rounded to the BFloat16's 7 bits in place
/// (adding `2⁴⁴ − 1` plus the kept part's last bit carries into the kept part exactly when the
/// discarded 45 bits are above half, or half with an odd kept part; a carry out of the fraction
/// increments the exponent, which is right); the rounded Double is then a BFloat16 value (or
/// 2¹²⁸, which becomes ∞ as a Float), so its Float conversion is exact and its upper 16 bits are
/// the answer. Elsewhere (subnormal results, ±∞, NaN, 0) LossCore's conversion.
@inline(__always) func bfloat16Bits(_ x: Double) -> UInt16 {
  let magnitude = x.magnitude
  guard magnitude >= 0x1p-126, magnitude < 0x1p128 else { return BFloat16(x).bitPattern }
  let bits = x.bitPattern
  let lastKept = (bits >> 45) & 1
  let rounded = Double(bitPattern: (bits &+ ((1 << 44) - 1) &+ lastKept) & ~((1 << 45) - 1))
  return UInt16(truncatingIfNeeded: Float(rounded).bitPattern >> 16)
}

struct ConstantOperand: Operand {
  let value: Double
  @inline(__always) func load(_ i: Int) -> Lanes { Lanes(repeating: value) }
  @inline(__always) func loadPartial(_ i: Int, count: Int) -> Lanes { Lanes(repeating: value) }
  @inline(__always) subscript(_ i: Int) -> Double { value }
}

/// An operand multiplied by a power of two `scale` (exact unless it underflows).
struct ScaledOperand<Base: Operand>: Operand {
  let base: Base
  let scale: Double
  @inline(__always) func load(_ i: Int) -> Lanes { base.load(i) * scale }
  @inline(__always) func loadPartial(_ i: Int, count: Int) -> Lanes { base.loadPartial(i, count: count) * scale }
  @inline(__always) subscript(_ i: Int) -> Double { base[i] * scale }
}

/// The mask of the first `count` lanes.
@inline(__always) func leadingLanes(_ count: Int) -> SIMDMask<SIMD4<Int64>> {
  SIMD4<Int64>(0, 1, 2, 3) .< SIMD4<Int64>(repeating: Int64(count))
}
