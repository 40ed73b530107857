import LossCore

/// Where an unreduced result (`agg = none`) is written: elements of the dtype, each rounded once
/// from its Double.
protocol OutputStore {
  /// Stores lanes `0 ..< count` at `i ..< i + count`.
  func store(_ v: Lanes, at i: Int, count: Int)
  func store(_ v: Double, at i: Int)
}

struct FloatOutput: OutputStore {
  let base: UnsafeMutablePointer<Float>
  @inline(__always) func store(_ v: Lanes, at i: Int, count: Int) {
    let f = SIMD4<Float>(v)
    if count == 4 {
      UnsafeMutableRawPointer(base + i).storeBytes(of: f, as: SIMD4<Float>.self)
    } else {
      for j in 0..<count { base[i + j] = f[j] }
    }
  }
  @inline(__always) func store(_ v: Double, at i: Int) { base[i] = Float(v) }
}

struct DoubleOutput: OutputStore {
  let base: UnsafeMutablePointer<Double>
  @inline(__always) func store(_ v: Lanes, at i: Int, count: Int) {
    if count == 4 {
      UnsafeMutableRawPointer(base + i).storeBytes(of: v, as: Lanes.self)
    } else {
      for j in 0..<count { base[i + j] = v[j] }
    }
  }
  @inline(__always) func store(_ v: Double, at i: Int) { base[i] = v }
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
  /// Float16 elements: each Double rounded once to Float16 (`Float16(Double)` is correctly
  /// rounded; never through Float, which would round twice).
  struct Float16Output: OutputStore {
    let base: UnsafeMutablePointer<Float16>
    @inline(__always) func store(_ v: Lanes, at i: Int, count: Int) {
      for j in 0..<count { base[i + j] = Float16(v[j]) }
    }
    @inline(__always) func store(_ v: Double, at i: Int) { base[i] = Float16(v) }
  }
#endif

/// BFloat16 elements (their bit patterns): each Double rounded once (``bfloat16Bits(_:)``).
struct BFloat16Output: OutputStore {
  let base: UnsafeMutablePointer<UInt16>
  @inline(__always) func store(_ v: Lanes, at i: Int, count: Int) {
    for j in 0..<count { base[i + j] = bfloat16Bits(v[j]) }
  }
  @inline(__always) func store(_ v: Double, at i: Int) { base[i] = bfloat16Bits(v) }
}

/// Whether each lane is finite (`v − v` is 0 exactly for finite `v`, NaN otherwise).
@inline(__always) func finiteLanes(_ v: Lanes) -> SIMDMask<SIMD4<Int64>> { (v - v) .== .zero }

/// The fused kernels of the elementwise losses: one pass over `ŷ` and `y`, the term computed and
/// summed in registers, no intermediate arrays.
enum ElementwiseKernel {
  /// `Σ term(ŷᵢ, yᵢ)` over `range`, two interleaved 4-lane accumulators (8 elements a step),
  /// the tail as one or two masked vectors.
  @inline(__always)
  static func chunkSum<T: ElementwiseTerm, P: Operand, Y: Operand, A: LaneAccumulator>(
    _ term: T, _ p: P, _ y: Y, _ range: Range<Int>, _: A.Type
  ) -> DoubleDouble {
    // Float data, a memory-bound term with a C kernel (its plain Double term): the vector kernels.
    // Not for a term with a short form: its C kernel is the short one, and this is its fallback.
    if !A.compensated && !T.hasShortForm, let kernel = term.vectorKernel, range.count >= VectorKernels.minimumCount,
      let pf = p.floats(from: range.lowerBound), let yf = y.floats(from: range.lowerBound),
      let sum = VectorKernels.plainSum(kernel.term, pf, yf, count: range.count, eps: kernel.eps)
    {
      return sum
    }
    // Float64 data, every term with a C kernel: the C kernels' double-double terms (fused
    // multiply-adds, double-double logarithms) and compensated lanes. A NaN lane (a non-finite or
    // tiny term) makes the sum NaN, and `reduce` then takes the literal path.
    if A.compensated, let kernel = term.vectorKernel, range.count >= VectorKernels.minimumCount,
      let pd = p.doubles(from: range.lowerBound), let yd = y.doubles(from: range.lowerBound),
      let total = VectorKernels.compensatedSum(kernel.term, pd, yd, count: range.count, parameter: kernel.eps)
    {
      return total
    }
    var a0 = A()
    var a1 = A()
    var i = range.lowerBound
    let end = range.upperBound
    while i + 8 <= end {
      let (h0, l0) = term.vector(p.load(i), y.load(i), A.self)
      let (h1, l1) = term.vector(p.load(i + 4), y.load(i + 4), A.self)
      a0.add(h0, l0)
      a1.add(h1, l1)
      i += 8
    }
    while i < end {
      let count = Swift.min(4, end - i)
      if count == 4 {
        let (h, l) = term.vector(p.load(i), y.load(i), A.self)
        a0.add(h, l)
      } else {
        let keep = leadingLanes(count)
        let (h, l) = term.vector(p.loadPartial(i, count: count), y.loadPartial(i, count: count), A.self)
        a1.add(h.replacing(with: 0, where: .!keep), l.replacing(with: 0, where: .!keep))
      }
      i += count
    }
    var total = a0.total
    total += a1.total
    return total
  }

