#!/usr/bin/env python3
"""Flux's fourteen losses in JAX, for `losscheck conform`.

    python3 Conformance/adapters/jax_adapter.py            # formula mode
    python3 Conformance/adapters/jax_adapter.py --native   # what JAX users call

Formula mode: SEMANTICS.md written with jax.numpy, jax.nn.log_softmax, jax.nn.log_sigmoid and
jax.scipy.special.xlogy (where they mean what Flux means), with Flux's DomainErrors checked
explicitly (JAX returns NaN instead of raising). It should pass the default gate.

Native mode: the losses as JAX users call them: optax.losses where it has the loss
(squared_error, huber_loss, softmax_cross_entropy, sigmoid_binary_cross_entropy, hinge_loss,
kl_divergence), otherwise the one-line formulas users write (`-(y * jnp.log(p)).sum(-1)`, no ϵ,
no domain checks). Arrays are laid out as JAX users hold them: row-major with the classes on
the last axis (Julia's `classes × batch` read row-major). Where a loss has no JAX counterpart it
uses the formula mode and says so in the hello. The report shows where these differ from Flux;
Conformance/divergences/jax-native.json lists the known differences.

Half precision (issue 15): float16 and bfloat16 requests are jnp.float16 / jnp.bfloat16 arrays
(from numpy float16 and ml_dtypes.bfloat16), and the same code runs on them, as a JAX user
writes it. Measured with jax 0.10.2 on CPU: every elementwise op returns the dtype, but jnp.sum,
jnp.mean and jnp.cumsum of a half array accumulate in float32 and round once (jnp's reductions
upcast float16/bfloat16 for the computation: the sum of 20000 halves is 10000 in float16, 9984 =
the bfloat16 rounding of 10000), and jax.nn.log_softmax shifts by the maximum, so logits beyond
exp's float16 range (e^11.1 > 65504) do not overflow there. XLA flushes bfloat16 subnormals to
zero on CPU (float16 subnormals are kept). Gradients are jax.vjp's in the dtype.
"""

import os
import sys

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)  # float64 requests stay float64
jax.config.update("jax_platforms", "cpu")
import jax.numpy as jnp  # noqa: E402
from jax.scipy.special import xlogy as jax_xlogy  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from losscheck_adapter import LossError, Unsupported, serve  # noqa: E402

try:
    import optax
except ImportError:  # native mode then uses formulas for the optax losses, and says so
    optax = None

# ---------------------------------------------------------------- formula mode


def agg(x, req):
    if req.agg == "mean":
        return jnp.mean(x) if x.size else jnp.asarray(np.nan, dtype=req.dtype)
    if req.agg == "sum":
        return jnp.sum(x)
    return x


def sum_dims(x, req):
    return jnp.sum(x, axis=req.axes(), keepdims=True)


_TRACING = False  # True while jax.vjp traces a loss: the value pass already checked the domain


def check_domain(y, what):
    if _TRACING:
        return
    if np.any(np.asarray(y) < 0):
        raise LossError("DomainError", f"log of a negative number in {what}")


def xlogy(x, y, what="xlogy"):
    """Flux's xlogy: DomainError for y < 0; 0 where x == 0 (even for y NaN), else x·log(y)."""
    check_domain(y, what)
    return jnp.where(x == 0, jnp.zeros_like(x), jax_xlogy(x, y))


def arrays(req):
    """ŷ and y (y broadcast to ŷ's shape) in Julia's layout; while `gradient` traces, its inputs."""
    leaves = getattr(req, "leaves", None)
    if leaves is not None:
        return leaves
    return jnp.asarray(req.yhat), jnp.asarray(req.target())


def weighted(terms, req):
    w = req.weights()
    return terms if w is None else jnp.asarray(w) * terms


def mae(req):
    yhat, y = arrays(req)
    return agg(jnp.abs(yhat - y), req)


def mse(req):
    yhat, y = arrays(req)
    return agg((yhat - y) ** 2, req)


def msle(req):
    yhat, y = arrays(req)
    ratio = (yhat + req.eps) / (y + req.eps)
    check_domain(ratio, "msle")
    return agg(jnp.log(ratio) ** 2, req)


def huber_loss(req):
    yhat, y = arrays(req)
    e, d = jnp.abs(yhat - y), req.delta
    return agg(jnp.where(e < d, 0.5 * e * e, d * (e - 0.5 * d)), req)


