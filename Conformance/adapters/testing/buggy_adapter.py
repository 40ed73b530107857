#!/usr/bin/env python3
"""The numpy adapter with one seeded bug, to show that `losscheck conform` catches it.

    python3 Conformance/adapters/testing/buggy_adapter.py --bug NAME    (or --bug none)

Each bug is a mistake real loss implementations make; the tests of LossConformance run every
one through the runner and check that the gate fails on the cases the bug affects, and that
`--bug none` passes. `--list` prints the bugs.
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import numpy_adapter as base  # noqa: E402
from losscheck_adapter import serve  # noqa: E402

LOG_LOSSES = ("crossentropy", "binarycrossentropy", "kldivergence", "msle")
correct_agg = base.agg  # before any patch


def without_eps(f):
    """Missing ϵ: log(ŷ) instead of log(ŷ + ϵ)."""

    def g(req):
        req.eps = req.dtype(0)
        return f(req)

    return g


def keras_clip(f):
    """Keras-style: clip ŷ to [1e-7, 1 − 1e-7] instead of adding ϵ."""

    def g(req):
        req.yhat = np.clip(req.yhat, req.dtype(1e-7), req.dtype(1 - 1e-7))
        req.eps = req.dtype(0)
        return f(req)

    return g


def mean_over_batch(x, req):
    """The mean over size(ŷ, 2) (the page's poisson formula) instead of over every element."""
    if req.agg == "mean":
        batch = x.shape[1] if x.ndim > 1 else 1
        return np.sum(x) / x.dtype.type(batch)
    return correct_agg(x, req)


def nan_dropping_agg(x, req):
    """np.nanmean / np.nansum: NaN terms silently dropped."""
    if req.agg == "mean":
        return np.nanmean(x) if x.size else req.dtype(np.nan)
    if req.agg == "sum":
        return np.nansum(x)
    return x


def sequential_agg(x, req):
    """float32 sequential accumulation (a running float32 sum, as a naive loop does)."""
    if req.agg == "none" or x.dtype != np.float32:
        return correct_agg(x, req)
    total = np.add.accumulate(x.reshape(-1, order="F"), dtype=np.float32)[-1] if x.size else np.float32(0)
    if req.agg == "sum":
        return total
    return total / np.float32(x.size) if x.size else np.float32(np.nan)


def logsoftmax_without_shift(x, req):
    """logsoftmax without subtracting the maximum: exp overflows for large logits."""
    return x - np.log(np.sum(np.exp(x), axis=req.axes(), keepdims=True))


def xlogy_as_product(x, y, what="xlogy"):
    """y·log(ŷ) as a plain product: 0·log(0) is NaN instead of 0."""
    base.check_domain(y, what)
    return x * np.log(y)


def naive_logsigmoid(x):
    """log(σ(x)) computed literally: σ underflows to 0 for large negative x."""
    return np.log(1 / (1 + np.exp(-x)))


def squared_hinge_after_agg(req):
    """The square of the aggregated hinge instead of the aggregate of the squares."""
    h = base.hinge(req)
    return h * h


def tversky_beta_swapped(req):
    """β and 1 − β exchanged (β weights the false negatives instead of the false positives)."""
    req.beta = req.dtype(1) - req.beta
    return base.tversky_loss(req)


def huber_erratum(req):
    """The seed page's erratum: 0.5·|ŷ − y| instead of 0.5·|ŷ − y|² in the quadratic branch."""
    e = np.abs(req.yhat - req.target())
    d, half = req.delta, req.dtype(0.5)
    return base.agg(np.where(e < d, half * e, d * (e - half * d)), req)


def wrong_dims(f):
    """Reduce over the last dimension instead of `dims`."""

    def g(req):
        req.dims = [max(req.yhat.ndim, 1)]
        return f(req)

    return g


def torch_bce(req):
    """PyTorch's BCELoss: no ϵ, log clamped at −100."""
    y, yhat, one = req.target(), req.yhat, req.dtype(1)
    base.check_domain(yhat, "bce")
    base.check_domain(one - yhat, "bce")
    first = np.maximum(np.log(yhat), req.dtype(-100))
    second = np.maximum(np.log(one - yhat), req.dtype(-100))
    return base.agg(-(y * first + (one - y) * second), req)


def install(bug, losses):
    """Patches the numpy port with `bug`; returns the loss table to serve."""
    if bug == "none":
        pass
    elif bug == "missing-eps":
        for name in LOG_LOSSES:
            losses[name] = without_eps(losses[name])
    elif bug == "keras-clip":
        for name in ("crossentropy", "binarycrossentropy"):
            losses[name] = keras_clip(losses[name])
    elif bug == "wrong-dims":
        for name in ("crossentropy", "logitcrossentropy", "kldivergence"):
            losses[name] = wrong_dims(losses[name])
    elif bug == "beta-swapped":
        losses["tversky_loss"] = tversky_beta_swapped
    elif bug == "mean-wrong-count":
        base.agg = mean_over_batch
    elif bug == "nan-dropped":
        base.agg = nan_dropping_agg
    elif bug == "squared-hinge-after-agg":
        losses["squared_hinge"] = squared_hinge_after_agg
    elif bug == "f32-sequential":
        base.agg = sequential_agg
    elif bug == "logsoftmax-no-shift":
        base.logsoftmax = logsoftmax_without_shift
    elif bug == "xlogy-product":
        base.xlogy = xlogy_as_product
    elif bug == "naive-logsigmoid":
        base.logsigmoid = naive_logsigmoid
    elif bug == "huber-erratum":
        losses["huber_loss"] = huber_erratum
    elif bug == "torch-bce-clamp":
        losses["binarycrossentropy"] = torch_bce
    else:
        raise SystemExit(f"unknown bug {bug!r}; see --list")
    return losses


BUGS = [
    "none", "missing-eps", "keras-clip", "wrong-dims", "beta-swapped", "mean-wrong-count", "nan-dropped",
    "squared-hinge-after-agg", "f32-sequential", "logsoftmax-no-shift", "xlogy-product", "naive-logsigmoid",
    "huber-erratum", "torch-bce-clamp",
]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bug", default="none")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        print("\n".join(BUGS))
        raise SystemExit(0)
    table = install(args.bug, dict(base.LOSSES))
    serve(f"numpy-flux with bug {args.bug}", table)