  /// `Σ term(ŷᵢ, yᵢ)` over `0 ..< n`, chunked and in parallel (see ``Parallel/reduce``).
  static func sum<T: ElementwiseTerm, P: Operand, Y: Operand, A: LaneAccumulator>(
    _ term: T, _ p: P, _ y: Y, count n: Int, threads: Int, _ accumulator: A.Type
  ) -> DoubleDouble {
    // Compensated (Float64) terms cost about four times as much: the parallel threshold sees that.
    // Plain memory-bound sums take the longer streaming chunks.
    Parallel.reduce(
      count: n, chunk: !A.compensated && T.cost == 1 ? Chunking.streamingLength : Chunking.length, threads: threads,
      cost: A.compensated ? 4 * T.cost : T.cost, SumChunks<T, P, Y, A>(term: term, p: p, y: y))
  }

  /// A chunk of ``sum``.
  struct SumChunks<T: ElementwiseTerm, P: Operand, Y: Operand, A: LaneAccumulator>: ChunkBody {
    let term: T
    let p: P
    let y: Y
    @inline(__always) func callAsFunction(_ range: Range<Int>) -> DoubleDouble {
      chunkSum(term, p, y, range, A.self)
    }
  }

  /// `Σ term(ŷᵢ, yᵢ)` over `range` with the short kernels (Float32 data), and `Σ mᵢ`, the sum of
  /// the terms' magnitudes (the sum errs by at most `2⁻³²·Σ mᵢ` plus Double roundings).
  @inline(__always)
  static func shortChunkSum<T: ElementwiseTerm, P: Operand, Y: Operand>(
    _ term: T, _ p: P, _ y: Y, _ range: Range<Int>
  ) -> SumPair {
    // Float data and a term with a C kernel: the vector kernels (VectorKernels.swift).
    if let kernel = term.vectorKernel, range.count >= VectorKernels.minimumCount,
      let pf = p.floats(from: range.lowerBound), let yf = y.floats(from: range.lowerBound),
      let pair = VectorKernels.shortSum(kernel.term, pf, yf, count: range.count, eps: kernel.eps)
    {
      return pair
    }
    var v0 = Lanes.zero
    var v1 = Lanes.zero
    var m0 = Lanes.zero
    var m1 = Lanes.zero
    var i = range.lowerBound
    let end = range.upperBound
    while i + 8 <= end {
      let (a, am) = term.short(p.load(i), y.load(i))
      let (b, bm) = term.short(p.load(i + 4), y.load(i + 4))
      v0 += a
      v1 += b
      m0 += am
      m1 += bm
      i += 8
    }
    while i < end {
      let count = Swift.min(4, end - i)
      if count == 4 {
        let (a, am) = term.short(p.load(i), y.load(i))
        v0 += a
        m0 += am
      } else {
        let keep = leadingLanes(count)
        let (b, bm) = term.short(p.loadPartial(i, count: count), y.loadPartial(i, count: count))
        v1 += b.replacing(with: 0, where: .!keep)
        m1 += bm.replacing(with: 0, where: .!keep)
      }
      i += count
    }
    var value = DoubleDouble.zero
    var magnitude = DoubleDouble.zero
    for j in 0..<Lanes.scalarCount { value += DoubleDouble(v0[j]) }
    for j in 0..<Lanes.scalarCount { value += DoubleDouble(v1[j]) }
    for j in 0..<Lanes.scalarCount { magnitude += DoubleDouble(m0[j]) }
    for j in 0..<Lanes.scalarCount { magnitude += DoubleDouble(m1[j]) }
    return SumPair(first: value, second: magnitude)
  }

