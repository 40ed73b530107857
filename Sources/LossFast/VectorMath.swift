/// Four Double lanes: the width every LossFast kernel computes in.
///
/// Float32 data are widened to Double on load (exactly), so one set of kernels serves both
/// element types; the Float32 terms with logarithms use ``ShortMath``'s shorter kernels where the
/// sum is well conditioned, and these full-precision ones elsewhere.
package typealias Lanes = SIMD4<Double>
package typealias LaneBits = SIMD4<UInt64>

/// Vectorized elementary functions written for LossFast: `log`, `log1p` and `exp` on four Double
/// lanes, branch-free (special values are patched with selects in a rarely taken branch), with
/// no table look-ups (gathers are slow before AVX2).
///
/// Each lane computes exactly what the scalar function below it says:
///
/// | kernel | lane `i` computes | domain notes |
/// |---|---|---|
/// | `log(x, plus: c)` | `log(x[i]) + c[i]` with `c` folded in before the last roundings | `x < 0`: NaN; `±0`: −∞; `+∞`: +∞ |
/// | `log1p(x)` | `log(1 + x[i])` | `x < −1`: NaN; `−1`: −∞ |
/// | `exp(x)` | `e^x[i]` | underflows gradually to 0 below −745.13, overflows to +∞ above 709.78 |
///
/// `log` and `log1p` are fdlibm's (Sun, 1993: the reduction `x = 2ᵏ·(1 + f)`, `√2/2 ≤ 1 + f < √2`,
/// `s = f/(2 + f)` and a degree-14 even minimax polynomial in `s`); `exp` reduces
/// `x = k·ln 2 + r`, `|r| ≤ ln 2 / 2`, with `ln 2` split so that `k·ln2Hi` is exact, sums the
/// Taylor series to degree 13 (truncation below 2⁻⁵⁷ relative) and scales by `2ᵏ` in two exact
/// steps, so subnormal results are rounded once.
///
/// Maximum errors, measured (LossFastTests, `ElementaryKernelTests`; the exhaustive Float32 sweeps
/// run with `LOSSFAST_EXHAUSTIVE=1`), in Double ulps against glibc, whose own errors are below
/// 0.52 ulp (`log`, `exp`) and 1 ulp (`log1p`): see `Benchmarks/README.md` for the figures. On
/// every Float32 input of their domains the results rounded to Float are the correctly rounded
/// Float values (the kernels err by about 2⁻²⁹ Float ulps, so only inputs whose exact value lies
/// that close to a Float rounding boundary could differ; none does).
package enum VectorMath {
  // fdlibm's constants.
  static let ln2Hi = 6.93147180369123816490e-01  // 0x3fe62e42fee00000: k·ln2Hi is exact for |k| < 2²¹
  static let ln2Lo = 1.90821492927058770002e-10  // 0x3dea39ef35793c76
  static let lg1 = 6.666666666666735130e-01
  static let lg2 = 3.999999999940941908e-01
  static let lg3 = 2.857142874366239149e-01
  static let lg4 = 2.222219843214978396e-01
  static let lg5 = 1.818357216161805012e-01
  static let lg6 = 1.531383769920937332e-01
  static let lg7 = 1.479819860511658591e-01

  /// `0x3ff0_0000_0000_0000 − 0x3fe6_a09e_0000_0000`: added to the bits of `x`, it carries into
  /// the exponent exactly when the significand is at least `√2` (fdlibm's high-word trick, on all
  /// 64 bits since the constant's low word is zero).
  static let reductionOffset: UInt64 = 0x0009_5f62_0000_0000
  static let significandMask: UInt64 = 0x000f_ffff_ffff_ffff
  static let sqrtHalfBits: UInt64 = 0x3fe6_a09e_0000_0000
  /// `2⁵² + 2⁵¹`: adding it to a Double of magnitude below 2⁵¹ rounds it to an integer, which
  /// then sits in the low bits of the sum's significand.
  static let shifter = 0x1.8p52

  @inline(__always) static func bits(_ x: Lanes) -> LaneBits { unsafeBitCast(x, to: LaneBits.self) }
  @inline(__always) static func lanes(_ u: LaneBits) -> Lanes { unsafeBitCast(u, to: Lanes.self) }

  /// `|x|`, lanewise (clears the sign bit; NaN stays NaN).
  @inline(__always) static func abs(_ x: Lanes) -> Lanes { lanes(bits(x) & 0x7fff_ffff_ffff_ffff) }

  /// The biased exponent field of `bits` as an exact Double (`0…2047`), without the (scalarized
  /// before AVX-512) Int64 → Double conversion: `2⁵² + e` has `e` in its low significand bits.
  @inline(__always) static func exponentField(_ bits: LaneBits) -> Lanes {
    lanes((bits &>> 52) | 0x4330_0000_0000_0000) - 0x1p52
  }

  /// fdlibm's `log(1 + f)` core for `√2/2 − 1 ≤ f < √2 − 1`, plus `k·ln 2` and a correction `c`:
  /// `s·(hfsq + R) + (k·ln2Lo + c) − hfsq + f + k·ln2Hi`, in that order.
  ///
  /// Not inlined: Swift lowers `SIMD4<Double>` arithmetic lane by lane and relies on LLVM's SLP
  /// vectorizer to rebuild the vector operations; inlined into a large loss kernel, the
  /// polynomial came out partly scalar (measured: 15–20% slower with AVX2). Same operations,
  /// same results.
  @inline(never) static func logCore(f: Lanes, k: Lanes, c: Lanes) -> Lanes {
    let hfsq = 0.5 * f * f
    let s = f / (2 + f)
    let z = s * s
    let w = z * z
    let t1 = w * (lg2 + w * (lg4 + w * lg6))
    let t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
    let r = t2 + t1
    return s * (hfsq + r) + (k * ln2Lo + c) - hfsq + f + k * ln2Hi
  }

  /// `log(x) + c`, lanewise, for a small correction `c` (`|c| ≤ 2⁻⁵⁰` or so): `log(x + x·c)`
  /// to first order. Callers pass `c = e/x` when the argument is the unevaluated sum `x + e`
  /// (e.g. `ŷ + ϵ` split by ``TwoSum``), which removes the argument's rounding error.
  ///
  /// Scalar equivalent: `Foundation.log(x) + c`, with Julia's special values: `x < 0` → NaN (the
  /// losses turn that into a DomainError), `x == ±0` → −∞, `+∞` → +∞, NaN → NaN.
  @inline(__always) package static func log(_ x: Lanes, plus c: Lanes = .zero) -> Lanes {
    // The common case, every lane a positive normal number, without selects (Swift's SIMD masks
    // cost a shuffle sequence per select before AVX-512); anything else takes `logSpecial`.
    guard all((x .>= 0x1p-1022) .& (x .< .infinity)) else { return logSpecial(x, plus: c) }
    let ix = bits(x) &+ reductionOffset
    let k = exponentField(ix) - 1023
    let m = lanes((ix & significandMask) &+ sqrtHalfBits)
    return logCore(f: m - 1, k: k, c: c)
  }

  /// `x = 2ᵏ·(1 + f)` with `√2/2 − 1 ≤ f < √2 − 1`, for every positive finite `x`, subnormals
  /// included (scaled by 2⁵⁴ first): the reduction of the rare paths ``logSpecial(_:plus:)`` and
  /// ``logDDSpecial(_:plus:)``. Lanes that are 0, negative or not finite give garbage, which the
  /// callers replace.
  @inline(__always) static func reduceAny(_ x: Lanes) -> (f: Lanes, k: Lanes) {
    let subnormal = (x .< 0x1p-1022) .& (x .> 0)
    let ix = bits(x.replacing(with: x * 0x1p54, where: subnormal)) &+ reductionOffset
    let k = exponentField(ix) - 1023
    return (lanes((ix & significandMask) &+ sqrtHalfBits) - 1, k.replacing(with: k - 54, where: subnormal))
  }

  /// `log` for vectors with a subnormal, zero, negative, infinite or NaN lane.
  @inline(never)
  static func logSpecial(_ x: Lanes, plus c: Lanes) -> Lanes {
    let (f, k) = reduceAny(x)
    var r = logCore(f: f, k: k, c: c)
    r = r.replacing(with: -.infinity, where: x .== 0)
    r = r.replacing(with: .nan, where: x .< 0)
    r = r.replacing(with: x, where: (x .== .infinity) .| (x .!= x))
    return r
  }

  /// `log(1 + x)`, lanewise, accurate for tiny `x`: with `u = fl(1 + x)`, the rounding error
  /// `1 + x − u = x − (u − 1)` is exact (`u − 1` is exact for `u < 2⁵³`, and the difference is
  /// exact by Sterbenz's lemma; for larger `u` it is 0), and `log(1 + x) = log(u) + c` with
  /// `c = (x − (u − 1))/u` to first order (fdlibm's correction, without its branches).
  ///
  /// Scalar equivalent: `Foundation.log1p(x) + d`; `x < −1` → NaN, `−1` → −∞, `+∞` → +∞.
  /// `d` is a small correction folded in before the last roundings: pass `dx/(1 + x)` to get
  /// `log1p(x + dx)` when the argument is the unevaluated sum `x + dx`.
  @inline(__always) package static func log1p(_ x: Lanes, plus d: Lanes = .zero) -> Lanes {
    guard all((x .> -1) .& (x .< .infinity)) else { return log1pSpecial(x, plus: d) }
    let u = 1 + x
    let c = (x - (u - 1)) / u
    let iu = bits(u) &+ reductionOffset
    let k = exponentField(iu) - 1023
    let f = lanes((iu & significandMask) &+ sqrtHalfBits) - 1
    return logCore(f: f, k: k, c: c + d)
  }

  /// `log1p` for vectors with a lane at or below −1, infinite or NaN.
  @inline(never)
  static func log1pSpecial(_ x: Lanes, plus d: Lanes) -> Lanes {
    let safe = x.replacing(with: 0, where: .!((x .> -1) .& (x .< .infinity)))
    var r = log1p(safe, plus: d)
    r = r.replacing(with: -.infinity, where: x .== -1)
    r = r.replacing(with: .nan, where: x .< -1)
    r = r.replacing(with: x, where: (x .== .infinity) .| (x .!= x))
    return r
  }

  static let invLn2 = 1.44269504088896338700e+00
  // 1/k! for k = 2…13.
  static let e2 = 1.0 / 2
  static let e3 = 1.0 / 6
  static let e4 = 1.0 / 24
  static let e5 = 1.0 / 120
  static let e6 = 1.0 / 720
  static let e7 = 1.0 / 5040
  static let e8 = 1.0 / 40320
  static let e9 = 1.0 / 362_880
  static let e10 = 1.0 / 3_628_800
  static let e11 = 1.0 / 39_916_800
  static let e12 = 1.0 / 479_001_600
  static let e13 = 1.0 / 6_227_020_800

  /// `2ᵏ` for integral `k` (as a Double) with `−1022 ≤ k ≤ 1023`, built from the bits.
  @inline(__always) static func powerOfTwo(_ k: Lanes) -> Lanes {
    lanes((bits(k + shifter) &+ 1023) &<< 52)
  }

  /// `e^x`, lanewise.
  ///
  /// Scalar equivalent: `Foundation.exp(x)`: NaN → NaN, −∞ → 0, +∞ → +∞.
  @inline(__always) package static func exp(_ x: Lanes) -> Lanes {
    guard all(x .== x) else { return expSpecial(x) }
    // Beyond [−746, 710] the result is 0 or +∞ anyway; clamping keeps k in range.
    // (Two selects rather than `clamped`, which the compiler scalarizes; the same values for
    // the non-NaN lanes that reach here.)
    let xc = x.replacing(with: 710, where: x .> 710).replacing(with: -746, where: x .< -746)
    let k = (xc * invLn2 + shifter) - shifter
    let r = (xc - k * ln2Hi) - k * ln2Lo
    var q = Lanes(repeating: e13)
    q = q * r + e12
    q = q * r + e11
    q = q * r + e10
    q = q * r + e9
    q = q * r + e8
    q = q * r + e7
    q = q * r + e6
    q = q * r + e5
    q = q * r + e4
    q = q * r + e3
    q = q * r + e2
    let p = 1 + (r + (r * r) * q)
    // 2ᵏ = 2^k1 · 2^k2, each factor normal for k ∈ [−1076, 1025]: the first product is exact,
    // the second rounds once (to a subnormal, or to +∞).
    let k1 = (k * 0.5 + shifter) - shifter
    let k2 = k - k1
    return (p * powerOfTwo(k1)) * powerOfTwo(k2)
  }

  /// `exp` for vectors with a NaN lane.
  @inline(never)
  static func expSpecial(_ x: Lanes) -> Lanes {
    exp(x.replacing(with: 0, where: x .!= x)).replacing(with: x, where: x .!= x)
  }
}

