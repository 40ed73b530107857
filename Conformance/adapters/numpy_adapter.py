#!/usr/bin/env python3
"""Flux's fourteen losses in numpy: a straightforward, careful port of SEMANTICS.md.

What a careful user would write: the formulas as Flux states them, evaluated in the request's
dtype (float32 stays float32), numpy's pairwise sums, logsoftmax shifted by the maximum, logσ as
−softplus(−x), xlogy with Flux's DomainError, no NaN dropped. It passes `losscheck conform` at
the default gate:

    losscheck conform --adapter "python3 Conformance/adapters/numpy_adapter.py"

Half precision (issue 15): float16 requests are numpy float16 arrays and bfloat16 requests
ml_dtypes.bfloat16 arrays (bfloat16 is offered only when ml_dtypes is importable; without it the
adapter says so on stderr and answers such requests `unsupported`). The same code runs on them,
so what is graded is numpy's own half arithmetic: each float16 ufunc (log, exp, log1p, …) rounds
its float32 result to float16; `np.sum` of float16 is numpy's pairwise sum in float16 and
`np.mean` of float16 accumulates in float32 (numpy's documented float16 rule) and rounds once;
ml_dtypes' bfloat16 has no such rule: its `np.sum`/`np.mean` add sequentially in bfloat16, which
stalls at 256 for a sum of ones (a mean of 20000 halves is 0.0064).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from losscheck_adapter import LossError, serve  # noqa: E402


def agg(x, req):
    """Flux's `agg`: mean (NaN for no elements), sum, or none (the array itself)."""
    if req.agg == "mean":
        return np.mean(x) if x.size else req.dtype(np.nan)
    if req.agg == "sum":
        return np.sum(x)
    return x


def sum_dims(x, req):
    """Julia's `sum(x; dims)`: the reduced dimensions kept with size 1."""
    return np.sum(x, axis=req.axes(), keepdims=True)


def check_domain(y, what):
    """Julia's `log` throws a DomainError for a negative argument."""
    if np.any(y < 0):
        raise LossError("DomainError", f"log of a negative number in {what}")


def xlogy(x, y, what="xlogy"):
    """Flux's xlogy: DomainError if y < 0 (log is evaluated first), 0 where x == 0, else x·log(y)."""
    check_domain(y, what)
    return np.where(x == 0, x.dtype.type(0), x * np.log(y))


def logsoftmax(x, req):
    """x − m − log(Σ exp(x − m)) over dims, with m the maximum (so exp never overflows).

    Where m = +∞, x − m is 0 for the +∞ entries and −∞ for the others (NNlib's logsoftmax,
    src/softmax.jl), not IEEE's ∞ − ∞ = NaN: logsoftmax([∞, 0]) = [0, −∞].
    """
    axes = req.axes()
    if x.size == 0:
        return x
    m = np.max(x, axis=axes, keepdims=True)
    with np.errstate(invalid="ignore"):
        s = x - m
    t = x.dtype.type
    s = np.where(m == np.inf, np.where(x == np.inf, t(0), t(-np.inf)), s)
    return s - np.log(np.sum(np.exp(s), axis=axes, keepdims=True))


def logsigmoid(x):
    """logσ(x) = −softplus(−x), softplus(z) = max(z, 0) + log1p(exp(−|z|))."""
    z = -x
    return -(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))))


def weighted(terms, req):
    w = req.weights()
    return terms if w is None else w * terms


def mae(req):
    return agg(np.abs(req.yhat - req.target()), req)


def mse(req):
    d = req.yhat - req.target()
    return agg(d * d, req)


def msle(req):
    ratio = (req.yhat + req.eps) / (req.target() + req.eps)
    check_domain(ratio, "msle")
    return agg(np.log(ratio) ** 2, req)


def huber_loss(req):
    e = np.abs(req.yhat - req.target())
    d = req.delta
    half = req.dtype(0.5)
    return agg(np.where(e < d, half * e * e, d * (e - half * d)), req)


