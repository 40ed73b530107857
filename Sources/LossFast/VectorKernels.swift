import CLossFastKernels

extension LossFast {
  /// An instruction-set path of the vector kernels of the sums (Float32 and Float64 data: the
  /// terms with logarithms and exponentials, and the memory-bound ones), the C target
  /// `CLossFastKernels`: the same kernels compiled for each path, one chosen at run time by the
  /// CPU's features.
  ///
  /// Every path computes the same IEEE operations in the same order — eight Double lanes, fused
  /// multiply-adds where written and nowhere else — so every path gives the same bits, on this
  /// machine and on any other; they differ only in speed.
  public enum VectorPath: String, CaseIterable, Sendable {
    /// Any x86-64 (SSE2) CPU, and every other architecture; on x86-64 each fused multiply-add is
    /// the C library's `fma` (correctly rounded, slow).
    case baseline
    /// AVX2 and FMA (x86-64-v3: Intel Haswell, AMD Zen and later).
    case avx2
    /// AVX-512 F, DQ, BW and VL (Intel Skylake-SP, AMD Zen 4 and later).
    case avx512

    /// The path's number in CLossFastKernels (`LFK_PATH_…`).
    package var code: Int32 {
      switch self {
      case .baseline: Int32(LFK_PATH_BASELINE)
      case .avx2: Int32(LFK_PATH_AVX2)
      case .avx512: Int32(LFK_PATH_AVX512)
      }
    }

    /// Whether this CPU and operating system can run the path (CPUID and XGETBV).
    public var isAvailable: Bool { lfk_path_available(code) != 0 }

    /// The paths this machine can run, narrowest first.
    public static var available: [VectorPath] { allCases.filter(\.isAvailable) }

    /// The path LossFast takes: the widest available, or the one named by the environment
    /// variable `LOSSFAST_ISA` (`baseline`, `avx2`, `avx512`) at the first use. A value that
    /// names no available path is ignored (the widest is taken) and reported by
    /// ``environmentProblem``.
    public static let selected: VectorPath = {
      let code = lfk_default_path()
      return allCases.first { $0.code == code } ?? available.last ?? .baseline
    }()

    /// Why `LOSSFAST_ISA` was ignored, or nil when it is unset or was followed.
    public static var environmentProblem: String? {
      guard lfk_default_path() < 0 else { return nil }
      let value = String(cString: lfk_isa_setting())
      let names = allCases.map(\.rawValue).joined(separator: ", ")
      let usable = available.map(\.rawValue).joined(separator: ", ")
      return
        "LOSSFAST_ISA=\(value) names no path this CPU can run (paths: \(names); available here: \(usable)); using \(selected.rawValue)"
    }
  }
}

extension OverlapKernel.Kind {
  /// The C kernels' overlap loss (`LFK_OVERLAP_…`; tversky's without its first sum when
  /// `valueOnly`) and its parameter (tversky's β; 0 for dice, whose smoothing enters after the sums).
  func kernel(valueOnly: Bool) -> (code: Int32, beta: Double) {
    switch self {
    case .dice: (Int32(LFK_OVERLAP_DICE), 0)
    case .tversky(let beta): (Int32(valueOnly ? LFK_OVERLAP_TVERSKY_VALUE : LFK_OVERLAP_TVERSKY), beta)
    }
  }
}

