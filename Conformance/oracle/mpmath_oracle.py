#!/usr/bin/env python3
"""Independent arbitrary-precision oracle for the `losscheck/1` conformance cases.

Implements the fourteen Flux.jl losses of /work/shared/SEMANTICS.md literally, in exact rational
arithmetic (fractions.Fraction) wherever the formula is rational and in mpmath (1200 bits, checked
again at 3000 bits) where log/exp appear.  IEEE special values (NaN, +-Inf) are propagated with
IEEE rules applied to the formula, exactly as SEMANTICS.md prescribes.

Writes Conformance/oracle/oracle_cases.jsonl next to this file: one losscheck/1 request object per
line plus an "oracle" object (outcome, exact value to 45 significant digits, correctly rounded
binary32 and binary64 values).  Deterministic: fixed seed, standard-library `random` only, no
dependence on dict ordering or the platform's libm.

With --half it writes Conformance/oracle/half_cases.jsonl instead: float16 and bfloat16 cases
(issue 15), whose "oracle" object also has the request dtype's correctly rounded value under the
dtype's name ("float16" or "bfloat16"), from a generator and seed of their own.

Usage:  python3 Conformance/oracle/mpmath_oracle.py [--half] [--out FILE] [--selftest-only]
"""

import math
import os
import random
import struct
import sys
import time
from collections import Counter, OrderedDict
from fractions import Fraction

import mpmath
import numpy as np
from mpmath import mp, mpf
from mpmath.libmp import from_rational, to_str

SEED = 20240611
PREC_LO = 1200
PREC_HI = 3000
DIGITS = 45

# ------------------------------------------------------------------------------------------------
# Binary formats and exact rounding
# ------------------------------------------------------------------------------------------------

# (precision p incl. hidden bit, emin, emax).  float16 is IEEE binary16; bfloat16 has binary32's
# exponent range and an 8-bit significand (issue 15, SEMANTICS.md "Half precision").
FORMATS = {"float32": (24, -126, 127), "float64": (53, -1022, 1023),
           "float16": (11, -14, 15), "bfloat16": (8, -126, 127)}
DEFAULT_EPS = {"float32": Fraction(1, 2 ** 23), "float64": Fraction(1, 2 ** 52),
               "float16": Fraction(1, 2 ** 10), "bfloat16": Fraction(1, 2 ** 7)}
SHORT = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16"}
HALF_DTYPES = ("float16", "bfloat16")


def round_fraction(x, dtype):
    """Round an exact rational to the nearest binary32/binary64 value (ties to even, gradual
    underflow, overflow to infinity as IEEE 754 roundTiesToEven).  Returns a Python float holding
    that value exactly (binary32 values are a subset of binary64)."""
    p, emin, emax = FORMATS[dtype]
    if x == 0:
        return 0.0
    neg = x < 0
    a = -x if neg else x
    n, d = a.numerator, a.denominator
    e = n.bit_length() - d.bit_length()          # floor(log2 a) is e or e-1
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1                                   # now 2^e <= a < 2^(e+1)
    q = max(e, emin) - (p - 1)                   # quantum exponent
    if q >= 0:
        num, den = n, d << q
    else:
        num, den = n << (-q), d
    m, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and (m & 1)):
        m += 1
    if m == 0:
        return -0.0 if neg else 0.0
    if m.bit_length() - 1 + q > emax:
        return -math.inf if neg else math.inf
    v = math.ldexp(m, q)
    return -v if neg else v


def mpf_to_fraction(v):
    sign, man, exp, bc = v._mpf_
    if man == 0 and exp == 0 and bc == 0 and sign == 0:
        return Fraction(0)
    f = Fraction(man) * (Fraction(2) ** exp)
    return -f if sign else f


def round_mpf(v, dtype):
    """Round a finite mpf (exact binary value man*2^exp) to binary32/64, exactly."""
    p, emin, emax = FORMATS[dtype]
    sign, man, exp, bc = v._mpf_
    if man == 0:
        if exp != 0 or bc != 0:
            raise ValueError("non-finite mpf reached rounding: %r" % (v,))
        return 0.0
    e = exp + bc - 1
    if e < emin - p:                 # |v| < 2^(emin-p) = half the least subnormal
        return -0.0 if sign else 0.0
    if e > emax + 1:
        return -math.inf if sign else math.inf
    return round_fraction(mpf_to_fraction(v), dtype)


def round_value(v, dtype):
    if isinstance(v, float):
        return v
    if isinstance(v, Fraction):
        return round_fraction(v, dtype)
    return round_mpf(v, dtype)


def fmt_float(f, dtype):
    """Shortest round-trip decimal of a value of the dtype (as a JSON number token / string)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if dtype == "float64":
        s = repr(f)
    elif dtype == "float32":
        s = str(np.float32(f))
    else:
        s = shortest_half(f, dtype)
    if "inf" in s or "nan" in s:
        raise AssertionError(s)
    # exact check: correctly rounded parse of s is f
    if round_fraction(Fraction(s), dtype) != f or (f == 0 and math.copysign(1, f) != (-1 if s.startswith("-") else 1)):
        raise AssertionError("shortest string %s does not round-trip to %r in %s" % (s, f, dtype))
    return s


def shortest_half(f, dtype):
    """The shortest decimal that rounds (exactly, ties to even) back to the float16/bfloat16 value
    f: for d = 1, 2, … significant digits, the d-digit decimals just below and above |f|; the first
    d for which one rounds back wins (the nearer one if both do, the even last digit on a tie).
    Written as Python's repr of that decimal's double (fixed notation from 1e-4 to 1e16, else
    d.ddde±XX), a JSON number token; numpy's float16 str is the same number."""
    if f == 0:
        return "-0.0" if math.copysign(1, f) < 0 else "0.0"
    x = Fraction(f)
    a = abs(x)
    e10 = int(math.floor(math.log10(abs(f))))
    while a >= Fraction(10) ** (e10 + 1):
        e10 += 1
    while a < Fraction(10) ** e10:
        e10 -= 1
    for d in range(1, 18):
        scale = Fraction(10) ** (d - 1 - e10)
        lo = math.floor(a * scale)
        best = None
        for k in (lo, lo + 1):
            c = Fraction(k) / scale
            if k > 0 and round_fraction(c, dtype) == abs(f):
                key = (abs(c - a), k % 2)
                if best is None or key < best[0]:
                    best = (key, c)
        if best is not None:
            c = best[1]
            s = repr(float(c))
            assert Fraction(s) == c, (s, c)
            return ("-" + s) if f < 0 else s
    raise AssertionError("no short decimal for %r in %s" % (f, dtype))


def parse_number(tok, dtype):
    """Parse a request number exactly as the consumer does: decimal string -> dtype, correctly
    rounded.  Returns Fraction for finite values, float for non-finite."""
    if tok == "NaN":
        return math.nan
    if tok == "Infinity":
        return math.inf
    if tok == "-Infinity":
        return -math.inf
    f = round_fraction(Fraction(tok), dtype)
    if math.isinf(f):
        raise ValueError("input %s overflows %s" % (tok, dtype))
    return Fraction(f)


# ------------------------------------------------------------------------------------------------
# Decimal output of exact values
# ------------------------------------------------------------------------------------------------

LOG10_2 = math.log10(2)


def frac_to_sci(x, digits=DIGITS):
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    a = abs(x)
    n, d = a.numerator, a.denominator
    e10 = int(math.floor((n.bit_length() - d.bit_length()) * LOG10_2))
    while a >= Fraction(10) ** (e10 + 1):
        e10 += 1
    while a < Fraction(10) ** e10:
        e10 -= 1
    m = round(a * Fraction(10) ** (digits - 1 - e10))      # round-half-even on Fraction
    if m >= 10 ** digits:
        m = round(Fraction(m, 10))
        e10 += 1
    s = str(m)
    assert len(s) == digits
    return "%s%s.%se%+d" % (sign, s[0], s[1:], e10)


def exact_string(v):
    if isinstance(v, float):
        return fmt_float(v, "float64")     # NaN / Infinity / -Infinity
    if isinstance(v, Fraction):
        return frac_to_sci(v)
    sign, man, exp, bc = v._mpf_
    if man == 0:
        return "0"
    if abs(exp) < 20000:
        return frac_to_sci(mpf_to_fraction(v))
    s = to_str(v._mpf_, DIGITS, strip_zeros=False, min_fixed=1, max_fixed=0)
    mant, ex = s.split("e")
    return "%se%+d" % (mant, int(ex))


# ------------------------------------------------------------------------------------------------
# Exact / IEEE value arithmetic.  A value is a Fraction (exact), an mpf (high-precision
# approximation of a transcendental quantity) or a Python float that is NaN or +-Inf.
# Zero is unsigned (exact real arithmetic); every zero that can reach a division or a log in these
# formulas is +0 under IEEE round-to-nearest too (x + (-x) = +0), so nothing is lost.
# ------------------------------------------------------------------------------------------------


class LossError(Exception):
    kind = "Other"


class DomainErr(LossError):
    kind = "DomainError"


class DimErr(LossError):
    kind = "DimensionMismatch"


class ArgErr(LossError):
    kind = "ArgumentError"


ZERO = Fraction(0)
ONE = Fraction(1)
HALF = Fraction(1, 2)


def is_special(a):
    return isinstance(a, float)


def sgn(a):
    if isinstance(a, Fraction):
        return (a > 0) - (a < 0)
    return int(mpmath.sign(a))


def surrogate(a):
    """A float with the same IEEE behaviour against Inf/NaN as the finite value a."""
    if is_special(a):
        return a
    return float(sgn(a))


def to_mpf(a):
    if isinstance(a, Fraction):
        return mpf(from_rational(a.numerator, a.denominator, mp.prec, "n"))
    return a


def is_zero(a):
    return (not is_special(a)) and sgn(a) == 0


def add(a, b):
    if is_special(a) or is_special(b):
        return surrogate(a) + surrogate(b)
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a + b
    return mpmath.fsum([to_mpf(a), to_mpf(b)])


def neg(a):
    return -a


def sub(a, b):
    return add(a, neg(b))


def mul(a, b):
    if is_special(a) or is_special(b):
        return surrogate(a) * surrogate(b)
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a * b
    return to_mpf(a) * to_mpf(b)


def div(a, b):
    if is_special(b):
        if is_special(a) or math.isnan(b):
            return math.nan
        return ZERO                                  # finite / +-Inf
    if is_special(a):
        if math.isnan(a):
            return math.nan
        s = sgn(b)
        if s == 0:
            return a                                 # +-Inf / +0
        return a if s > 0 else -a
    if sgn(b) == 0:
        s = sgn(a)
        if s == 0:
            return math.nan
        return math.inf if s > 0 else -math.inf     # x / +0
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a / b
    return to_mpf(a) / to_mpf(b)


def absv(a):
    if is_special(a):
        return abs(a)
    return a if sgn(a) >= 0 else -a


def square(a):
    return mul(a, a)


def lt(a, b):
    """a < b with IEEE semantics (False if either is NaN)."""
    if is_special(a) or is_special(b):
        if (is_special(a) and math.isnan(a)) or (is_special(b) and math.isnan(b)):
            return False
        if is_special(a) and is_special(b):
            return a < b
        if is_special(a):
            return a < 0                  # -Inf < finite
        return b > 0                      # finite < +Inf
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a < b
    return to_mpf(a) < to_mpf(b)


def max0(a):
    """Julia max(0, a): NaN propagates."""
    if is_special(a):
        return a if (math.isnan(a) or a > 0) else ZERO
    return a if sgn(a) > 0 else ZERO


def logv(a):
    """Julia log: DomainError for negative arguments (including -Inf)."""
    if is_special(a):
        if math.isnan(a):
            return math.nan
        if a > 0:
            return math.inf
        raise DomainErr("log of -Inf")
    s = sgn(a)
    if s < 0:
        raise DomainErr("log of a negative number")
    if s == 0:
        return -math.inf
    if a == 1:
        return ZERO
    return mpmath.log(to_mpf(a))


