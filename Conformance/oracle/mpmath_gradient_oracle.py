#!/usr/bin/env python3
"""Independent mpmath gradient oracle for the `losscheck/1` conformance cases (issue 14).

Every gradient element is obtained by *numerical differentiation* (mpmath.diff, one-sided steps in
both directions) of the loss as a function of one exact input element, all other inputs held fixed.
The loss itself is evaluated by mpmath_oracle.compute, i.e. the value oracle's own literal formulas
and input handling (imported, not copied); no derivative formula appears anywhere in the emitted
values.  Each element is computed at two working precisions with two step sizes; the difference
between them plus a bound on the evaluation noise gives an error bound, which must be far below the
float32/float64 rounding granularity and must not straddle a rounding boundary, or the precision is
raised (and in the end the case is dropped).  Where the loss is a rational function of the element,
an exact-rational central difference at two step sizes (identical only on a quadratic piece) is
additionally tried, which settles exact rounding ties.

Writes Conformance/oracle/gradient_cases.jsonl.  Deterministic (fixed seed).  With --half it writes
Conformance/oracle/half_gradient_cases.jsonl instead: float16/bfloat16 cases (issue 15) whose value and
gradient elements also carry the request dtype's correctly rounded value under the dtype's name.

Usage:  python3 Conformance/oracle/mpmath_gradient_oracle.py [--half] [--out FILE] [--selftest-only] [--jobs N]
"""

import functools
import math
import os
import random
import sys
import time
from collections import Counter, OrderedDict
from fractions import Fraction

import mpmath
import numpy as np
from mpmath import mp, mpf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpmath_oracle as mo  # noqa: E402

SEED = 20261206
PREC_LADDER = (320, 640, 1280, 2560)
PREC_STEP = 160           # second evaluation: precision + 160 bits and a step 2^-160 times smaller
REL_TOL_BITS = 170        # error bound must be below |d| * 2^-170 (45 digits need ~150 bits)
ABS_ZERO = Fraction(1, 2 ** 1200)
PREC_ZERO = 1280          # the ladder rung whose noise bound is below ABS_ZERO for ordinary scales   # a derivative indistinguishable from 0 below this is written 0

# parsing a decimal token is pure; cache it (compute() is called many thousand times)
mo.parse_number = functools.lru_cache(maxsize=None)(mo.parse_number)


class NoDerivative(Exception):
    pass


class NonFinite(Exception):
    pass


# ------------------------------------------------------------------------------------------------
# The loss as a function of one input element
# ------------------------------------------------------------------------------------------------


def input_scale(req):
    """A generous bound on the magnitude of every intermediate of the formula (for the noise bound
    of transcendental evaluations): n * (1 + max|input|)^2 * (1 + max|weight|) * (1 + max|cot|)."""
    dtype = req["dtype"]
    vals = [abs(mo.parse_number(t, dtype)) for t in req["yhat"]]
    ys = req["y"] if isinstance(req["y"], list) else [req["y"]]
    vals += [abs(mo.parse_number(t, dtype)) for t in ys]
    for k in ("eps", "delta", "smooth", "beta"):
        if k in req["params"]:
            vals.append(abs(mo.parse_number(req["params"][k], dtype)))
    m = max(vals + [Fraction(1)])
    w = req["params"].get("weight")
    wm = Fraction(1)
    if w is not None:
        wl = w["data"] if isinstance(w, dict) else [w]
        wm = max([abs(mo.parse_number(t, dtype)) for t in wl] + [Fraction(1)])
    c = Fraction(1)
    if "cotangent" in req:
        c = max([abs(mo.parse_number(t, dtype)) for t in req["cotangent"]] + [Fraction(1)])
    n = max(1, len(req["yhat"]))
    return n * (1 + m) ** 2 * (1 + wm) * (1 + c)


class Scalarised:
    """f(t): the case's loss (for agg = none: sum_k c_k L_k, c = cotangent or ones) with input
    element (arg, idx) replaced by the exact rational t.  arg = "y" with a scalar y replaces the
    scalar, i.e. every broadcast copy."""

    def __init__(self, req, arg, idx):
        self.req, self.arg, self.idx = req, arg, idx
        self.cot = None
        if "cotangent" in req:
            self.cot = [mo.parse_number(t, req["dtype"]) for t in req["cotangent"]]
        self.scalar_y = not isinstance(req["y"], list)
        self.memo = {}
        self.all_exact = True

    def x0(self):
        dtype = self.req["dtype"]
        if self.arg == "yhat":
            return mo.parse_number(self.req["yhat"][self.idx], dtype)
        if self.scalar_y:
            return mo.parse_number(self.req["y"], dtype)
        return mo.parse_number(self.req["y"][self.idx], dtype)

    def __call__(self, t):
        key = (t, mp.prec)
        if key in self.memo:
            return self.memo[key]

        def hook(yhat, y):
            if self.arg == "yhat":
                yhat = list(yhat)
                yhat[self.idx] = t
            elif self.scalar_y:
                y = [t] * len(y)
            else:
                y = list(y)
                y[self.idx] = t
            return yhat, y

        try:
            res = mo.compute(self.req, inputs_hook=hook)
        except mo.LossError as e:
            self.memo[key] = e
            raise
        if res[0] == "scalar":
            v = res[1]
        else:
            vals = res[1]
            cot = self.cot if self.cot is not None else [mo.ONE] * len(vals)
            v = mo.vsum([mo.mul(c, x) for c, x in zip(cot, vals)])
        if mo.is_special(v):
            e = NonFinite("non-finite loss value %r" % (v,))
            self.memo[key] = e
            raise e
        if not isinstance(v, Fraction):
            self.all_exact = False
        self.memo[key] = v
        return v

    def value(self, t):
        v = self.memo.get((t, mp.prec))
        if isinstance(v, Exception):
            raise v
        return self(t) if v is None else v


def mag2(x):
    """floor(log2 |x|) for a nonzero Fraction, 0 for 0."""
    if x == 0:
        return 0
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if a < Fraction(2) ** e:
        e -= 1
    return e


def step_magnitude(F, x0):
    """The binary magnitude the steps are taken relative to: x0's, or at x0 = 0 the smallest
    nonzero input's (a step of 2^-116 at ŷ = 0 would straddle the kink of |ŷ - y| at y = 5e-324,
    which is not at ŷ = 0)."""
    if x0 != 0:
        return mag2(x0)
    req = F.req
    ys = req["y"] if isinstance(req["y"], list) else [req["y"]]
    mags = [mag2(v) for v in (mo.parse_number(t, req["dtype"]) for t in list(req["yhat"]) + list(ys))
            if isinstance(v, Fraction) and v != 0]
    return min(mags + [0])