def crossentropy(req):
    yhat, y = arrays(req)
    return agg(-sum_dims(weighted(xlogy(y, yhat + req.eps, "crossentropy"), req), req), req)


def logitcrossentropy(req):
    yhat, y = arrays(req)
    if yhat.size == 0:
        return agg(-sum_dims(weighted(y * yhat, req), req), req)
    axes = req.axes()
    logsoftmax = jax.nn.log_softmax(yhat, axis=axes)
    # NNlib's rule where the maximum is +∞ (src/softmax.jl): x − m is 0 for the +∞ entries and −∞
    # for the others, so k entries +∞ get −log k and the rest −∞ (jax.nn.log_softmax gives NaN).
    inf = yhat == jnp.inf
    k = jnp.sum(inf, axis=axes, keepdims=True).astype(yhat.dtype)
    m = jnp.max(yhat, axis=axes, keepdims=True)
    nnlib = jnp.where(inf, -jnp.log(k), -jnp.inf)
    logsoftmax = jnp.where(m == jnp.inf, nnlib, logsoftmax)
    return agg(-sum_dims(weighted(y * logsoftmax, req), req), req)


def binarycrossentropy(req):
    yhat, y = arrays(req)
    first = xlogy(y, yhat + req.eps, "binarycrossentropy")
    second = xlogy(1 - y, 1 - yhat + req.eps, "binarycrossentropy")
    return agg(-first - second, req)


def logitbinarycrossentropy(req):
    yhat, y = arrays(req)
    return agg((1 - y) * yhat - jax.nn.log_sigmoid(yhat), req)


def kldivergence(req):
    yhat, y = arrays(req)
    return agg(sum_dims(xlogy(y, y, "kldivergence"), req), req) + crossentropy(req)


def poisson_loss(req):
    yhat, y = arrays(req)
    return agg(yhat - xlogy(y, yhat, "poisson_loss"), req)


def hinge(req):
    yhat, y = arrays(req)
    return agg(jnp.maximum(0, 1 - yhat * y), req)


def squared_hinge(req):
    yhat, y = arrays(req)
    return agg(jnp.maximum(0, 1 - yhat * y) ** 2, req)


def dice_coeff_loss(req):
    yhat, y = arrays(req)
    s = req.smooth
    return 1 - (2 * jnp.sum(y * yhat) + s) / (jnp.sum(y**2) + jnp.sum(yhat**2) + s)


def tversky_loss(req):
    yhat, y = arrays(req)
    b = req.beta
    tp = jnp.sum(y * yhat)
    return 1 - (tp + 1) / (jnp.sum(y * yhat + b * (1 - y) * yhat + (1 - b) * y * (1 - yhat)) + 1)


FORMULAS = {
    f.__name__: f
    for f in [
        mae, mse, msle, huber_loss, crossentropy, logitcrossentropy, binarycrossentropy,
        logitbinarycrossentropy, kldivergence, poisson_loss, hinge, squared_hinge,
        dice_coeff_loss, tversky_loss,
    ]
}

# ---------------------------------------------------------------- native mode
# Row-major, classes last: Julia's column-major array read row-major is its transpose.


def native_arrays(req):
    leaves = getattr(req, "leaves", None)
    if leaves is not None:
        return leaves[0].T, leaves[1].T
    return jnp.asarray(req.yhat.T), jnp.asarray(req.target().T)


def reduce_native(per_element, req):
    """agg of an elementwise loss, as users write it (`.mean()`, `.sum()`), back in Julia's layout."""
    if req.agg == "mean":
        return jnp.mean(per_element)
    if req.agg == "sum":
        return jnp.sum(per_element)
    return per_element.T


def per_example(losses, req):
    """agg of per-example losses (the class axis already summed away, classes last)."""
    if req.agg == "mean":
        return jnp.mean(losses)
    if req.agg == "sum":
        return jnp.sum(losses)
    return jnp.expand_dims(losses, -1).T  # Julia's (1, batch…) shape


def classes_last(req):
    if list(req.dims) != [1] or req.yhat.ndim == 0:
        raise Unsupported("native mode: JAX losses reduce over the last (class) axis only (dims = 1 here)")


def native_mse(req):
    yhat, y = native_arrays(req)
    return reduce_native(optax.losses.squared_error(yhat, y) if optax else (yhat - y) ** 2, req)


