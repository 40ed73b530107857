/// Elementary functions for the terms of **Float32** losses: `log`, `log1p` and `exp` on four
/// Double lanes with short polynomials, accurate to about 2⁻³² relative — eight bits beyond a
/// Float ulp, a fraction of the cost of ``VectorMath``'s full-precision kernels (no division,
/// degree 9 instead of fdlibm's degree 14 after a division).
///
/// | kernel | lane `i` computes | relative error (bound asserted in `ShortMathTests`, every Float input with `LOSSFAST_EXHAUSTIVE=1`) |
/// |---|---|---|
/// | `log(x)` | `log(x[i])` | ≤ 2⁻³²·⁵ (measured 2⁻³²·⁷⁸: the polynomial's error) |
/// | `log1p(x)` | `log(1 + x[i])`, for `x > −1` | ≤ 2⁻³²·⁵ (measured 2⁻³²·⁷⁸) |
/// | `exp(x)` | `e^x[i]` | ≤ 2⁻³³ (measured 2⁻³³·²⁸) above −708; 0 below (`e^x < 2⁻¹⁰²¹`), unless another lane exceeds 709 |
///
/// Non-normal arguments (zero, subnormal, negative, infinite, NaN) take ``VectorMath``'s kernels,
/// so the special values are exactly theirs (`log(0) = −∞`, `log(−1) = NaN`, …).
///
/// Why this is enough: a Float32 loss is a sum of terms rounded once to Float. With each term in
/// error by at most `2⁻³²·mᵢ` (`mᵢ`, the term's *magnitude*, bounds the parts that carry kernel
/// error), the sum errs by at most `2⁻³²·Σmᵢ`; the reductions check `Σmᵢ ≤ 16·|Σ|` and recompute
/// with ``VectorMath`` otherwise, so the result before its rounding to Float is within `2⁻²⁸`
/// relative — a sixteenth of a Float ulp — and the rounded result is faithful (and correctly
/// rounded unless the exact value lies within 2⁻²⁸ of a rounding boundary).
///
/// The coefficients were fitted for the relative error of the whole function (Lawson's iteratively
/// reweighted least squares on 6 000 Chebyshev nodes, mpmath values at 150 bits; the script is in
/// `scripts/fit-short-math.py`, which prints these constants).
package enum ShortMath {
  static let ln2 = 0x1.62e42fefa39efp-1
  /// `log(1 + f) = f − f²/2 + f³·P(f)` on `√2/2 − 1 ≤ f < √2 − 1`: P's coefficients, degree 9
  /// (relative error of the whole `log(1 + f)` below 2⁻³²·⁷⁸ on the interval).
  static let l0 = 0x1.555554af2762cp-2
  static let l1 = -0x1.ffffd3a8bf0a6p-3
  static let l2 = 0x1.999a131c2b9eap-3
  static let l3 = -0x1.5563b2010b12dp-3
  static let l4 = 0x1.248f2760222d6p-3
  static let l5 = -0x1.fce730b4c4807p-4
  static let l6 = 0x1.c40b1f09dda66p-4
  static let l7 = -0x1.bb2bf19509c0dp-4
  static let l8 = 0x1.b37c58a27a8bcp-4
  static let l9 = -0x1.e99cfa39e1837p-5
  /// `e^r = 1 + r + r²/2 + r³·Q(r)` on `|r| ≤ ln 2 / 2`: Q's coefficients, degree 4 (relative
  /// error of `e^r` below 2⁻³³·²⁸).
  static let e0 = 0x1.555553e03bf04p-3
  static let e1 = 0x1.5554e713d9b66p-5
  static let e2 = 0x1.1113305252903p-7
  static let e3 = 0x1.6d4dc6e370fd5p-10
  static let e4 = 0x1.9dd73112603cbp-13

  /// `k·ln 2 + log(1 + f)` for `√2/2 − 1 ≤ f < √2 − 1` (Estrin's scheme: short dependency chains).
  /// With `LOSSFAST_FMA` (native builds, Package.swift) every `a + b·c` is one fused
  /// multiply-add: 1.4× faster and rounded once instead of twice; the bounds hold either way.
  @inline(__always) static func logCore(_ f: Lanes, _ k: Lanes) -> Lanes {
    let f2 = f * f
    let f4 = f2 * f2
    #if LOSSFAST_FMA
      let p01 = Lanes(repeating: l0).addingProduct(l1, f)
      let p23 = Lanes(repeating: l2).addingProduct(l3, f)
      let p45 = Lanes(repeating: l4).addingProduct(l5, f)
      let p67 = Lanes(repeating: l6).addingProduct(l7, f)
      let p89 = Lanes(repeating: l8).addingProduct(l9, f)
      let p = p01.addingProduct(f2, p23).addingProduct(f4, p45.addingProduct(f2, p67).addingProduct(f4, p89))
      return f.addingProduct(f2, Lanes(repeating: -0.5).addingProduct(f, p)).addingProduct(k, ln2)
    #else
      let p01 = l0 + l1 * f
      let p23 = l2 + l3 * f
      let p45 = l4 + l5 * f
      let p67 = l6 + l7 * f
      let p89 = l8 + l9 * f
      let p = (p01 + f2 * p23) + f4 * ((p45 + f2 * p67) + f4 * p89)
      return k * ln2 + (f + f2 * (f * p - 0.5))
    #endif
  }

  /// `log(x)`, lanewise; ``VectorMath/log(_:plus:)`` for a vector with a lane that is not a
  /// positive normal finite number.
  @inline(__always) package static func log(_ x: Lanes) -> Lanes {
    guard all((x .>= 0x1p-1022) .& (x .< .infinity)) else { return logFallback(x) }
    let ix = VectorMath.bits(x) &+ VectorMath.reductionOffset
    let k = VectorMath.exponentField(ix) - 1023
    let f = VectorMath.lanes((ix & VectorMath.significandMask) &+ VectorMath.sqrtHalfBits) - 1
    return logCore(f, k)
  }

  /// `log(1 + x)`, lanewise, relative accuracy kept for tiny `x`: `u = fl(1 + x)` and
  /// `log(1 + x) = log(u) + (x − (u − 1))/u`, the last quotient replaced by its numerator where
  /// `|x| ≤ ½` (an error of at most `2⁻⁵³·|x|`) and by 0 elsewhere (`u`'s rounding error is then
  /// below `2⁻⁵³·u`, an absolute error of `2⁻⁵³` in the logarithm, relative `2⁻⁵²`).
  /// ``VectorMath/log1p(_:plus:)`` for a vector with a lane at or below −1, infinite or NaN.
  @inline(__always) package static func log1p(_ x: Lanes) -> Lanes {
    guard all((x .> -1) .& (x .< .infinity)) else { return log1pFallback(x) }
    let u = 1 + x
    let c = (x - (u - 1)).replacing(with: 0, where: VectorMath.abs(x) .> 0.5)
    // u ≥ 2⁻⁵³ > 0 is normal for x > −1 (1 + x rounds to a multiple of 2⁻⁵³).
    let iu = VectorMath.bits(u) &+ VectorMath.reductionOffset
    let k = VectorMath.exponentField(iu) - 1023
    let f = VectorMath.lanes((iu & VectorMath.significandMask) &+ VectorMath.sqrtHalfBits) - 1
    return logCore(f, k) + c
  }

  /// `e^x`, lanewise; `+0` below −708 (`e^x < 2⁻¹⁰²¹`, far below any Float result and below
  /// `2⁻⁹⁷⁰` of a term ≥ 1 it is added to); ``VectorMath/exp(_:)`` for a vector with a NaN lane
  /// or a lane above 709 (where Double's exponent range ends).
  @inline(__always) package static func exp(_ x: Lanes) -> Lanes {
    guard all(x .<= 709) else { return expFallback(x) }  // also false for NaN
    let tiny = x .< -708
    let xc = x.replacing(with: 0, where: tiny)
    let k = (xc * VectorMath.invLn2 + VectorMath.shifter) - VectorMath.shifter
    let r = (xc - k * VectorMath.ln2Hi) - k * VectorMath.ln2Lo
    let r2 = r * r
    #if LOSSFAST_FMA
      let q = Lanes(repeating: e0).addingProduct(e1, r).addingProduct(
        r2, Lanes(repeating: e2).addingProduct(e3, r).addingProduct(e4, r2))
      let p = 1 + r.addingProduct(r2, Lanes(repeating: 0.5).addingProduct(r, q))
    #else
      let q = (e0 + e1 * r) + r2 * ((e2 + e3 * r) + r2 * e4)
      let p = 1 + (r + r2 * (0.5 + r * q))
    #endif
    // k ∈ [−1022, 1023]: 2ᵏ is a normal Double, built from the bits.
    return (p * VectorMath.powerOfTwo(k)).replacing(with: 0, where: tiny)
  }

  // The rare paths, out of line so that the short kernels stay small where they are inlined.
  @inline(never) static func logFallback(_ x: Lanes) -> Lanes { VectorMath.log(x) }
  @inline(never) static func log1pFallback(_ x: Lanes) -> Lanes { VectorMath.log1p(x) }
  @inline(never) static func expFallback(_ x: Lanes) -> Lanes { VectorMath.exp(x) }
}