def one_sided(F, x0, direction, P, S):
    """One-sided derivative of F at x0 by mpmath.diff at precision P with step 2^(mag(x0)-P-20).
    Returns (d, noise): d a Fraction (exact quotient if F is rational there), noise a bound on the
    part of the error caused by evaluating F at finite precision."""
    k = step_magnitude(F, x0) - P - 20
    h = mpmath.ldexp(1, k)
    exact_vals = {}

    def g(t):
        tf = mo.mpf_to_fraction(t)
        v = F(tf)
        exact_vals[tf] = v
        return mo.to_mpf(v)

    before = F.all_exact
    F.all_exact = True
    with mp.workprec(P):
        d = mpmath.diff(g, mo.to_mpf(x0), h=h, direction=direction)
    wp = 2 * (P + 20)                                  # mpmath.diff's working precision (n = 1)
    rational = F.all_exact and all(isinstance(v, Fraction) for v in exact_vals.values())
    F.all_exact = before and rational
    hq = Fraction(2) ** k * direction
    if rational:
        v1 = exact_vals[x0 + hq]
        v0 = exact_vals[x0]
        return (v1 - v0) / hq, Fraction(0)
    fmax = max(abs(mo.mpf_to_fraction(mo.to_mpf(v))) if not isinstance(v, Fraction) else abs(v)
               for v in exact_vals.values())
    noise = (max(fmax, S) * Fraction(2) ** (24 - wp)) / abs(hq)
    return mo.mpf_to_fraction(d), noise


def exact_central(F, x0):
    """Exact-rational central difference at two step sizes; returns the common quotient if F is a
    rational function there and both agree (true exactly on a polynomial piece of degree <= 2)."""
    e = step_magnitude(F, x0)
    qs = []
    for k in (e - 64, e - 128):
        h = Fraction(2) ** k
        try:
            with mp.workprec(64):
                a, b = F(x0 + h), F(x0 - h)
        except (mo.LossError, NonFinite):
            return None
        if not (isinstance(a, Fraction) and isinstance(b, Fraction)):
            return None
        qs.append((a - b) / (2 * h))
    return qs[0] if qs[0] == qs[1] else None


# The formats an element is rounded to: float32 and float64, and for a float16/bfloat16 case also
# that dtype (set per case by grad_oracle; each worker process handles one case at a time).
KEYS = ("float32", "float64")


def determinate(d, err):
    """True if every value in [d - err, d + err] rounds to the same value in each format of KEYS."""
    if err == 0:
        return True
    for dt in KEYS:
        lo, hi = mo.round_fraction(d - err, dt), mo.round_fraction(d + err, dt)
        if lo != hi:
            return False
    return True


def good_enough(d, err):
    if err == 0:
        return True
    if d != 0 and err <= abs(d) / Fraction(2) ** REL_TOL_BITS:
        return determinate(d, err)
    if abs(d) + err <= ABS_ZERO:
        return True                          # written as exact 0 (see element_gradient)
    return False


def side_derivative(F, x0, s, P, S):
    """(d, err) of the one-sided derivative in direction s at precision level P, or None if F is
    not defined (error / non-finite) on that side."""
    try:
        dA, nA = one_sided(F, x0, s, P, S)
        dB, nB = one_sided(F, x0, s, P + PREC_STEP, S)
    except (mo.LossError, NonFinite):
        return None
    return dB, abs(dA - dB) + nA + nB, dA, nA + nB


def element_gradient(req, arg, idx, S):
    """Returns ("value", d) or ("kink", lower, upper) with d, lower, upper exact-enough Fractions
    (their error bound is far below the rounding granularity and inside one rounding cell)."""
    F = Scalarised(req, arg, idx)
    x0 = F.x0()
    zero = False
    flat = False
    for P in PREC_LADDER:
        if flat and P < PREC_ZERO:
            continue                 # quotients were exactly 0: go straight to the precision that decides 0
        L = side_derivative(F, x0, -1, P, S)
        R = side_derivative(F, x0, +1, P, S)
        flat = all(c is None or (c[0] == 0 and c[2] == 0) for c in (L, R))
        if L is None and R is None:
            raise NoDerivative("undefined on both sides")
        if L is not None and R is not None and abs(L[0] - R[0]) > L[1] + R[1]:
            if good_enough(*L[:2]) and good_enough(*R[:2]):
                lo, hi = sorted([L[0], R[0]])
                return ("kink", lo, hi)
            continue
        # smooth (or one-sided at a domain boundary: the derivative from inside the domain)
        if L is not None and R is not None:
            # the mean of the two one-sided quotients is the central difference (O(h^2)); its error
            # is bounded by the difference between the two precision/step settings plus noise
            d = (L[0] + R[0]) / 2
            err = abs((L[2] + R[2]) / 2 - d) + L[3] + R[3]
            q = exact_central(F, x0)
            if q is not None and abs(q - d) <= err:
                return ("value", q)
        else:
            d, err = (L or R)[:2]
        if good_enough(d, err):
            if err == 0 or (d != 0 and err <= abs(d) / Fraction(2) ** REL_TOL_BITS):
                return ("value", d)
            # |d| + err <= 2^-1200: within 2^-1200 of 0, so 0.0 in both formats.  If every
            # difference quotient is exactly 0 write exact 0 now; otherwise keep climbing in case a
            # higher precision resolves it relatively, and write exact 0 only at the top
            if flat:
                return ("value", Fraction(0))
            zero = True
    if zero:
        return ("value", Fraction(0))
    raise NoDerivative("no determinate result up to %d bits" % PREC_LADDER[-1])


def describe(d):
    return OrderedDict([("exact", mo.exact_string(d))] +
                       [(k, mo.fmt_float(mo.round_fraction(d, k), k)) for k in KEYS])


def arg_gradient(req, arg, S):
    n = len(req["yhat"])
    if arg == "y" and not isinstance(req["y"], list):
        idxs, shape = [0], []
    else:
        idxs, shape = list(range(n)), list(req["shape"])
    out = OrderedDict([("shape", shape), ("exact", [])] + [(k, []) for k in KEYS])
    sub = []
    for i in idxs:
        r = element_gradient(req, arg, i, S)
        if r[0] == "value":
            dsc = describe(r[1])
            for k in ("exact",) + KEYS:
                out[k].append(dsc[k])
            sub.append(None)
        else:
            for k in ("exact",) + KEYS:
                out[k].append(None)
            sub.append(OrderedDict([("lower", describe(r[1])), ("upper", describe(r[2]))]))
    if any(s is not None for s in sub):
        out["subgradient"] = sub
    return out


def grad_oracle(req):
    """The full oracle object for one gradient case, or None if it must be dropped."""
    global KEYS
    KEYS = mo.rounded_keys(req["dtype"])
    val = mo.oracle(req)
    o = OrderedDict()
    o["outcome"] = val["outcome"]
    if "shape" in val:
        o["shape"] = val["shape"]
    for k in ("exact",) + KEYS:
        if k in val:
            o[k] = val[k]
    if val["outcome"] in ("DomainError", "DimensionMismatch", "ArgumentError"):
        return o, None                                   # an error has no gradient
    if val["outcome"] not in ("finite", "array"):
        return None, "value not finite"
    if val["outcome"] == "array" and any(s in ("NaN", "Infinity", "-Infinity") for s in val["exact"]):
        return None, "value has non-finite elements"
    S = input_scale(req)
    g = OrderedDict()
    for arg in req["grad"]:
        try:
            g[arg] = arg_gradient(req, arg, S)
        except NoDerivative as e:
            return None, "%s: %s" % (arg, e)
    o["grad"] = g
    return o, None


