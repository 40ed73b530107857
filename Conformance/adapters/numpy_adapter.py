#!/usr/bin/env python3
"""Flux's fourteen losses in numpy: a straightforward, careful port of SEMANTICS.md.

What a careful user would write: the formulas as Flux states them, evaluated in the request's
dtype (float32 stays float32), numpy's pairwise sums, logsoftmax shifted by the maximum, logσ as
−softplus(−x), xlogy with Flux's DomainError, no NaN dropped. It passes `losscheck conform` at
the default gate:

    losscheck conform --adapter "python3 Conformance/adapters/numpy_adapter.py"
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


LOSSES = {
    f.__name__: f
    for f in [
        mae, mse, msle, huber_loss, crossentropy, logitcrossentropy, binarycrossentropy,
        logitbinarycrossentropy, kldivergence, poisson_loss, hinge, squared_hinge,
        dice_coeff_loss, tversky_loss,
    ]
}

if __name__ == "__main__":
    serve(f"numpy-flux (numpy {np.__version__})", LOSSES)