  /// A chunk of the short-kernel sum.
  struct ShortSumChunks<T: ElementwiseTerm, P: Operand, Y: Operand>: ChunkBody {
    let term: T
    let p: P
    let y: Y
    @inline(__always) func callAsFunction(_ range: Range<Int>) -> SumPair { shortChunkSum(term, p, y, range) }
  }

  /// The largest `Σ mᵢ / |Σ termᵢ|` at which a short-kernel sum is kept: its error is then below
  /// `2⁻³²·16 = 2⁻²⁸` relative, a sixteenth of a Float ulp.
  package static let shortConditionLimit = 16.0

  /// The chunk length of the short-kernel sums (a multiple of the C kernels' 8 lanes).
  static let shortChunkLength = Chunking.length / 4

  /// `Σ term(ŷᵢ, yᵢ)` over `0 ..< n`: for Float32 data and a term with a short form, first with
  /// the short kernels, kept when finite and well conditioned (``shortConditionLimit``); else
  /// (and for Float64 data) with the full-precision kernels. Non-finite results are the caller's.
  static func total<T: ElementwiseTerm, P: Operand, Y: Operand>(
    _ term: T, _ p: P, _ y: Y, count n: Int, compensated: Bool, threads: Int
  ) -> DoubleDouble {
    if !compensated && T.hasShortForm {
      // Chunks of a quarter of the usual length: a short-kernel chunk takes 10–20 µs, and at
      // n = 10⁵ the usual 7 chunks split 4 : 3 over two threads; 25 split 13 : 12. Fixed, so the
      // result still does not depend on the thread count.
      let pair = Parallel.reduce(
        count: n, chunk: shortChunkLength, threads: threads, cost: T.cost, ShortSumChunks(term: term, p: p, y: y))
      if pair.first.isFinite && pair.second.isFinite
        && pair.second.value <= shortConditionLimit * Swift.abs(pair.first.value)
      {
        return pair.first
      }
    }
    return compensated
      ? sum(term, p, y, count: n, threads: threads, CompensatedAccumulator.self)
      : sum(term, p, y, count: n, threads: threads, PlainAccumulator.self)
  }

  /// `agg(term(ŷᵢ, yᵢ))` for `agg` mean or sum, in Double (the caller rounds to the dtype).
  ///
  /// A non-finite fast result is re-evaluated literally (``literalSum``), which decides the
  /// outcome class exactly as SEMANTICS.md does (NaN, ±∞, DomainError at the lowest index).
  static func reduce<T: ElementwiseTerm, P: Operand, Y: Operand>(
    _ term: T, _ p: P, _ y: Y, count n: Int, mean: Bool, compensated: Bool, threads: Int
  ) throws(LossError) -> Double {
    var total = self.total(term, p, y, count: n, compensated: compensated, threads: threads)
    if !total.isFinite {
      total = try literalSum(term, p, y, count: n, compensated: compensated)
      if !total.isFinite, let rescaled = rescaledSum(term, p, y, count: n, mean: mean, compensated: compensated) {
        return rescaled
      }
    }
    if mean {
      return n == 0 ? .nan : total.divided(by: Double(n)) + 0
    }
    return total.value + 0
  }

  /// A homogeneous term (mae, mse, huber) whose sum overflowed although every input is finite
  /// (Float64 beyond about 1e154): the inputs scaled by a power of two `s` so that the largest is
  /// about 1, summed, and the result scaled back by `s⁻ᵈ` (exact but for the final overflow, if
  /// the exact result itself exceeds the range).
  @inline(never)
  static func rescaledSum<T: ElementwiseTerm, P: Operand, Y: Operand>(
    _ term: T, _ p: P, _ y: Y, count n: Int, mean: Bool, compensated: Bool
  ) -> Double? {
    var largest = 0.0
    for i in 0..<n {
      guard p[i].isFinite, y[i].isFinite else { return nil }
      largest = Swift.max(largest, Swift.abs(p[i]), Swift.abs(y[i]))
    }
    guard largest > 0x1p500 else { return nil }
    let exponent = largest.exponent
    let scale = Double(sign: .plus, exponent: -exponent, significand: 1)
    guard let (scaledTerm, degree) = term.scaled(by: scale) else { return nil }
    let total = sum(
      scaledTerm, ScaledOperand(base: p, scale: scale), ScaledOperand(base: y, scale: scale), count: n, threads: 1,
      CompensatedAccumulator.self)
    guard total.isFinite else { return nil }
    let value = mean ? total.divided(by: Double(n)) : total.value
    // Scale back in two steps (2^(d·e) may exceed the exponent range on its own).
    let half = Double(sign: .plus, exponent: degree * exponent / 2, significand: 1)
    let rest = Double(sign: .plus, exponent: degree * exponent - degree * exponent / 2, significand: 1)
    return value * half * rest + 0
  }