extension VectorMath {
  /// Scalar conveniences for the rare scalar paths (one lane used).
  @inline(__always) package static func log(_ x: Double, plus c: Double = 0) -> Double {
    log(Lanes(repeating: x), plus: Lanes(repeating: c))[0]
  }
  @inline(__always) package static func log1p(_ x: Double) -> Double { log1p(Lanes(repeating: x))[0] }
  @inline(__always) package static func exp(_ x: Double) -> Double { exp(Lanes(repeating: x))[0] }
}

// MARK: Double-double logarithms (the Float64 terms)

extension VectorMath {
  /// `log(x) + c` as an unevaluated sum `hi + lo`, lanewise, for the Float64 terms whose
  /// logarithm is multiplied or cancelled (poisson_loss's `ŷ − y·log ŷ` near its minimum, msle's
  /// square, kldivergence far from a fit), where a rounded `log` would cost a few ulps of the loss.
  ///
  /// fdlibm's reduction `x = 2ᵏ·(1 + f)` and `log(1 + f) = 2s + s·R(s²)`, `s = f/(2 + f)`, with
  /// `2 + f` and `s` carried as exact or double-double values (error-free sums and products) and
  /// `k·ln2Hi + 2s` summed exactly; only the tail `s·R(s²)` (at most 2% of `2s`) is rounded.
  /// Error: fdlibm's polynomial is within 2⁻⁵⁸·⁴⁵ of `R`, i.e. 2⁻⁵⁹·⁴⁵ relative to `log(1 + f)`,
  /// and the tail's roundings add about 2⁻⁵⁹, so `hi + lo` is within about 2⁻⁵⁸ relative of
  /// `log(x) + log(1 + c)` for a small correction `c` (`|c| ≤ 2⁻⁵⁰`, added as `c − c²/2`).
  /// `Float64ParityTests` checks the bound on `2ᵏ` (against `k·ln 2` in double-double) and on
  /// `1 ± 2⁻ʲ` (against the series), and the losses built on it against LossSpec.
  ///
  /// Subnormal lanes are scaled exactly first; zero, negative, infinite and NaN lanes get
  /// `(log(x, plus: c), 0)`.
  @inline(__always) package static func logDD(_ x: Lanes, plus c: Lanes = .zero) -> (hi: Lanes, lo: Lanes) {
    guard all((x .>= 0x1p-1022) .& (x .< .infinity)) else { return logDDSpecial(x, plus: c) }
    let ix = bits(x) &+ reductionOffset
    let k = exponentField(ix) - 1023
    let m = lanes((ix & significandMask) &+ sqrtHalfBits)
    return logCoreDD(f: m - 1, k: k, c: c)
  }