/// The vector kernels' side of the short-kernel sums (see `ElementwiseKernel.shortChunkSum`).
package enum VectorKernels {
  /// The path the sums take (`LossFast.VectorPath.selected`), as the C code.
  package static let path: Int32 = LossFast.VectorPath.selected.code

  /// Ranges shorter than this stay with the Swift kernels (a class group of a few elements:
  /// folding sixteen lane partials would cost more than the terms).
  static let minimumCount = 64

  /// `Σ term` and `Σ m` over `n` Float pairs with the C kernel `term` on `path`, the lane
  /// partials folded in a fixed order (value lanes 0…15, then magnitude lanes 0…15); nil for a
  /// term or path the C code does not know.
  @inline(__always)
  static func shortSum(
    _ term: Int32, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int, eps: Double,
    path: Int32 = path
  ) -> SumPair? {
    var out = lfk_partials()
    // Nonzero only for a term or path the C code does not know: the Swift kernels then.
    guard lfk_short_sum_f32(path, term, p, y, n, eps, &out) == 0 else { return nil }
    return withUnsafeBytes(of: &out) { raw in
      let lanes = raw.bindMemory(to: Double.self)
      return SumPair(first: laneSum(lanes, at: 0), second: laneSum(lanes, at: 16))
    }
  }

  /// `Σ term` alone over `n` Float pairs (`shortSum` without the magnitudes: a term without a
  /// short form, whose magnitudes are 0), the value lanes folded in lane order.
  @inline(__always)
  static func plainSum(
    _ term: Int32, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int, eps: Double,
    path: Int32 = path
  ) -> DoubleDouble? {
    var out = lfk_partials()
    guard lfk_short_sum_f32(path, term, p, y, n, eps, &out) == 0 else { return nil }
    return withUnsafeBytes(of: &out) { raw in laneSum(raw.bindMemory(to: Double.self), at: 0) }
  }

  /// The sixteen lane partials `lanes[start ..< start + 16]` of one C sum as a double-double,
  /// added in lane order (the fixed order every path and thread count shares).
  @inline(__always)
  static func laneSum(_ lanes: UnsafeBufferPointer<Double>, at start: Int) -> DoubleDouble {
    var total = DoubleDouble.zero
    for j in start..<(start + 16) { total += DoubleDouble(lanes[j]) }
    return total
  }
}

extension VectorKernels {
  /// dice's or tversky's three sums over `n` Float pairs (see `lfk_overlap_sums_f32`), each
  /// folded from its sixteen lane partials in lane order; nil for a path the C code does not know.
  @inline(__always)
  static func overlapSums(
    _ kind: OverlapKernel.Kind, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int,
    valueOnly: Bool = false, path: Int32 = path
  ) -> SumTriple? {
    var sums = (lfk_partials(), lfk_partials())  // 64 Doubles: room for the 48 of three sums
    let (code, beta) = kind.kernel(valueOnly: valueOnly)
    return withUnsafeMutableBytes(of: &sums) { raw -> SumTriple? in
      let lanes = raw.bindMemory(to: Double.self)
      let status = lfk_overlap_sums_f32(path, code, p, y, n, beta, lanes.baseAddress!)
      guard status == 0 else { return nil }
      let read = UnsafeBufferPointer(lanes)
      // The sum the kernel leaves 0 (dice's third; tversky's first when `valueOnly`) is not folded.
      let isDice = code == Int32(LFK_OVERLAP_DICE)
      let skipsFirst = code == Int32(LFK_OVERLAP_TVERSKY_VALUE)
      return SumTriple(
        first: skipsFirst ? .zero : laneSum(read, at: 0), second: laneSum(read, at: 16),
        third: isDice ? .zero : laneSum(read, at: 32))
    }
  }

  /// Float64 data: `Σ term` over `n` pairs by `lfk_compensated_sum_f64`, folded as
  /// `CompensatedAccumulator.total` folds its lanes (the sixteen lane sums as double-doubles in
  /// lane order, then the compensations' plain sum added where the sum is finite); nil for a term
  /// or path the C code does not know.
  @inline(__always)
  static func compensatedSum(
    _ term: Int32, _ p: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count n: Int, parameter: Double,
    path: Int32 = path
  ) -> DoubleDouble? {
    var out = lfk_partials()
    guard lfk_compensated_sum_f64(path, term, p, y, n, parameter, &out) == 0 else { return nil }
    return withUnsafeBytes(of: &out) { raw in Self.fold(raw.bindMemory(to: Double.self), at: 0) }
  }

  /// Sixteen lane sums at `lanes[start…]` and their compensations at `lanes[start + 16…]` as one
  /// double-double.
  @inline(__always)
  static func fold(_ lanes: UnsafeBufferPointer<Double>, at start: Int) -> DoubleDouble {
    let t = laneSum(lanes, at: start)
    var low = 0.0
    for j in (start + 16)..<(start + 32) { low += lanes[j] }
    guard t.isFinite else { return t }
    return t + DoubleDouble(low)
  }

