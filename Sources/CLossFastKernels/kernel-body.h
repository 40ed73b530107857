// The kernels of one path, included once per path by kernels.c with `S(name)` giving each
// function a path-specific name and `ATTR` its target attribute (an always-inline helper may not
// take or return 512-bit vectors across a change of target: each path has its own copies).
INLINE v8d S(splat)(double x) { return (v8d){x, x, x, x, x, x, x, x}; }
INLINE v8d S(fma_)(v8d a, v8d b, v8d c) { return __builtin_elementwise_fma(a, b, c); }
INLINE v8d S(sel)(v8l mask, v8d a, v8d b) { return (v8d)(((v8l)a & mask) | ((v8l)b & ~mask)); }
INLINE v8d S(vabs)(v8d x) { return (v8d)((v8u)x & 0x7fffffffffffffffULL); }
INLINE int S(any)(v8l mask) { return __builtin_reduce_or(mask) != 0; }
INLINE int S(all)(v8l mask) { return __builtin_reduce_and(mask) == -1; }
INLINE v8d S(load8)(const float *p) {
  v8f f;
  memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, v8d);
}
/// Lanes `0 ..< count` of `p`, the others 1 (a harmless argument for every term).
INLINE v8d S(loadPartial)(const float *p, size_t count) {
  float buffer[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  memcpy(buffer, p, count * sizeof(float));
  return S(load8)(buffer);
}
INLINE v8l S(leadingLanes)(size_t count) {
  v8l index = {0, 1, 2, 3, 4, 5, 6, 7};
  return index < (long)count;
}

// MARK: Elementary functions (ShortMath.swift's, with fused multiply-adds)

/// `k·ln 2 + log(1 + f)` for `√2/2 − 1 ≤ f < √2 − 1` (relative error below 2⁻³²·⁷⁸).
INLINE v8d S(logCore)(v8d f, v8d k) {
  v8d f2 = f * f;
  v8d f4 = f2 * f2;
  v8d p01 = S(fma_)(S(splat)(l1), f, S(splat)(l0));
  v8d p23 = S(fma_)(S(splat)(l3), f, S(splat)(l2));
  v8d p45 = S(fma_)(S(splat)(l5), f, S(splat)(l4));
  v8d p67 = S(fma_)(S(splat)(l7), f, S(splat)(l6));
  v8d p89 = S(fma_)(S(splat)(l9), f, S(splat)(l8));
  v8d p = S(fma_)(f4, S(fma_)(f4, p89, S(fma_)(f2, p67, p45)), S(fma_)(f2, p23, p01));
  return S(fma_)(k, S(splat)(ln2), S(fma_)(f2, S(fma_)(f, p, S(splat)(-0.5)), f));
}

/// `x = 2ᵏ·(1 + f)` split for ``logCore``, for positive normal finite `x`.
INLINE v8d S(reduce)(v8d x, v8d *k) {
  v8u ix = (v8u)x + 0x00095f6200000000ULL;
  *k = (v8d)((ix >> 52) | 0x4330000000000000ULL) - S(splat)(0x1p52 + 1023);
  return (v8d)((ix & 0x000fffffffffffffULL) + 0x3fe6a09e00000000ULL) - S(splat)(1);
}

/// `log(x)` for lanes that are not positive normal finite numbers (and any others): `−∞` at
/// ±0, NaN below 0 and for NaN, `+∞` at `+∞`, subnormals scaled by 2⁵⁴ first.
NOINLINE void S(logSpecial)(const double *in, double *out) {
  for (int j = 0; j < 8; j++) {
    double x = in[j];
    if (x >= 0x1p-1022 && x < INFINITY) continue;
    double r;
    if (x == 0) {
      r = -INFINITY;
    } else if (!(x > 0)) {
      r = NAN;
    } else if (x == INFINITY) {
      r = INFINITY;
    } else {
      // Subnormal: 2⁵⁴·x is normal; the same reduction and polynomial as the vector lanes,
      // so the value does not depend on the path.
      v8d k;
      v8d f = S(reduce)(S(splat)(x * 0x1p54), &k);
      r = S(logCore)(f, k - S(splat)(54))[0];
    }
    out[j] = r;
  }
}

INLINE v8d S(vlog)(v8d x) {
  v8l normal = (x >= S(splat)(0x1p-1022)) & (x < S(splat)(INFINITY));
  v8d xs = S(sel)(normal, x, S(splat)(1));
  v8d k;
  v8d f = S(reduce)(xs, &k);
  v8d r = S(logCore)(f, k);
  if (__builtin_expect(S(any)(~normal), 0)) {
    double in[8], out[8];
    memcpy(in, &x, sizeof in);
    memcpy(out, &r, sizeof out);
    S(logSpecial)(in, out);
    memcpy(&r, out, sizeof out);
  }
  return r;
}

/// `log(1 + x)` for `x > −1`, relative accuracy kept for tiny `x` (ShortMath.log1p's
/// correction `x − (u − 1)` where `|x| ≤ ½`); NaN for NaN, `+∞` at `+∞`, `−∞` at −1, NaN below.
INLINE v8d S(vlog1p)(v8d x) {
  v8l inside = (x > S(splat)(-1)) & (x < S(splat)(INFINITY));
  v8d xs = S(sel)(inside, x, S(splat)(0));
  v8d u = S(splat)(1) + xs;
  v8d c = S(sel)(S(vabs)(xs) > S(splat)(0.5), S(splat)(0), xs - (u - S(splat)(1)));
  v8d k;
  v8d f = S(reduce)(u, &k);
  v8d r = S(logCore)(f, k) + c;
  if (__builtin_expect(S(any)(~inside), 0)) {
    r = S(sel)(x == S(splat)(INFINITY), x, r);
    r = S(sel)(x == S(splat)(-1), S(splat)(-INFINITY), r);
    r = S(sel)((x < S(splat)(-1)) | (x != x), S(splat)(NAN), r);
  }
  return r;
}

/// `eˣ` for `x ≤ 0` (the only arguments here: `e^−|ŷ|`) and NaN: `+0` below −708
/// (`eˣ < 2⁻¹⁰²¹`), relative error below 2⁻³³·²⁸ elsewhere.
INLINE v8d S(vexpNonPositive)(v8d x) {
  v8l tiny = x < S(splat)(-708);
  v8d xc = S(sel)(tiny, S(splat)(0), x);
  v8d k = (xc * S(splat)(invLn2) + S(splat)(shifter)) - S(splat)(shifter);
  v8d r = (xc - k * S(splat)(ln2Hi)) - k * S(splat)(ln2Lo);
  v8d r2 = r * r;
  v8d q = S(fma_)(r2, S(fma_)(S(splat)(e4), r2, S(fma_)(S(splat)(e3), r, S(splat)(e2))), S(fma_)(S(splat)(e1), r, S(splat)(e0)));
  v8d p = S(splat)(1) + S(fma_)(r2, S(fma_)(r, q, S(splat)(0.5)), r);
  v8d scale = (v8d)(((v8u)(k + S(splat)(shifter)) + 1023) << 52);
  return S(sel)(tiny, S(splat)(0), p * scale);
}

// MARK: The terms (value, and magnitude `m`: the term errs by at most 2⁻³²·m)

/// `S(xlogy)(x, arg)`: 0 where `x == 0` and `arg` is not negative.
INLINE v8d S(xlogy)(v8d x, v8d arg) {
  v8d r = x * S(vlog)(arg);
  return S(sel)((x == S(splat)(0)) & ~(arg < S(splat)(0)), S(splat)(0), r);
}

/// `log(n/d)`: `log(1 + t)` with `1 + t`'s rounding error added near a fit (`|t| ≤ ½`,
/// `t = (n − d)/d`), else `log(n·(1/d))`; `n` replaced by `d` where `zero`.
INLINE v8d S(logRatio)(v8d n, v8d d, v8l zero) {
  v8d inv = S(splat)(1) / d;
  v8d t = (n - d) * inv;
  v8l near = S(vabs)(t) <= S(splat)(0.5);
  v8d x = S(sel)(near, S(splat)(1) + t, S(sel)(zero, S(splat)(1), n * inv));
  v8d c = S(sel)(near, t - (x - S(splat)(1)), S(splat)(0));
  return S(vlog)(x) + c;
}

INLINE v8d S(msleTerm)(v8d p, v8d y, double eps, v8d *m) {
  v8d l = S(logRatio)(p + S(splat)(eps), y + S(splat)(eps), (v8l){0});
  v8d v = l * l;
  *m = v + v;
  return v;
}

INLINE v8d S(bceTerm)(v8d p, v8d y, double eps, v8d *m) {
  v8d first = S(xlogy)(y, p + S(splat)(eps));
  v8d second = S(xlogy)(S(splat)(1) - y, (S(splat)(1) - p) + S(splat)(eps));
  *m = S(vabs)(first) + S(vabs)(second);
  return -first - second;
}

INLINE v8d S(logitbceTerm)(v8d p, v8d y, double eps, v8d *m) {
  (void)eps;
  v8d tail = S(vlog1p)(S(vexpNonPositive)(-S(vabs)(p)));
  v8d linear = S(sel)(p > S(splat)(0), (S(splat)(1) - y) * p, -(y * p));
  *m = S(splat)(2) * tail + S(splat)(0x1p-20) * S(vabs)(linear);
  return linear + tail;
}

INLINE v8d S(poissonTerm)(v8d p, v8d y, double eps, v8d *m) {
  (void)eps;
  v8d l = S(xlogy)(y, p);
  *m = S(vabs)(l) + S(splat)(0x1p-20) * S(vabs)(p);
  return p - l;
}

INLINE v8d S(xlogyTerm)(v8d p, v8d y, double eps, v8d *m) {
  v8d v = S(xlogy)(y, p + S(splat)(eps));
  *m = S(vabs)(v);
  return v;
}

INLINE v8d S(klTerm)(v8d p, v8d y, double eps, v8d *m) {
  v8d q = p + S(splat)(eps);
  v8l yZero = y == S(splat)(0);
  v8d l = S(logRatio)(y, q, yZero);
  v8d v = S(sel)(yZero & ~(q < S(splat)(0)), S(splat)(0), y * l);
  v = S(sel)((y < S(splat)(0)) | (q < S(splat)(0)), S(splat)(NAN), v);
  v8d a = S(vabs)(v);
  *m = a + a;
  return v;
}

// The memory-bound terms (Float data: in Double these are exact or rounded once or twice, far
// below a Float ulp; no magnitude needed, so `m` is 0). The same operations, in the same order,
// as LossFast's Swift kernels for Float data (ElementwiseTerms.swift, PlainAccumulator).

INLINE v8d S(maeTerm)(v8d p, v8d y, double eps, v8d *m) {
  (void)eps;
  *m = S(splat)(0);
  return S(vabs)(p - y);
}

INLINE v8d S(mseTerm)(v8d p, v8d y, double eps, v8d *m) {
  (void)eps;
  v8d d = p - y;
  *m = S(splat)(0);
  return d * d;
}

/// `eps` is δ: `½e²` for `e = |ŷ − y| < δ`, else `δ(e − δ/2)`; NaN propagates.
INLINE v8d S(huberTerm)(v8d p, v8d y, double delta, v8d *m) {
  v8d e = S(vabs)(p - y);
  v8d linear = S(splat)(delta) * (e - S(splat)(0.5 * delta));
  *m = S(splat)(0);
  return S(sel)(e < S(splat)(delta), (S(splat)(0.5) * e) * e, linear);
}

/// `max(0, 1 − ŷ·y)` (the product of two Floats is exact in Double), NaN propagated.
INLINE v8d S(hingeMargin)(v8d p, v8d y) {
  v8d r = S(splat)(1) - p * y;
  return S(sel)(r < S(splat)(0), S(splat)(0), r);
}

INLINE v8d S(hingeTerm)(v8d p, v8d y, double eps, v8d *m) {
  (void)eps;
  *m = S(splat)(0);
  return S(hingeMargin)(p, y);
}

INLINE v8d S(squaredHingeTerm)(v8d p, v8d y, double eps, v8d *m) {
  (void)eps;
  v8d h = S(hingeMargin)(p, y);
  *m = S(splat)(0);
  return h * h;
}

// MARK: The chunk loops, one per term

/// A term of the chunk loops: its value returned, its magnitude (Float data) or low part (Float64
/// data) in `*m`.
typedef v8d (*S(TermF32))(v8d p, v8d y, double eps, v8d *m);

/// Two accumulators, sixteen elements a step; a remainder of eight or more as one full vector
/// into the first, the rest as one masked vector into the second (the order of LossFast's
/// Swift loops, with twice the width). `term` is a constant in each caller below, so it is
/// inlined there when optimizing; unoptimized (debug) builds call it, which keeps each kernel's
/// frame to its own term's variables.
INLINE void S(sum)(S(TermF32) term, const float *p, const float *y, size_t n, double eps, lfk_partials *out) {
  v8d v0 = S(splat)(0), v1 = S(splat)(0), m0 = S(splat)(0), m1 = S(splat)(0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v8d a, b;
    v0 += term(S(load8)(p + i), S(load8)(y + i), eps, &a);
    v1 += term(S(load8)(p + i + 8), S(load8)(y + i + 8), eps, &b);
    m0 += a;
    m1 += b;
  }
  if (i + 8 <= n) {
    v8d a;
    v0 += term(S(load8)(p + i), S(load8)(y + i), eps, &a);
    m0 += a;
    i += 8;
  }
  if (i < n) {
    v8l keep = S(leadingLanes)(n - i);
    v8d b;
    v8d t = term(S(loadPartial)(p + i, n - i), S(loadPartial)(y + i, n - i), eps, &b);
    v1 += S(sel)(keep, t, S(splat)(0));
    m1 += S(sel)(keep, b, S(splat)(0));
  }
  memcpy(out->value, &v0, sizeof v0);
  memcpy(out->value + 8, &v1, sizeof v1);
  memcpy(out->magnitude, &m0, sizeof m0);
  memcpy(out->magnitude + 8, &m1, sizeof m1);
}

/// One chunk loop per term, `term` a constant in each (so each is specialized).
#define SUM_KERNEL(name, term)                                                                    \
  NOINLINE void S(name)(const float *p, const float *y, size_t n, double eps, lfk_partials *out) { \
    S(sum)(term, p, y, n, eps, out);                                                               \
  }
SUM_KERNEL(msle, S(msleTerm))
SUM_KERNEL(bce, S(bceTerm))
SUM_KERNEL(logitbce, S(logitbceTerm))
SUM_KERNEL(poisson, S(poissonTerm))
SUM_KERNEL(xlogySum, S(xlogyTerm))
SUM_KERNEL(kl, S(klTerm))
SUM_KERNEL(mae, S(maeTerm))
SUM_KERNEL(mse, S(mseTerm))
SUM_KERNEL(huber, S(huberTerm))
SUM_KERNEL(hinge, S(hingeTerm))
SUM_KERNEL(squaredHinge, S(squaredHingeTerm))
#undef SUM_KERNEL

static void (*const S(sums)[LFK_TERM_COUNT])(const float *, const float *, size_t, double, lfk_partials *) = {
  S(msle), S(bce), S(logitbce), S(poisson), S(xlogySum), S(kl), S(mae), S(mse), S(huber), S(hinge), S(squaredHinge),
};

NOINLINE void S(shortSum)(int term, const float *p, const float *y, size_t n, double eps, lfk_partials *out) {
  S(sums)[term](p, y, n, eps, out);
}

/// dice's parts (`kind` 0): `(ŷ − y)²`, `y² + ŷ²`, 0; tversky's (1, 2): `yŷ`,
/// `β((1 − y)ŷ) + (1 − β)(y(1 − ŷ))`, `βŷ + (1 − β)y` (OverlapLosses.swift's order, each `β·a + b`
/// fused).
INLINE void S(overlapTerms)(int kind, v8d p, v8d y, double beta, v8d t[3]) {
  if (kind == LFK_OVERLAP_DICE) {
    v8d d = p - y;
    t[0] = d * d;
    t[1] = y * y + p * p;
    t[2] = S(splat)(0);
  } else {
    v8d one = S(splat)(1);
    // The products of two Floats are exact in Double; β·a + b rounded once (a fused multiply-add:
    // one rounding fewer than the Swift kernel's, and two instructions fewer).
    t[0] = y * p;
    t[1] = S(fma_)(S(splat)(beta), (one - y) * p, S(splat)(1 - beta) * (y * (one - p)));
    t[2] = S(fma_)(S(splat)(beta), p, S(splat)(1 - beta) * y);
  }
}

/// The three overlap sums, two accumulator sets, sixteen elements a step (the tail as in
/// `S(sum)`).
INLINE void S(overlapSum)(int kind, const float *p, const float *y, size_t n, double beta, double *sums) {
  v8d a[3] = {S(splat)(0), S(splat)(0), S(splat)(0)}, b[3] = {S(splat)(0), S(splat)(0), S(splat)(0)};
  // dice's third sum is 0, and tversky's value needs no first: those stay 0.
  int first = kind == LFK_OVERLAP_TVERSKY_VALUE ? 1 : 0, last = kind == LFK_OVERLAP_DICE ? 2 : 3;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v8d t[3], u[3];
    S(overlapTerms)(kind, S(load8)(p + i), S(load8)(y + i), beta, t);
    S(overlapTerms)(kind, S(load8)(p + i + 8), S(load8)(y + i + 8), beta, u);
    for (int k = first; k < last; k++) {
      a[k] += t[k];
      b[k] += u[k];
    }
  }
  if (i + 8 <= n) {
    v8d t[3];
    S(overlapTerms)(kind, S(load8)(p + i), S(load8)(y + i), beta, t);
    for (int k = first; k < last; k++) a[k] += t[k];
    i += 8;
  }
  if (i < n) {
    v8l keep = S(leadingLanes)(n - i);
    v8d u[3];
    S(overlapTerms)(kind, S(loadPartial)(p + i, n - i), S(loadPartial)(y + i, n - i), beta, u);
    for (int k = first; k < last; k++) b[k] += S(sel)(keep, u[k], S(splat)(0));
  }
  for (int k = 0; k < 3; k++) {
    memcpy(sums + 16 * k, &a[k], sizeof a[k]);
    memcpy(sums + 16 * k + 8, &b[k], sizeof b[k]);
  }
}