def expv(a):
    if is_special(a):
        if math.isnan(a):
            return math.nan
        return math.inf if a > 0 else ZERO
    if sgn(a) == 0:
        return ONE
    return mpmath.exp(to_mpf(a))


def xlogy(x, y):
    lg = logv(y)                       # evaluated first: DomainError even when x == 0
    if is_zero(x):
        return ZERO
    return mul(x, lg)


def xlogx(x):
    return xlogy(x, x)


def vsum(vals):
    """Exact sum (IEEE for non-finite terms); sum of nothing is 0."""
    specials = [v for v in vals if is_special(v)]
    if specials:
        acc = 0.0
        for v in vals:
            acc = acc + surrogate(v)
        return acc
    fr = [v for v in vals if isinstance(v, Fraction)]
    mp_terms = [v for v in vals if not isinstance(v, Fraction)]
    s = sum(fr, ZERO)
    if not mp_terms:
        return s
    return mpmath.fsum([to_mpf(s)] + mp_terms) if s != 0 else mpmath.fsum(mp_terms)


def vmean(vals):
    return div(vsum(vals), Fraction(len(vals)))


def softplus_neg(x):
    """-logσ(x) = log(1 + exp(-x)) for finite x, evaluated without cancellation:
    returns (rational part, transcendental part) with value = r + t."""
    # log(1 + e^-x) = max(-x, 0) + log1p(e^-|x|)
    r = max(-x, ZERO)
    t = mpmath.log1p(mpmath.exp(-abs(to_mpf(x)))) if x != 0 else mpmath.log(2)
    return r, t


def logsigma(x):
    """logσ(x) = -log(1 + exp(-x)), IEEE-literal for non-finite x."""
    if is_special(x):
        return neg(logv(add(ONE, expv(neg(x)))))
    r, t = softplus_neg(x)
    return neg(add(r, t))


# ------------------------------------------------------------------------------------------------
# Arrays (flat, column-major, with a shape)
# ------------------------------------------------------------------------------------------------


def prod(shape):
    p = 1
    for s in shape:
        p *= s
    return p


def unravel(lin, shape):
    c = []
    for s in shape:
        c.append(lin % s)
        lin //= s
    return c


def ravel(coords, shape):
    lin = 0
    mult = 1
    for c, s in zip(coords, shape):
        lin += c * mult
        mult *= s
    return lin


def group_indices(shape, dims):
    """For a reduction over `dims` (1-based; dims beyond ndims are size-1 dims, Julia), return
    (outshape, groups) where groups[j] lists the linear indices reduced into output element j."""
    outshape = [1 if (k + 1) in dims else s for k, s in enumerate(shape)]
    groups = [[] for _ in range(prod(outshape))]
    for lin in range(prod(shape)):
        c = unravel(lin, shape)
        oc = [0 if (k + 1) in dims else ck for k, ck in enumerate(c)]
        groups[ravel(oc, outshape)].append(lin)
    return outshape, groups


def reduce_sum(vals, shape, dims):
    outshape, groups = group_indices(shape, dims)
    return [vsum([vals[i] for i in g]) for g in groups], outshape


def broadcast_weight(wshape, wdata, shape):
    """Expand a weight array to yhat's shape by Julia's broadcast rule.  Raises DimErr when the
    shapes are incompatible."""
    nd = max(len(wshape), len(shape))
    ws = list(wshape) + [1] * (nd - len(wshape))
    ys = list(shape) + [1] * (nd - len(shape))
    for a, b in zip(ws, ys):
        if not (a == b or a == 1 or b == 1):
            raise DimErr("weight of size %s does not broadcast against %s" % (wshape, shape))
        if a != b and b == 1:
            raise NotImplementedError("weight would enlarge the result shape")
    out = []
    for lin in range(prod(shape)):
        c = unravel(lin, ys)
        wc = [0 if ws[k] == 1 else c[k] for k in range(nd)]
        out.append(wdata[ravel(wc, ws)])
    return out


# ------------------------------------------------------------------------------------------------
# The fourteen losses
# ------------------------------------------------------------------------------------------------

AGGS = ("mean", "sum", "none")


def aggregate(vals, shape, agg):
    if agg == "mean":
        return ("scalar", vmean(vals))
    if agg == "sum":
        return ("scalar", vsum(vals))
    return ("array", list(vals), list(shape))


def add_results(a, b):
    if a[0] == "scalar":
        return ("scalar", add(a[1], b[1]))
    assert a[2] == b[2]
    return ("array", [add(x, y) for x, y in zip(a[1], b[1])], a[2])


def logsoftmax(vals, shape, dims):
    """x - m - log(sum(exp(x - m))) with m = maximum(x; dims), per slice.  Finite slices are
    evaluated as (x - m) [exact] - log1p(sum over all but one maximal element of exp(x - m)), which
    is the same real number without cancellation; slices with NaN/Inf follow IEEE literally."""
    out = [None] * len(vals)
    _, groups = group_indices(shape, dims)
    for g in groups:
        xs = [vals[i] for i in g]
        if not xs:
            continue
        if any(is_special(x) for x in xs):
            # inputs are Fractions or non-finite floats; Julia's maximum propagates NaN
            if any(is_special(x) and math.isnan(x) for x in xs):
                m = math.nan
            elif any(is_special(x) and x > 0 for x in xs):
                m = math.inf
            elif all(is_special(x) for x in xs):
                m = -math.inf
            else:
                m = max(x for x in xs if not is_special(x))
            d = [sub(x, m) for x in xs]
            lse = logv(vsum([expv(t) for t in d]))
            for i, t in zip(g, d):
                out[i] = sub(t, lse)
        else:
            m = max(xs)
            d = [x - m for x in xs]
            k = d.index(ZERO)
            rest = [expv(t) for j, t in enumerate(d) if j != k]
            s = vsum(rest)
            lse = ZERO if is_zero(s) else mpmath.log1p(to_mpf(s))
            for i, t in zip(g, d):
                out[i] = sub(t, lse)
    return out


def get_param(params, name, dtype, default):
    if name not in params:
        return default
    v = params[name]
    return parse_number(v, dtype)


def check_common(loss, params, dtype):
    agg = params.get("agg", "mean")
    if agg not in AGGS:
        raise ArgErr("unknown agg %r" % (agg,))
    if "dims" in params:
        if any(d < 1 for d in params["dims"]):
            raise ArgErr("dims must be >= 1")
    return agg


def elementwise(yhat, y, fn):
    return [fn(a, b) for a, b in zip(yhat, y)]


def compute(req, inputs_hook=None):
    """Evaluate a request. Returns ('scalar', v) / ('array', vals, shape) or raises LossError.
    `inputs_hook(yhat, y)`, if given, may replace the parsed (exact) input lists before the loss is
    evaluated; mpmath_gradient_oracle.py uses it to move one input element."""
    dtype = req["dtype"]
    loss = req["loss"]
    params = req.get("params", {})
    shape = list(req["shape"])
    n = prod(shape)
    yhat = [parse_number(t, dtype) for t in req["yhat"]]
    assert len(yhat) == n
    agg = check_common(loss, params, dtype)

    eps = get_param(params, "eps", dtype, DEFAULT_EPS[dtype])
    if not is_special(eps) and eps < 0:
        raise ArgErr("eps < 0")
    delta = get_param(params, "delta", dtype, ONE)
    if not is_special(delta) and delta <= 0:
        raise ArgErr("delta <= 0")
    smooth = get_param(params, "smooth", dtype, ONE)
    if not is_special(smooth) and smooth < 0:
        raise ArgErr("smooth < 0")
    beta = get_param(params, "beta", dtype, Fraction(round_fraction(Fraction(7, 10), dtype)))
    if not is_special(beta) and not (0 <= beta <= 1):
        raise ArgErr("beta outside [0, 1]")
    dims = params.get("dims", [1])

    # shapes
    if isinstance(req["y"], list):
        yshape = list(req.get("yshape", shape))
        if yshape != shape:
            raise DimErr("yhat has size %s, y has size %s" % (tuple(shape), tuple(yshape)))
        y = [parse_number(t, dtype) for t in req["y"]]
        assert len(y) == n
    else:
        y = [parse_number(req["y"], dtype)] * n
    if inputs_hook is not None:
        yhat, y = inputs_hook(yhat, y)

    weight = None
    if "weight" in params:
        w = params["weight"]
        if isinstance(w, dict):
            wdata = [parse_number(t, dtype) for t in w["data"]]
            weight = broadcast_weight(w["shape"], wdata, shape)
        else:
            weight = [parse_number(w, dtype)] * n

    if loss == "mae":
        return aggregate(elementwise(yhat, y, lambda a, b: absv(sub(a, b))), shape, agg)
    if loss == "mse":
        return aggregate(elementwise(yhat, y, lambda a, b: square(sub(a, b))), shape, agg)
    if loss == "msle":
        def f(a, b):
            return square(logv(div(add(a, eps), add(b, eps))))
        return aggregate(elementwise(yhat, y, f), shape, agg)
    if loss == "huber_loss":
        def f(a, b):
            e = absv(sub(a, b))
            if lt(e, delta):
                return mul(HALF, square(e))
            return mul(delta, sub(e, mul(HALF, delta)))
        return aggregate(elementwise(yhat, y, f), shape, agg)
    if loss == "crossentropy":
        terms = [xlogy(b, add(a, eps)) for a, b in zip(yhat, y)]
        if weight is not None:
            terms = [mul(w, t) for w, t in zip(weight, terms)]
        s, oshape = reduce_sum(terms, shape, dims)
        return aggregate([neg(v) for v in s], oshape, agg)
    if loss == "logitcrossentropy":
        ls = logsoftmax(yhat, shape, dims)
        if weight is not None:
            terms = [mul(mul(w, b), l) for w, b, l in zip(weight, y, ls)]
        else:
            terms = [mul(b, l) for b, l in zip(y, ls)]
        s, oshape = reduce_sum(terms, shape, dims)
        return aggregate([neg(v) for v in s], oshape, agg)
    if loss == "binarycrossentropy":
        def f(a, b):
            t1 = xlogy(b, add(a, eps))
            t2 = xlogy(sub(ONE, b), add(sub(ONE, a), eps))
            return sub(neg(t1), t2)
        return aggregate(elementwise(yhat, y, f), shape, agg)
    if loss == "logitbinarycrossentropy":
        def f(a, b):
            if is_special(a) or is_special(b):
                return sub(mul(sub(ONE, b), a), logsigma(a))
            # (1-y)a + max(-a,0) exactly, plus log1p(exp(-|a|))
            r, t = softplus_neg(a)
            return add((ONE - b) * a + r, t)
        return aggregate(elementwise(yhat, y, f), shape, agg)
    if loss == "kldivergence":
        ent_terms = [xlogx(b) for b in y]
        es, oshape = reduce_sum(ent_terms, shape, dims)
        entropy = aggregate(es, oshape, agg)
        terms = [xlogy(b, add(a, eps)) for a, b in zip(yhat, y)]
        s, oshape2 = reduce_sum(terms, shape, dims)
        ce = aggregate([neg(v) for v in s], oshape2, agg)
        return add_results(entropy, ce)
    if loss == "poisson_loss":
        return aggregate(elementwise(yhat, y, lambda a, b: sub(a, xlogy(b, a))), shape, agg)
    if loss == "hinge":
        return aggregate(elementwise(yhat, y, lambda a, b: max0(sub(ONE, mul(a, b)))), shape, agg)
    if loss == "squared_hinge":
        return aggregate(elementwise(yhat, y, lambda a, b: square(max0(sub(ONE, mul(a, b))))),
                         shape, agg)
    if loss == "dice_coeff_loss":
        syy = vsum([square(b) for b in y])
        shh = vsum([square(a) for a in yhat])
        sxy = vsum([mul(b, a) for a, b in zip(yhat, y)])
        num = add(mul(Fraction(2), sxy), smooth)
        den = add(add(syy, shh), smooth)
        return ("scalar", sub(ONE, div(num, den)))
    if loss == "tversky_loss":
        num = add(vsum([mul(b, a) for a, b in zip(yhat, y)]), ONE)
        terms = []
        for a, b in zip(yhat, y):
            t = add(add(mul(b, a), mul(mul(beta, sub(ONE, b)), a)),
                    mul(mul(sub(ONE, beta), b), sub(ONE, a)))
            terms.append(t)
        den = add(vsum(terms), ONE)
        return ("scalar", sub(ONE, div(num, den)))
    raise ValueError("unknown loss " + loss)