  /// Float64 data: dice's or tversky's three compensated sums (`lfk_overlap_sums_f64`); nil for a
  /// path the C code does not know.
  @inline(__always)
  static func compensatedOverlapSums(
    _ kind: OverlapKernel.Kind, _ p: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count n: Int,
    valueOnly: Bool = false, path: Int32 = path
  ) -> SumTriple? {
    var sums = (lfk_partials(), lfk_partials(), lfk_partials())  // 96 Doubles
    let (code, beta) = kind.kernel(valueOnly: valueOnly)
    return withUnsafeMutableBytes(of: &sums) { raw -> SumTriple? in
      let lanes = raw.bindMemory(to: Double.self)
      guard lfk_overlap_sums_f64(path, code, p, y, n, beta, lanes.baseAddress!) == 0 else { return nil }
      let read = UnsafeBufferPointer(lanes)
      return SumTriple(first: fold(read, at: 0), second: fold(read, at: 32), third: fold(read, at: 64))
    }
  }

  /// logitcrossentropy's `Σ y·logsoftmax(ŷ)` over eight contiguous groups of `length` Float
  /// elements, and the magnitudes (see `lfk_logit_groups8_f32`); nil for a path the C code does
  /// not know.
  @inline(__always)
  package static func logitGroups8(
    _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, length: Int, path: Int32 = path
  ) -> (value: SIMD8<Double>, magnitude: SIMD8<Double>)? {
    var value = SIMD8<Double>()
    var magnitude = SIMD8<Double>()
    let status = withUnsafeMutableBytes(of: &value) { v in
      withUnsafeMutableBytes(of: &magnitude) { m in
        lfk_logit_groups8_f32(
          path, p, y, length, v.baseAddress!.assumingMemoryBound(to: Double.self),
          m.baseAddress!.assumingMemoryBound(to: Double.self))
      }
    }
    return status == 0 ? (value, magnitude) : nil
  }

  /// logitcrossentropy's group values summed over up to `blocks` blocks of eight contiguous
  /// groups of `length` Float elements (see `lfk_logit_sum_f32`): the blocks summed (fewer when a
  /// group in the next block is not finite or not well conditioned, whose block the caller then
  /// takes group by group), the sum of their `Σ y·logsoftmax(ŷ)` and of their magnitudes, each
  /// folded from its lanes in lane order; nil for a path the C code does not know.
  @inline(__always)
  package static func logitSum(
    _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, length: Int, blocks: Int,
    limit: Double = ElementwiseKernel.shortConditionLimit, path: Int32 = path
  ) -> (blocks: Int, value: DoubleDouble, magnitude: DoubleDouble)? {
    var out = lfk_partials()
    var summed = 0
    guard lfk_logit_sum_f32(path, p, y, length, blocks, limit, &out, &summed) == 0 else { return nil }
    return withUnsafeBytes(of: &out) { raw in
      let lanes = raw.bindMemory(to: Double.self)
      var value = DoubleDouble.zero
      var magnitude = DoubleDouble.zero
      for j in 0..<8 { value += DoubleDouble(lanes[j]) }
      for j in 16..<24 { magnitude += DoubleDouble(lanes[j]) }
      return (summed, value, magnitude)
    }
  }

  /// Float64 logitcrossentropy's `Σ y·logsoftmax(ŷ)` over eight contiguous groups of `length`
  /// elements as double-doubles (see `lfk_logit_groups8_f64`); nil for a path the C code does not
  /// know.
  @inline(__always)
  package static func logitGroups8(
    _ p: UnsafePointer<Double>, _ y: UnsafePointer<Double>, length: Int, path: Int32 = path
  ) -> (hi: SIMD8<Double>, lo: SIMD8<Double>)? {
    var hi = SIMD8<Double>()
    var lo = SIMD8<Double>()
    let status = withUnsafeMutableBytes(of: &hi) { h in
      withUnsafeMutableBytes(of: &lo) { l in
        lfk_logit_groups8_f64(
          path, p, y, length, h.baseAddress!.assumingMemoryBound(to: Double.self),
          l.baseAddress!.assumingMemoryBound(to: Double.self))
      }
    }
    return status == 0 ? (hi, lo) : nil
  }

  /// `Σ (aᵢ − bᵢ)²` by the C kernels' streaming loop: the benchmarks' plain-C floor.
  static func stream<T>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, count n: Int, path: Int32 = path) -> Double {
    var out = lfk_partials()
    if T.self == Float.self {
      _ = lfk_stream_f32(
        path, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self),
        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), n, &out)
    } else if T.self == Double.self {
      _ = lfk_stream_f64(
        path, UnsafeRawPointer(a).assumingMemoryBound(to: Double.self),
        UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), n, &out)
    }
    return withUnsafeBytes(of: &out) { raw in
      let lanes = raw.bindMemory(to: Double.self)
      var total = 0.0
      for j in 0..<16 { total += lanes[j] }
      return total
    }
  }
}