def native_mae(req):
    yhat, y = native_arrays(req)
    return reduce_native(jnp.abs(yhat - y), req)


def native_huber(req):
    yhat, y = native_arrays(req)
    if optax is None:
        return huber_loss(req)
    return reduce_native(optax.losses.huber_loss(yhat, y, delta=req.delta), req)


def native_logitcrossentropy(req):
    classes_last(req)
    if req.weight is not None:
        raise Unsupported("native mode: optax.losses.softmax_cross_entropy takes no weight")
    yhat, y = native_arrays(req)
    if optax is None:
        return per_example(-jnp.sum(y * jax.nn.log_softmax(yhat, axis=-1), axis=-1), req)
    return per_example(optax.losses.softmax_cross_entropy(yhat, y), req)


def native_crossentropy(req):
    classes_last(req)
    if req.weight is not None:
        raise Unsupported("native mode: the usual -(y * log(p)).sum(-1) takes no weight")
    yhat, y = native_arrays(req)
    return per_example(-jnp.sum(y * jnp.log(yhat), axis=-1), req)


def native_binarycrossentropy(req):
    yhat, y = native_arrays(req)
    return reduce_native(-(y * jnp.log(yhat) + (1 - y) * jnp.log(1 - yhat)), req)


def native_logitbinarycrossentropy(req):
    yhat, y = native_arrays(req)
    if optax is None:
        return logitbinarycrossentropy(req)
    return reduce_native(optax.losses.sigmoid_binary_cross_entropy(yhat, y), req)


def native_kldivergence(req):
    classes_last(req)
    yhat, y = native_arrays(req)
    if optax is None:
        return per_example(jnp.sum(jax_xlogy(y, y) - y * jnp.log(yhat), axis=-1), req)
    return per_example(optax.losses.kl_divergence(jnp.log(yhat), y), req)


def native_poisson(req):
    yhat, y = native_arrays(req)
    return reduce_native(yhat - y * jnp.log(yhat), req)


def native_hinge(req):
    yhat, y = native_arrays(req)
    if optax is None:
        return hinge(req)
    return reduce_native(optax.losses.hinge_loss(yhat, y), req)


NATIVE = dict(FORMULAS)
NATIVE.update(
    mae=native_mae, mse=native_mse, huber_loss=native_huber, crossentropy=native_crossentropy,
    logitcrossentropy=native_logitcrossentropy, binarycrossentropy=native_binarycrossentropy,
    logitbinarycrossentropy=native_logitbinarycrossentropy, kldivergence=native_kldivergence,
    poisson_loss=native_poisson, hinge=native_hinge,
)

# ---------------------------------------------------------------- gradients
# jax.vjp of the same function that computed the value (formula or native mode), ŷ and y its
# primal inputs in Julia's layout, float64 kept by jax_enable_x64: the gradient is what JAX's
# autodiff gives for that code. A scalar y is a 0-d input broadcast to ŷ's shape (its cotangent is
# the sum over the broadcast). The pullback gets the request's cotangent for agg = none, else 1.
# The value pass (before) raised Flux's DomainErrors; the traced pass skips those concrete checks.


def gradient(req, f):
    global _TRACING
    want_y = "y" in req.grad
    y0 = jnp.asarray(np.asarray(req.y))

    def loss(yhat, y):
        req.leaves = (yhat, jnp.broadcast_to(y, yhat.shape) if req.y_is_scalar else y)
        return jnp.asarray(f(req))

    _TRACING = True
    try:
        out, pullback = jax.vjp(loss, jnp.asarray(req.yhat), y0)
    except LossError as e:
        raise Unsupported(f"jax.vjp: {e}")
    finally:
        _TRACING = False
        req.leaves = None
    cotangent = jnp.ones_like(out) if req.cotangent is None else jnp.asarray(req.cotangent).astype(out.dtype)
    gyhat, gy = pullback(cotangent)
    return np.asarray(gyhat), np.asarray(gy) if want_y else None


if __name__ == "__main__":
    native = "--native" in sys.argv[1:]
    table = NATIVE if native else FORMULAS
    optax_note = f", optax {optax.__version__}" if optax else ", without optax"
    mode = "native (optax/jnp as users call them; msle, squared_hinge, dice, tversky as formulas)" if native else "formulas"
    serve(f"jax {jax.__version__}{optax_note} — {mode}", table, gradient=gradient)