  /// The rare path: the literal terms summed by IEEE's rules (their outcome class), and if that
  /// is finite after all (a fast-path intermediate overflowed), the fast terms one by one with
  /// each non-finite one replaced by its literal value.
  @inline(never)
  static func literalSum<T: ElementwiseTerm, P: Operand, Y: Operand>(
    _ term: T, _ p: P, _ y: Y, count n: Int, compensated: Bool
  ) throws(LossError) -> DoubleDouble {
    var plain = 0.0
    for i in 0..<n {
      plain += try term.literal(p[i], y[i], index: i)
    }
    if !plain.isFinite { return DoubleDouble(plain) }
    var total = DoubleDouble.zero
    for i in 0..<n {
      let (h, l) =
        compensated
        ? term.vector(Lanes(repeating: p[i]), Lanes(repeating: y[i]), CompensatedAccumulator.self)
        : term.vector(Lanes(repeating: p[i]), Lanes(repeating: y[i]), PlainAccumulator.self)
      let t = DoubleDouble(h[0], l[0])
      total += t.hi.isFinite && t.lo.isFinite ? t : DoubleDouble(try term.literal(p[i], y[i], index: i))
    }
    return total
  }

  /// `term(ŷᵢ, yᵢ)` for every `i`, rounded to the output's element type (`agg = none`); a
  /// non-finite lane is recomputed literally (and may throw its DomainError, lowest index first).
  static func map<T: ElementwiseTerm, P: Operand, Y: Operand, O: OutputStore>(
    _ term: T, _ p: P, _ y: Y, count n: Int, into out: O, compensated: Bool, threads: Int
  ) throws(LossError) {
    let firstBad = Parallel.reduce(
      count: n, threads: threads, cost: compensated ? 4 * T.cost : T.cost,
      MapChunks(term: term, p: p, y: y, out: out, compensated: compensated))
    guard firstBad.index != .max else { return }
    for i in firstBad.index..<n {
      let (h, l) =
        compensated
        ? term.vector(Lanes(repeating: p[i]), Lanes(repeating: y[i]), CompensatedAccumulator.self)
        : term.vector(Lanes(repeating: p[i]), Lanes(repeating: y[i]), PlainAccumulator.self)
      let v = h[0] + l[0]
      if !v.isFinite {
        out.store(try term.literal(p[i], y[i], index: i) + 0, at: i)
      }
    }
  }

  /// A chunk of ``map``: the terms stored, and the lowest index of a non-finite one.
  struct MapChunks<T: ElementwiseTerm, P: Operand, Y: Operand, O: OutputStore>: ChunkBody {
    let term: T
    let p: P
    let y: Y
    let out: O
    let compensated: Bool
    func callAsFunction(_ range: Range<Int>) -> FirstIndex {
      var bad = FirstIndex.zero
      var i = range.lowerBound
      while i < range.upperBound {
        let count = Swift.min(4, range.upperBound - i)
        let a = count == 4 ? p.load(i) : p.loadPartial(i, count: count)
        let b = count == 4 ? y.load(i) : y.loadPartial(i, count: count)
        var v: Lanes
        if compensated {
          let (h, l) = term.vector(a, b, CompensatedAccumulator.self)
          v = h + l
        } else if T.hasShortForm {
          // Short kernels, lanes whose term is ill conditioned (m > 16·|term|) or not finite
          // recomputed with the full-precision kernels.
          let (s, m) = term.short(a, b)
          v = s
          if !all(finiteLanes(s) .& (m .<= ElementwiseKernel.shortConditionLimit * VectorMath.abs(s))) {
            v = term.vector(a, b, PlainAccumulator.self).hi
          }
        } else {
          v = term.vector(a, b, PlainAccumulator.self).hi
        }
        v = v + 0  // −0 → +0, as LossSpec rounds an exact zero
        if bad.index == .max && !all(finiteLanes(v) .| .!leadingLanes(count)) {
          bad.index = i
        }
        out.store(v, at: i, count: count)
        i += count
      }
      return bad
    }
  }
}