def crossentropy(req):
    terms = weighted(xlogy(req.target(), req.yhat + req.eps, "crossentropy"), req)
    return agg(-sum_dims(terms, req), req)


def logitcrossentropy(req):
    terms = weighted(req.target() * logsoftmax(req.yhat, req), req)
    return agg(-sum_dims(terms, req), req)


def binarycrossentropy(req):
    y, one = req.target(), req.dtype(1)
    first = xlogy(y, req.yhat + req.eps, "binarycrossentropy")
    second = xlogy(one - y, one - req.yhat + req.eps, "binarycrossentropy")
    return agg(-first - second, req)


def logitbinarycrossentropy(req):
    y = req.target()
    return agg((1 - y) * req.yhat - logsigmoid(req.yhat), req)


def kldivergence(req):
    y = req.target()
    entropy = agg(sum_dims(xlogy(y, y, "kldivergence"), req), req)
    return entropy + crossentropy(req)


def poisson_loss(req):
    y = req.target()
    return agg(req.yhat - xlogy(y, req.yhat, "poisson_loss"), req)


def hinge(req):
    return agg(np.maximum(0, 1 - req.yhat * req.target()), req)


def squared_hinge(req):
    h = np.maximum(0, 1 - req.yhat * req.target())
    return agg(h * h, req)


def dice_coeff_loss(req):
    y, yhat, s = req.target(), req.yhat, req.smooth
    return 1 - (2 * np.sum(y * yhat) + s) / (np.sum(y * y) + np.sum(yhat * yhat) + s)


def tversky_loss(req):
    y, yhat, b = req.target(), req.yhat, req.beta
    one = req.dtype(1)
    tp = np.sum(y * yhat)
    denominator = np.sum(y * yhat + b * (one - y) * yhat + (one - b) * y * (one - yhat))
    return 1 - (tp + 1) / (denominator + 1)


# ---------------------------------------------------------------- gradients
# Hand-derived, the way a numpy user writes them: the derivative of each formula above
# (SEMANTICS.md, "Gradients"), evaluated straightforwardly in the dtype. ϵ, δ, β, smooth and the
# weight are constants. The aggregation's factor is applied last: `/ n` for mean (n unreduced
# elements), nothing for sum, `* cotangent` for none. At a kink the gradient is the one numpy's
# sign and where give (mae: sign(0) = 0; hinge: 0 at ŷ·y = 1), both inside the subgradient
# interval.


def agg_grad(g, req, count=None):
    """The aggregation's factor applied to the derivative of the unreduced terms."""
    if req.agg == "mean":
        n = g.size if count is None else count
        return g / req.dtype(n)
    if req.agg == "sum":
        return g
    return g * req.cotangent


def groups(req):
    """The number of unreduced elements of a class-reducing loss (the groups over dims)."""
    axes = req.axes()
    shape = req.yhat.shape
    return int(np.prod([1 if i in axes else d for i, d in enumerate(shape)]))


def quotient(x, y):
    """x / y, exactly 0 where x == 0 (the derivative of xlogy(x, y) with respect to y)."""
    t = x.dtype.type
    return np.where(x == 0, t(0), x / np.where(x == 0, t(1), y))


def weight_or_one(req):
    w = req.weights()
    return req.dtype(1) if w is None else w


def g_mae(req):
    s = np.sign(req.yhat - req.target())
    g = agg_grad(s, req)
    return g, -g


def g_mse(req):
    d = req.yhat - req.target()
    g = agg_grad(2 * d, req)
    return g, -g


def g_msle(req):
    a, b = req.yhat + req.eps, req.target() + req.eps
    two_l = 2 * np.log(a / b)
    return agg_grad(two_l / a, req), agg_grad(-two_l / b, req)


def g_huber_loss(req):
    e = req.yhat - req.target()
    g = agg_grad(np.where(np.abs(e) < req.delta, e, req.delta * np.sign(e)), req)
    return g, -g