NOINLINE void S(overlapSums)(int kind, const float *p, const float *y, size_t n, double beta, double *sums) {
  if (kind == LFK_OVERLAP_DICE) {
    S(overlapSum)(LFK_OVERLAP_DICE, p, y, n, beta, sums);
  } else if (kind == LFK_OVERLAP_TVERSKY) {
    S(overlapSum)(LFK_OVERLAP_TVERSKY, p, y, n, beta, sums);
  } else {
    S(overlapSum)(LFK_OVERLAP_TVERSKY_VALUE, p, y, n, beta, sums);
  }
}

// MARK: Float64 data: the memory-bound terms as double-doubles, compensated sums

INLINE v8d S(load8d)(const double *p) {
  v8d v;
  memcpy(&v, p, sizeof v);
  return v;
}
/// Lanes `0 ..< count` of `p`, the others 1.
INLINE v8d S(loadPartial8d)(const double *p, size_t count) {
  double buffer[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  memcpy(buffer, p, count * sizeof(double));
  return S(load8d)(buffer);
}
/// Knuth's TwoSum: `*e` is the rounding error of the returned `a + b`.
INLINE v8d S(twoSum)(v8d a, v8d b, v8d *e) {
  v8d s = a + b;
  v8d bb = s - a;
  *e = (a - (s - bb)) + (b - bb);
  return s;
}
/// `a·b` and, in `*e`, its rounding error (one fused multiply-add; exact barring underflow).
INLINE v8d S(twoProduct)(v8d a, v8d b, v8d *e) {
  v8d p = a * b;
  *e = S(fma_)(a, b, -p);
  return p;
}

// MARK: Float64 data: the terms with logarithms and exponentials, as double-doubles

/// `log(x) + c − c²/2` (that is `log(x·(1 + c))` for a small relative correction `c`,
/// `|c| ≤ 2⁻⁵⁰`) as `hi + *lo`, for positive finite `x` (subnormals scaled by 2⁵⁴ exactly
/// first); NaN in `hi` for `x ≤ 0`, `+∞` and NaN (the callers' rare path decides those).
///
/// LossFast's `VectorMath.logCoreDD` with fused multiply-adds: fdlibm's reduction
/// `x = 2ᵏ·(1 + f)`, `log(1 + f) = 2s + s·R(s²)` with `s = f/(2 + f)` carried as `sh + sl`
/// (`2 + f = dh + dl` exactly, `sh = f·(1/dh)`, the remainder `f − sh·dh` by one fused
/// multiply-add, so one division), `k·ln2Hi + 2sh` and `c` added exactly; only the tail
/// `s·R(s²)` (at most 2% of `2s`) and the low parts are rounded: within about 2⁻⁵⁸ relative.
INLINE v8d S(logDD)(v8d x, v8d c, v8d *lo) {
  v8l subnormal = x < S(splat)(0x1p-1022);
  v8d xs = S(sel)(subnormal, x * S(splat)(0x1p54), x);
  v8u ix = (v8u)xs + 0x00095f6200000000ULL;
  v8d k = (v8d)((ix >> 52) | 0x4330000000000000ULL) - S(splat)(0x1p52 + 1023);
  k = S(sel)(subnormal, k - S(splat)(54), k);
  v8d f = (v8d)((ix & 0x000fffffffffffffULL) + 0x3fe6a09e00000000ULL) - S(splat)(1);
  v8d dh = S(splat)(2) + f;
  v8d dl = f - (dh - S(splat)(2));  // |f| < 2: Fast2Sum, exact
  v8d inv = S(splat)(1) / dh;
  v8d sh = f * inv;
  v8d sl = (S(fma_)(-sh, dh, f) - sh * dl) * inv;
  v8d z = sh * sh;
  v8d w = z * z;
  v8d t1 = w * S(fma_)(w, S(fma_)(w, S(splat)(lg6), S(splat)(lg4)), S(splat)(lg2));
  v8d t2 = z * S(fma_)(w, S(fma_)(w, S(fma_)(w, S(splat)(lg7), S(splat)(lg5)), S(splat)(lg3)), S(splat)(lg1));
  v8d r = t2 + t1;
  v8d l0, l1;
  v8d h0 = S(twoSum)(k * S(splat)(ln2Hi), S(splat)(2) * sh, &l0);
  v8d h1 = S(twoSum)(h0, c, &l1);
  v8d low = (l0 + l1) + (S(splat)(2) * sl + (sh * r + (k * S(splat)(ln2Lo) - S(splat)(0.5) * c * c)));
  v8d hi = h1 + low;
  *lo = low - (hi - h1);
  v8l bad = ~((x > S(splat)(0)) & (x < S(splat)(INFINITY)));
  return S(sel)(bad, S(splat)(NAN), hi);
}

/// `e/s` (the relative correction of `log(s + e)` against `log(s)`), 0 where `e == 0`.
INLINE v8d S(correction)(v8d e, v8d s) { return S(sel)(e == S(splat)(0), S(splat)(0), e / s); }

/// `x·(hi + lo)` as a double-double (an error-free product of the high parts).
INLINE v8d S(scaledDD)(v8d x, v8d hi, v8d lo, v8d *outLo) {
  v8d e;
  v8d ph = S(twoProduct)(x, hi, &e);
  *outLo = e + x * lo;
  return ph;
}

/// `eˣ` for `x ≤ 0` and NaN, full precision (LossFast's `VectorMath.exp`, Horner's rule with
/// fused multiply-adds): `x = k·ln 2 + r`, the Taylor series to degree 13, `2ᵏ` in two exact
/// steps (subnormal results rounded once); 0 below −746.
INLINE v8d S(vexp64)(v8d x) {
  v8d xc = S(sel)(x < S(splat)(-746), S(splat)(-746), x);
  v8d k = (xc * S(splat)(invLn2) + S(splat)(shifter)) - S(splat)(shifter);
  v8d r = (xc - k * S(splat)(ln2Hi)) - k * S(splat)(ln2Lo);
  v8d q = S(splat)(1.0 / 6227020800);
  q = S(fma_)(q, r, S(splat)(1.0 / 479001600));
  q = S(fma_)(q, r, S(splat)(1.0 / 39916800));
  q = S(fma_)(q, r, S(splat)(1.0 / 3628800));
  q = S(fma_)(q, r, S(splat)(1.0 / 362880));
  q = S(fma_)(q, r, S(splat)(1.0 / 40320));
  q = S(fma_)(q, r, S(splat)(1.0 / 5040));
  q = S(fma_)(q, r, S(splat)(1.0 / 720));
  q = S(fma_)(q, r, S(splat)(1.0 / 120));
  q = S(fma_)(q, r, S(splat)(1.0 / 24));
  q = S(fma_)(q, r, S(splat)(1.0 / 6));
  q = S(fma_)(q, r, S(splat)(0.5));
  v8d p = S(splat)(1) + S(fma_)(r * r, q, r);
  v8d k1 = (k * S(splat)(0.5) + S(splat)(shifter)) - S(splat)(shifter);
  v8d k2 = k - k1;
  v8d s1 = (v8d)(((v8u)(k1 + S(splat)(shifter)) + 1023) << 52);
  v8d s2 = (v8d)(((v8u)(k2 + S(splat)(shifter)) + 1023) << 52);
  return (p * s1) * s2;
}

/// `xlogy(x, s·(1 + c))` as a double-double: 0 where `x == 0` and `s` is not negative.
INLINE v8d S(xlogyDD)(v8d x, v8d s, v8d c, v8d *lo) {
  v8d ll, pl;
  v8d lh = S(logDD)(s, c, &ll);
  v8d ph = S(scaledDD)(x, lh, ll, &pl);
  v8l zero = (x == S(splat)(0)) & ~(s < S(splat)(0));
  *lo = S(sel)(zero, S(splat)(0), pl);
  return S(sel)(zero, S(splat)(0), ph);
}

/// Lanes whose remainders or products could fall below the normal range (magnitudes below
/// 2⁻⁹⁶⁰, zero excepted): NaN there, so that the sum takes the rare path (LossFast's literal
/// terms, then the Swift kernels term by term).
INLINE v8l S(tinyNonzero)(v8d x) {
  v8d a = S(vabs)(x);
  return (a < S(splat)(0x1p-960)) & (a > S(splat)(0));
}

/// msle: `l²` with `l = log((ŷ + ϵ)/(y + ϵ))` a double-double (LossFast's `MSLETerm` compensated):
/// near a fit (`|q| ≤ ½`, `q = (ŷ − y)/(y + ϵ)`) `l = log1p(q + dq)` as `log(fl(1 + q))` plus the
/// relative correction of `1 + q`'s rounding error and `dq`; elsewhere `log(r)` of the rounded ratio
/// plus its relative error. Both are one `logDD`, the argument and correction selected first.
INLINE v8d S(msle64)(v8d p, v8d y, double eps, v8d *lo) {
  v8d e = S(splat)(eps);
  v8d ael, bel, dl, ul;
  v8d ah = S(twoSum)(p, e, &ael);
  v8d bh = S(twoSum)(y, e, &bel);
  v8d dh = S(twoSum)(p, -y, &dl);
  v8d ib = S(splat)(1) / bh;
  v8d q = dh * ib;
  v8d dq = (S(fma_)(-q, bh, dh) + (dl - q * bel)) * ib;
  v8d uh = S(twoSum)(S(splat)(1), q, &ul);
  v8d r = ah * ib;
  v8d rl = (S(fma_)(-r, bh, ah) + (ael - r * bel)) * ib;
  v8l near = S(vabs)(q) <= S(splat)(0.5);
  v8d x = S(sel)(near, uh, r);
  v8d c = S(correction)(S(sel)(near, ul + dq, rl), x);
  v8d ll, sl;
  v8d lh = S(logDD)(x, c, &ll);
  v8d sh = S(twoProduct)(lh, lh, &sl);
  *lo = sl + S(splat)(2) * lh * ll;
  v8l rare = S(tinyNonzero)(ah) | S(tinyNonzero)(bh) | (~near & ((S(vabs)(r) < S(splat)(0x1p-960)) | (S(vabs)(r) > S(splat)(0x1p960))));
  return S(sel)(rare, S(splat)(NAN), sh);
}

/// binarycrossentropy: `−xlogy(y, ŷ + ϵ) − xlogy(1 − y, 1 − ŷ + ϵ)`, both arguments exact
/// unevaluated sums whose rounding errors go into the logarithms.
INLINE v8d S(bce64)(v8d p, v8d y, double eps, v8d *lo) {
  v8d e = S(splat)(eps);
  v8d e1, ue, e2, fl, gl, sl;
  v8d s1 = S(twoSum)(p, e, &e1);
  v8d u = S(twoSum)(S(splat)(1), -p, &ue);
  v8d s2 = S(twoSum)(u, e, &e2);
  v8d fh = S(xlogyDD)(y, s1, S(correction)(e1, s1), &fl);
  v8d gh = S(xlogyDD)(S(splat)(1) - y, s2, S(correction)(ue + e2, s2), &gl);
  v8d h = S(twoSum)(-fh, -gh, &sl);
  *lo = sl - (fl + gl);
  v8l rare = (S(tinyNonzero)(s1) & (y != S(splat)(0))) | (S(tinyNonzero)(s2) & (y != S(splat)(1)));
  return S(sel)(rare, S(splat)(NAN), h);
}

/// logitbinarycrossentropy: `linear + log1p(e^−|ŷ|)` (`linear` = `(1 − y)·ŷ` for `ŷ > 0`, else
/// `−y·ŷ`), the tail a double-double from `log(fl(1 + t))` and `1 + t`'s rounding error.
INLINE v8d S(logitbce64)(v8d p, v8d y, double eps, v8d *lo) {
  (void)eps;
  v8d t = S(vexp64)(-S(vabs)(p));
  v8d ul, tl, e;
  v8d uh = S(twoSum)(S(splat)(1), t, &ul);
  v8d th = S(logDD)(uh, S(correction)(ul, uh), &tl);
  v8d linear = S(sel)(p > S(splat)(0), (S(splat)(1) - y) * p, -(y * p));
  v8d h = S(twoSum)(linear, th, &e);
  *lo = e + tl;
  return h;
}

/// poisson_loss: `ŷ − y·log ŷ`, the logarithm a double-double and the product error-free (the
/// term cancels near its minimum ŷ ≈ y); xlogy's zero where `y == 0` and `ŷ` is not negative.
INLINE v8d S(poisson64)(v8d p, v8d y, double eps, v8d *lo) {
  (void)eps;
  v8d ll, pl, tl;
  v8d lh = S(logDD)(p, S(splat)(0), &ll);
  v8d ph = S(scaledDD)(y, lh, ll, &pl);
  v8d th = S(twoSum)(p, -ph, &tl);
  v8l zero = (y == S(splat)(0)) & ~(p < S(splat)(0));
  *lo = S(sel)(zero, S(splat)(0), tl - pl);
  v8l rare = S(tinyNonzero)(p) & ~zero;
  return S(sel)(rare, S(splat)(NAN), S(sel)(zero, p, th));
}

/// crossentropy's `xlogy(y, ŷ + ϵ)`, the sum `ŷ + ϵ` exact and its rounding error in the logarithm.
INLINE v8d S(xlogy64)(v8d p, v8d y, double eps, v8d *lo) {
  v8d e;
  v8d s = S(twoSum)(p, S(splat)(eps), &e);
  v8d h = S(xlogyDD)(y, s, S(correction)(e, s), lo);
  return S(sel)(S(tinyNonzero)(s) & (y != S(splat)(0)), S(splat)(NAN), h);
}

/// kldivergence: `y·log(y/q)`, `q = ŷ + ϵ` (LossFast's `KLTerm` compensated). Near a fit
/// (`|s| ≤ ¼`, `s = (q − y)/y`) as `(y − q) + y·φ(s)`, `φ(s) = s − log1p(s) = s·w − 2w³·Σₖ
/// w²ᵏ/(2k + 3)` with `w = s/(2 + s)`, the first-order parts exact so that they cancel in the sum;
/// elsewhere `y·log(r·(1 + δ))` of the rounded ratio `r` and its relative error `δ`.
INLINE v8d S(kl64)(v8d p, v8d y, double eps, v8d *lo) {
  v8d zero = S(splat)(0), one = S(splat)(1);
  v8d ql, b, n1;
  v8d qh = S(twoSum)(p, S(splat)(eps), &ql);
  v8d a = S(twoSum)(y, -qh, &b);
  v8d dlo = b - ql;
  v8d n0 = S(twoSum)(a, dlo, &n1);
  v8d iy = one / y;
  v8d sh = -n0 * iy;
  v8l finite = (y < S(splat)(INFINITY)) & (qh < S(splat)(INFINITY));
  v8l nearFit = (S(vabs)(sh) <= S(splat)(0.25)) & (y >= S(splat)(0x1p-960)) & (qh > zero) & finite;
  v8d nearHi = zero, nearLo = zero, farHi = zero, farLo = zero;
  if (S(any)(nearFit)) {
    v8d sl = (S(fma_)(-sh, y, -n0) - n1) * iy;
    v8d dl0;
    v8d dh = S(twoSum)(S(splat)(2), sh, &dl0);
    v8d dl = dl0 + sl;
    v8d id = one / dh;
    v8d wh = sh * id;
    v8d wl = ((S(fma_)(-wh, dh, sh) + sl) - wh * dl) * id;
    v8d w2 = wh * wh;
    v8d series = S(splat)(1.0 / 21);
    for (int k = 8; k >= 0; k--) series = S(fma_)(series, w2, S(splat)(1.0 / (2 * k + 3)));
    v8d cubic = S(splat)(2) * wh * w2 * series;
    v8d swl, yl0, e;
    v8d fh = S(twoProduct)(sh, wh, &swl);
    v8d fl = (swl + (sh * wl + sl * wh)) - cubic;
    v8d yh = S(twoProduct)(y, fh, &yl0);
    v8d yl = yl0 + y * fl;
    nearHi = S(twoSum)(a, yh, &e);
    nearLo = e + (dlo + yl);
  }
  if (!S(all)(nearFit)) {
    v8d r = y * (one / qh);
    v8d delta = S(correction)(S(fma_)(-r, qh, y) - r * ql, y);
    v8d ll;
    v8d lh = S(logDD)(r, delta, &ll);
    farHi = S(scaledDD)(y, lh, ll, &farLo);
    v8l yZero = (y == zero) & ~(qh < zero);
    v8l rare = ~yZero & (S(tinyNonzero)(y) | (S(vabs)(r) < S(splat)(0x1p-960)) | (S(vabs)(r) > S(splat)(0x1p960)));
    farHi = S(sel)(yZero, zero, S(sel)(rare, S(splat)(NAN), farHi));
    farLo = S(sel)(yZero, zero, farLo);
    farHi = S(sel)((y < zero) | (qh < zero), S(splat)(NAN), farHi);
  }
  *lo = S(sel)(nearFit, nearLo, farLo);
  return S(sel)(nearFit, nearHi, farHi);
}

/// The memory-bound terms of LossFast's Swift kernels with `CompensatedAccumulator`
/// (ElementwiseTerms.swift), the same operations: `hi` returned, `*lo` (part of) its rounding error.
INLINE v8d S(compensatedTerm)(int term, v8d p, v8d y, double param, v8d *lo) {
  v8d zero = S(splat)(0);
  if (term == LFK_TERM_HINGE || term == LFK_TERM_SQUARED_HINGE) {
    // 1 − ŷ·y exactly as hi + lo, renormalized, clamped at 0 (NaN propagated).
    v8d qe, re;
    v8d q = S(twoProduct)(p, y, &qe);
    v8d r = S(twoSum)(S(splat)(1), -q, &re);
    v8d e = re - qe;
    v8d hi = r + e;
    v8d l = e - (hi - r);
    // hi == 0 only when r + e is exactly 0, and then l is 0 too: the sign of hi decides.
    v8l negative = hi < zero;
    hi = S(sel)(negative, zero, hi);
    l = S(sel)(negative, zero, l);
    if (term == LFK_TERM_HINGE) {
      *lo = l;
      return hi;
    }
    *lo = S(splat)(2) * hi * l;
    return hi * hi;
  }
  v8d dl;
  v8d dh = S(twoSum)(p, -y, &dl);
  if (term == LFK_TERM_MAE) {
    *lo = S(sel)(dh < zero, -dl, dl);
    return S(vabs)(dh);
  }
  if (term == LFK_TERM_MSE) {
    *lo = S(splat)(2) * dh * dl;
    return dh * dh;
  }
  // huber_loss, δ = param: ½·dh² (+ dh·dl) inside, δ·(e − δ/2) with e − δ/2 = sh + sl + el outside.
  v8d e = S(vabs)(dh);
  v8d el = S(sel)(dh < zero, -dl, dl);
  v8l quadratic = e < S(splat)(param);
  v8d sl;
  v8d sh = S(twoSum)(e, S(splat)(-(0.5 * param)), &sl);
  *lo = S(sel)(quadratic, dh * dl, S(splat)(param) * (sl + el));
  return S(sel)(quadratic, S(splat)(0.5) * dh * dh, S(splat)(param) * sh);
}

/// One compensated lane accumulator step (Ogita–Rump–Oishi's Sum2: TwoSum into `s`, the errors
/// and the terms' own `lo` into `c`).
INLINE void S(accumulate)(v8d *s, v8d *c, v8d hi, v8d lo) {
  v8d e;
  *s = S(twoSum)(*s, hi, &e);
  *c += e + lo;
}

#define PLAIN_TERM64(name, code)                                  \
  INLINE v8d S(name)(v8d p, v8d y, double param, v8d *lo) {        \
    return S(compensatedTerm)(code, p, y, param, lo);               \
  }
PLAIN_TERM64(mae64, LFK_TERM_MAE)
PLAIN_TERM64(mse64, LFK_TERM_MSE)
PLAIN_TERM64(huber64, LFK_TERM_HUBER)
PLAIN_TERM64(hinge64, LFK_TERM_HINGE)
PLAIN_TERM64(squaredHinge64, LFK_TERM_SQUARED_HINGE)
#undef PLAIN_TERM64

/// A Float64 term: `hi` returned, `*lo` (part of) its rounding error.
typedef v8d (*S(TermF64))(v8d p, v8d y, double param, v8d *lo);

/// `Σ term` as lane partials: `out->value` the sums `s`, `out->magnitude` the compensations `c`
/// (two accumulators, sixteen elements a step, the tail as in `S(sum)`; `term` a constant in
/// each caller, as there).
INLINE void S(compensatedSum)(S(TermF64) term, const double *p, const double *y, size_t n, double param, lfk_partials *out) {
  v8d s0 = S(splat)(0), s1 = S(splat)(0), c0 = S(splat)(0), c1 = S(splat)(0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v8d l0, l1;
    v8d h0 = term(S(load8d)(p + i), S(load8d)(y + i), param, &l0);
    v8d h1 = term(S(load8d)(p + i + 8), S(load8d)(y + i + 8), param, &l1);
    S(accumulate)(&s0, &c0, h0, l0);
    S(accumulate)(&s1, &c1, h1, l1);
  }
  if (i + 8 <= n) {
    v8d l0;
    v8d h0 = term(S(load8d)(p + i), S(load8d)(y + i), param, &l0);
    S(accumulate)(&s0, &c0, h0, l0);
    i += 8;
  }
  if (i < n) {
    v8l keep = S(leadingLanes)(n - i);
    v8d l1;
    v8d h1 = term(S(loadPartial8d)(p + i, n - i), S(loadPartial8d)(y + i, n - i), param, &l1);
    S(accumulate)(&s1, &c1, S(sel)(keep, h1, S(splat)(0)), S(sel)(keep, l1, S(splat)(0)));
  }
  memcpy(out->value, &s0, sizeof s0);
  memcpy(out->value + 8, &s1, sizeof s1);
  memcpy(out->magnitude, &c0, sizeof c0);
  memcpy(out->magnitude + 8, &c1, sizeof c1);
}

NOINLINE void S(compensatedSums)(int term, const double *p, const double *y, size_t n, double param, lfk_partials *out) {
  static const S(TermF64) terms[LFK_TERM_COUNT] = {
    S(msle64), S(bce64), S(logitbce64), S(poisson64), S(xlogy64), S(kl64),
    S(mae64), S(mse64), S(huber64), S(hinge64), S(squaredHinge64),
  };
  switch (term) {
#define CASE(code) \
  case code: S(compensatedSum)(terms[code], p, y, n, param, out); break;
  CASE(LFK_TERM_MSLE)
  CASE(LFK_TERM_BINARYCROSSENTROPY)
  CASE(LFK_TERM_LOGITBINARYCROSSENTROPY)
  CASE(LFK_TERM_POISSON)
  CASE(LFK_TERM_XLOGY)
  CASE(LFK_TERM_KLDIVERGENCE)
  CASE(LFK_TERM_MAE)
  CASE(LFK_TERM_MSE)
  CASE(LFK_TERM_HUBER)
  CASE(LFK_TERM_HINGE)
  default: S(compensatedSum)(S(squaredHinge64), p, y, n, param, out); break;
#undef CASE
  }
}

/// dice's and tversky's parts as double-doubles (OverlapLosses.swift, compensated).
INLINE void S(overlapTerms64)(int kind, v8d p, v8d y, double beta, v8d hi[3], v8d lo[3]) {
  v8d zero = S(splat)(0);
  if (kind == LFK_OVERLAP_DICE) {
    v8d dl, d2e, y2e, p2e, e;
    v8d dh = S(twoSum)(p, -y, &dl);
    v8d d2 = S(twoProduct)(dh, dh, &d2e);
    v8d y2 = S(twoProduct)(y, y, &y2e);
    v8d p2 = S(twoProduct)(p, p, &p2e);
    v8d s = S(twoSum)(y2, p2, &e);
    hi[0] = d2;
    lo[0] = d2e + S(splat)(2) * dh * dl;
    hi[1] = s;
    lo[1] = e + (y2e + p2e);
    hi[2] = zero;
    lo[2] = zero;
  } else {
    v8d one = S(splat)(1);
    v8d falsePositive = S(splat)(beta) * ((one - y) * p);
    v8d falseNegative = S(splat)(1 - beta) * (y * (one - p));
    hi[0] = y * p;
    lo[0] = zero;
    hi[1] = S(twoSum)(falsePositive, falseNegative, &lo[1]);
    hi[2] = S(splat)(beta) * p + S(splat)(1 - beta) * y;
    lo[2] = zero;
  }
}

/// The three compensated overlap sums: `sums[32k + j]` the sums `s`, `sums[32k + 16 + j]` the
/// compensations `c` of sum `k`, lane `j`.
INLINE void S(overlapSum64)(int kind, const double *p, const double *y, size_t n, double beta, double *sums) {
  v8d s[2][3], c[2][3];
  int first = kind == LFK_OVERLAP_TVERSKY_VALUE ? 1 : 0, last = kind == LFK_OVERLAP_DICE ? 2 : 3;
  for (int a = 0; a < 2; a++)
    for (int k = 0; k < 3; k++) s[a][k] = c[a][k] = S(splat)(0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v8d h0[3], l0[3], h1[3], l1[3];
    S(overlapTerms64)(kind, S(load8d)(p + i), S(load8d)(y + i), beta, h0, l0);
    S(overlapTerms64)(kind, S(load8d)(p + i + 8), S(load8d)(y + i + 8), beta, h1, l1);
    for (int k = first; k < last; k++) {
      S(accumulate)(&s[0][k], &c[0][k], h0[k], l0[k]);
      S(accumulate)(&s[1][k], &c[1][k], h1[k], l1[k]);
    }
  }
  if (i + 8 <= n) {
    v8d h0[3], l0[3];
    S(overlapTerms64)(kind, S(load8d)(p + i), S(load8d)(y + i), beta, h0, l0);
    for (int k = first; k < last; k++) S(accumulate)(&s[0][k], &c[0][k], h0[k], l0[k]);
    i += 8;
  }
  if (i < n) {
    v8l keep = S(leadingLanes)(n - i);
    v8d h1[3], l1[3];
    S(overlapTerms64)(kind, S(loadPartial8d)(p + i, n - i), S(loadPartial8d)(y + i, n - i), beta, h1, l1);
    for (int k = first; k < last; k++)
      S(accumulate)(&s[1][k], &c[1][k], S(sel)(keep, h1[k], S(splat)(0)), S(sel)(keep, l1[k], S(splat)(0)));
  }
  for (int k = 0; k < 3; k++) {
    memcpy(sums + 32 * k, &s[0][k], sizeof(v8d));
    memcpy(sums + 32 * k + 8, &s[1][k], sizeof(v8d));
    memcpy(sums + 32 * k + 16, &c[0][k], sizeof(v8d));
    memcpy(sums + 32 * k + 24, &c[1][k], sizeof(v8d));
  }
}

NOINLINE void S(overlapSums64)(int kind, const double *p, const double *y, size_t n, double beta, double *sums) {
  if (kind == LFK_OVERLAP_DICE) {
    S(overlapSum64)(LFK_OVERLAP_DICE, p, y, n, beta, sums);
  } else if (kind == LFK_OVERLAP_TVERSKY) {
    S(overlapSum64)(LFK_OVERLAP_TVERSKY, p, y, n, beta, sums);
  } else {
    S(overlapSum64)(LFK_OVERLAP_TVERSKY_VALUE, p, y, n, beta, sums);
  }
}

/// `Σ (ŷᵢ − yᵢ)²`: a streaming read of both arrays, sixteen elements a step.
NOINLINE void S(stream)(const float *p, const float *y, size_t n, lfk_partials *out) {
  v8d v0 = S(splat)(0), v1 = S(splat)(0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v8d d0 = S(load8)(p + i) - S(load8)(y + i);
    v8d d1 = S(load8)(p + i + 8) - S(load8)(y + i + 8);
    v0 += d0 * d0;
    v1 += d1 * d1;
  }
  double tail = 0;
  for (; i < n; i++) {
    double d = (double)p[i] - (double)y[i];
    tail += d * d;
  }
  v1[0] += tail;
  memset(out, 0, sizeof *out);
  memcpy(out->value, &v0, sizeof v0);
  memcpy(out->value + 8, &v1, sizeof v1);
}

/// `Σ (ŷᵢ − yᵢ)²` over Float64 arrays: the streaming read of the Float64 benchmarks.
NOINLINE void S(stream64)(const double *p, const double *y, size_t n, lfk_partials *out) {
  v8d v0 = S(splat)(0), v1 = S(splat)(0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v8d a0, b0, a1, b1;
    memcpy(&a0, p + i, sizeof a0);
    memcpy(&b0, y + i, sizeof b0);
    memcpy(&a1, p + i + 8, sizeof a1);
    memcpy(&b1, y + i + 8, sizeof b1);
    v8d d0 = a0 - b0, d1 = a1 - b1;
    v0 += d0 * d0;
    v1 += d1 * d1;
  }
  double tail = 0;
  for (; i < n; i++) {
    double d = p[i] - y[i];
    tail += d * d;
  }
  v1[0] += tail;
  memset(out, 0, sizeof *out);
  memcpy(out->value, &v0, sizeof v0);
  memcpy(out->value + 8, &v1, sizeof v1);
}

/// Eight contiguous groups of `length ≤ 32` elements transposed into `out` (`out[8c + j]` is
/// element `c` of group `j`): each column built from eight scalar loads and stored whole. Read as
/// columns, eight-lane gathers cost more than the whole kernel (Zen 4: a `vgatherqps` per column of
/// eight took about 80 cycles); stored element by element, each column is then read back as one
/// vector from eight pending scalar stores, which store-to-load forwarding cannot serve (the
/// Float kernel was 16% slower, the Double one 7%). One for Float elements, one (`…d`) for
/// Double ones.
#define TRANSPOSE8(name, type)                                                                     \
  INLINE void S(name)(const type *p, size_t length, type *out) {                                  \
    for (size_t c = 0; c < length; c++) {                                                          \
      type column[8] = {p[c], p[length + c], p[2 * length + c], p[3 * length + c],                 \
                        p[4 * length + c], p[5 * length + c], p[6 * length + c], p[7 * length + c]}; \
      memcpy(out + 8 * c, column, sizeof column);                                                  \
    }                                                                                              \
  }
TRANSPOSE8(transpose8, float)
TRANSPOSE8(transpose8d, double)
#undef TRANSPOSE8

/// logitcrossentropy of eight contiguous groups (LossFast's `ClassKernel.logitGroupsShort`, with
/// eight lanes), as `S(logitGroups8)` returns them: lane `j` is `Σ y·(x − m) − L·Σ y` over group
/// `j`, `L = log1p(Σ' e^(x − m))` with the first maximal element left out of `Σ'`; magnitude
/// `2·|L·Σ y|`; NaN for a group with a NaN or an infinite maximum.
INLINE void S(logitBlock8)(const float *p, const float *y, size_t length, v8d *value, v8d *magnitude) {
  float xt[8 * LFK_GROUP_LENGTH_MAX], yt[8 * LFK_GROUP_LENGTH_MAX];
  S(transpose8)(p, length, xt);
  S(transpose8)(y, length, yt);
  v8d m = S(splat)(-INFINITY);
  v8l nan = (v8l){0};
  for (size_t c = 0; c < length; c++) {
    v8d x = S(load8)(xt + 8 * c);
    nan |= x != x;
    m = S(sel)(x > m, x, m);
  }
  v8d s = S(splat)(0), a = S(splat)(0), b = S(splat)(0);
  v8l found = (v8l){0};
  for (size_t c = 0; c < length; c++) {
    v8d x = S(load8)(xt + 8 * c);
    v8d t = S(load8)(yt + 8 * c);
    v8l first = (x == m) & ~found;
    found |= first;
    v8d d = x - m;
    s += S(sel)(first, S(splat)(0), S(vexpNonPositive)(d));
    a += t * d;
    b += t;
  }
  v8d product = S(vlog1p)(s) * b;
  v8l finite = (m - m) == S(splat)(0);
  *value = S(sel)(nan | ~finite, S(splat)(NAN), a - product);
  v8d mag = S(vabs)(product);
  *magnitude = mag + mag;
}

NOINLINE void S(logitGroups8)(const float *p, const float *y, size_t length, double *value, double *magnitude) {
  v8d v, mag;
  S(logitBlock8)(p, y, length, &v, &mag);
  memcpy(value, &v, sizeof v);
  memcpy(magnitude, &mag, sizeof mag);
}

/// `blocks` consecutive blocks of eight groups: the lane sums of the group values and of their
/// magnitudes, up to the first block with a group that is not finite or not well conditioned
/// (`magnitude > limit·|value|`); returns the number of blocks summed.
NOINLINE size_t S(logitSum8)(const float *p, const float *y, size_t length, size_t blocks, double limit, lfk_partials *out) {
  v8d vs = S(splat)(0), ms = S(splat)(0);
  size_t b = 0;
  for (; b < blocks; b++) {
    v8d v, mag;
    S(logitBlock8)(p + 8 * length * b, y + 8 * length * b, length, &v, &mag);
    v8l kept = ((v - v) == S(splat)(0)) & (mag <= S(splat)(limit) * S(vabs)(v));
    if (!S(all)(kept)) break;
    vs += v;
    ms += mag;
  }
  memset(out, 0, sizeof *out);
  memcpy(out->value, &vs, sizeof vs);
  memcpy(out->magnitude, &ms, sizeof ms);
  return b;
}

/// Float64 logitcrossentropy of eight contiguous groups (LossFast's `ClassKernel.logitGroup`,
/// compensated, eight groups at a time): lane `j` is `Σ y·(x − m) − L·Σ y` over group `j` as
/// `hi[j] + lo[j]`, with `L = log1p(Σ' e^(x − m))` (the first maximal element left out of `Σ'`;
/// the full-precision `exp`, the logarithm a double-double), `Σ y·(x − m)` and `Σ y` summed in
/// compensated lanes (`x − m` split exactly, its products with `y` error-free), and `L·Σ y` an
/// error-free product; NaN for a group with a NaN or an infinite maximum.
NOINLINE void S(logitGroups8d)(const double *p, const double *y, size_t length, double *hi, double *lo) {
  double xt[8 * LFK_GROUP_LENGTH_MAX], yt[8 * LFK_GROUP_LENGTH_MAX];
  S(transpose8d)(p, length, xt);
  S(transpose8d)(y, length, yt);
  v8d zero = S(splat)(0);
  v8d m = S(splat)(-INFINITY);
  v8l nan = (v8l){0};
  for (size_t c = 0; c < length; c++) {
    v8d x = S(load8d)(xt + 8 * c);
    nan |= x != x;
    m = S(sel)(x > m, x, m);
  }
  v8d s = zero, as = zero, ac = zero, bs = zero, bc = zero;
  v8l found = (v8l){0};
  for (size_t c = 0; c < length; c++) {
    v8d x = S(load8d)(xt + 8 * c);
    v8d t = S(load8d)(yt + 8 * c);
    v8l first = (x == m) & ~found;
    found |= first;
    v8d dl, pl;
    v8d dh = S(twoSum)(x, -m, &dl);
    s += S(sel)(first, zero, S(vexp64)(dh));
    v8d ph = S(twoProduct)(t, dh, &pl);
    S(accumulate)(&as, &ac, ph, pl + t * dl);
    S(accumulate)(&bs, &bc, t, zero);
  }
  v8d ul, ll, ql, e;
  v8d uh = S(twoSum)(S(splat)(1), s, &ul);
  v8d lh = S(logDD)(uh, S(correction)(ul, uh), &ll);
  v8d logSum = lh + ll;
  v8d yTotal = bs + bc;
  v8d qh = S(twoProduct)(logSum, yTotal, &ql);
  v8d vh = S(twoSum)(as, -qh, &e);
  v8d vl = e + (ac - ql);
  v8l finite = (m - m) == zero;
  v8l bad = nan | ~finite;
  vh = S(sel)(bad, S(splat)(NAN), vh);
  vl = S(sel)(bad, zero, vl);
  memcpy(hi, &vh, sizeof vh);
  memcpy(lo, &vl, sizeof vl);
}

/// The elementary functions alone, for the tests: `out[i] = f(x[i])` (0: log, 1: log1p, 2: exp
/// for `x ≤ 0`), eight lanes at a time (the tail padded with 0).
NOINLINE void S(elementary)(int function, const double *x, double *out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    double in[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t count = n - i < 8 ? n - i : 8;
    memcpy(in, x + i, count * sizeof(double));
    v8d v;
    memcpy(&v, in, sizeof v);
    v8d r = function == 0 ? S(vlog)(v) : function == 1 ? S(vlog1p)(v) : S(vexpNonPositive)(v);
    memcpy(in, &r, sizeof in);
    memcpy(out + i, in, count * sizeof(double));
  }
}