extension VectorKernels {
  /// `shortSum`'s two sums, for the tests: the terms' and the
  /// magnitudes'.
  package static func sums(
    _ term: Int32, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int, eps: Double, path: Int32
  ) -> (value: DoubleDouble, magnitude: DoubleDouble)? {
    shortSum(term, p, y, count: n, eps: eps, path: path).map { ($0.first, $0.second) }
  }

  /// The C kernels' elementary functions (for the tests).
  package enum Function: Int32, CaseIterable, Sendable {
    case log = 0
    case log1p = 1
    /// `eˣ` for `x ≤ 0` (and NaN): the only arguments the kernels give it.
    case exp = 2
  }

  /// `f(x[i])` for every `i`, on `path`; nil for an unavailable path.
  package static func evaluate(_ function: Function, _ x: [Double], path: Int32) -> [Double]? {
    var out = [Double](repeating: 0, count: x.count)
    let status = x.withUnsafeBufferPointer { xb in
      out.withUnsafeMutableBufferPointer { ob in
        guard let xa = xb.baseAddress, let oa = ob.baseAddress else { return Int32(0) }
        return lfk_elementary_f64(path, function.rawValue, xa, oa, x.count)
      }
    }
    return status == 0 ? out : nil
  }

  /// The C term numbers of the five memory-bound elementwise terms (plain Double terms,
  /// magnitude 0), by loss name (for the tests); huber_loss takes δ as `eps`.
  package static let plainTerms: [(name: String, term: Int32)] = [
    ("mae", Int32(LFK_TERM_MAE)), ("mse", Int32(LFK_TERM_MSE)), ("huber_loss", Int32(LFK_TERM_HUBER)),
    ("hinge", Int32(LFK_TERM_HINGE)), ("squared_hinge", Int32(LFK_TERM_SQUARED_HINGE)),
  ]

  /// Float64 data: a memory-bound term's compensated sum on `path` (for the tests).
  package static func compensatedSum(
    _ term: Int32, _ p: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count n: Int, parameter: Double,
    onPath path: Int32
  ) -> DoubleDouble? {
    compensatedSum(term, p, y, count: n, parameter: parameter, path: path)
  }

  /// Float64 data: dice's (`beta` nil) or tversky's three compensated sums on `path` (for the tests).
  package static func compensatedOverlapSums(
    beta: Double?, _ p: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count n: Int, valueOnly: Bool = false,
    path: Int32
  ) -> (first: DoubleDouble, second: DoubleDouble, third: DoubleDouble)? {
    let kind: OverlapKernel.Kind = beta.map { .tversky(beta: $0) } ?? .dice(smooth: 0)
    return compensatedOverlapSums(kind, p, y, count: n, valueOnly: valueOnly, path: path).map {
      ($0.first, $0.second, $0.third)
    }
  }

  /// dice's (`beta` nil) or tversky's three sums on `path` (for the tests).
  package static func overlapSums(
    beta: Double?, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int, valueOnly: Bool = false,
    path: Int32
  ) -> (first: DoubleDouble, second: DoubleDouble, third: DoubleDouble)? {
    let kind: OverlapKernel.Kind = beta.map { .tversky(beta: $0) } ?? .dice(smooth: 0)
    return overlapSums(kind, p, y, count: n, valueOnly: valueOnly, path: path).map { ($0.first, $0.second, $0.third) }
  }

  /// The C term numbers of the six short kernels, by loss name (for the tests).
  package static let terms: [(name: String, term: Int32)] = [
    ("msle", Int32(LFK_TERM_MSLE)), ("binarycrossentropy", Int32(LFK_TERM_BINARYCROSSENTROPY)),
    ("logitbinarycrossentropy", Int32(LFK_TERM_LOGITBINARYCROSSENTROPY)), ("poisson_loss", Int32(LFK_TERM_POISSON)),
    ("crossentropy (xlogy)", Int32(LFK_TERM_XLOGY)), ("kldivergence", Int32(LFK_TERM_KLDIVERGENCE)),
  ]
}