# ------------------------------------------------------------------------------------------------
# Oracle: evaluate at two precisions, require identical rounding
# ------------------------------------------------------------------------------------------------


def outcome_of(v):
    if is_special(v):
        if math.isnan(v):
            return "NaN"
        return "+Inf" if v > 0 else "-Inf"
    return "finite"


def rounded_keys(dtype):
    """The correctly rounded members of an oracle object: float32 and float64, and for a half
    dtype request also that dtype (float16 or bfloat16)."""
    return ("float32", "float64") + ((dtype,) if dtype in HALF_DTYPES else ())


def describe(v, keys=("float32", "float64")):
    return (exact_string(v),) + tuple(fmt_float(round_value(v, k), k) for k in keys)


def evaluate_at(req, prec):
    keys = rounded_keys(req["dtype"])
    with mp.workprec(prec):
        try:
            res = compute(req)
        except LossError as e:
            return {"outcome": e.kind}
        if res[0] == "scalar":
            v = res[1]
            d = describe(v, keys)
            out = {"outcome": outcome_of(v), "exact": d[0]}
            out.update(zip(keys, d[1:]))
            return out
        vals, shape = res[1], res[2]
        ds = [describe(v, keys) for v in vals]
        out = {"outcome": "array", "shape": shape, "exact": [d[0] for d in ds]}
        for i, k in enumerate(keys):
            out[k] = [d[i + 1] for d in ds]
        return out


def oracle(req):
    lo = evaluate_at(req, PREC_LO)
    hi = evaluate_at(req, PREC_HI)
    if lo != hi:
        raise RuntimeError("precision disagreement for %s:\n %r\n %r" % (req["id"], lo, hi))
    return hi


# ------------------------------------------------------------------------------------------------
# JSON output with raw number tokens (so float32 values keep their shortest float32 decimal)
# ------------------------------------------------------------------------------------------------


class Raw(str):
    """A JSON number token written verbatim."""


def jstr(s):
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def dumps(o):
    if isinstance(o, Raw):
        return str(o)
    if isinstance(o, bool):
        return "true" if o else "false"
    if isinstance(o, int):
        return str(o)
    if isinstance(o, str):
        return jstr(o)
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(dumps(x) for x in o) + "]"
    if isinstance(o, dict):
        return "{" + ",".join(jstr(k) + ":" + dumps(v) for k, v in o.items()) + "}"
    raise TypeError(type(o))


def tok(x, dtype):
    """Input token for a value: x is a float (rounded to dtype exactly), a Fraction, or a decimal
    string; non-finite -> JSON string.  Also checks that the double-then-float32 parse path gives
    the same value (so a consumer parsing via Double is not misled)."""
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return fmt_float(x, dtype)
    if isinstance(x, str):
        x = Fraction(x)
    f = round_fraction(Fraction(x), dtype)
    if math.isinf(f):
        raise ValueError("value overflows %s: %r" % (dtype, x))
    if f == 0:
        f = 0.0                           # no negative-zero inputs
    s = fmt_float(f, dtype)
    if dtype == "float32":
        via_double = float(np.float32(float(s)))
        if via_double != f:
            raise ValueError("double-rounding hazard for %s" % s)
    elif dtype in HALF_DTYPES:
        if round_fraction(Fraction(float(s)), dtype) != f:
            raise ValueError("double-rounding hazard for %s" % s)
    return Raw(s)


def toks(xs, dtype):
    return [tok(x, dtype) for x in xs]


# ------------------------------------------------------------------------------------------------
# Case generation
# ------------------------------------------------------------------------------------------------

R = random.Random(SEED)
CASES = []
COUNTERS = Counter()

NAN = math.nan
INF = math.inf


def add_case(loss, dtype, category, shape, yhat, y, params=None, yshape=None, only=None):
    """Append one case.  `only` restricts the case to one dtype (keeps the file small)."""
    if only is not None and only != dtype:
        return None
    key = (loss, dtype, category)
    COUNTERS[key] += 1
    cid = "%s-%s-%s-%d" % (loss, SHORT[dtype], category, COUNTERS[key])
    req = OrderedDict()
    req["id"] = cid
    req["loss"] = loss
    req["dtype"] = dtype
    req["shape"] = list(shape)
    req["yhat"] = toks(yhat, dtype)
    if isinstance(y, list):
        req["y"] = toks(y, dtype)
    else:
        req["y"] = tok(y, dtype)
    if yshape is not None:
        req["yshape"] = list(yshape)
    p = OrderedDict()
    for k, v in (params or {}).items():
        if k in ("eps", "delta", "smooth", "beta"):
            p[k] = tok(v, dtype)
        elif k == "weight":
            if isinstance(v, dict):
                p[k] = OrderedDict([("shape", list(v["shape"])), ("data", toks(v["data"], dtype))])
            else:
                p[k] = tok(v, dtype)
        else:
            p[k] = v
    req["params"] = p
    CASES.append((req, category))
    return req


def unif(a, b):
    return R.uniform(a, b)


def vec(n, a, b):
    return [unif(a, b) for _ in range(n)]


def prob_columns(C, B, alpha=1.0, rng=None):
    """C x B column-major matrix whose columns are probability vectors (before rounding);
    drawn from `rng` (default: this script's generator R)."""
    rng = rng or R
    out = []
    for _ in range(B):
        w = [rng.expovariate(1.0) ** alpha + 1e-3 for _ in range(C)]
        s = sum(w)
        out.extend(x / s for x in w)
    return out


def onehot_columns(C, B, rng=None):
    """C x B column-major one-hot columns, drawn from `rng` (default: R)."""
    rng = rng or R
    out = []
    for _ in range(B):
        k = rng.randrange(C)
        out.extend(1.0 if i == k else 0.0 for i in range(C))
    return out


def labels01(n):
    return [float(R.randrange(2)) for _ in range(n)]


DTYPES = ("float32", "float64")

ELEMENTWISE = ("mae", "mse", "msle", "huber_loss", "binarycrossentropy",
               "logitbinarycrossentropy", "poisson_loss", "hinge", "squared_hinge")


def domain_gen(loss):
    """Random (yhat, y) element generators for the benign domain of each elementwise loss."""
    if loss in ("mae", "mse", "huber_loss"):
        return (lambda: unif(-3, 3)), (lambda: unif(-3, 3))
    if loss == "msle":
        return (lambda: unif(0.01, 5)), (lambda: unif(0.01, 5))
    if loss == "binarycrossentropy":
        return (lambda: unif(0.001, 0.999)), (lambda: float(R.randrange(2)))
    if loss == "logitbinarycrossentropy":
        return (lambda: unif(-6, 6)), (lambda: float(R.randrange(2)))
    if loss == "poisson_loss":
        return (lambda: unif(0.05, 6)), (lambda: float(R.randrange(6)))
    if loss in ("hinge", "squared_hinge"):
        return (lambda: R.gauss(0, 1.5)), (lambda: R.choice([-1.0, 1.0]))
    if loss in ("dice_coeff_loss", "tversky_loss"):
        return (lambda: unif(0, 1)), (lambda: float(R.randrange(2)))
    raise ValueError(loss)


def gen_pair(loss, n):
    gh, gy = domain_gen(loss)
    return [gh() for _ in range(n)], [gy() for _ in range(n)]


def gen_benign_elementwise(loss, dtype):
    for shape, params in [([R.randint(3, 12)], {}),
                          ([3, 4], {"agg": "none"}),
                          ([2, 3, 2], {"agg": "sum"}),
                          ([R.randint(33, 64)], {})]:
        yh, y = gen_pair(loss, prod(shape))
        add_case(loss, dtype, "benign", shape, yh, y, params,
                 only="float64" if prod(shape) > 32 else None)
    # scalar target
    gh, gy = domain_gen(loss)
    n = R.randint(3, 8)
    yh = [gh() for _ in range(n)]
    yc = gy()
    if loss == "binarycrossentropy":
        add_case(loss, dtype, "benign", [3], [0.1, 0.2, 0.9], 1.0)      # the seed's own example
        add_case(loss, dtype, "benign", [2, 2], [0.3, 0.6, 0.8, 0.05], 0.0, {"agg": "none"})
    else:
        add_case(loss, dtype, "benign", [n], yh, yc)
        add_case(loss, dtype, "benign", [2, 2], [gh() for _ in range(4)], gy(), {"agg": "none"}, only="float32")