def g_crossentropy(req):
    y, w = req.target(), weight_or_one(req)
    a = req.yhat + req.eps
    n = groups(req)
    return agg_grad(-(w * quotient(y, a)), req, n), agg_grad(-(w * np.log(a)), req, n)


def g_logitcrossentropy(req):
    y, w = req.target(), weight_or_one(req)
    if req.yhat.size == 0:
        return req.yhat.copy(), y.copy()
    ls = logsoftmax(req.yhat, req)
    wy = w * y
    g = np.exp(ls) * sum_dims(wy, req) - wy
    n = groups(req)
    return agg_grad(g, req, n), agg_grad(-(w * ls), req, n)


def g_binarycrossentropy(req):
    y, one = req.target(), req.dtype(1)
    a, b = req.yhat + req.eps, one - req.yhat + req.eps
    g = -quotient(y, a) + quotient(one - y, b)
    return agg_grad(g, req), agg_grad(np.log(b) - np.log(a), req)


def g_logitbinarycrossentropy(req):
    y, x, one = req.target(), req.yhat, req.dtype(1)
    sigma = one / (one + np.exp(-x))  # the textbook σ(ŷ) − y; exp overflowing to ∞ gives 0
    return agg_grad(sigma - y, req), agg_grad(-x, req)


def g_kldivergence(req):
    y = req.target()
    a = req.yhat + req.eps
    n = groups(req)
    return agg_grad(-quotient(y, a), req, n), agg_grad(np.log(y) + 1 - np.log(a), req, n)


def g_poisson_loss(req):
    y, x = req.target(), req.yhat
    return agg_grad(1 - quotient(y, x), req), agg_grad(-np.log(x), req)


def hinge_margin(req):
    return 1 - req.yhat * req.target()


def g_hinge(req):
    y, x = req.target(), req.yhat
    m = hinge_margin(req)
    t = req.dtype
    active = m > 0
    nan = np.isnan(m)
    gx = np.where(nan, t(np.nan), np.where(active, -y, t(0)))
    gy = np.where(nan, t(np.nan), np.where(active, -x, t(0)))
    return agg_grad(gx, req), agg_grad(gy, req)


def g_squared_hinge(req):
    y, x = req.target(), req.yhat
    m = hinge_margin(req)
    t = req.dtype
    h2 = 2 * np.where(np.isnan(m), m, np.maximum(m, t(0)))  # 2·max(0, m), NaN kept
    return agg_grad(-h2 * y, req), agg_grad(-h2 * x, req)


def g_dice_coeff_loss(req):
    y, x, s = req.target(), req.yhat, req.smooth
    num = 2 * np.sum(y * x) + s
    den = np.sum(y * y) + np.sum(x * x) + s
    d2 = den * den
    return 2 * (num * x - den * y) / d2, 2 * (num * y - den * x) / d2


def g_tversky_loss(req):
    y, x, b = req.target(), req.yhat, req.beta
    one = req.dtype(1)
    a = np.sum(y * x) + 1
    big_b = np.sum(y * x + b * (one - y) * x + (one - b) * y * (one - x)) + 1
    b2 = big_b * big_b
    db_dx = y + b * (one - y) - (one - b) * y
    db_dy = x - b * x + (one - b) * (one - x)
    return (a * db_dx - big_b * y) / b2, (a * db_dy - big_b * x) / b2


GRADIENTS = {name[2:]: f for name, f in list(globals().items()) if name.startswith("g_")}


def gradient(req, f):
    """The losscheck_adapter gradient hook: the hand-derived gradient of the request's loss."""
    return GRADIENTS[req.loss](req)


LOSSES = {
    f.__name__: f
    for f in [
        mae, mse, msle, huber_loss, crossentropy, logitcrossentropy, binarycrossentropy,
        logitbinarycrossentropy, kldivergence, poisson_loss, hinge, squared_hinge,
        dice_coeff_loss, tversky_loss,
    ]
}

if __name__ == "__main__":
    serve(f"numpy-flux (numpy {np.__version__})", LOSSES, gradient=gradient)
