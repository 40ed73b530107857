import LossFast
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The C vector kernels (`CLossFastKernels`): the instruction-set paths give the same bits, the
/// elementary functions keep ShortMath's documented bounds against the C library, and each
/// term's sum is within its magnitude bound of a Double reference computed with the C library
/// (an independent evaluation of the same formula: `log` to within 1 Double ulp).
@Suite("Vector kernels (C, per instruction set)")
struct VectorKernelTests {
  typealias Path = LossFast.VectorPath

  @Test("the selected path is available, and CPUID agrees with /proc/cpuinfo")
  func selection() throws {
    #expect(Path.selected.isAvailable)
    #expect(Path.baseline.isAvailable)
    #expect(Path.available.contains(Path.selected))
    #expect(Path.available.last == Path.selected || getenv("LOSSFAST_ISA") != nil)
    #if os(Linux) && arch(x86_64)
      // The kernel's view of the CPU, read independently of CPUID.
      guard let file = fopen("/proc/cpuinfo", "r") else { return }
      defer { fclose(file) }
      var buffer = [CChar](repeating: 0, count: 1 << 16)
      var flags = Set<Substring>()
      while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if line.hasPrefix("flags") {
          flags = Set(line.split(separator: ":")[1].split(whereSeparator: { $0 == " " || $0 == "\n" }))
          break
        }
      }
      #expect(Path.avx2.isAvailable == (flags.contains("avx2") && flags.contains("fma")))
      let avx512: Set<Substring> = ["avx512f", "avx512dq", "avx512bw", "avx512vl"]
      #expect(Path.avx512.isAvailable == (Path.avx2.isAvailable && avx512.isSubset(of: flags)))
    #endif
  }

  /// Arguments for each function: ordinary ones over the ranges the losses produce, and the
  /// special values (zero, subnormal, negative, infinite, NaN).
  static func arguments(_ f: VectorKernels.Function) -> [Double] {
    var rng = SplitMix64(seed: 0xC0DE_0000 + UInt64(f.rawValue))
    var x: [Double] = []
    for _ in 0..<20_000 {
      let u = Double(rng.next() >> 11) * 0x1p-53
      switch f {
      case .log: x.append(Double(Float(exp2(-60 + 100 * u))))
      case .log1p: x.append(u < 0.5 ? exp2(-70 + 70 * u) * (rng.next() & 1 == 0 ? 1 : -0.999) : -0.99 + 1e3 * u)
      case .exp: x.append(-750 * u * u)
      }
    }
    // exp's domain is x ≤ 0 (and NaN): the kernels call it with −|ŷ| and x − max only.
    let specials: [Double] =
      f == .exp
      ? [0, -0.0, -0x1p-1074, -708.5, -746, -.infinity, .nan]
      : [0, -0.0, 0x1p-1074, 0x1p-1030, -1, -0x1p-1022, .infinity, -.infinity, .nan, 1, 0x1p-1022]
    return x + specials
  }

  @Test(
    "elementary functions: the same bits on every path, ShortMath's bounds against libm",
    arguments: VectorKernels.Function.allCases)
  func elementary(_ f: VectorKernels.Function) throws {
    let x = Self.arguments(f)
    let results = Path.available.compactMap { VectorKernels.evaluate(f, x, path: $0.code) }
    #expect(results.count == Path.available.count)
    let first = try #require(results.first)
    for (path, r) in zip(Path.available, results) {
      let differing = (0..<x.count).filter { r[$0].bitPattern != first[$0].bitPattern }
      #expect(
        differing.isEmpty,
        "\(f) on \(path): \(differing.count) results differ from baseline, first at x = \(differing.first.map { x[$0] } ?? 0)"
      )
    }
    var worst = 0.0
    var worstInput = 0.0
    for (xi, ri) in zip(x, first) {
      let reference: Double
      switch f {
      case .log: reference = Glibc.log(xi)
      case .log1p: reference = Glibc.log1p(xi)
      case .exp: reference = xi < -708 ? 0 : Glibc.exp(xi)
      }
      if !reference.isFinite || reference == 0 {
        // The sign of a zero result is not kept (log1p(−0) is +0 here): no loss term sees it.
        #expect(
          ri == reference || (ri.isNaN && reference.isNaN),
          "\(f)(\(xi)) = \(ri), libm \(reference)")
        continue
      }
      let error = Swift.abs(ri - reference) / Swift.abs(reference)
      if error > worst {
        worst = error
        worstInput = xi
      }
    }
    // ShortMath's table: log and log1p ≤ 2⁻³²·⁵, exp ≤ 2⁻³³ (libm itself within 2⁻⁵²).
    let bound = f == .exp ? exp2(-33.0) : exp2(-32.5)
    #expect(worst <= bound, "\(f): worst relative error 2^\(log2(worst)) at x = \(worstInput)")
  }

  /// Float inputs for a term: each loss's domain, with a tail (the length is not a multiple of
  /// sixteen) and a few exact fits.
  static func inputs(_ term: Int32, count: Int = 1037) -> (p: [Float], y: [Float]) {
    var rng = SplitMix64(seed: 0x7E57 + UInt64(term))
    var p: [Float] = []
    var y: [Float] = []
    for i in 0..<count {
      let a = Double(rng.next() >> 11) * 0x1p-53
      let b = Double(rng.next() >> 11) * 0x1p-53
      switch term {
      case 2:  // logitbinarycrossentropy: logits, 0/1 and soft labels
        p.append(Float(16 * a - 8))
        y.append(i % 3 == 0 ? Float(b) : (b < 0.5 ? 0 : 1))
      case 3:  // poisson_loss: rates and counts
        p.append(Float(0.001 + 5 * a))
        y.append(Float((5 * b).rounded(.down)))
      default:
        p.append(Float(0.001 + 0.998 * a))
        y.append(i % 7 == 0 ? p[i] : Float(b < 0.3 ? 0 : b))
      }
    }
    return (p, y)
  }

  /// The term in Double with the C library's `log`, `log1p` and `exp` (Julia's `xlogy` zeros).
  static func reference(_ term: Int32, _ pf: Float, _ yf: Float, eps: Double) -> Double {
    let p = Double(pf)
    let y = Double(yf)
    func xlogy(_ x: Double, _ a: Double) -> Double { x == 0 ? 0 : x * Glibc.log(a) }
    switch term {
    case 0:
      let l = Glibc.log1p((p - y) / (y + eps))
      return l * l
    case 1: return -xlogy(y, p + eps) - xlogy(1 - y, (1 - p) + eps)
    case 2: return p > 0 ? (1 - y) * p + Glibc.log1p(Glibc.exp(-p)) : -y * p + Glibc.log1p(Glibc.exp(p))
    case 3: return p - xlogy(y, p)
    case 4: return xlogy(y, p + eps)
    default: return y == 0 ? 0 : y * -Glibc.log1p((p + eps - y) / y)
    }
  }

  @Test(
    "terms: the same bits on every path, within 2⁻³¹·Σm of a libm reference", arguments: VectorKernels.terms.map(\.term)
  )
  func terms(_ term: Int32) throws {
    let name = VectorKernels.terms.first { $0.term == term }!.name
    let eps = 0x1p-23
    let (p, y) = Self.inputs(term)
    var pairs: [(value: Double, magnitude: Double)] = []
    for path in Path.available {
      let pair = try #require(
        p.withUnsafeBufferPointer { pb in
          y.withUnsafeBufferPointer { yb in
            VectorKernels.sums(term, pb.baseAddress!, yb.baseAddress!, count: p.count, eps: eps, path: path.code)
          }
        })
      pairs.append((pair.value.value, pair.magnitude.value))
    }
    for (path, pair) in zip(Path.available, pairs) {
      #expect(
        pair.value.bitPattern == pairs[0].value.bitPattern, "\(name) on \(path): \(pair.value) vs \(pairs[0].value)")
      #expect(pair.magnitude.bitPattern == pairs[0].magnitude.bitPattern, "\(name) on \(path): magnitude differs")
    }
    var reference = 0.0
    var absolute = 0.0
    for i in 0..<p.count {
      let t = Self.reference(term, p[i], y[i], eps: eps)
      reference += t
      absolute += Swift.abs(t)
    }
    let (value, magnitude) = pairs[0]
    // The kernels' bound 2⁻³²·Σm, doubled for the reference's own libm and summation errors
    // (each below 2⁻⁵²·Σ|t|·n, n ≈ 2¹⁰).
    let allowed = 0x1p-31 * magnitude + 0x1p-40 * absolute
    #expect(Swift.abs(value - reference) <= allowed, "\(name): \(value) vs reference \(reference), allowed \(allowed)")
    #expect(magnitude > 0 && magnitude.isFinite, "\(name): magnitude \(magnitude)")
  }

  @Test("terms: non-finite exactly where the literal term is, on every path")
  func specialValues() throws {
    // One special input among ordinary ones: NaN anywhere gives NaN; a zero rate under a positive
    // count gives +∞ (poisson_loss: −y·log 0).
    let cases: [(term: Int32, p: Float, y: Float, expectNaN: Bool)] = [
      (0, .nan, 0.5, true), (1, .nan, 0.5, true), (2, .nan, 1, true), (3, .nan, 2, true), (4, .nan, 0.5, true),
      (5, 0.5, .nan, true), (3, 0, 2, false), (1, 2, 0.5, true), (5, -0.5, 0.5, true),
    ]
    for c in cases {
      var (p, y) = Self.inputs(c.term, count: 100)
      p[37] = c.p
      y[37] = c.y
      for path in Path.available {
        let pair = try #require(
          p.withUnsafeBufferPointer { pb in
            y.withUnsafeBufferPointer { yb in
              VectorKernels.sums(
                c.term, pb.baseAddress!, yb.baseAddress!, count: 100, eps: 0x1p-23, path: path.code)
            }
          })
        let v = pair.value.value
        if c.expectNaN {
          #expect(v.isNaN, "term \(c.term), ŷ = \(c.p), y = \(c.y) on \(path): \(v)")
        } else {
          #expect(v == .infinity, "term \(c.term), ŷ = \(c.p), y = \(c.y) on \(path): \(v)")
        }
      }
    }
  }

  @Test(
    "logitcrossentropy groups: the same bits on every path, within the bound of a libm reference",
    arguments: [2, 10, 32])
  func logitGroups(_ length: Int) throws {
    var rng = SplitMix64(seed: 0x6A0 + UInt64(length))
    var p: [Float] = []
    var y: [Float] = []
    for _ in 0..<(8 * length) {
      p.append(Float(Double(rng.next() >> 11) * 0x1p-53 * 16 - 8))
      y.append(Float(Double(rng.next() >> 11) * 0x1p-53))
    }
    p[3] = p[4]  // a tie for the maximum in group 0 for the longer groups
    var results: [(value: SIMD8<Double>, magnitude: SIMD8<Double>)] = []
    for path in Path.available {
      results.append(
        try #require(
          p.withUnsafeBufferPointer { pb in
            y.withUnsafeBufferPointer { yb in
              VectorKernels.logitGroups8(pb.baseAddress!, yb.baseAddress!, length: length, path: path.code)
            }
          }))
    }
    for (path, r) in zip(Path.available, results) {
      for j in 0..<8 {
        #expect(r.value[j].bitPattern == results[0].value[j].bitPattern, "group \(j) on \(path)")
        #expect(r.magnitude[j].bitPattern == results[0].magnitude[j].bitPattern, "group \(j) on \(path)")
      }
    }
    for j in 0..<8 {
      let group = (j * length)..<((j + 1) * length)
      let m = group.map { Double(p[$0]) }.max()!
      let lse = m + Glibc.log(group.map { Glibc.exp(Double(p[$0]) - m) }.reduce(0, +))
      var reference = 0.0
      var absolute = 0.0
      for i in group {
        let t = Double(y[i]) * (Double(p[i]) - lse)
        reference += t
        absolute += Swift.abs(t)
      }
      let v = results[0].value[j]
      let allowed = 0x1p-31 * results[0].magnitude[j] + 0x1p-44 * absolute
      #expect(Swift.abs(v - reference) <= allowed, "group \(j) of \(length): \(v) vs \(reference), allowed \(allowed)")
    }
  }

  @Test("logitcrossentropy block sums: the lanes of the eight-group values in block order, up to a bad block")
  func logitSums() throws {
    let length = 10
    let blocks = 5
    var rng = SplitMix64(seed: 0x5A5)
    var p: [Float] = []
    var y: [Float] = []
    for _ in 0..<(8 * length * blocks) {
      p.append(Float(Double(rng.next() >> 11) * 0x1p-53 * 16 - 8))
      y.append(Float(Double(rng.next() >> 11) * 0x1p-53))
    }
    func sums(_ p: [Float], _ y: [Float]) throws -> (blocks: Int, value: DoubleDouble, magnitude: DoubleDouble) {
      try #require(
        p.withUnsafeBufferPointer { pb in
          y.withUnsafeBufferPointer { yb in
            VectorKernels.logitSum(pb.baseAddress!, yb.baseAddress!, length: length, blocks: blocks)
          }
        })
    }
    // The reference: each block's eight group values (the kernel tested above), added lane by
    // lane in block order, the lanes then folded in order.
    func reference(upTo count: Int) throws -> (DoubleDouble, DoubleDouble) {
      var v = SIMD8<Double>()
      var m = SIMD8<Double>()
      for b in 0..<count {
        let r = try #require(
          p.withUnsafeBufferPointer { pb in
            y.withUnsafeBufferPointer { yb in
              VectorKernels.logitGroups8(
                pb.baseAddress! + 8 * length * b, yb.baseAddress! + 8 * length * b, length: length)
            }
          })
        v += r.value
        m += r.magnitude
      }
      var value = DoubleDouble.zero
      var magnitude = DoubleDouble.zero
      for j in 0..<8 {
        value += DoubleDouble(v[j])
        magnitude += DoubleDouble(m[j])
      }
      return (value, magnitude)
    }
    let all = try sums(p, y)
    let (value, magnitude) = try reference(upTo: blocks)
    #expect(
      all.blocks == blocks && all.value == value && all.magnitude == magnitude, "\(all) vs \(value), \(magnitude)")
    // A NaN in block 3, and in block 2 a group whose labels make its value cancel: with
    // `ℓ = logsoftmax(ŷ)`, `y₀ = ℓ₁`, `y₁ = −ℓ₀` and the other labels 0, `Σ y·ℓ ≈ 0` while
    // `L·Σ y` is not: ill conditioned. The sums stop before block 2.
    p[8 * length * 3 + 5] = .nan
    let start = 8 * length * 2 + 4 * length
    let group = (start..<(start + length)).map { Double(p[$0]) }
    let top = group.max()!
    let lse = top + Glibc.log(group.map { Glibc.exp($0 - top) }.reduce(0, +))
    for c in 0..<length { y[start + c] = 0 }
    y[start] = Float(group[1] - lse)
    y[start + 1] = Float(-(group[0] - lse))
    let partial = try sums(p, y)
    let (early, earlyMagnitude) = try reference(upTo: 2)
    #expect(partial.blocks == 2 && partial.value == early && partial.magnitude == earlyMagnitude, "\(partial)")
  }

  /// Ordinary inputs with signs, exact fits, values beyond δ = 1 and beyond the hinge margin.
  static func plainInputs(count: Int, seed: UInt64) -> (p: [Float], y: [Float]) {
    var rng = SplitMix64(seed: seed)
    var p: [Float] = []
    var y: [Float] = []
    for i in 0..<count {
      let a = Double(rng.next() >> 11) * 0x1p-53
      let b = Double(rng.next() >> 11) * 0x1p-53
      p.append(Float(6 * a - 3))
      y.append(i % 5 == 0 ? p[i] : Float(4 * b - 2))
    }
    return (p, y)
  }

  @Test(
    "memory-bound terms: the same bits on every path, the sum of the Double terms, NaN propagated",
    arguments: VectorKernels.plainTerms.map(\.term))
  func plainTerms(_ term: Int32) throws {
    let name = VectorKernels.plainTerms.first { $0.term == term }!.name
    let delta = 1.0
    // The literal terms of SEMANTICS.md in Double (exact or rounded once for Float inputs).
    func literal(_ p: Double, _ y: Double) -> Double {
      switch name {
      case "mae": return Swift.abs(p - y)
      case "mse": return (p - y) * (p - y)
      case "huber_loss":
        let e = Swift.abs(p - y)
        return e < delta ? 0.5 * e * e : delta * (e - 0.5 * delta)
      case "hinge": return Swift.max(0, 1 - p * y)
      default: return Swift.max(0, 1 - p * y) * Swift.max(0, 1 - p * y)
      }
    }
    var (p, y) = Self.plainInputs(count: 1037, seed: 0x91A1 + UInt64(term))
    var values: [Double] = []
    for path in Path.available {
      let pair = try #require(
        p.withUnsafeBufferPointer { pb in
          y.withUnsafeBufferPointer { yb in
            VectorKernels.sums(term, pb.baseAddress!, yb.baseAddress!, count: p.count, eps: delta, path: path.code)
          }
        })
      values.append(pair.value.value)
      #expect(pair.magnitude.value == 0, "\(name) on \(path): magnitude \(pair.magnitude.value)")
    }
    for (path, v) in zip(Path.available, values) {
      #expect(v.bitPattern == values[0].bitPattern, "\(name) on \(path): \(v) vs \(values[0])")
    }
    // Every term is nonnegative: the Double sums (the kernel's and this one, in another order)
    // each err by at most n·2⁻⁵³ relative.
    var reference = 0.0
    for i in 0..<p.count { reference += literal(Double(p[i]), Double(y[i])) }
    #expect(Swift.abs(values[0] - reference) <= 0x1p-41 * reference, "\(name): \(values[0]) vs \(reference)")
    p[500] = .nan
    for path in Path.available {
      let v = p.withUnsafeBufferPointer { pb in
        y.withUnsafeBufferPointer { yb in
          VectorKernels.sums(term, pb.baseAddress!, yb.baseAddress!, count: p.count, eps: delta, path: path.code)
        }
      }
      #expect(v?.value.value.isNaN == true, "\(name) with a NaN on \(path): \(String(describing: v))")
    }
  }

  @Test("dice and tversky sums: the same bits on every path, the sums of the Double parts", arguments: [nil, 0.7])
  func overlapSums(_ beta: Double?) throws {
    let (p, y) = Self.plainInputs(count: 1037, seed: beta == nil ? 0xD1CE : 0x7E55)
    var results: [(first: DoubleDouble, second: DoubleDouble, third: DoubleDouble)] = []
    for path in Path.available {
      results.append(
        try #require(
          p.withUnsafeBufferPointer { pb in
            y.withUnsafeBufferPointer { yb in
              VectorKernels.overlapSums(beta: beta, pb.baseAddress!, yb.baseAddress!, count: p.count, path: path.code)
            }
          }))
    }
    for (path, r) in zip(Path.available, results) {
      #expect(r.first.value.bitPattern == results[0].first.value.bitPattern, "first sum on \(path)")
      #expect(r.second.value.bitPattern == results[0].second.value.bitPattern, "second sum on \(path)")
      #expect(r.third.value.bitPattern == results[0].third.value.bitPattern, "third sum on \(path)")
    }
    // tversky's value alone: the same second and third sums, the first left 0.
    if let beta {
      for path in Path.available {
        let v = try #require(
          p.withUnsafeBufferPointer { pb in
            y.withUnsafeBufferPointer { yb in
              VectorKernels.overlapSums(
                beta: beta, pb.baseAddress!, yb.baseAddress!, count: p.count, valueOnly: true, path: path.code)
            }
          })
        #expect(
          v.first == .zero && v.second == results[0].second && v.third == results[0].third, "value only on \(path)")
      }
    }
    // SEMANTICS.md's parts in Double, summed with their absolute values for the error bound.
    var sums = (0.0, 0.0, 0.0)
    var absolute = (0.0, 0.0, 0.0)
    for i in 0..<p.count {
      let (a, b) = (Double(p[i]), Double(y[i]))
      let parts: (Double, Double, Double)
      if let beta {
        parts = (b * a, beta * (1 - b) * a + (1 - beta) * b * (1 - a), beta * a + (1 - beta) * b)
      } else {
        parts = ((a - b) * (a - b), b * b + a * a, 0)
      }
      sums = (sums.0 + parts.0, sums.1 + parts.1, sums.2 + parts.2)
      absolute = (absolute.0 + Swift.abs(parts.0), absolute.1 + Swift.abs(parts.1), absolute.2 + Swift.abs(parts.2))
    }
    let r = results[0]
    #expect(Swift.abs(r.first.value - sums.0) <= 0x1p-40 * absolute.0, "first: \(r.first.value) vs \(sums.0)")
    #expect(Swift.abs(r.second.value - sums.1) <= 0x1p-40 * absolute.1, "second: \(r.second.value) vs \(sums.1)")
    #expect(Swift.abs(r.third.value - sums.2) <= 0x1p-40 * absolute.2, "third: \(r.third.value) vs \(sums.2)")
  }

  /// `a + b` and `a·b` as exact double-doubles (Knuth's TwoSum; a fused multiply-add), scalar.
  static func exactSum(_ a: Double, _ b: Double) -> DoubleDouble {
    let s = a + b
    let bb = s - a
    return DoubleDouble(s, (a - (s - bb)) + (b - bb))
  }
  static func exactProduct(_ a: Double, _ b: Double) -> DoubleDouble {
    let p = a * b
    return DoubleDouble(p, (-p).addingProduct(a, b))
  }

  /// Ordinary Float64 inputs with full 53-bit significands (so that every difference and product
  /// rounds), signs, exact fits, and values beyond δ = 1 and the hinge margin.
  static func doubleInputs(count: Int, seed: UInt64) -> (p: [Double], y: [Double]) {
    var rng = SplitMix64(seed: seed)
    var p: [Double] = []
    var y: [Double] = []
    for i in 0..<count {
      p.append(6 * Double(rng.next() >> 11) * 0x1p-53 - 3)
      y.append(i % 5 == 0 ? p[i] : 4 * Double(rng.next() >> 11) * 0x1p-53 - 2)
    }
    return (p, y)
  }

  @Test(
    "Float64 memory-bound terms: the same bits on every path, within 1 ulp of the exact sum, compensated",
    arguments: VectorKernels.plainTerms.map(\.term))
  func compensatedTerms(_ term: Int32) throws {
    let name = VectorKernels.plainTerms.first { $0.term == term }!.name
    let delta = 1.0
    let (p, y) = Self.doubleInputs(count: 1037, seed: 0xF64 + UInt64(term))
    var results: [DoubleDouble] = []
    for path in Path.available {
      results.append(
        try #require(
          p.withUnsafeBufferPointer { pb in
            y.withUnsafeBufferPointer { yb in
              VectorKernels.compensatedSum(
                term, pb.baseAddress!, yb.baseAddress!, count: p.count, parameter: delta, onPath: path.code)
            }
          }))
    }
    for (path, r) in zip(Path.available, results) {
      #expect(
        r.hi.bitPattern == results[0].hi.bitPattern && r.lo.bitPattern == results[0].lo.bitPattern, "\(name) on \(path)"
      )
    }
    // The terms as double-doubles (exact for mae and hinge; the squares' own error ≤ 2⁻¹⁰⁵
    // relative here), summed in double-double: a reference within about 2⁻¹⁰⁰ of the exact sum.
    // A plain Double sum of these 1037 nonnegative terms errs by up to 2⁻⁴³ relative; the
    // compensated kernels must stay within an ulp (2⁻⁵²).
    var reference = DoubleDouble.zero
    // The kernel's own double-double terms (its squares' high parts rounded, as in the Swift
    // kernels), summed in double-double: the compensated summation must match them to about
    // n²·2⁻¹⁰⁶ (a plain summation of the high parts would be off by about 2⁻⁵³ per addition).
    var kernelTerms = DoubleDouble.zero
    var absolute = 0.0
    for i in 0..<p.count {
      let d = Self.exactSum(p[i], -y[i])
      let e = d.hi < 0 ? DoubleDouble(-d.hi, -d.lo) : d
      let margin =
        Self.exactSum(1, -Self.exactProduct(p[i], y[i]).hi) + DoubleDouble(Self.exactProduct(p[i], y[i]).lo * -1)
      let h = margin.hi < 0 || (margin.hi == 0 && margin.lo < 0) ? DoubleDouble.zero : margin
      func square(_ v: DoubleDouble) -> DoubleDouble { Self.exactProduct(v.hi, v.hi) + DoubleDouble(2 * v.hi * v.lo) }
      func scaled(_ v: DoubleDouble, _ c: Double) -> DoubleDouble {
        Self.exactProduct(v.hi, c) + DoubleDouble(v.lo * c)
      }
      func roundedSquare(_ v: DoubleDouble) -> DoubleDouble { DoubleDouble(v.hi * v.hi, 2 * v.hi * v.lo) }
      let term: DoubleDouble
      switch name {
      case "mae":
        reference += e
        term = e
      case "mse":
        reference += square(d)
        term = roundedSquare(d)
      case "huber_loss":
        let linear = scaled(e + DoubleDouble(-0.5 * delta), delta)
        reference += e.hi < delta ? scaled(square(d), 0.5) : linear
        term = e.hi < delta ? DoubleDouble(0.5 * d.hi * d.hi, d.hi * d.lo) : linear
      case "hinge":
        reference += h
        term = h
      default:
        reference += square(h)
        term = roundedSquare(h)
      }
      kernelTerms += term
      absolute += Swift.abs(term.hi)
    }
    let value = results[0].hi + results[0].lo
    let exact = reference.hi + reference.lo
    #expect(Swift.abs(value - exact) <= exact.ulp, "\(name): \(value) vs double-double reference \(exact)")
    let difference = results[0] + DoubleDouble(-kernelTerms.hi, -kernelTerms.lo)
    #expect(
      Swift.abs(difference.value) <= 0x1p-90 * absolute,
      "\(name): compensated sum \(results[0]) vs the double-double sum of its terms \(kernelTerms)")
  }

  @Test(
    "Float64 dice and tversky sums: the same bits on every path, the double-double sums of their parts",
    arguments: [nil, 0.7])
  func compensatedOverlapSums(_ beta: Double?) throws {
    let (p, y) = Self.doubleInputs(count: 1037, seed: beta == nil ? 0xD1CE64 : 0x7E5564)
    var results: [(first: DoubleDouble, second: DoubleDouble, third: DoubleDouble)] = []
    for path in Path.available {
      results.append(
        try #require(
          p.withUnsafeBufferPointer { pb in
            y.withUnsafeBufferPointer { yb in
              VectorKernels.compensatedOverlapSums(
                beta: beta, pb.baseAddress!, yb.baseAddress!, count: p.count, path: path.code)
            }
          }))
    }
    for (path, r) in zip(Path.available, results) {
      #expect(r.first == results[0].first && r.second == results[0].second && r.third == results[0].third, "on \(path)")
    }
    if let beta {
      for path in Path.available {
        let v = try #require(
          p.withUnsafeBufferPointer { pb in
            y.withUnsafeBufferPointer { yb in
              VectorKernels.compensatedOverlapSums(
                beta: beta, pb.baseAddress!, yb.baseAddress!, count: p.count, valueOnly: true, path: path.code)
            }
          })
        #expect(
          v.first == .zero && v.second == results[0].second && v.third == results[0].third, "value only on \(path)")
      }
    }
    // The parts as the kernel forms them (dice's exactly; tversky's products rounded by design,
    // its second part's sum exact), summed in double-double: the compensated sums must match
    // them to about n²·2⁻¹⁰⁶ of Σ|part|.
    var sums = [DoubleDouble](repeating: .zero, count: 3)
    var absolute = [Double](repeating: 0, count: 3)
    for i in 0..<p.count {
      let parts: [DoubleDouble]
      if let beta {
        let falsePositive = beta * ((1 - y[i]) * p[i])
        let falseNegative = (1 - beta) * (y[i] * (1 - p[i]))
        parts = [
          DoubleDouble(y[i] * p[i]), Self.exactSum(falsePositive, falseNegative),
          DoubleDouble(beta * p[i] + (1 - beta) * y[i]),
        ]
      } else {
        let e = Self.exactSum(p[i], -y[i])
        parts = [
          Self.exactProduct(e.hi, e.hi) + DoubleDouble(2 * e.hi * e.lo),
          Self.exactProduct(y[i], y[i]) + Self.exactProduct(p[i], p[i]), .zero,
        ]
      }
      for k in 0..<3 {
        sums[k] += parts[k]
        absolute[k] += Swift.abs(parts[k].hi)
      }
    }
    let r = results[0]
    for (k, sum) in [r.first, r.second, r.third].enumerated() {
      let difference = sum + DoubleDouble(-sums[k].hi, -sums[k].lo)
      #expect(Swift.abs(difference.value) <= 0x1p-90 * absolute[k], "sum \(k): \(sum) vs \(sums[k])")
    }
  }
}
