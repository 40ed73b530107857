#!/usr/bin/env python3
"""Flux's fourteen losses in PyTorch, for `losscheck conform`.

    python3 Conformance/adapters/torch_adapter.py            # formula mode
    python3 Conformance/adapters/torch_adapter.py --native   # torch.nn.functional as users call it
    python3 Conformance/adapters/torch_adapter.py --autocast [--native]   # under torch.autocast

Formula mode: SEMANTICS.md written with torch tensor operations (torch.log_softmax and
F.logsigmoid, which are stable; xlogy with Flux's convention; Flux's DomainErrors checked
explicitly, since torch returns NaN). It should pass the default gate.

Native mode: the losses as PyTorch users call them, with their documented differences from
Flux: F.l1_loss, F.mse_loss, F.huber_loss, F.binary_cross_entropy (no ϵ, log clamped at −100,
inputs outside [0, 1] rejected), F.binary_cross_entropy_with_logits, F.cross_entropy with
probability targets (classes on dim 1 of an (N, C) input, per-class weights only),
F.kl_div(log ŷ, y, reduction="batchmean"), F.poisson_nll_loss(log_input=False) (adds eps=1e-8).
Arrays are laid out as PyTorch users hold them: row-major, batch first (Julia's `classes × batch`
read row-major). Losses torch does not have (msle, hinge, squared_hinge, dice, tversky, the
probability crossentropy) are the one-line formulas users write. The known differences are listed
in Conformance/divergences/torch-native.json.

Half precision (float16, bfloat16; issue 15): ŷ, y, weights and the cotangent are CPU tensors of
torch.float16 / torch.bfloat16 (bfloat16 arrives as ml_dtypes.bfloat16, which torch.from_numpy
cannot take, so it goes through float32, exactly), scalar parameters are the dtype's values, and
the loss is evaluated as PyTorch evaluates it in that dtype: every tensor op's result is of the
dtype, although torch's CPU kernels compute some of them internally in float32 and round once
(the "opmath" type: sum and mean reductions, softmax/log_softmax, the fused F.* losses).
Gradients are autograd's, in the dtype.

`--autocast` (implementation "torch-autocast <version>", float16 and bfloat16 only): the scenario
of a model run under mixed precision: the inputs are tensors of the request's half dtype (the
model's outputs and the targets), and the loss function (formula or, with --native, the F.*
call) is called inside ``torch.autocast(device_type="cpu", dtype=<the request's dtype>)``.
Autocast's CPU policy runs the losses of its float32 list (mse_loss, l1_loss, huber_loss,
smooth_l1_loss, binary_cross_entropy_with_logits, cross_entropy with its log_softmax/nll_loss,
kl_div, poisson_nll_loss, …) in float32 on upcast inputs; other ops (the elementwise arithmetic,
log, exp of the formulas) are not on any list and run in the inputs' dtype. The result, float32
or half, is rounded once to the request's dtype (ties to even) when it is written; gradients are
autograd's through the autocast graph, returned in the leaves' (half) dtype.
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from losscheck_adapter import LossError, Unsupported, serve  # noqa: E402

torch.set_num_threads(1)  # deterministic sums; one adapter per core is enough

# ---------------------------------------------------------------- formula mode


try:
    from losscheck_adapter import BFLOAT16
except ImportError:
    BFLOAT16 = None


def tensor(x):
    """A torch tensor of a numpy array (0-d arrays stay 0-d; np.ascontiguousarray would not); an
    ml_dtypes.bfloat16 array becomes a torch.bfloat16 tensor through float32 (exact)."""
    a = np.array(x, order="C")
    if BFLOAT16 is not None and a.dtype == BFLOAT16:
        return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(a)


def to_numpy(t):
    """A result tensor as numpy: bfloat16 (which numpy cannot hold) through float32, exactly."""
    t = t.detach()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy()


AUTOCAST = None  # the torch dtype of --autocast for the current request, or None


def run(f, req):
    """f(req), inside torch.autocast for --autocast (the request's half dtype)."""
    if AUTOCAST is None:
        return f(req)
    with torch.autocast(device_type="cpu", dtype=TORCH_HALF[req.dtype_name]):
        return f(req)


TORCH_HALF = {"float16": torch.float16, "bfloat16": torch.bfloat16}


def numpy_results(table):
    """The loss table as losscheck_adapter calls it: each value computed by `run` and handed
    back as numpy (`.torch_fn` keeps the tensor function for `gradient`)."""
    def wrap(f):
        def g(req):
            out = run(f, req)
            return to_numpy(out) if isinstance(out, torch.Tensor) else out
        g.torch_fn = f
        return g
    return {name: wrap(f) for name, f in table.items()}


def tensors(req):
    """ŷ and y (y broadcast to ŷ's shape) as tensors in Julia's layout; during a gradient pass the
    differentiable leaves that `gradient` set."""
    leaves = getattr(req, "leaves", None)
    if leaves is not None:
        return leaves
    return tensor(req.yhat), tensor(req.target())


def agg(x, req):
    if req.agg == "mean":
        return torch.mean(x) if x.numel() else torch.tensor(float("nan"), dtype=x.dtype)
    if req.agg == "sum":
        return torch.sum(x)
    return x


def sum_dims(x, req):
    axes = req.axes()
    return torch.sum(x, dim=axes, keepdim=True) if axes else x


def check_domain(y, what):
    if bool(torch.any(y < 0)):
        raise LossError("DomainError", f"log of a negative number in {what}")


def xlogy(x, y, what="xlogy"):
    """Flux's xlogy: DomainError for y < 0; 0 where x == 0 (even for y NaN), else x·log(y)."""
    check_domain(y, what)
    return torch.where(x == 0, torch.zeros_like(x), x * torch.log(y))


def weighted(terms, req):
    w = req.weights()
    if w is None:
        return terms
    return tensor(w) * terms


def mae(req):
    yhat, y = tensors(req)
    return agg(torch.abs(yhat - y), req)


def mse(req):
    yhat, y = tensors(req)
    return agg((yhat - y) ** 2, req)


def msle(req):
    yhat, y = tensors(req)
    eps = float(req.eps)  # a Python number (torch takes no ml_dtypes bfloat16 scalar), as elsewhere
    ratio = (yhat + eps) / (y + eps)
    check_domain(ratio, "msle")
    return agg(torch.log(ratio) ** 2, req)


def huber_loss(req):
    yhat, y = tensors(req)
    e, d = torch.abs(yhat - y), float(req.delta)
    return agg(torch.where(e < d, 0.5 * e * e, d * (e - 0.5 * d)), req)


def crossentropy(req):
    yhat, y = tensors(req)
    return agg(-sum_dims(weighted(xlogy(y, yhat + float(req.eps), "crossentropy"), req), req), req)


def logitcrossentropy(req):
    yhat, y = tensors(req)
    axes = req.axes()  # () when dims lie beyond the rank: every element is its own group
    if yhat.numel() == 0:
        logsoftmax = yhat
    else:
        m = torch.amax(yhat, dim=axes, keepdim=True) if axes else yhat
        # NNlib's rule where the maximum is +∞ (src/softmax.jl): x − m is 0 for the +∞ entries and
        # −∞ for the others, not IEEE's ∞ − ∞ = NaN.
        inf = torch.full_like(yhat, float("inf"))
        s = torch.where(m == inf, torch.where(yhat == inf, torch.zeros_like(yhat), -inf), yhat - m)
        total = torch.sum(torch.exp(s), dim=axes, keepdim=True) if axes else torch.exp(s)
        logsoftmax = s - torch.log(total)
    return agg(-sum_dims(weighted(y * logsoftmax, req), req), req)


def binarycrossentropy(req):
    yhat, y = tensors(req)
    eps = float(req.eps)
    first = xlogy(y, yhat + eps, "binarycrossentropy")
    second = xlogy(1 - y, 1 - yhat + eps, "binarycrossentropy")
    return agg(-first - second, req)


def logitbinarycrossentropy(req):
    yhat, y = tensors(req)
    return agg((1 - y) * yhat - F.logsigmoid(yhat), req)


def kldivergence(req):
    yhat, y = tensors(req)
    return agg(sum_dims(xlogy(y, y, "kldivergence"), req), req) + crossentropy(req)


def poisson_loss(req):
    yhat, y = tensors(req)
    return agg(yhat - xlogy(y, yhat, "poisson_loss"), req)


def hinge(req):
    yhat, y = tensors(req)
    return agg(torch.clamp(1 - yhat * y, min=0), req)


def squared_hinge(req):
    yhat, y = tensors(req)
    return agg(torch.clamp(1 - yhat * y, min=0) ** 2, req)


def dice_coeff_loss(req):
    yhat, y = tensors(req)
    s = float(req.smooth)
    return 1 - (2 * torch.sum(y * yhat) + s) / (torch.sum(y * y) + torch.sum(yhat * yhat) + s)


def tversky_loss(req):
    yhat, y = tensors(req)
    b = float(req.beta)
    tp = torch.sum(y * yhat)
    return 1 - (tp + 1) / (torch.sum(y * yhat + b * (1 - y) * yhat + (1 - b) * y * (1 - yhat)) + 1)


FORMULAS = {
    f.__name__: f
    for f in [
        mae, mse, msle, huber_loss, crossentropy, logitcrossentropy, binarycrossentropy,
        logitbinarycrossentropy, kldivergence, poisson_loss, hinge, squared_hinge,
        dice_coeff_loss, tversky_loss,
    ]
}

# ---------------------------------------------------------------- native mode
# Row-major, batch first: Julia's column-major array read row-major is its transpose.

REDUCTION = {"mean": "mean", "sum": "sum", "none": "none"}


def reverse_axes(t):
    """numpy's `.T` for a tensor: all axes reversed (a view, so autograd flows through it)."""
    return t.permute(*reversed(range(t.ndim))) if t.ndim > 1 else t


def native_tensors(req):
    leaves = getattr(req, "leaves", None)
    if leaves is not None:
        return reverse_axes(leaves[0]), reverse_axes(leaves[1])
    return (
        tensor(req.yhat.T),
        tensor(req.target().T),
    )


def elementwise(fn, req, **kwargs):
    """A torch loss with `reduction`, its `none` result back in Julia's layout."""
    yhat, y = native_tensors(req)
    out = fn(yhat, y, reduction=REDUCTION[req.agg], **kwargs)
    return out.T if req.agg == "none" else out


def batch_of_classes(req):
    """(N, C) tensors with the classes on dim 1, as F.cross_entropy and F.kl_div take them."""
    if list(req.dims) != [1] or req.yhat.ndim not in (1, 2):
        raise Unsupported("native mode: torch's class-reducing losses take (C,) or (N, C) inputs with dims = 1")
    return native_tensors(req)


def per_example(losses, req):
    if req.agg == "mean":
        return losses.mean()
    if req.agg == "sum":
        return losses.sum()
    return losses.unsqueeze(-1).T


def native_binarycrossentropy(req):
    try:
        return elementwise(F.binary_cross_entropy, req)
    except RuntimeError as e:  # "all elements of input should be between 0 and 1"
        raise LossError("ArgumentError", f"torch: {e}")


def native_logitcrossentropy(req):
    yhat, y = batch_of_classes(req)
    weight = None
    if req.weight is not None:
        w = np.asarray(req.weight)
        if w.ndim == 0 or w.size != req.yhat.shape[0]:
            raise Unsupported("native mode: F.cross_entropy takes a per-class weight of shape (C,) only")
        weight = tensor(w.reshape(-1))
    if req.agg == "none":
        return per_example(F.cross_entropy(yhat, y, weight=weight, reduction="none"), req)
    return F.cross_entropy(yhat, y, weight=weight, reduction=REDUCTION[req.agg])


def native_crossentropy(req):
    yhat, y = batch_of_classes(req)
    if req.weight is not None:
        raise Unsupported("native mode: the usual -(y * p.log()).sum(1) takes no weight")
    return per_example(-(y * torch.log(yhat)).sum(-1), req)


def native_kldivergence(req):
    yhat, y = batch_of_classes(req)
    log_input = torch.log(yhat)
    if req.agg == "none":
        return per_example(F.kl_div(log_input, y, reduction="none").sum(-1), req)
    return F.kl_div(log_input, y, reduction="batchmean" if req.agg == "mean" else "sum")


NATIVE = dict(FORMULAS)
NATIVE.update(
    mae=lambda req: elementwise(F.l1_loss, req),
    mse=lambda req: elementwise(F.mse_loss, req),
    huber_loss=lambda req: elementwise(F.huber_loss, req, delta=float(req.delta)),
    binarycrossentropy=native_binarycrossentropy,
    logitbinarycrossentropy=lambda req: elementwise(F.binary_cross_entropy_with_logits, req),
    logitcrossentropy=native_logitcrossentropy,
    crossentropy=native_crossentropy,
    kldivergence=native_kldivergence,
    poisson_loss=lambda req: elementwise(F.poisson_nll_loss, req, log_input=False, full=False),
)

# ---------------------------------------------------------------- gradients
# torch.autograd of the same function that computed the value (formula or native), with ŷ and y
# as leaves in Julia's layout: the gradient is what PyTorch's autograd gives for that code — no
# hand-written derivative anywhere. A scalar y is a 0-d leaf expanded to ŷ's shape, so its
# gradient is autograd's sum over the broadcast. agg = none: autograd.grad with the cotangent as
# grad_outputs (the vector–Jacobian product).


def gradient(req, f):
    f = getattr(f, "torch_fn", f)
    want_y = "y" in req.grad
    yhat = tensor(req.yhat).requires_grad_(True)
    y_leaf = tensor(np.asarray(req.y)).requires_grad_(want_y)
    target = y_leaf.expand(yhat.shape) if req.y_is_scalar else y_leaf
    req.leaves = (yhat, target)
    try:
        out = run(f, req)
        inputs = [yhat, y_leaf] if want_y else [yhat]
        if not out.requires_grad:  # a constant (the NaN mean of nothing): zero gradients
            grads = [torch.zeros_like(t) for t in inputs]
        else:
            cotangent = None if req.cotangent is None else tensor(req.cotangent)
            grads = torch.autograd.grad(out, inputs, grad_outputs=cotangent, allow_unused=True)
            grads = [torch.zeros_like(t) if g is None else g for t, g in zip(inputs, grads)]
    except (RuntimeError, LossError) as e:  # e.g. "the derivative for 'target' is not implemented"
        raise Unsupported(f"torch autograd: {str(e).splitlines()[0]}")
    finally:
        req.leaves = None
    return to_numpy(grads[0]), to_numpy(grads[1]) if want_y else None


if __name__ == "__main__":
    native = "--native" in sys.argv[1:]
    mode = "native (torch.nn.functional as users call it)" if native else "formulas"
    table = numpy_results(NATIVE if native else FORMULAS)
    if "--autocast" in sys.argv[1:]:
        AUTOCAST = True
        serve(f"torch-autocast {torch.__version__} — {mode} under torch.autocast(cpu, request dtype)", table,
              dtypes=("float16", "bfloat16"), gradient=gradient)
    else:
        serve(f"torch {torch.__version__} — {mode}", table, gradient=gradient)