  /// `k·ln 2 + log(1 + f) + c` as `hi + lo` (see ``logDD(_:plus:)``).
  @inline(never) static func logCoreDD(f: Lanes, k: Lanes, c: Lanes) -> (hi: Lanes, lo: Lanes) {
    // 2 + f = dh + dl exactly; s = f/(2 + f) = sh + sl, the quotient's remainder f − sh·dh
    // exact (sh·dh = ph + pl exactly, and f − ph is exact by Sterbenz's lemma).
    let (dh, dl) = twoSum(Lanes(repeating: 2), f)
    let sh = f / dh
    let (ph, pl) = twoProduct(sh, dh)
    let sl = (((f - ph) - pl) - sh * dl) / dh
    let z = sh * sh
    let w = z * z
    let t1 = w * (lg2 + w * (lg4 + w * lg6))
    let t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
    let r = t2 + t1
    // k·ln2Hi and 2·sh are exact; their sum and c are added exactly. log(1 + c) = c − c²/2 +
    // O(c³): c and its second-order term matter where the result is itself about c (log1pDD of
    // a tiny x, where 1 + x rounds to 1).
    let (h0, l0) = twoSum(k * ln2Hi, 2 * sh)
    let (h1, l1) = twoSum(h0, c)
    let lo = (l0 + l1) + (2 * sl + (sh * r + (k * ln2Lo - 0.5 * c * c)))
    let hi = h1 + lo
    return (hi, lo - (hi - h1))
  }