def gen_elementwise_specific(loss, dtype):
    f32 = dtype == "float32"
    if loss == "mae":
        add_case(loss, dtype, "benign", [2], [1.0, 2.0], [0.0, 0.0])
        big = 3e38 if f32 else 1.7e308
        add_case(loss, dtype, "extreme", [2], [big, big], [0.0, 0.0])                 # mean of two maxima
        add_case(loss, dtype, "extreme", [2], [big, -big], [-big, big], {"agg": "sum"})  # diff overflows
        add_case(loss, dtype, "extreme", [2], [big, big / 2], [-big / 2, 0.0], only="float64")
        sub_ = "1e-45" if f32 else "5e-324"
        s2 = "3e-45" if f32 else "1e-323"
        add_case(loss, dtype, "subnormal", [2], [sub_, s2], [0.0, 0.0])            # tie -> even
        add_case(loss, dtype, "subnormal", [3], [sub_, sub_, sub_], [0.0, 0.0, 0.0], only="float32")
        add_case(loss, dtype, "nonfinite", [3], [INF, 1.0, 2.0], [0.0, 0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [INF, 0.0])
        add_case(loss, dtype, "nonfinite", [3], [NAN, 1.0, 2.0], [0.0, 0.0, 0.0], {"agg": "none"}, only="float32")
        add_case(loss, dtype, "nonfinite", [2], [-INF, 1.0], [INF, 0.0], {"agg": "sum"}, only="float64")
    elif loss == "mse":
        add_case(loss, dtype, "benign", [2], [1.0, 2.0], [0.0, 0.0])
        add_case(loss, dtype, "benign", [4], [0.9, 0.1, 0.1, 0.9], [1.0, 1.0, 0.0, 0.0], only="float32")
        big = 3e38 if f32 else 1e308
        sq = 2e19 if f32 else 1.5e154
        add_case(loss, dtype, "extreme", [2], [sq, -sq], [0.0, 0.0])                  # squares overflow
        add_case(loss, dtype, "extreme", [2], [big, 1.0], [-big, 1.0], {"agg": "none"})
        add_case(loss, dtype, "extreme", [3], [1e19 if f32 else 1e153, 1.0, 0.5], [0.0, 0.0, 0.0], only="float64")
        tiny = "1e-45" if f32 else "5e-324"
        add_case(loss, dtype, "subnormal", [2], [tiny, "2e-45" if f32 else "1e-323"], [0.0, 0.0])
        add_case(loss, dtype, "subnormal", [2], ["1e-23", "3e-23"] if f32 else ["1e-162", "3e-162"],
                 [0.0, 0.0])
        # near-perfect fit
        y = [unif(-2, 2) for _ in range(6)]
        yh = [float(np.nextafter(np.float32(v), np.float32(np.inf))) if f32 else math.nextafter(v, math.inf)
              for v in [float(np.float32(v)) if f32 else v for v in y]]
        add_case(loss, dtype, "cancellation", [6], yh, y)
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [INF, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [-INF, 1.0], [0.0, 0.0], {"agg": "sum"})
        add_case(loss, dtype, "nonfinite", [2], [NAN, 1.0], [0.0, 0.0])
    elif loss == "msle":
        add_case(loss, dtype, "eps", [3], [0.5, 1.0, 2.0], [1.0, 1.0, 1.0], {"eps": 0.0})
        add_case(loss, dtype, "eps", [3], [0.0, 1.0, 2.0], [0.0, 0.5, 2.0])
        add_case(loss, dtype, "eps", [3], [0.0, 1.0, 2.0], [1.0, 0.5, 2.0], {"eps": 0.0})  # log 0 -> +Inf
        add_case(loss, dtype, "eps", [2], [0.25, 3.0], [0.5, 1.0], {"eps": 0.01, "agg": "none"}, only="float32")
        big = 3e38 if f32 else 1.7e308
        tiny = 1e-38 if f32 else 1e-307
        add_case(loss, dtype, "extreme", [2], [big, 1.0], [tiny, 1.0], {"eps": 0.0})  # huge quotient
        add_case(loss, dtype, "extreme", [2], [tiny, 2.0], [big, 2.0])
        add_case(loss, dtype, "subnormal", [2], ["1e-45" if f32 else "5e-324", 1.0], [1.0, 1.0], {"eps": 0.0})
        # cancellation: yhat == y and yhat = y(1 + ulp)
        y = [unif(0.5, 4) for _ in range(5)]
        y = [float(np.float32(v)) if f32 else v for v in y]
        add_case(loss, dtype, "cancellation", [5], y, y)
        yh = [float(np.nextafter(np.float32(v), np.float32(np.inf))) if f32 else math.nextafter(v, math.inf)
              for v in y]
        add_case(loss, dtype, "cancellation", [5], yh, y, {"agg": "sum"})
        add_case(loss, dtype, "boundary", [2], [-2.0, -0.5], [-3.0, -0.25], {"eps": 0.0})  # both negative: ratio > 0
        add_case(loss, dtype, "error", [2], [-0.5, 1.0], [1.0, 1.0])                      # negative ratio
        add_case(loss, dtype, "error", [2], [1.0, 1.0], [1.0, -2.0], {"agg": "none"})
        add_case(loss, dtype, "error", [2], [1.0, 1.0], [1.0, 1.0], {"eps": -1e-3}, only="float32")
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [NAN, 1.0], [1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [INF, 1.0], only="float64")
    elif loss == "huber_loss":
        add_case(loss, dtype, "benign", [5], vec(5, -3, 3), vec(5, -3, 3), {"delta": 0.5})
        add_case(loss, dtype, "benign", [2, 3], vec(6, -3, 3), vec(6, -3, 3), {"delta": 2.0, "agg": "none"})
        add_case(loss, dtype, "boundary", [2], [1.5, 0.75], [0.5, 0.25], {"delta": 1.0, "agg": "none"})
        add_case(loss, dtype, "boundary", [2], [1.5, 0.75], [0.5, 0.25], {"delta": 0.5}, only="float32")
        d = 0.1
        dd = float(np.float32(d)) if f32 else d
        add_case(loss, dtype, "boundary", [3], [dd, 0.0, -dd], [0.0, dd, 0.0], {"delta": d, "agg": "none"})
        add_case(loss, dtype, "boundary", [2], [1.0, -1.0], [0.0, 0.0], only="float64")  # e == default delta
        big = 1e30 if f32 else 1e300
        add_case(loss, dtype, "extreme", [2], [big, 0.5], [0.0, 0.0])                    # untaken-branch overflow
        add_case(loss, dtype, "extreme", [2], [3e38 if f32 else 1.7e308, 0.0], [-3e38 if f32 else -1.7e308, 0.0])
        add_case(loss, dtype, "subnormal", [2], ["1e-45" if f32 else "5e-324", 0.0], [0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 0.0], [0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [NAN, 0.0], [0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 0.0], [INF, 0.0], {"agg": "none"})
        add_case(loss, dtype, "error", [2], [1.0, 0.0], [0.0, 0.0], {"delta": 0.0})
        add_case(loss, dtype, "error", [2], [1.0, 0.0], [0.0, 0.0], {"delta": -1.0})
    elif loss == "binarycrossentropy":
        yh = [unif(0.01, 0.99) for _ in range(6)]
        add_case(loss, dtype, "benign", [6], yh, vec(6, 0, 1))                           # soft labels
        add_case(loss, dtype, "eps", [6], [0.0, 0.0, "1e-30", "1e-30", 1.0, 1.0],
                 [0.0, 1.0, 0.0, 1.0, 0.0, 1.0], {"agg": "none"})
        add_case(loss, dtype, "eps", [3], [0.0, 1.0, 0.5], [1.0, 0.0, 0.5], {"eps": 0.0})  # +Inf
        add_case(loss, dtype, "eps", [3], [0.0, 1.0, 0.5], [0.0, 1.0, 0.5], {"eps": 0.0}, only="float64")
        add_case(loss, dtype, "eps", [4], [0.0, 1.0, 0.2, 0.7], [1.0, 0.0, 1.0, 0.0], {"eps": 1e-7})
        add_case(loss, dtype, "eps", [2], [1.0, 1.0], [1.0, 1.0])                        # slightly negative
        add_case(loss, dtype, "subnormal", [2], ["1e-45" if f32 else "5e-324", 0.5], [1.0, 0.0], {"eps": 0.0})
        add_case(loss, dtype, "nonfinite", [2], [NAN, 0.5], [0.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [NAN, 0.5], [1.0, 1.0], only="float32")
        add_case(loss, dtype, "nonfinite", [2], [0.5, 0.5], [INF, 1.0])
        add_case(loss, dtype, "error", [3], [0.1, 1.5, 0.2], [1.0, 0.0, 1.0])
        add_case(loss, dtype, "error", [2], [-0.5, 0.2], [0.0, 1.0])
        add_case(loss, dtype, "error", [2], [0.5, 0.2], [0.0, 1.0], {"eps": -1e-7}, only="float64")
    elif loss == "logitbinarycrossentropy":
        add_case(loss, dtype, "benign", [6], vec(6, -6, 6), vec(6, 0, 1))
        for L in ([30.0, -30.0], [100.0, -100.0], [1e4, -1e4], [1e30, -1e30]):
            add_case(loss, dtype, "saturated", [4], [L[0], L[1], L[0], L[1]], [1.0, 1.0, 0.0, 0.0],
                     {"agg": "none"})
        add_case(loss, dtype, "saturated", [4], [30.0, -30.0, 1e30, -1e30], [1.0, 0.0, 1.0, 0.0])
        add_case(loss, dtype, "saturated", [3], [1e4, 1e4, 100.0], [1.0, 1.0, 1.0], {"agg": "sum"})
        big = 3e38 if f32 else 1.7e308
        add_case(loss, dtype, "extreme", [2], [big, -big], [0.0, 1.0])
        add_case(loss, dtype, "extreme", [2], [big, -big], [1.0, 0.0])
        add_case(loss, dtype, "subnormal", [2], ["1e-45" if f32 else "5e-324", 0.0], [1.0, 0.0])
        add_case(loss, dtype, "nonfinite", [4], [INF, INF, -INF, -INF], [0.0, 1.0, 0.0, 1.0], {"agg": "none"})
        add_case(loss, dtype, "nonfinite", [2], [NAN, 0.0], [1.0, 1.0])
    elif loss == "poisson_loss":
        add_case(loss, dtype, "boundary", [3], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0])
        add_case(loss, dtype, "boundary", [2], [0.0, 1.0], [2.0, 1.0])                    # +Inf
        add_case(loss, dtype, "boundary", [2], [0.0, 1.0], [-1.0, 1.0])                   # -Inf
        e = math.e
        ee = float(np.float32(e)) if f32 else e
        add_case(loss, dtype, "cancellation", [1], [ee], [ee])
        add_case(loss, dtype, "cancellation", [3], [ee, 1.0, 2.0], [ee, 1.0, 2.0], {"agg": "none"})
        big = 3e38 if f32 else 1.7e308
        add_case(loss, dtype, "extreme", [2], [big, 1.0], [big, 1.0])
        add_case(loss, dtype, "extreme", [2], [big, big], [0.0, 1.0], {"agg": "sum"})
        add_case(loss, dtype, "subnormal", [2], ["1e-45" if f32 else "5e-324", 0.5], [1.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [0.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [1.0, 1.0], [NAN, 1.0])
        add_case(loss, dtype, "error", [2], [-1.0, 1.0], [1.0, 1.0])
        add_case(loss, dtype, "error", [2], [-1.0, 1.0], [0.0, 1.0])                      # DomainError even with y=0
    elif loss in ("hinge", "squared_hinge"):
        add_case(loss, dtype, "boundary", [4], [0.5, -0.25, 1.0, 0.125], [2.0, -4.0, 1.0, 8.0],
                 {"agg": "none"})
        add_case(loss, dtype, "boundary", [3], [0.5, 0.3, -2.0], [2.0, 1.0, 1.0])
        add_case(loss, dtype, "boundary", [3], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], only="float32")  # exactly 0
        big = 3e38 if f32 else 1.7e308
        add_case(loss, dtype, "extreme", [2], [-big, 0.5], [big, 1.0])
        add_case(loss, dtype, "extreme", [2], [1e19 if f32 else 1e154, 0.0], [-1.0, 1.0])
        add_case(loss, dtype, "subnormal", [2], ["1e-45" if f32 else "5e-324", 1.0], [-1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [3], [NAN, 2.0, 2.0], [1.0, 1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 0.0], [1.0, 1.0], only="float32")
        add_case(loss, dtype, "nonfinite", [2], [INF, 0.5], [0.0, 1.0], {"agg": "none"})
        add_case(loss, dtype, "nonfinite", [2], [-INF, 0.5], [1.0, 1.0])


def gen_empty(loss, dtype, dims_loss=False, noagg=False):
    if noagg:
        cases = [([0], {}, "float32"), ([3, 0], {}, "float64")]
    elif dims_loss:
        cases = [([3, 0], {}, "float32"), ([0, 4], {}, None), ([0], {"agg": "sum"}, "float64"),
                 ([3, 0], {"agg": "none"}, "float64")]
    else:
        cases = [([0], {}, None), ([0, 4], {"agg": "none"}, "float32"), ([3, 0], {"agg": "sum"}, "float64")]
    for shape, params, only in cases:
        add_case(loss, dtype, "empty", shape, [], [], params, only=only)


def gen_dimension_mismatch(loss, dtype):
    gh, gy = domain_gen_any(loss)
    if dtype == "float32" or loss == "mse":
        add_case(loss, dtype, "error", [3], [gh() for _ in range(3)], [gy() for _ in range(4)], {}, yshape=[4])
    if dtype == "float64" or loss == "mse":
        add_case(loss, dtype, "error", [2, 3], [gh() for _ in range(6)], [gy() for _ in range(6)], {}, yshape=[3, 2])


def domain_gen_any(loss):
    if loss in ("crossentropy", "kldivergence"):
        return (lambda: unif(0.05, 0.9)), (lambda: unif(0, 1))
    if loss == "logitcrossentropy":
        return (lambda: unif(-3, 3)), (lambda: unif(0, 1))
    return domain_gen(loss)


def gen_argument_errors(loss, dtype):
    gh, gy = domain_gen_any(loss)
    if loss not in ("dice_coeff_loss", "tversky_loss") and dtype == "float64":
        add_case(loss, dtype, "error", [3], [gh() for _ in range(3)], [gy() for _ in range(3)], {"agg": "median"})


def gen_dims_loss(loss, dtype):
    f32 = dtype == "float32"
    ce = loss in ("crossentropy", "kldivergence")

    def pred(C, B):
        return prob_columns(C, B) if ce else [unif(-4, 4) for _ in range(C * B)]

    # benign
    add_case(loss, dtype, "benign", [5], pred(5, 1), onehot_columns(5, 1), only="float32")
    add_case(loss, dtype, "benign", [3, 4], pred(3, 4), onehot_columns(3, 4))
    add_case(loss, dtype, "benign", [4, 3], pred(4, 3), prob_columns(4, 3), {"agg": "sum"}, only="float32")
    add_case(loss, dtype, "benign", [3, 5], pred(3, 5), prob_columns(3, 5), {"agg": "none"}, only="float64")
    add_case(loss, dtype, "benign", [4, 3], pred(4, 3), onehot_columns(4, 3), {"dims": [2]})
    add_case(loss, dtype, "benign", [3, 4], pred(3, 4), prob_columns(3, 4), {"dims": [1, 2]})
    add_case(loss, dtype, "benign", [2, 3, 4], pred(2, 12), onehot_columns(2, 12), only="float64")
    add_case(loss, dtype, "benign", [2, 3, 4], pred(2, 12), prob_columns(2, 12), {"dims": [2], "agg": "none"})
    add_case(loss, dtype, "benign", [2, 3, 2], pred(2, 6), prob_columns(2, 6), {"dims": [1, 3], "agg": "none"})
    if loss != "kldivergence":
        add_case(loss, dtype, "benign", [3, 4], pred(3, 4), onehot_columns(3, 4), {"weight": 0.5},
                 only="float32")
        add_case(loss, dtype, "benign", [3, 4], pred(3, 4), onehot_columns(3, 4),
                 {"weight": {"shape": [3, 1], "data": [0.2, 1.0, 3.0]}})
        add_case(loss, dtype, "benign", [3, 4], pred(3, 4), prob_columns(3, 4),
                 {"weight": {"shape": [3, 1], "data": [1.5, 0.25, 2.0]}, "agg": "none"}, only="float64")
        add_case(loss, dtype, "benign", [3, 4], pred(3, 4), prob_columns(3, 4),
                 {"weight": {"shape": [1, 4], "data": [1.0, 2.0, 0.5, 0.1]}, "dims": [1], "agg": "sum"},
                 only="float64")
        add_case(loss, dtype, "error", [3, 2], pred(3, 2), onehot_columns(3, 2),
                 {"weight": {"shape": [4, 1], "data": [1.0, 2.0, 3.0, 4.0]}}, only="float32")
    # dims beyond ndims (Julia: a size-1 dimension)
    add_case(loss, dtype, "boundary", [3, 2], pred(3, 2), onehot_columns(3, 2), {"dims": [3], "agg": "none"},
             only="float64")

    if ce:
        # eps = 0, eps-dominated, custom eps
        add_case(loss, dtype, "eps", [3, 2], [0.0, 0.5, 0.5, 0.2, 0.3, 0.5], [0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                 {"eps": 0.0})
        add_case(loss, dtype, "eps", [3, 2], [0.0, 0.5, 0.5, 0.2, 0.3, 0.5], [1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
                 {"eps": 0.0})                                                          # log(0) -> +Inf
        add_case(loss, dtype, "eps", [3, 2], [0.0, "1e-30", 1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.5, 0.5],
                 {"agg": "none"})
        add_case(loss, dtype, "eps", [4], prob_columns(4, 1), onehot_columns(4, 1), {"eps": 1e-3}, only="float64")
        add_case(loss, dtype, "subnormal", [2, 2], ["1e-45" if f32 else "5e-324", 1.0, 0.5, 0.5],
                 [1.0, 0.0, 0.5, 0.5], {"eps": 0.0})
        add_case(loss, dtype, "extreme", [2, 2], [1e-38 if f32 else 1e-307, 1.0, 0.5, 0.5],
                 [3e38 if f32 else 1.7e308, 0.0, 0.5, 0.5], {"eps": 0.0})
        add_case(loss, dtype, "nonfinite", [3], [NAN, 0.5, 0.5], [0.0, 0.5, 0.5])            # xlogy(0, NaN) = 0
        add_case(loss, dtype, "nonfinite", [3], [NAN, 0.5, 0.5], [0.5, 0.5, 0.0])
        add_case(loss, dtype, "nonfinite", [3], [INF, 0.5, 0.5], [0.0, 0.5, 0.5], only="float32")
        add_case(loss, dtype, "nonfinite", [2, 2], [INF, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], {"agg": "none"})
        add_case(loss, dtype, "error", [3], [-0.5, 0.5, 1.0], [0.0, 0.5, 0.5])               # DomainError (y = 0)
        add_case(loss, dtype, "error", [2], [0.5, 0.5], [0.5, 0.5], {"eps": -1e-7})
        add_case(loss, dtype, "error", [2, 2], [0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], {"dims": [0]})
        if loss == "kldivergence":
            add_case(loss, dtype, "error", [3], [0.2, 0.3, 0.5], [-0.1, 0.6, 0.5])            # xlogx(y < 0)
            p = prob_columns(4, 3)
            add_case(loss, dtype, "cancellation", [4, 3], p, p, {"eps": 0.0})                 # exactly 0
            add_case(loss, dtype, "cancellation", [4, 3], p, p)                                 # slightly negative
            add_case(loss, dtype, "cancellation", [4, 3], p, p, {"agg": "none"}, only="float64")
            q = [float(np.float32(v)) if f32 else v for v in prob_columns(5, 1)]
            qh = [float(np.nextafter(np.float32(v), np.float32(np.inf))) if f32 else math.nextafter(v, math.inf)
                  for v in q]
            add_case(loss, dtype, "cancellation", [5], qh, q, {"eps": 0.0})
            add_case(loss, dtype, "eps", [3], [0.2, 0.3, 0.5], [0.0, 0.5, 0.5], {"eps": 0.0}, only="float32")
        else:
            add_case(loss, dtype, "extreme", [3], [0.5, 0.5, 0.5], [1.0, 0.0, 0.0], {"weight": 3e38 if f32 else 1.7e308},
                     only="float32")
    else:
        # logitcrossentropy: saturated / dominant logits
        add_case(loss, dtype, "saturated", [3, 2], [30.0, 0.0, 0.0, 0.0, -30.0, 0.0], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                 {"agg": "none"})
        add_case(loss, dtype, "saturated", [3, 2], [1e4, 0.0, -1e4, 100.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
                 {"agg": "none"})
        add_case(loss, dtype, "saturated", [3], [1e30, 0.0, -1e30], [0.0, 1.0, 0.0])
        add_case(loss, dtype, "saturated", [3], [1e30, 1e30, 0.0], [0.5, 0.5, 0.0])
        add_case(loss, dtype, "saturated", [4], [100.0, 100.0, 100.0, 100.0], [1.0, 0.0, 0.0, 0.0], only="float32")
        big = 3e38 if f32 else 1.7e308
        add_case(loss, dtype, "extreme", [2], [big, -big], [0.0, 1.0])
        add_case(loss, dtype, "extreme", [2], [big, -big], [1.0, 0.0])
        add_case(loss, dtype, "subnormal", [3], ["1e-45" if f32 else "5e-324", 0.0, "-1e-45" if f32 else "-5e-324"],
                 [1.0, 0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [3], [-INF, 0.0, 1.0], [0.0, 0.5, 0.5])         # 0 * -Inf = NaN
        add_case(loss, dtype, "nonfinite", [3], [INF, 0.0, 1.0], [1.0, 0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2, 2], [NAN, 0.0, 1.0, 2.0], [1.0, 0.0, 1.0, 0.0], {"agg": "none"})
        add_case(loss, dtype, "error", [2, 2], [0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], {"dims": [0]})
        add_case(loss, dtype, "boundary", [4], [2.0, 2.0, 2.0, 2.0], [0.25, 0.25, 0.25, 0.25])
    # scalar target
    if loss != "kldivergence":
        add_case(loss, dtype, "benign", [3, 2], pred(3, 2), 1.0 if ce else 0.5)


def gen_dice_tversky(loss, dtype):
    f32 = dtype == "float32"
    pname = "smooth" if loss == "dice_coeff_loss" else "beta"
    for shape in ([4, 4], [2, 3, 4], [R.randint(40, 64)]):
        n = prod(shape)
        add_case(loss, dtype, "benign", shape, vec(n, 0, 1), labels01(n))
    add_case(loss, dtype, "benign", [5], vec(5, 0, 1), vec(5, 0, 1), only="float64")     # soft targets
    add_case(loss, dtype, "benign", [3], [0.9, 0.1, 0.4], [1.0, 0.0, 1.0])
    vals = [(0.0, None), (0.5, "float32"), (100.0, "float64")] if pname == "smooth" else \
        [(0.0, None), (0.3, "float32"), (1.0, None)]
    for v, only in vals:
        add_case(loss, dtype, "benign", [6], vec(6, 0, 1), labels01(6), {pname: v}, only=only)
    if pname == "beta":
        add_case(loss, dtype, "benign", [4], [0.9, 0.1, 0.6, 0.3], [1.0, 0.0, 0.0, 1.0], {"beta": 0.7},
                 only="float32")
        add_case(loss, dtype, "benign", [3, 2], vec(6, 0, 1), 1.0, only="float64")         # scalar target
    # perfect / near-perfect fit
    y = labels01(8)
    add_case(loss, dtype, "cancellation", [8], list(y), y, only="float32")
    yv = [float(np.float32(v)) if f32 else v for v in vec(8, 0.1, 0.9)]
    add_case(loss, dtype, "cancellation", [8], yv, yv)
    yh = [float(np.nextafter(np.float32(v), np.float32(np.inf))) if f32 else math.nextafter(v, math.inf) for v in y]
    add_case(loss, dtype, "cancellation", [8], yh, y)
    add_case(loss, dtype, "cancellation", [8], [1.0] * 8, [1.0] * 8, {pname: 0.0} if pname == "smooth" else {},
             only="float64")
    # extreme: squares overflow the dtype, ratio representable
    big = 2e19 if f32 else 1.5e154
    add_case(loss, dtype, "extreme", [3], [big, big, 1.0], [big, 0.0, 1.0])
    add_case(loss, dtype, "extreme", [2], [3e38 if f32 else 1.7e308, 1.0], [1.0, 1.0])
    add_case(loss, dtype, "subnormal", [3], ["1e-45" if f32 else "5e-324", 0.0, 0.0], [1.0, 0.0, 0.0],
             {pname: 0.0} if pname == "smooth" else {})
    # all zeros with smooth = 0 -> 0/0
    add_case(loss, dtype, "boundary", [4], [0.0] * 4, [0.0] * 4, {pname: 0.0} if pname == "smooth" else {})
    if pname == "beta":
        add_case(loss, dtype, "boundary", [1], [-1.0], [-1.0], {"beta": 0.5})              # den == 0 -> -Inf
    add_case(loss, dtype, "nonfinite", [3], [NAN, 0.5, 0.5], [1.0, 0.0, 1.0])
    add_case(loss, dtype, "nonfinite", [3], [INF, 0.5, 0.5], [1.0, 0.0, 1.0])
    add_case(loss, dtype, "nonfinite", [3], [INF, 0.5, 0.5], [0.0, 0.0, 1.0])
    if pname == "smooth":
        add_case(loss, dtype, "error", [3], [0.5, 0.5, 0.5], [1.0, 0.0, 1.0], {"smooth": -1.0})
    else:
        add_case(loss, dtype, "error", [3], [0.5, 0.5, 0.5], [1.0, 0.0, 1.0], {"beta": 1.5})
        add_case(loss, dtype, "error", [3], [0.5, 0.5, 0.5], [1.0, 0.0, 1.0], {"beta": -0.1})


ALL_LOSSES = ("mae", "mse", "msle", "huber_loss", "crossentropy", "logitcrossentropy",
              "binarycrossentropy", "logitbinarycrossentropy", "kldivergence", "poisson_loss",
              "hinge", "squared_hinge", "dice_coeff_loss", "tversky_loss")


def generate():
    for loss in ALL_LOSSES:
        for dtype in DTYPES:
            if loss in ELEMENTWISE:
                gen_benign_elementwise(loss, dtype)
                gen_elementwise_specific(loss, dtype)
                gen_empty(loss, dtype)
            elif loss in ("crossentropy", "logitcrossentropy", "kldivergence"):
                gen_dims_loss(loss, dtype)
                gen_empty(loss, dtype, dims_loss=True)
            else:
                gen_dice_tversky(loss, dtype)
                gen_empty(loss, dtype, noagg=True)
            gen_dimension_mismatch(loss, dtype)
            gen_argument_errors(loss, dtype)


# ------------------------------------------------------------------------------------------------
# Half-precision cases (float16, bfloat16; issue 15): `--half` writes half_cases.jsonl
# ------------------------------------------------------------------------------------------------
# A generator of its own (seed SEED_HALF), so oracle_cases.jsonl is unchanged byte for byte.  The
# regimes that matter in half precision: exp of logits beyond ~11.1 overflows Float16 (88.7 in
# BFloat16); the default ϵ (2⁻¹⁰, 2⁻⁷) dominates small probabilities; squares near the Float16
# maximum 65504 (a residual of 300: 90000 rounds to Infinity, 255: 65025 fits); subnormals (2⁻²⁴,
# 2⁻¹³³); and sums of thousands of elements, where an accumulation in the dtype stalls.

SEED_HALF = 20261515
RH = random.Random(SEED_HALF)
HALF_MAX = {"float16": 65504.0, "bfloat16": float((2 - Fraction(1, 2 ** 7)) * Fraction(2) ** 127)}
HALF_TINY = {"float16": "6e-08", "bfloat16": "9.2e-41"}           # the least subnormals 2⁻²⁴, 2⁻¹³³
HALF_MIN_NORMAL = {"float16": math.ldexp(1, -14), "bfloat16": math.ldexp(1, -126)}


def hround(x, dtype):
    """x (a float, decimal string or Fraction) rounded to the dtype, as a float."""
    return round_fraction(Fraction(x), dtype)


def hnext(x, dtype):
    """The next value of the dtype above the finite dtype value x."""
    p, emin, _ = FORMATS[dtype]
    a = Fraction(x)
    if a == 0:
        return math.ldexp(1, emin - p + 1)
    e = max(math.floor(math.log2(abs(x))), emin)
    if a < 0 and abs(a) == Fraction(2) ** e and e > emin:
        e -= 1
    return float(a + Fraction(2) ** (e - p + 1))


def hunif(a, b):
    return RH.uniform(a, b)


def hvec(n, a, b):
    return [hunif(a, b) for _ in range(n)]


def hdomain(loss):
    """Random (ŷ, y) element generators of each loss's natural domain (half cases)."""
    if loss in ("mae", "mse", "huber_loss"):
        return (lambda: hunif(-3, 3)), (lambda: hunif(-3, 3))
    if loss == "msle":
        return (lambda: hunif(0.01, 5)), (lambda: hunif(0.01, 5))
    if loss == "binarycrossentropy":
        return (lambda: hunif(0.001, 0.999)), (lambda: float(RH.randrange(2)))
    if loss == "logitbinarycrossentropy":
        return (lambda: hunif(-6, 6)), (lambda: float(RH.randrange(2)))
    if loss == "poisson_loss":
        return (lambda: hunif(0.05, 6)), (lambda: float(RH.randrange(6)))
    if loss in ("hinge", "squared_hinge"):
        return (lambda: RH.gauss(0, 1.5)), (lambda: RH.choice([-1.0, 1.0]))
    if loss in ("dice_coeff_loss", "tversky_loss"):
        return (lambda: hunif(0, 1)), (lambda: float(RH.randrange(2)))
    if loss in ("crossentropy", "kldivergence"):
        return (lambda: hunif(0.05, 0.9)), (lambda: hunif(0, 1))
    if loss == "logitcrossentropy":
        return (lambda: hunif(-3, 3)), (lambda: hunif(0, 1))
    raise ValueError(loss)


def hpair(loss, n):
    gh, gy = hdomain(loss)
    return [gh() for _ in range(n)], [gy() for _ in range(n)]


def gen_half_elementwise(loss, dtype):
    f16 = dtype == "float16"
    big = HALF_MAX[dtype]
    tiny = HALF_TINY[dtype]
    gh, gy = hdomain(loss)
    # benign
    for shape, params in [([RH.randint(3, 12)], {}), ([RH.randint(3, 12)], {}), ([3, 4], {"agg": "none"}),
                          ([2, 3, 2], {"agg": "sum"}), ([RH.randint(33, 64)], {}), ([5, 6], {})]:
        yh, y = hpair(loss, prod(shape))
        add_case(loss, dtype, "benign", shape, yh, y, params)
    if loss == "binarycrossentropy":
        add_case(loss, dtype, "benign", [3], [0.1, 0.2, 0.9], 1.0)      # the seed's own example
        add_case(loss, dtype, "benign", [2, 2], [0.3, 0.6, 0.8, 0.05], 0.0, {"agg": "none"})
        add_case(loss, dtype, "benign", [6], [hunif(0.01, 0.99) for _ in range(6)], hvec(6, 0, 1))
    else:
        add_case(loss, dtype, "benign", [5], [gh() for _ in range(5)], gy())
        add_case(loss, dtype, "benign", [2, 2], [gh() for _ in range(4)], gy(), {"agg": "none"})
    # accumulation: 4096 elements (mean); an in-dtype running sum stalls long before the end
    yh, y = hpair(loss, 4096)
    add_case(loss, dtype, "accumulation", [4096], yh, y)
    # empty
    add_case(loss, dtype, "empty", [0], [], [])
    add_case(loss, dtype, "empty", [3, 0], [], [], {"agg": "sum"})
    # shape error
    add_case(loss, dtype, "error", [3], [gh() for _ in range(3)], [gy() for _ in range(4)], {}, yshape=[4])

    if loss == "mae":
        add_case(loss, dtype, "benign", [2], [1.0, 2.0], [0.0, 0.0])
        add_case(loss, dtype, "extreme", [2], [big, big], [0.0, 0.0])                   # sum overflows, mean fits
        add_case(loss, dtype, "extreme", [2], [big, -big], [-big, big], {"agg": "sum"})  # the difference overflows
        add_case(loss, dtype, "extreme", [2], [0.75 * big, 0.5 * big], [-0.5 * big, 0.0])
        add_case(loss, dtype, "subnormal", [2], [tiny, "1.2e-07" if f16 else "1.8e-40"], [0.0, 0.0])  # 1.5 tiny: tie
        add_case(loss, dtype, "subnormal", [3], [tiny, tiny, tiny], [0.0, 0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [3], [INF, 1.0, 2.0], [0.0, 0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [INF, 0.0])
        add_case(loss, dtype, "nonfinite", [3], [NAN, 1.0, 2.0], [0.0, 0.0, 0.0], {"agg": "none"})
        n = 16384 if f16 else 8192
        add_case(loss, dtype, "accumulation", [n], [hunif(0.25, 1.0) for _ in range(n)], 0.0)
    elif loss == "mse":
        add_case(loss, dtype, "benign", [2], [1.0, 2.0], [0.0, 0.0])
        add_case(loss, dtype, "benign", [4], [0.9, 0.1, 0.1, 0.9], [1.0, 1.0, 0.0, 0.0])
        r_over, r_fit = (300.0, 255.0) if f16 else (2e19, 1.8e19)
        add_case(loss, dtype, "extreme", [1], [r_over], [0.0])                        # exact value → Infinity
        add_case(loss, dtype, "extreme", [1], [r_fit], [0.0])                         # fits: 65025
        add_case(loss, dtype, "extreme", [2], [r_over, 0.0], [0.0, 0.0])              # the square overflows, the mean does not in f16
        add_case(loss, dtype, "extreme", [2], [181.0 if f16 else 1.31e19, -181.0 if f16 else -1.31e19], [0.0, 0.0])
        add_case(loss, dtype, "extreme", [3], [r_fit, 1.0, 0.5], [-r_fit, 0.0, 0.0], {"agg": "none"})
        add_case(loss, dtype, "extreme", [2], [200.0 if f16 else 1e19, 100.0], [0.0, 0.0], {"agg": "sum"})
        add_case(loss, dtype, "subnormal", [2], ["0.000244" if f16 else "1.08e-20", "0.000122" if f16 else "5.4e-21"],
                 [0.0, 0.0])                                                          # squares at the subnormal floor
        add_case(loss, dtype, "subnormal", [2], [tiny, "1.2e-07" if f16 else "1.8e-40"], [0.0, 0.0])  # squares underflow
        y = [hround(v, dtype) for v in hvec(6, -2, 2)]
        add_case(loss, dtype, "cancellation", [6], [hnext(v, dtype) for v in y], y)
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [INF, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [NAN, 1.0], [0.0, 0.0])
        n = 20000 if f16 else 8192
        add_case(loss, dtype, "accumulation", [n], [hunif(-1.5, 1.5) for _ in range(n)], 0.0)
        add_case(loss, dtype, "accumulation", [4096], [hunif(-1.5, 1.5) for _ in range(4096)], 0.0, {"agg": "sum"})
    elif loss == "msle":
        add_case(loss, dtype, "eps", [3], [0.5, 1.0, 2.0], [1.0, 1.0, 1.0], {"eps": 0.0})
        add_case(loss, dtype, "eps", [3], [0.0, 1.0, 2.0], [0.0, 0.5, 2.0])
        add_case(loss, dtype, "eps", [3], [0.0, 1.0, 2.0], [1.0, 0.5, 2.0], {"eps": 0.0})   # log 0 → +Inf
        add_case(loss, dtype, "eps", [3], [0.0, tiny, "0.001"], [1.0, 1.0, 1.0])           # ϵ dominates ŷ
        add_case(loss, dtype, "eps", [2], [0.25, 3.0], [0.5, 1.0], {"eps": 0.01, "agg": "none"})
        add_case(loss, dtype, "extreme", [2], [big, 1.0], [HALF_MIN_NORMAL[dtype], 1.0], {"eps": 0.0})
        add_case(loss, dtype, "subnormal", [2], [tiny, 1.0], [1.0, 1.0], {"eps": 0.0})
        y = [hround(v, dtype) for v in hvec(5, 0.5, 4)]
        add_case(loss, dtype, "cancellation", [5], y, y)
        add_case(loss, dtype, "cancellation", [5], [hnext(v, dtype) for v in y], y, {"agg": "sum"})
        add_case(loss, dtype, "error", [2], [-0.5, 1.0], [1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [NAN, 1.0], [1.0, 1.0])
    elif loss == "huber_loss":
        add_case(loss, dtype, "benign", [5], hvec(5, -3, 3), hvec(5, -3, 3), {"delta": 0.5})
        add_case(loss, dtype, "benign", [2, 3], hvec(6, -3, 3), hvec(6, -3, 3), {"delta": 2.0, "agg": "none"})
        add_case(loss, dtype, "boundary", [2], [1.5, 0.75], [0.5, 0.25], {"delta": 1.0, "agg": "none"})
        d = hround(0.1, dtype)
        add_case(loss, dtype, "boundary", [3], [d, 0.0, -d], [0.0, d, 0.0], {"delta": 0.1, "agg": "none"})
        add_case(loss, dtype, "extreme", [2], [60000.0 if f16 else 1e38, 0.5], [0.0, 0.0])   # untaken ½e² overflows
        add_case(loss, dtype, "extreme", [2], [big, 0.0], [-big, 0.0])
        add_case(loss, dtype, "extreme", [2], [300.0 if f16 else 2e19, 0.0], [0.0, 0.0], {"delta": 1000.0 if f16 else 1e20})
        add_case(loss, dtype, "subnormal", [2], [tiny, 0.0], [0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 0.0], [0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [NAN, 0.0], [0.0, 0.0])
        add_case(loss, dtype, "error", [2], [1.0, 0.0], [0.0, 0.0], {"delta": 0.0})
    elif loss == "binarycrossentropy":
        # the default ϵ = 2⁻¹⁰ / 2⁻⁷ dominates small probabilities
        add_case(loss, dtype, "eps", [6], [0.0, 0.0, tiny, tiny, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
                 {"agg": "none"})
        add_case(loss, dtype, "eps", [4], ["0.0001", "0.001", "0.01", "0.999"], [1.0, 1.0, 1.0, 0.0], {"agg": "none"})
        add_case(loss, dtype, "eps", [3], [0.0, 1.0, 0.5], [1.0, 0.0, 0.5], {"eps": 0.0})   # +Inf
        add_case(loss, dtype, "eps", [4], [0.0, 1.0, 0.2, 0.7], [1.0, 0.0, 1.0, 0.0], {"eps": 1e-4})
        add_case(loss, dtype, "eps", [2], [1.0, 1.0], [1.0, 1.0])                         # slightly negative
        add_case(loss, dtype, "eps", [5], [hunif(0.0, 0.01) for _ in range(5)], 1.0)
        add_case(loss, dtype, "subnormal", [2], [tiny, 0.5], [1.0, 0.0], {"eps": 0.0})
        add_case(loss, dtype, "nonfinite", [2], [NAN, 0.5], [0.0, 1.0])
        add_case(loss, dtype, "error", [3], [0.1, 1.5, 0.2], [1.0, 0.0, 1.0])
        add_case(loss, dtype, "accumulation", [8192], [hunif(0.5, 0.999) for _ in range(8192)], 1.0)
    elif loss == "logitbinarycrossentropy":
        add_case(loss, dtype, "benign", [6], hvec(6, -6, 6), hvec(6, 0, 1))
        logits = ([10.0, 11.0, 11.25, 12.0, 15.0, 20.0], [-10.0, -11.5, -12.0, -16.0, -20.0, -8.0]) if f16 else \
            ([50.0, 88.0, 89.0, 100.0, 200.0, 1000.0], [-50.0, -88.5, -90.0, -100.0, -300.0, -1e4])
        for L in logits:
            add_case(loss, dtype, "logits", [6], L, [1.0, 0.0, 1.0, 0.0, 1.0, 0.0], {"agg": "none"})
            add_case(loss, dtype, "logits", [6], L, [0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
            add_case(loss, dtype, "logits", [6], L, hvec(6, 0, 1), {"agg": "sum"})
        add_case(loss, dtype, "logits", [4], [hunif(10, 20) if f16 else hunif(50, 120) for _ in range(4)], 1.0)
        add_case(loss, dtype, "extreme", [2], [big, -big], [0.0, 1.0])
        add_case(loss, dtype, "extreme", [2], [big, -big], [1.0, 0.0])
        add_case(loss, dtype, "subnormal", [2], [tiny, 0.0], [1.0, 0.0])
        add_case(loss, dtype, "nonfinite", [4], [INF, INF, -INF, -INF], [0.0, 1.0, 0.0, 1.0], {"agg": "none"})
        add_case(loss, dtype, "nonfinite", [2], [NAN, 0.0], [1.0, 1.0])
        add_case(loss, dtype, "accumulation", [8192], [hunif(-4, 4) for _ in range(8192)], 1.0)
    elif loss == "poisson_loss":
        add_case(loss, dtype, "boundary", [3], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0])
        add_case(loss, dtype, "boundary", [2], [0.0, 1.0], [2.0, 1.0])                    # +Inf
        e = hround(math.e, dtype)
        add_case(loss, dtype, "cancellation", [1], [e], [e])
        add_case(loss, dtype, "cancellation", [3], [e, 1.0, 2.0], [e, 1.0, 2.0], {"agg": "none"})
        add_case(loss, dtype, "extreme", [2], [big, 1.0], [big, 1.0])
        add_case(loss, dtype, "extreme", [2], [0.75 * big, 0.75 * big], [0.0, 1.0], {"agg": "sum"})
        add_case(loss, dtype, "subnormal", [2], [tiny, 0.5], [1.0, 0.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 1.0], [0.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [1.0, 1.0], [NAN, 1.0])
        add_case(loss, dtype, "error", [2], [-1.0, 1.0], [0.0, 1.0])
    elif loss in ("hinge", "squared_hinge"):
        add_case(loss, dtype, "boundary", [4], [0.5, -0.25, 1.0, 0.125], [2.0, -4.0, 1.0, 8.0], {"agg": "none"})
        add_case(loss, dtype, "boundary", [3], [0.5, 0.3, -2.0], [2.0, 1.0, 1.0])
        add_case(loss, dtype, "boundary", [3], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
        add_case(loss, dtype, "extreme", [2], [-big, 0.5], [big, 1.0])
        add_case(loss, dtype, "extreme", [2], [299.0 if f16 else 2e19, 0.0], [-1.0, 1.0])   # squared: 90000 → Infinity
        add_case(loss, dtype, "extreme", [2], [254.0 if f16 else 1.8e19, 0.0], [-1.0, -1.0])  # squared: 65025 fits
        add_case(loss, dtype, "extreme", [2], [299.0 if f16 else 2e19, 1.0], [-1.0, 1.0], {"agg": "none"})
        add_case(loss, dtype, "subnormal", [2], [tiny, 1.0], [-1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [3], [NAN, 2.0, 2.0], [1.0, 1.0, 1.0])
        add_case(loss, dtype, "nonfinite", [2], [INF, 0.5], [0.0, 1.0], {"agg": "none"})
        add_case(loss, dtype, "accumulation", [8192], [RH.gauss(0, 1.5) for _ in range(8192)], 1.0)


def gen_half_dims(loss, dtype):
    f16 = dtype == "float16"
    ce = loss in ("crossentropy", "kldivergence")
    tiny = HALF_TINY[dtype]

    def pred(C, B):
        return prob_columns(C, B, rng=RH) if ce else [hunif(-4, 4) for _ in range(C * B)]

    add_case(loss, dtype, "benign", [5], pred(5, 1), onehot_columns(5, 1, rng=RH))
    add_case(loss, dtype, "benign", [3, 4], pred(3, 4), onehot_columns(3, 4, rng=RH))
    add_case(loss, dtype, "benign", [4, 3], pred(4, 3), prob_columns(4, 3, rng=RH), {"agg": "sum"})
    add_case(loss, dtype, "benign", [3, 5], pred(3, 5), prob_columns(3, 5, rng=RH), {"agg": "none"})
    add_case(loss, dtype, "benign", [4, 3], pred(4, 3), onehot_columns(4, 3, rng=RH), {"dims": [2]})
    add_case(loss, dtype, "benign", [3, 4], pred(3, 4), prob_columns(3, 4, rng=RH), {"dims": [1, 2]})
    add_case(loss, dtype, "benign", [2, 3, 4], pred(2, 12), prob_columns(2, 12, rng=RH), {"dims": [2], "agg": "none"})
    add_case(loss, dtype, "benign", [10, 8], pred(10, 8), prob_columns(10, 8, rng=RH))
    add_case(loss, dtype, "benign", [10, 8], pred(10, 8), onehot_columns(10, 8, rng=RH), {"agg": "sum"})
    if loss != "kldivergence":
        add_case(loss, dtype, "benign", [3, 4], pred(3, 4), onehot_columns(3, 4, rng=RH), {"weight": 0.5})
        add_case(loss, dtype, "benign", [3, 4], pred(3, 4), onehot_columns(3, 4, rng=RH),
                 {"weight": {"shape": [3, 1], "data": [0.2, 1.0, 3.0]}})
        add_case(loss, dtype, "benign", [3, 2], pred(3, 2), 1.0 if ce else 0.5)
    # accumulation: 4096 classes in one column, and 64 × 64
    add_case(loss, dtype, "accumulation", [4096], pred(4096, 1), prob_columns(4096, 1, rng=RH))
    add_case(loss, dtype, "accumulation", [64, 64], pred(64, 64), onehot_columns(64, 64, rng=RH), {"agg": "sum"})
    # empty, errors
    add_case(loss, dtype, "empty", [3, 0], [], [])
    add_case(loss, dtype, "empty", [0, 4], [], [], {"agg": "sum"})
    add_case(loss, dtype, "error", [2, 3], pred(2, 3), prob_columns(2, 3, rng=RH), {}, yshape=[3, 2])
    if ce:
        add_case(loss, dtype, "eps", [3, 2], [0.0, 0.5, 0.5, 0.2, 0.3, 0.5], [0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                 {"eps": 0.0})
        add_case(loss, dtype, "eps", [3, 2], [0.0, 0.5, 0.5, 0.2, 0.3, 0.5], [1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
                 {"eps": 0.0})                                                          # log 0 → +Inf
        # the default ϵ dominates: ŷ = 0, subnormal, 1e-4, 1e-3 under a positive target
        add_case(loss, dtype, "eps", [3, 2], [0.0, tiny, 1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.5, 0.5],
                 {"agg": "none"})
        add_case(loss, dtype, "eps", [4, 2], [0.0, tiny, "0.0001", 1.0, "0.001", "0.002", "0.005", 0.992],
                 [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25], {"agg": "none"})
        add_case(loss, dtype, "eps", [4], prob_columns(4, 1, rng=RH), onehot_columns(4, 1, rng=RH), {"eps": 1e-3})
        add_case(loss, dtype, "subnormal", [2, 2], [tiny, 1.0, 0.5, 0.5], [1.0, 0.0, 0.5, 0.5], {"eps": 0.0})
        add_case(loss, dtype, "nonfinite", [3], [NAN, 0.5, 0.5], [0.0, 0.5, 0.5])        # xlogy(0, NaN) = 0
        add_case(loss, dtype, "nonfinite", [2, 2], [INF, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], {"agg": "none"})
        add_case(loss, dtype, "error", [3], [-0.5, 0.5, 1.0], [0.0, 0.5, 0.5])           # DomainError
        if loss == "kldivergence":
            p = prob_columns(4, 3, rng=RH)
            add_case(loss, dtype, "cancellation", [4, 3], p, p, {"eps": 0.0})            # exactly 0
            add_case(loss, dtype, "cancellation", [4, 3], p, p)                            # slightly negative
            q = [hround(v, dtype) for v in prob_columns(5, 1, rng=RH)]
            add_case(loss, dtype, "cancellation", [5], [hnext(v, dtype) for v in q], q, {"eps": 0.0})
            add_case(loss, dtype, "eps", [3], [0.2, 0.3, 0.5], [0.0, 0.5, 0.5], {"eps": 0.0})
        else:
            add_case(loss, dtype, "extreme", [3], [0.5, 0.5, 0.5], [1.0, 0.0, 0.0],
                     {"weight": 60000.0 if f16 else 3e38})
    else:
        # logits where exp overflows the dtype: beyond ~11.09 in Float16, ~88.7 in BFloat16
        if f16:
            cols = [[12.0, 0.0, -3.0], [15.0, 14.0, 13.0], [20.0, 10.0, 0.0], [11.0, 11.25, 11.5],
                    [-12.0, 0.0, 12.0], [16.0, 16.0, -16.0]]
        else:
            cols = [[90.0, 0.0, -3.0], [100.0, 99.0, 98.0], [200.0, 100.0, 0.0], [88.0, 89.0, 90.0],
                    [-1000.0, 0.0, 1000.0], [1e4, 1e4, -1e4]]
        for c in cols:
            add_case(loss, dtype, "logits", [3], c, [0.0, 1.0, 0.0])
        add_case(loss, dtype, "logits", [3, 6], [v for c in cols for v in c],
                 onehot_columns(3, 6, rng=RH), {"agg": "none"})
        add_case(loss, dtype, "logits", [3, 6], [v for c in cols for v in c],
                 prob_columns(3, 6, rng=RH), {"agg": "sum"})
        add_case(loss, dtype, "logits", [4, 4], [hunif(10, 20) if f16 else hunif(80, 120) for _ in range(16)],
                 prob_columns(4, 4, rng=RH))
        add_case(loss, dtype, "extreme", [2], [HALF_MAX[dtype], -HALF_MAX[dtype]], [0.0, 1.0])
        add_case(loss, dtype, "subnormal", [3], [tiny, 0.0, "-" + tiny], [1.0, 0.0, 0.0])
        add_case(loss, dtype, "nonfinite", [3], [-INF, 0.0, 1.0], [0.0, 0.5, 0.5])     # 0 · −Inf = NaN
        add_case(loss, dtype, "nonfinite", [3], [INF, 0.0, 1.0], [1.0, 0.0, 0.0])
        add_case(loss, dtype, "boundary", [4], [2.0, 2.0, 2.0, 2.0], [0.25, 0.25, 0.25, 0.25])


def gen_half_dice_tversky(loss, dtype):
    f16 = dtype == "float16"
    pname = "smooth" if loss == "dice_coeff_loss" else "beta"
    tiny = HALF_TINY[dtype]

    def labels(n):
        return [float(RH.randrange(2)) for _ in range(n)]

    for shape in ([4, 4], [2, 3, 4], [RH.randint(40, 64)], [7], [3, 3]):
        n = prod(shape)
        add_case(loss, dtype, "benign", shape, hvec(n, 0, 1), labels(n))
    add_case(loss, dtype, "benign", [5], hvec(5, 0, 1), hvec(5, 0, 1))                 # soft targets
    add_case(loss, dtype, "benign", [3], [0.9, 0.1, 0.4], [1.0, 0.0, 1.0])
    for v in ((0.0, 0.5, 100.0) if pname == "smooth" else (0.0, 0.3, 1.0, 0.7)):
        add_case(loss, dtype, "benign", [6], hvec(6, 0, 1), labels(6), {pname: v})
    if pname == "beta":
        add_case(loss, dtype, "benign", [3, 2], hvec(6, 0, 1), 1.0)                     # scalar target
    y = labels(8)
    add_case(loss, dtype, "cancellation", [8], list(y), y)
    yv = [hround(v, dtype) for v in hvec(8, 0.1, 0.9)]
    add_case(loss, dtype, "cancellation", [8], yv, yv)
    add_case(loss, dtype, "cancellation", [8], [hnext(v, dtype) for v in y], y)
    # squares that overflow the dtype although the ratio is representable
    b1 = 300.0 if f16 else 2e19
    add_case(loss, dtype, "extreme", [3], [b1, b1, 1.0], [b1, 0.0, 1.0])
    add_case(loss, dtype, "extreme", [2], [HALF_MAX[dtype], 1.0], [1.0, 1.0])
    add_case(loss, dtype, "subnormal", [3], [tiny, 0.0, 0.0], [1.0, 0.0, 0.0], {pname: 0.0} if pname == "smooth" else {})
    add_case(loss, dtype, "boundary", [4], [0.0] * 4, [0.0] * 4, {pname: 0.0} if pname == "smooth" else {})
    if pname == "beta":
        add_case(loss, dtype, "boundary", [1], [-1.0], [-1.0], {"beta": 0.5})          # denominator 0 → −Inf
    add_case(loss, dtype, "nonfinite", [3], [NAN, 0.5, 0.5], [1.0, 0.0, 1.0])
    add_case(loss, dtype, "nonfinite", [3], [INF, 0.5, 0.5], [1.0, 0.0, 1.0])
    add_case(loss, dtype, "error", [3], [0.5, 0.5, 0.5], [1.0, 0.0, 1.0], {pname: -1.0})
    add_case(loss, dtype, "empty", [0], [], [])
    # accumulation: sums of 4096 and 8192 elements (Σŷ² near 2000–4000: in-dtype sums stall)
    add_case(loss, dtype, "accumulation", [4096], hvec(4096, 0, 1), labels(4096))
    add_case(loss, dtype, "accumulation", [8192], hvec(8192, 0.5, 1), 1.0)


def generate_half():
    for loss in ALL_LOSSES:
        for dtype in HALF_DTYPES:
            if loss in ELEMENTWISE:
                gen_half_elementwise(loss, dtype)
            elif loss in ("crossentropy", "logitcrossentropy", "kldivergence"):
                gen_half_dims(loss, dtype)
            else:
                gen_half_dice_tversky(loss, dtype)
            if loss not in ("dice_coeff_loss", "tversky_loss"):
                add_case(loss, dtype, "error", [3], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], {"agg": "median"})


# ------------------------------------------------------------------------------------------------
# Self tests of the rounding machinery
# ------------------------------------------------------------------------------------------------


def selftest():
    rr = random.Random(1)
    # binary64: Python's int/int true division is correctly rounded
    for _ in range(20000):
        n = rr.getrandbits(rr.randint(1, 200)) * rr.choice([-1, 1])
        d = rr.getrandbits(rr.randint(1, 200)) or 1
        sh = rr.randint(-1200, 1200)
        x = Fraction(n) * Fraction(2) ** sh / d
        try:
            ref = x.numerator / x.denominator
        except OverflowError:
            ref = math.inf if x > 0 else -math.inf
        got = round_fraction(x, "float64")
        assert got == ref or (math.isnan(got) and math.isnan(ref)), (x, got, ref)
        if got == 0:
            assert math.copysign(1, got) == math.copysign(1, ref)
    # binary32: numpy's float64 -> float32 cast is a single correct rounding of an exact double
    for _ in range(20000):
        e = rr.randint(-160, 130)
        m = rr.getrandbits(53) | (1 << 52)
        x = math.ldexp(m, e - 52) * rr.choice([-1, 1])
        with np.errstate(over="ignore"):
            ref = float(np.float32(x))
        got = round_fraction(Fraction(x), "float32")
        assert got == ref, (x, got, ref)
    # explicit edges
    F = Fraction
    assert round_fraction(F(1, 2 ** 150), "float32") == 0.0                      # exactly half min sub: tie -> 0
    assert round_fraction(F(3, 2 ** 151), "float32") == math.ldexp(1, -149)
    assert round_fraction(F(3, 2 ** 150), "float32") == math.ldexp(1, -148)       # 1.5 ulp -> even (2)
    maxf = (2 - F(1, 2 ** 23)) * F(2) ** 127
    mid = maxf + F(2) ** 103
    assert round_fraction(mid, "float32") == math.inf
    assert round_fraction(mid - F(1, 10 ** 30), "float32") == float(maxf)
    assert round_fraction(F(1, 2 ** 1075), "float64") == 0.0
    assert round_fraction(F(1, 2 ** 1075) + F(1, 2 ** 1200), "float64") == 5e-324
    assert round_fraction(-F(1, 2 ** 1076), "float64") == 0.0 and math.copysign(1, round_fraction(-F(1, 2 ** 1076), "float64")) < 0
    with mp.workprec(200):
        assert round_mpf(mpmath.exp(-mpf(10) ** 30), "float64") == 0.0
        assert round_mpf(mpmath.exp(mpf(10) ** 30), "float32") == math.inf
        assert round_mpf(mpf(3) / 7, "float64") == 3 / 7
    # mpf rounding agrees with Fraction rounding
    with mp.workprec(300):
        for _ in range(3000):
            v = mpmath.log(mpf(rr.random() * 10 + 0.01)) * mpf(2) ** rr.randint(-1100, 1000)
            f = mpf_to_fraction(v)
            assert round_mpf(v, "float64") == round_fraction(f, "float64")
            assert round_mpf(v, "float32") == round_fraction(f, "float32")
    # decimal output
    assert frac_to_sci(F(5, 2)) == "2." + "5" + "0" * 43 + "e+0"
    assert frac_to_sci(F(-1, 3)).startswith("-3.33333")
    # shortest strings
    assert fmt_float(float(np.float32(0.7)), "float32") == "0.7"
    assert fmt_float(math.ldexp(1, -149), "float32") == "1e-45"
    assert fmt_float(5e-324, "float64") == "5e-324"
    selftest_half(rr)


def selftest_half(rr):
    """float16/bfloat16 rounding and shortest strings against numpy (and ml_dtypes when present)."""
    F = Fraction
    # binary16: numpy's float64 -> float16 cast rounds once, correctly (npy_double_to_half)
    for _ in range(20000):
        e = rr.randint(-30, 18)
        m = rr.getrandbits(53) | (1 << 52)
        x = math.ldexp(m, e - 52) * rr.choice([-1, 1])
        with np.errstate(over="ignore"):
            ref = float(np.float16(x))
        assert round_fraction(F(x), "float16") == ref, (x, ref)
    try:
        import ml_dtypes
    except ImportError:
        ml_dtypes = None
    if ml_dtypes is not None:
        for _ in range(20000):
            e = rr.randint(-140, 127)
            m = rr.getrandbits(24) | (1 << 23)
            x = float(np.float32(math.ldexp(m, e - 23) * rr.choice([-1, 1])))
            with np.errstate(over="ignore"):
                ref = float(np.float32(x).astype(ml_dtypes.bfloat16))
            assert round_fraction(F(x), "bfloat16") == ref, (x, ref)
    assert round_fraction(F(90000), "float16") == math.inf
    assert round_fraction(F(65519), "float16") == 65504.0
    assert round_fraction(F(65520), "float16") == math.inf                        # the overflow midpoint
    assert round_fraction(F(65025), "float16") == 65024.0
    assert round_fraction(F(1, 2 ** 25), "float16") == 0.0                        # half the least subnormal
    assert round_fraction(F(3, 2 ** 25), "float16") == math.ldexp(1, -23)         # 1.5 tiny → even (2)
    assert round_fraction(F(1, 2 ** 134) + F(1, 2 ** 200), "bfloat16") == math.ldexp(1, -133)
    assert round_fraction(F(7, 10), "bfloat16") == 0.69921875
    assert round_fraction(1 + F(1, 2 ** 8) + F(1, 2 ** 30), "bfloat16") == 1.0078125  # no double rounding
    # shortest strings: every finite value of both formats, exact round trip, numpy's f16 length
    for bits in range(1 << 16):
        h = float(np.array([bits], dtype=np.uint16).view(np.float16)[0])
        if math.isfinite(h):
            s = shortest_half(h, "float16")
            assert round_fraction(F(s), "float16") == h or (h == 0), (h, s)
            ref = str(np.float16(h))
            digits = len(ref.split("e")[0].replace("-", "").replace(".", "").strip("0") or "0")
            mine = len(s.split("e")[0].replace("-", "").replace(".", "").strip("0") or "0")
            assert mine <= digits, (h, s, ref)
            assert float(s) == float(ref) or mine < digits, (h, s, ref)
        b = struct.unpack("<f", struct.pack("<I", bits << 16))[0]
        if math.isfinite(b):
            s = shortest_half(b, "bfloat16")
            assert round_fraction(F(s), "bfloat16") == b or b == 0, (b, s)
            assert round_fraction(F(float(s)), "bfloat16") == b or b == 0, (b, s)
    assert shortest_half(65504.0, "float16") == "65500.0"
    assert shortest_half(math.ldexp(1, -24), "float16") == "6e-08"
    assert shortest_half(0.69921875, "bfloat16") == "0.7"
    assert shortest_half(0.10009765625, "bfloat16") == "0.1"


# ------------------------------------------------------------------------------------------------


def main(argv):
    t0 = time.time()
    here = os.path.dirname(os.path.abspath(__file__))
    half = "--half" in argv
    out = os.path.join(here, "half_cases.jsonl" if half else "oracle_cases.jsonl")
    if "--out" in argv:
        out = argv[argv.index("--out") + 1]
    selftest()
    if "--selftest-only" in argv:
        print("selftest ok")
        return 0
    generate_half() if half else generate()
    ids = set()
    lines = []
    by_loss = Counter()
    by_outcome = Counter()
    by_cat = Counter()
    by_loss_cat = Counter()
    for req, category in CASES:
        assert req["id"] not in ids
        ids.add(req["id"])
        orc = oracle(req)
        o = OrderedDict()
        o["category"] = category
        o["outcome"] = orc["outcome"]
        if "shape" in orc:
            o["shape"] = orc["shape"]
        for k in ("exact",) + rounded_keys(req["dtype"]):
            if k in orc:
                o[k] = orc[k]
        req["oracle"] = o
        lines.append(dumps(req))
        by_loss[req["loss"]] += 1
        by_outcome[o["outcome"]] += 1
        by_cat[category] += 1
        by_loss_cat[(req["loss"], category)] += 1
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for ln in lines:
            fh.write(ln + "\n")
    cats = sorted(by_cat)
    print("wrote %d cases to %s (%.1f s)" % (len(lines), out, time.time() - t0))
    w = max(len(x) for x in ALL_LOSSES)
    print("%-*s %5s  " % (w, "loss", "total") + " ".join("%6s" % c[:6] for c in cats))
    for loss in ALL_LOSSES:
        print("%-*s %5d  " % (w, loss, by_loss[loss]) + " ".join("%6d" % by_loss_cat[(loss, c)] for c in cats))
    print("%-*s %5d  " % (w, "all", len(lines)) + " ".join("%6d" % by_cat[c] for c in cats))
    print("by outcome: " + ", ".join("%s=%d" % (k, by_outcome[k]) for k in sorted(by_outcome)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