# ------------------------------------------------------------------------------------------------
# Case generation
# ------------------------------------------------------------------------------------------------

R = random.Random(SEED)
CASES = []        # (req, category)
COUNT = Counter()
DTYPES = ("float32", "float64")


def tokv(x, dtype):
    return mo.tok(x, dtype)


def add(loss, dtype, category, shape, yhat, y, params=None, grad=("yhat", "y"), cot=None, only=None,
        yshape=None):
    if only is not None and only != dtype:
        return
    COUNT[(loss, dtype, category)] += 1
    req = OrderedDict()
    req["id"] = "grad-%s-%s-%s-%d" % (loss, mo.SHORT[dtype], category, COUNT[(loss, dtype, category)])
    req["loss"] = loss
    req["dtype"] = dtype
    req["shape"] = list(shape)
    req["yhat"] = mo.toks(yhat, dtype)
    req["y"] = mo.toks(y, dtype) if isinstance(y, list) else tokv(y, dtype)
    if yshape is not None:
        req["yshape"] = list(yshape)
    p = OrderedDict()
    for k, v in (params or {}).items():
        if k in ("eps", "delta", "smooth", "beta"):
            p[k] = tokv(v, dtype)
        elif k == "weight":
            if isinstance(v, dict):
                p[k] = OrderedDict([("shape", list(v["shape"])), ("data", mo.toks(v["data"], dtype))])
            else:
                p[k] = tokv(v, dtype)
        else:
            p[k] = v
    req["params"] = p
    req["grad"] = list(grad)
    if cot is not None:
        req["cotangent"] = mo.toks(cot, dtype)
    CASES.append((req, category))


def u(a, b, n):
    return [R.uniform(a, b) for _ in range(n)]


def cotv(n):
    """A cotangent: random values with few significant bits, some negative, one zero sometimes."""
    c = [round(R.uniform(-2, 2), 2) for _ in range(n)]
    if n > 2 and R.random() < 0.3:
        c[R.randrange(n)] = 0.0
    return c


def prob(C, B):
    """Probability columns from this script's stream (the value oracle's generator, given R)."""
    return mo.prob_columns(C, B, rng=R)


def onehot(C, B):
    return mo.onehot_columns(C, B, rng=R)


def gens(loss):
    """(yhat element, y element) generators of each elementwise loss's smooth domain."""
    if loss in ("mae", "mse", "huber_loss"):
        return (lambda: R.uniform(-3, 3)), (lambda: R.uniform(-3, 3))
    if loss == "msle":
        return (lambda: R.uniform(0.01, 5)), (lambda: R.uniform(0.01, 5))
    if loss == "binarycrossentropy":
        return (lambda: R.uniform(0.001, 0.999)), (lambda: R.choice([0.0, 1.0, R.uniform(0, 1)]))
    if loss == "logitbinarycrossentropy":
        return (lambda: R.uniform(-6, 6)), (lambda: R.choice([0.0, 1.0, R.uniform(0, 1)]))
    if loss == "poisson_loss":
        return (lambda: R.uniform(0.05, 6)), (lambda: float(R.randrange(6)))
    if loss in ("hinge", "squared_hinge"):
        return (lambda: R.gauss(0, 1.5)), (lambda: R.choice([-1.0, 1.0, R.uniform(-2, 2)]))
    if loss in ("dice_coeff_loss", "tversky_loss"):
        return (lambda: R.uniform(0, 1)), (lambda: R.choice([0.0, 1.0, R.uniform(0, 1)]))
    if loss in ("crossentropy", "kldivergence"):
        return (lambda: R.uniform(0.05, 0.95)), (lambda: R.uniform(0, 1))
    if loss == "logitcrossentropy":
        return (lambda: R.uniform(-4, 4)), (lambda: R.uniform(0, 1))
    raise ValueError(loss)


def pair(loss, n):
    gh, gy = gens(loss)
    return [gh() for _ in range(n)], [gy() for _ in range(n)]


def gen_common_elementwise(loss, dtype):
    """Shapes, aggs, cotangents, scalar y, trailing-1 shapes."""
    for shape, agg, c in [([5], "mean", False), ([8], "sum", False), ([3, 4], "none", True),
                          ([2, 3, 2], "sum", False), ([2, 2], "none", False), ([6], "none", True),
                          ([12], "mean", False)]:
        n = mo.prod(shape)
        yh, y = pair(loss, n)
        params = {} if agg == "mean" else {"agg": agg}
        add(loss, dtype, "benign", shape, yh, y, params, cot=cotv(n) if c else None)
    gh, gy = gens(loss)
    for shape in ([4, 1], [1, 3], [2, 1, 2]):
        n = mo.prod(shape)
        yh, y = pair(loss, n)
        add(loss, dtype, "trailing1", shape, yh, y, {"agg": R.choice(["mean", "sum"])})
    add(loss, dtype, "scalar-y", [4], [gh() for _ in range(4)], gy())
    add(loss, dtype, "scalar-y", [2, 3], [gh() for _ in range(6)], gy(), {"agg": "sum"})
    add(loss, dtype, "scalar-y", [2, 2], [gh() for _ in range(4)], gy(), {"agg": "none"}, cot=cotv(4))
    yh, y = pair(loss, 3)
    add(loss, dtype, "benign", [3], yh, y, grad=("yhat",))


def gen_errors(loss, dtype):
    gh, gy = gens(loss)
    add(loss, dtype, "error", [3], [gh() for _ in range(3)], [gy() for _ in range(4)], yshape=[4])
    if loss not in ("dice_coeff_loss", "tversky_loss"):
        add(loss, dtype, "error", [3], [gh() for _ in range(3)], [gy() for _ in range(3)], {"agg": "median"},
            only="float64")