  /// ``logDD(_:plus:)`` for vectors with a lane that is not a positive normal number: subnormal
  /// lanes scaled by 2⁵⁴ (exactly) first, the others `(log(x, plus: c), 0)`.
  @inline(never) static func logDDSpecial(_ x: Lanes, plus c: Lanes) -> (hi: Lanes, lo: Lanes) {
    let finite = (x .> 0) .& (x .< .infinity)
    let (f, k) = reduceAny(x.replacing(with: 1, where: .!finite))
    let (hi, lo) = logCoreDD(f: f, k: k, c: c)
    return (hi.replacing(with: log(x, plus: c), where: .!finite), lo.replacing(with: 0, where: .!finite))
  }

  /// `log(1 + x) + d` as `hi + lo`, lanewise, within about 2⁻⁵⁸ relative: `1 + x = uh + ul`
  /// exactly (TwoSum), then `log(uh) + log(1 + c)`, `c = (ul + d)/uh`, as ``logDD(_:plus:)``
  /// (`c − c²/2`; the neglected `c³/3` is below 2⁻¹⁰⁶ of `c`). Pass `d = dx/(1 + x)` for
  /// `log1p(x + dx)` of an unevaluated sum. `x ≤ −1`, `+∞`, NaN: ``log1p(_:plus:)``'s values.
  @inline(__always) package static func log1pDD(_ x: Lanes, plus d: Lanes = .zero) -> (hi: Lanes, lo: Lanes) {
    guard all((x .> -1) .& (x .< .infinity)) else {
      let inside = (x .> -1) .& (x .< .infinity)
      let (hi, lo) = log1pDD(x.replacing(with: 0, where: .!inside), plus: d)
      return (hi.replacing(with: log1p(x, plus: d), where: .!inside), lo.replacing(with: 0, where: .!inside))
    }
    let (uh, ul) = twoSum(Lanes(repeating: 1), x)
    return logDD(uh, plus: (ul + d) / uh)
  }

  /// `x·(hi + lo)` as `hi + lo` (an error-free product of the high parts).
  @inline(__always) static func scaledDD(_ x: Lanes, _ v: (hi: Lanes, lo: Lanes)) -> (hi: Lanes, lo: Lanes) {
    let (ph, pl) = twoProduct(x, v.hi)
    return (ph, pl + x * v.lo)
  }
}