def gen_specific(loss, dtype):
    f32 = dtype == "float32"
    big = 3e38 if f32 else 1.7e308
    tiny = "1e-45" if f32 else "5e-324"
    if loss == "mae":
        add(loss, dtype, "kink", [4], [1.0, 0.5, -2.0, 0.25], [1.0, 0.0, -2.0, 1.0])
        add(loss, dtype, "kink", [2, 2], [0.0, 1.5, 1.5, -1.0], [0.0, 1.5, 0.5, 0.0], {"agg": "none"},
            cot=[1.5, -0.5, 2.0, 1.0])
        add(loss, dtype, "kink", [3], [0.5, 0.5, 0.5], 0.5, {"agg": "sum"})          # scalar y at the kink
        add(loss, dtype, "kink", [3], [0.5, 0.75, 0.25], 0.5)                         # one kink in the sum
        add(loss, dtype, "extreme", [2], [big, big], [-big, 0.0], {"agg": "sum"})
        add(loss, dtype, "subnormal", [3], [tiny, 0.0, "3e-45" if f32 else "1e-323"], [0.0, tiny, 0.0])
    elif loss == "mse":
        sq = 2e19 if f32 else 1.5e154
        add(loss, dtype, "extreme", [2], [big, 1.0], [-big, 0.0], {"agg": "sum"})    # gradient overflows
        add(loss, dtype, "extreme", [2], [sq, -sq], [0.0, 0.0])
        add(loss, dtype, "extreme", [3], [big, 1.0, 0.5], [big, 0.0, 0.0], {"agg": "none"})
        add(loss, dtype, "subnormal", [2], [tiny, "2e-45" if f32 else "1e-323"], [0.0, 0.0])
        y = u(-2, 2, 5)
        y = [float(np.float32(v)) if f32 else v for v in y]
        yh = [float(np.nextafter(np.float32(v), np.float32(np.inf))) if f32 else math.nextafter(v, math.inf)
              for v in y]
        add(loss, dtype, "cancellation", [5], yh, y)
        add(loss, dtype, "cancellation", [3], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], {"agg": "none"})
    elif loss == "msle":
        add(loss, dtype, "eps", [3], [0.5, 1.0, 2.0], [1.0, 1.0, 0.25], {"eps": 0.0})
        add(loss, dtype, "eps", [3], [0.0, 1.0, 2.0], [0.0, 0.5, 2.0])                 # yhat = y = 0
        add(loss, dtype, "eps", [2], [0.25, 3.0], [0.5, 1.0], {"eps": 0.01, "agg": "none"}, cot=[2.0, -1.0])
        add(loss, dtype, "eps", [3], [0.0, 1e-3, 4.0], [1.0, 0.0, 4.0])               # log(eps) terms
        add(loss, dtype, "extreme", [2], [1e30 if f32 else 1e300, 1.0], [1e-30 if f32 else 1e-300, 1.0],
            {"eps": 0.0})
        add(loss, dtype, "boundary", [2], [-2.0, -0.5], [-3.0, -0.25], {"eps": 0.0})
        y = [float(np.float32(v)) if f32 else v for v in u(0.5, 4, 4)]
        add(loss, dtype, "cancellation", [4], y, y)
    elif loss == "huber_loss":
        add(loss, dtype, "benign", [5], u(-3, 3, 5), u(-3, 3, 5), {"delta": 0.5})
        add(loss, dtype, "benign", [2, 3], u(-3, 3, 6), u(-3, 3, 6), {"delta": 2.0, "agg": "none"}, cot=cotv(6))
        add(loss, dtype, "boundary", [2], [1.5, 0.75], [0.5, 0.25], {"delta": 1.0, "agg": "none"})  # e == delta
        add(loss, dtype, "boundary", [3], [0.25, -0.5, 0.0], [0.0, 0.0, 0.0], {"delta": 0.25})
        add(loss, dtype, "kink", [3], [0.5, 1.0, 1.0], [0.5, 1.0, 3.0])               # e = 0: smooth, grad 0
        add(loss, dtype, "extreme", [2], [1e30 if f32 else 1e300, 0.5], [0.0, 0.0])
        add(loss, dtype, "extreme", [2], [big, 0.0], [-big, 0.0], {"delta": 2.0})
    elif loss == "binarycrossentropy":
        add(loss, dtype, "benign", [3], [0.1, 0.2, 0.9], 1.0)                          # the seed's example
        add(loss, dtype, "eps", [6], [0.0, 0.0, "1e-30", "1e-30", 1.0, 1.0], [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
            {"agg": "none"}, cot=[1.0, 0.5, -1.0, 2.0, 0.25, 1.0])
        add(loss, dtype, "eps", [4], [0.5, 0.2, 0.3, 0.7], [0.0, 1.0, 1.0, 0.0], {"eps": 0.0})
        add(loss, dtype, "eps", [4], [0.0, 1.0, 0.2, 0.7], [1.0, 0.0, 1.0, 0.0], {"eps": 1e-7})
        add(loss, dtype, "zero-target", [4], [0.0, 0.3, 0.6, 0.999], [0.0, 0.0, 0.0, 0.0], {"eps": 0.0},
            grad=("yhat",))                                                           # xlogy(0, 0) -> 0
        add(loss, dtype, "saturated", [3], [float(1 / (1 + math.exp(-50.0))), 1e-20, 0.5], [0.0, 1.0, 1.0])
        add(loss, dtype, "saturated", [2], [1.0 - 2.0 ** -24 if f32 else 1.0 - 2.0 ** -53, 2.0 ** -40],
            [1.0, 0.0], {"eps": 0.0})
    elif loss == "logitbinarycrossentropy":
        add(loss, dtype, "saturated", [4], [50.0, 50.0, -50.0, -50.0], [0.0, 1.0, 0.0, 1.0], {"agg": "none"})
        add(loss, dtype, "saturated", [4], [30.0, -30.0, 100.0, -100.0], [1.0, 0.0, 0.5, 0.25])
        add(loss, dtype, "saturated", [2], [1e4, -1e4], [1.0, 0.0], {"agg": "sum"})
        add(loss, dtype, "saturated", [3], [700.0 if not f32 else 88.0, 0.0, -20.0], [1.0, 1.0, 0.0],
            {"agg": "none"}, cot=[1.0, 2.0, -1.0])
        add(loss, dtype, "extreme", [2], [1e30, -1e30], [0.0, 1.0])
        add(loss, dtype, "subnormal", [2], [tiny, 0.0], [1.0, 0.0])
    elif loss == "poisson_loss":
        add(loss, dtype, "zero-target", [3], [0.0, 0.5, 1.0], [0.0, 0.0, 0.0], grad=("yhat",))  # yhat = y = 0
        add(loss, dtype, "zero-target", [3], [0.25, 2.0, 1.0], [0.0, 3.0, 0.0], {"agg": "none"},
            cot=[1.0, -2.0, 0.5])
        e = float(np.float32(math.e)) if f32 else math.e
        add(loss, dtype, "cancellation", [3], [e, 1.0, 2.0], [e, 1.0, 2.0], {"agg": "none"})
        add(loss, dtype, "extreme", [2], [1e30 if f32 else 1e300, 1.0], [1e30 if f32 else 1e300, 1.0])
        add(loss, dtype, "subnormal", [2], [tiny, 0.5], [1.0, 0.0])
    elif loss in ("hinge", "squared_hinge"):
        add(loss, dtype, "kink", [4], [0.5, -0.25, 1.0, 0.125], [2.0, -4.0, 1.0, 8.0], {"agg": "none"})
        add(loss, dtype, "kink", [3], [0.5, 0.3, -2.0], [2.0, 1.0, 1.0])
        add(loss, dtype, "kink", [3], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], {"agg": "sum"})
        add(loss, dtype, "kink", [2, 2], [0.5, 0.25, -1.0, 4.0], [2.0, 0.5, -1.0, 1.0], {"agg": "none"},
            cot=[2.0, -1.0, 0.5, 1.0])
        add(loss, dtype, "kink", [3], [1.0, -1.0, 0.5], 1.0)                          # scalar y
        add(loss, dtype, "extreme", [2], [1e19 if f32 else 1e154, 0.25], [-1.0, 1.0])
        add(loss, dtype, "subnormal", [2], [tiny, 1.0], [-1.0, 0.5])
    elif loss in ("dice_coeff_loss", "tversky_loss"):
        pname = "smooth" if loss == "dice_coeff_loss" else "beta"
        for v in ((0.0, 0.5, 100.0) if pname == "smooth" else (0.0, 0.3, 1.0)):
            add(loss, dtype, "param", [6], u(0, 1, 6), [float(R.randrange(2)) for _ in range(6)], {pname: v})
        yv = [float(np.float32(v)) if f32 else v for v in u(0.1, 0.9, 6)]
        add(loss, dtype, "cancellation", [6], yv, yv)
        lab = [float(R.randrange(2)) for _ in range(8)]
        add(loss, dtype, "cancellation", [8], lab, lab)
        add(loss, dtype, "extreme", [3], [2e19 if f32 else 1.5e154, 2e19 if f32 else 1.5e154, 1.0],
            [2e19 if f32 else 1.5e154, 0.0, 1.0])
        add(loss, dtype, "subnormal", [3], [tiny, 0.0, 0.0], [1.0, 0.0, 0.0])
        add(loss, dtype, "zero-target", [4], u(0, 1, 4), [0.0] * 4)
        if pname == "smooth":
            add(loss, dtype, "error", [3], [0.5, 0.5, 0.5], [1.0, 0.0, 1.0], {"smooth": -1.0})
        else:
            add(loss, dtype, "scalar-y", [3, 2], u(0, 1, 6), 1.0)
            add(loss, dtype, "error", [3], [0.5, 0.5, 0.5], [1.0, 0.0, 1.0], {"beta": 1.5})
    # domain errors
    if loss in ("msle", "binarycrossentropy", "poisson_loss"):
        add(loss, dtype, "error", [2], [-1.0, 1.0] if loss != "binarycrossentropy" else [1.5, 0.5], [1.0, 1.0])


def gen_elementwise(loss, dtype):
    gen_common_elementwise(loss, dtype)
    gen_specific(loss, dtype)
    gen_errors(loss, dtype)


def gen_global(loss, dtype):
    """dice_coeff_loss and tversky_loss (no agg)."""
    gh, gy = gens(loss)
    for n in (3, 5, 8, 12):
        add(loss, dtype, "benign", [n], u(0, 1, n), [gy() for _ in range(n)])
    add(loss, dtype, "benign", [3, 4], u(0, 1, 12), [gy() for _ in range(12)])
    add(loss, dtype, "benign", [2, 3, 2], u(0, 1, 12), [float(R.randrange(2)) for _ in range(12)])
    add(loss, dtype, "benign", [4], u(-0.5, 1.5, 4), u(-0.5, 1.5, 4))
    add(loss, dtype, "benign", [3], [0.9, 0.1, 0.4], [1.0, 0.0, 1.0], grad=("yhat",))
    for shape in ([4, 1], [1, 3]):
        n = mo.prod(shape)
        add(loss, dtype, "trailing1", shape, u(0, 1, n), [gy() for _ in range(n)])
    gen_specific(loss, dtype)
    gen_errors(loss, dtype)


def gen_dims_loss(loss, dtype):
    f32 = dtype == "float32"
    ce = loss in ("crossentropy", "kldivergence")
    kl = loss == "kldivergence"

    def pred(C, B):
        return prob(C, B) if ce else u(-4, 4, C * B)

    # KL's y-gradient has log(y) + 1: only where every target is positive
    def soft(C, B):
        return prob(C, B)

    gy_ok = ("yhat", "y")
    add(loss, dtype, "benign", [5], pred(5, 1), soft(5, 1))
    add(loss, dtype, "benign", [3, 4], pred(3, 4), soft(3, 4))
    add(loss, dtype, "benign", [4, 3], pred(4, 3), soft(4, 3), {"agg": "sum"})
    add(loss, dtype, "benign", [3, 3], pred(3, 3), soft(3, 3), {"agg": "none"}, cot=cotv(3))
    add(loss, dtype, "benign", [3, 2], pred(3, 2), soft(3, 2), {"agg": "none"})
    add(loss, dtype, "zero-target", [3, 4], pred(3, 4), onehot(3, 4), grad=("yhat",) if kl else gy_ok)
    add(loss, dtype, "zero-target", [4, 2], pred(4, 2), onehot(4, 2), {"agg": "none"}, cot=cotv(2),
        grad=("yhat",) if kl else gy_ok)
    add(loss, dtype, "dims", [4, 3], pred(4, 3), soft(4, 3), {"dims": [2]})
    add(loss, dtype, "dims", [3, 4], pred(3, 4), soft(3, 4), {"dims": [1, 2]})
    add(loss, dtype, "dims", [2, 3, 2], pred(2, 6), soft(2, 6), {"dims": [2], "agg": "none"}, cot=cotv(4))
    add(loss, dtype, "dims", [2, 3, 2], pred(2, 6), soft(2, 6), {"dims": [1, 3], "agg": "none"}, cot=cotv(3))
    add(loss, dtype, "dims", [2, 3, 2], pred(2, 6), soft(2, 6), {"dims": [3]})
    add(loss, dtype, "dims", [3, 2], pred(3, 2), soft(3, 2), {"dims": [3], "agg": "none"}, cot=cotv(6))
    add(loss, dtype, "trailing1", [4, 1], pred(4, 1), soft(4, 1))
    add(loss, dtype, "trailing1", [1, 4], pred(1, 4), [1.0, 1.0, 0.5, 0.25] if not kl else [0.5, 1.0, 0.25, 0.75],
        {"agg": "sum"})
    add(loss, dtype, "trailing1", [3, 1, 2], pred(3, 2), soft(3, 2), {"dims": [1]})
    if not kl:
        add(loss, dtype, "weight", [3, 4], pred(3, 4), onehot(3, 4), {"weight": 0.5})
        add(loss, dtype, "weight", [3, 4], pred(3, 4), soft(3, 4), {"weight": {"shape": [3, 1], "data": [0.2, 1.0, 3.0]}})
        add(loss, dtype, "weight", [3, 4], pred(3, 4), soft(3, 4),
            {"weight": {"shape": [3, 1], "data": [1.5, 0.25, 2.0]}, "agg": "none"}, cot=cotv(4))
        add(loss, dtype, "weight", [3, 4], pred(3, 4), soft(3, 4),
            {"weight": {"shape": [1, 4], "data": [1.0, 2.0, 0.5, 0.1]}, "agg": "sum"})
        add(loss, dtype, "weight", [2, 3], pred(2, 3), soft(2, 3),
            {"weight": {"shape": [2, 3], "data": [1.0, 2.0, 0.5, 0.1, 3.0, 0.75]}, "dims": [2]})
        add(loss, dtype, "scalar-y", [3, 2], pred(3, 2), 1.0)
        add(loss, dtype, "scalar-y", [4], pred(4, 1), 0.25, {"agg": "none"})
    if ce:
        add(loss, dtype, "eps", [3, 2], [0.1, 0.5, 0.4, 0.2, 0.3, 0.5], [0.0, 1.0, 0.0, 0.25, 0.25, 0.5], {"eps": 0.0},
            grad=("yhat",) if kl else gy_ok)
        add(loss, dtype, "eps", [3, 2], [0.0, 0.5, 0.5, 0.2, 0.3, 0.5], [0.0, 1.0, 0.0, 0.0, 0.0, 1.0], {"eps": 0.0},
            grad=("yhat",))                                                           # yhat = y = 0, eps = 0
        add(loss, dtype, "eps", [3, 2], [0.0, "1e-30", 1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.5, 0.5],
            {"agg": "none"}, grad=("yhat",) if kl else gy_ok)
        add(loss, dtype, "eps", [4], pred(4, 1), soft(4, 1), {"eps": 1e-3})
        add(loss, dtype, "eps", [2, 2], [tiny_of(f32), 1.0, 0.5, 0.5], [1.0, 0.0, 0.5, 0.5], {"eps": 0.0},
            grad=("yhat",))
        if kl:
            p = prob(4, 3)
            add(loss, dtype, "cancellation", [4, 3], p, p, {"eps": 0.0})
            add(loss, dtype, "cancellation", [4, 3], p, p)
            add(loss, dtype, "cancellation", [3, 2], p[:6], p[:6], {"agg": "none"}, cot=cotv(2))
        else:
            add(loss, dtype, "extreme", [3], [0.5, 0.25, 0.25], [1.0, 0.0, 0.0], {"weight": 1e38 if f32 else 1e307})
            add(loss, dtype, "extreme", [2, 2], [1e-38 if f32 else 1e-307, 1.0, 0.5, 0.5],
                [1e38 if f32 else 1e307, 0.0, 0.5, 0.5], {"eps": 0.0})
    else:
        # saturated logits: NNlib #68 (gradient NaN near +-430), dominant logits
        add(loss, dtype, "saturated", [3], [430.0, 0.0, -430.0], [1.0, 0.0, 0.0])
        add(loss, dtype, "saturated", [3], [-430.0, 430.0, 0.0], [1.0, 0.0, 0.0])
        add(loss, dtype, "saturated", [2, 2], [430.0, -430.0, 429.5, 430.0], [0.0, 1.0, 1.0, 0.0], {"agg": "none"},
            cot=[1.0, -0.5])
        add(loss, dtype, "saturated", [3, 2], [30.0, 0.0, 0.0, 0.0, -30.0, 0.0], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            {"agg": "none"})
        add(loss, dtype, "saturated", [3, 2], [1e4, 0.0, -1e4, 100.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
        add(loss, dtype, "saturated", [3], [1e30, 1e30, 0.0], [0.5, 0.5, 0.0])
        add(loss, dtype, "saturated", [4], [100.0, 100.0, 100.0, 100.0], [1.0, 0.0, 0.0, 0.0])
        add(loss, dtype, "boundary", [4], [2.0, 2.0, 2.0, 2.0], [0.25, 0.25, 0.25, 0.25])
        add(loss, dtype, "subnormal", [3], [tiny_of(f32), 0.0, "-1e-45" if f32 else "-5e-324"], [1.0, 0.0, 0.0])
    add(loss, dtype, "error", [3], pred(3, 1), soft(4, 1), yshape=[4])
    add(loss, dtype, "error", [2, 2], [0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], {"dims": [0]}, only="float64")
    if ce:
        add(loss, dtype, "error", [3], [-0.5, 0.5, 1.0], [0.0, 0.5, 0.5])            # DomainError


def tiny_of(f32):
    return "1e-45" if f32 else "5e-324"


def generate():
    for loss in mo.ALL_LOSSES:
        for dtype in DTYPES:
            if loss in ("crossentropy", "logitcrossentropy", "kldivergence"):
                gen_dims_loss(loss, dtype)
            elif loss in ("dice_coeff_loss", "tversky_loss"):
                gen_global(loss, dtype)
            else:
                gen_elementwise(loss, dtype)


# ------------------------------------------------------------------------------------------------
# Half precision (float16, bfloat16; issue 15): --half writes half_gradient_cases.jsonl
# ------------------------------------------------------------------------------------------------
# A generator and seed of its own (the float32/float64 file is unchanged). Small cases (the
# differentiation costs two loss evaluations per element and precision rung), in the regimes that
# matter in half precision: benign inputs, logits where exp overflows the dtype, the default ϵ
# (2⁻¹⁰ / 2⁻⁷) dominating small probabilities, squares near the float16 maximum, subnormals.

SEED_HALF = 20261516
RH = random.Random(SEED_HALF)


def hu(a, b, n):
    return [RH.uniform(a, b) for _ in range(n)]


def hcot(n):
    return [round(RH.uniform(-2, 2), 2) for _ in range(n)]


def gen_half(loss, dtype):
    f16 = dtype == "float16"
    tiny = mo.HALF_TINY[dtype]
    if loss in ("crossentropy", "logitcrossentropy", "kldivergence"):
        ce = loss != "logitcrossentropy"

        def pred(C, B):
            return mo.prob_columns(C, B, rng=RH) if ce else hu(-4, 4, C * B)

        kl_y = ("yhat",) if loss == "kldivergence" else ("yhat", "y")   # ∂/∂y of KL at a zero target: a pole
        add(loss, dtype, "benign", [4], pred(4, 1), mo.onehot_columns(4, 1, rng=RH), grad=kl_y)
        add(loss, dtype, "benign", [3, 4], pred(3, 4), mo.prob_columns(3, 4, rng=RH))
        add(loss, dtype, "benign", [3, 3], pred(3, 3), mo.prob_columns(3, 3, rng=RH), {"agg": "sum"})
        add(loss, dtype, "benign", [3, 2], pred(3, 2), mo.prob_columns(3, 2, rng=RH), {"agg": "none"},
            cot=hcot(2))
        add(loss, dtype, "dims", [3, 4], pred(3, 4), mo.onehot_columns(3, 4, rng=RH), {"dims": [2]}, grad=kl_y)
        if loss != "kldivergence":
            add(loss, dtype, "weight", [3, 2], pred(3, 2), mo.onehot_columns(3, 2, rng=RH),
                {"weight": {"shape": [3, 1], "data": [0.25, 1.0, 3.0]}})
        if ce:
            add(loss, dtype, "eps", [4], [tiny, "0.0001", "0.001", 0.5], [0.25, 0.25, 0.25, 0.25])
            add(loss, dtype, "eps", [3, 2], [0.0, 0.5, 0.5, "0.001", 0.499, 0.5], [1.0, 0.0, 0.0, 0.5, 0.5, 0.0],
                grad=("yhat",))
            add(loss, dtype, "eps", [3], [0.2, 0.3, 0.5], [0.5, 0.25, 0.25], {"eps": 0.0})
        else:
            cols = [[12.0, 0.0, -3.0], [15.0, 14.0, 13.0], [11.0, 11.25, 11.5]] if f16 else \
                [[90.0, 0.0, -3.0], [100.0, 99.0, 98.0], [1000.0, 0.0, -1000.0]]
            for c in cols:
                add(loss, dtype, "saturated", [3], c, [0.0, 1.0, 0.0])
            add(loss, dtype, "saturated", [3, 3], [v for c in cols for v in c], mo.prob_columns(3, 3, rng=RH),
                {"agg": "none"}, cot=hcot(3))
        return
    if loss in ("dice_coeff_loss", "tversky_loss"):
        pname = "smooth" if loss == "dice_coeff_loss" else "beta"
        for n in (4, 6, 9):
            add(loss, dtype, "benign", [n], hu(0, 1, n), [float(RH.randrange(2)) for _ in range(n)])
        add(loss, dtype, "benign", [5], hu(0, 1, 5), hu(0, 1, 5))
        add(loss, dtype, "param", [4], hu(0, 1, 4), [1.0, 0.0, 1.0, 0.0], {pname: 0.5 if pname == "smooth" else 0.3})
        y = [mo.hround(v, dtype) for v in hu(0.1, 0.9, 5)]
        add(loss, dtype, "cancellation", [5], y, y)
        add(loss, dtype, "extreme", [3], [120.0, 100.0, 1.0] if f16 else [1e19, 5e18, 1.0], [100.0, 0.0, 1.0]
            if f16 else [1e19, 0.0, 1.0])
        add(loss, dtype, "subnormal", [3], [tiny, 0.5, 0.25], [1.0, 0.0, 1.0])
        return
    gh, gy = {
        "mae": (lambda: RH.uniform(-3, 3), lambda: RH.uniform(-3, 3)),
        "mse": (lambda: RH.uniform(-3, 3), lambda: RH.uniform(-3, 3)),
        "huber_loss": (lambda: RH.uniform(-3, 3), lambda: RH.uniform(-3, 3)),
        "msle": (lambda: RH.uniform(0.05, 5), lambda: RH.uniform(0.05, 5)),
        "binarycrossentropy": (lambda: RH.uniform(0.01, 0.99), lambda: RH.uniform(0, 1)),
        "logitbinarycrossentropy": (lambda: RH.uniform(-6, 6), lambda: RH.uniform(0, 1)),
        "poisson_loss": (lambda: RH.uniform(0.1, 6), lambda: float(RH.randrange(6))),
        "hinge": (lambda: RH.gauss(0, 1.5), lambda: RH.choice([-1.0, 1.0])),
        "squared_hinge": (lambda: RH.gauss(0, 1.5), lambda: RH.choice([-1.0, 1.0])),
    }[loss]
    for n, params in ((5, {}), (4, {"agg": "sum"})):
        add(loss, dtype, "benign", [n], [gh() for _ in range(n)], [gy() for _ in range(n)], params)
    add(loss, dtype, "benign", [2, 2], [gh() for _ in range(4)], [gy() for _ in range(4)], {"agg": "none"},
        cot=hcot(4))
    add(loss, dtype, "scalar-y", [4], [gh() for _ in range(4)], gy())
    if loss == "mse":
        add(loss, dtype, "extreme", [2], [181.0, 0.5] if f16 else [1.3e19, 0.5], [0.0, 0.0])  # squares near the maximum
        add(loss, dtype, "subnormal", [2], ["0.000244", tiny] if f16 else ["1.1e-20", tiny], [0.0, 0.0])
    elif loss == "huber_loss":
        add(loss, dtype, "param", [3], [0.5, 2.0, -0.05], [0.0, 0.0, 0.0], {"delta": 0.1})
    elif loss == "msle":
        add(loss, dtype, "eps", [3], [0.0, tiny, 0.5], [0.0, 0.5, 0.5])
    elif loss == "binarycrossentropy":
        add(loss, dtype, "eps", [4], [tiny, "0.0001", "0.001", 0.999], [1.0, 1.0, 0.0, 0.0])
        add(loss, dtype, "eps", [3], [0.0, 1.0, 0.5], [0.0, 1.0, 0.5], grad=("yhat",))
    elif loss == "logitbinarycrossentropy":
        add(loss, dtype, "saturated", [6], [10.0, 11.5, 12.0, -12.0, 16.0, -20.0] if f16 else
            [50.0, 88.0, 90.0, -90.0, 200.0, -300.0], [1.0, 0.0, 1.0, 0.0, 0.5, 1.0])
    elif loss == "poisson_loss":
        e = mo.hround(math.e, dtype)
        add(loss, dtype, "cancellation", [2], [e, 2.0], [e, 2.0])
    elif loss in ("hinge", "squared_hinge"):
        add(loss, dtype, "kink", [3], [0.5, 1.0, -0.25], [2.0, 1.0, -4.0], {"agg": "none"}, cot=[1.0, 0.5, 2.0])
        add(loss, dtype, "extreme", [2], [200.0, 0.5] if f16 else [1e19, 0.5], [-1.0, 1.0])
    elif loss == "mae":
        add(loss, dtype, "kink", [3], [1.0, 0.5, -2.0], [1.0, 0.0, -2.0])
        add(loss, dtype, "subnormal", [2], [tiny, 1.0], [0.0, 0.0])


def generate_half():
    for loss in mo.ALL_LOSSES:
        for dtype in mo.HALF_DTYPES:
            gen_half(loss, dtype)


# ------------------------------------------------------------------------------------------------
# Self test of the differentiation machinery (analytic derivatives written here only for this test)
# ------------------------------------------------------------------------------------------------


def _req(loss, dtype, shape, yhat, y, params=None, grad=("yhat", "y"), cot=None):
    r = OrderedDict([("id", "selftest"), ("loss", loss), ("dtype", dtype), ("shape", shape),
                     ("yhat", mo.toks(yhat, dtype)),
                     ("y", mo.toks(y, dtype) if isinstance(y, list) else mo.tok(y, dtype)),
                     ("params", OrderedDict(params or {})), ("grad", list(grad))])
    if cot is not None:
        r["cotangent"] = mo.toks(cot, dtype)
    return r


def selftest():
    F = Fraction
    # mse, mean: d/dyhat_i = 2 (yhat_i - y_i) / n, exactly (exact-rational path)
    r = _req("mse", "float64", [3], [0.5, 1.25, -2.0], [0.0, 1.0, 1.0])
    S = input_scale(r)
    for i, (a, b) in enumerate([(F(1, 2), F(0)), (F(5, 4), F(1)), (F(-2), F(1))]):
        assert element_gradient(r, "yhat", i, S) == ("value", 2 * (a - b) / 3)
        assert element_gradient(r, "y", i, S) == ("value", -2 * (a - b) / 3)
    # mae kink: one-sided derivatives -1/n and +1/n
    r = _req("mae", "float32", [2], [1.0, 3.0], [1.0, 0.0])
    S = input_scale(r)
    assert element_gradient(r, "yhat", 0, S) == ("kink", F(-1, 2), F(1, 2))
    assert element_gradient(r, "yhat", 1, S) == ("value", F(1, 2))
    # scalar y: the sum over the broadcast; mae sum, y = 0.5 below every yhat -> -n
    r = _req("mae", "float64", [3], [1.0, 2.0, 3.0], 0.5, {"agg": "sum"})
    assert element_gradient(r, "y", 0, input_scale(r)) == ("value", F(-3))
    # logitbinarycrossentropy: d/dx = sigma(x) - y, at x = 50, y = 1 (tiny, Flux #914) and y = 0
    with mp.workprec(2000):
        for x, yv in ((50.0, 1.0), (50.0, 0.0), (-3.5, 0.25), (0.0, 1.0)):
            r = _req("logitbinarycrossentropy", "float64", [1], [x], [yv])
            kind, d = element_gradient(r, "yhat", 0, input_scale(r))
            with mp.workprec(2000):
                ref = 1 / (1 + mpmath.exp(-mpf(x))) - mpf(yv)
            assert kind == "value" and abs(mo.to_mpf(d) - ref) <= abs(ref) * mpf(2) ** -200, (x, yv, d, ref)
    # logitcrossentropy at +-430: softmax - y per column
    r = _req("logitcrossentropy", "float64", [3], [430.0, 0.0, -430.0], [1.0, 0.0, 0.0])
    with mp.workprec(3000):
        xs = [mpf(430), mpf(0), mpf(-430)]
        z = mpmath.fsum(mpmath.exp(x) for x in xs)
        for i in range(3):
            kind, d = element_gradient(r, "yhat", i, input_scale(r))
            ref = mpmath.exp(xs[i]) / z - (1 if i == 0 else 0)
            assert kind == "value" and abs(mo.to_mpf(d) - ref) <= abs(ref) * mpf(2) ** -200, (i, d, ref)
    # crossentropy y-gradient = -log(yhat + eps); xlogy(0, 0) yhat-gradient exactly 0 (eps = 0)
    r = _req("crossentropy", "float64", [2], [0.0, 0.25], [0.0, 1.0], {"eps": mo.Raw("0")}, grad=("yhat",))
    S = input_scale(r)
    assert element_gradient(r, "yhat", 0, S) == ("value", F(0))
    kind, d = element_gradient(r, "yhat", 1, S)
    assert kind == "value" and d == F(-4), d
    # hinge kink at yhat*y = 1: [-y, 0] / n
    r = _req("hinge", "float64", [2], [0.5, 0.0], [2.0, 1.0])
    assert element_gradient(r, "yhat", 0, input_scale(r)) == ("kink", F(-1), F(0))
    # determinacy: a tie is never accepted with a nonzero error bound
    assert not determinate(F(1) + F(1, 2 ** 53), F(1, 2 ** 300))
    assert determinate(F(1) + F(1, 2 ** 54), F(1, 2 ** 300))


# ------------------------------------------------------------------------------------------------


def dumps(o):
    """mpmath_oracle.dumps plus null (kink positions of the value arrays)."""
    if o is None:
        return "null"
    if isinstance(o, (list, tuple)) and not isinstance(o, str):
        return "[" + ",".join(dumps(x) for x in o) + "]"
    if isinstance(o, dict):
        return "{" + ",".join(mo.jstr(k) + ":" + dumps(v) for k, v in o.items()) + "}"
    return mo.dumps(o)


def work(i):
    req, category = CASES[i]
    t0 = time.time()
    o, why = grad_oracle(req)
    return o, why, time.time() - t0


def main(argv):
    t0 = time.time()
    here = os.path.dirname(os.path.abspath(__file__))
    half = "--half" in argv
    out = os.path.join(here, "half_gradient_cases.jsonl" if half else "gradient_cases.jsonl")
    if "--out" in argv:
        out = argv[argv.index("--out") + 1]
    jobs = os.cpu_count() or 1
    if "--jobs" in argv:
        jobs = int(argv[argv.index("--jobs") + 1])
    selftest()
    print("selftest ok (%.1f s)" % (time.time() - t0))
    if "--selftest-only" in argv:
        return 0
    generate_half() if half else generate()
    if jobs > 1:
        import multiprocessing as mpr
        with mpr.get_context("fork").Pool(jobs) as pool:
            results = pool.map(work, range(len(CASES)), chunksize=1)
    else:
        results = [work(i) for i in range(len(CASES))]
    lines, dropped = [], []
    by = Counter()
    cats = Counter()
    kinks = Counter()
    slow = []
    for (req, category), (o, why, dt) in zip(CASES, results):
        slow.append((dt, req["id"]))
        if o is None:
            dropped.append((req["id"], why))
            continue
        oo = OrderedDict([("category", category)])
        oo.update(o)
        req["oracle"] = oo
        lines.append(dumps(req))
        by[(req["loss"], req["dtype"])] += 1
        cats[(req["loss"], category)] += 1
        for g in o.get("grad", {}).values():
            kinks[req["loss"]] += sum(1 for s in g.get("subgradient", []) if s is not None)
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for ln in lines:
            fh.write(ln + "\n")
    print("wrote %d cases to %s (%.1f s)" % (len(lines), out, time.time() - t0))
    allcats = sorted(set(c for _, c in cats))
    w = max(len(x) for x in mo.ALL_LOSSES)
    d1, d2 = mo.HALF_DTYPES if half else DTYPES
    print("%-*s %4s %4s %5s  " % (w, "loss", mo.SHORT[d1], mo.SHORT[d2], "kinks") + " ".join("%6s" % c[:6] for c in allcats))
    for loss in mo.ALL_LOSSES:
        print("%-*s %4d %4d %5d  " % (w, loss, by[(loss, d1)], by[(loss, d2)], kinks[loss])
              + " ".join("%6d" % cats[(loss, c)] for c in allcats))
    print("%-*s %4d %4d %5d  " % (w, "all", sum(by[(l, d1)] for l in mo.ALL_LOSSES),
                                  sum(by[(l, d2)] for l in mo.ALL_LOSSES), sum(kinks.values()))
          + " ".join("%6d" % sum(cats[(l, c)] for l in mo.ALL_LOSSES) for c in allcats))
    for cid, why in dropped:
        print("dropped %s: %s" % (cid, why))
    slow.sort(reverse=True)
    print("slowest: " + ", ".join("%s %.1fs" % (c, d) for d, c in slow[:5]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
