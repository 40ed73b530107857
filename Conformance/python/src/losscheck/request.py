"""A request as the Python adapters' loss functions take it (needs numpy).

:class:`Request` has the attributes of ``Conformance/adapters/losscheck_adapter.py``'s ``Request``
(``id``, ``loss``, ``dtype_name``, ``dtype`` (the numpy type), ``shape``, ``yhat``, ``y``,
``y_is_scalar``, ``raw_params``, ``agg``, ``eps``, ``dims``, ``delta``, ``smooth``, ``beta``,
``weight``, and ``target()``, ``axes()``, ``weights()``), so an adapter's functions run on it
unchanged — but every number is read once, directly in the dtype (the protocol's rule), and
scalar parameters are Float64 literals converted to the dtype (Flux's ``ofeltype``).
"""

import numpy as np

from .jsontext import parse
from .numbers import machine_epsilon, round_to_dtype
from .protocol import Tensor, decode_request

__all__ = ["Request", "LossError", "Unsupported"]

_NUMPY = {"float32": np.float32, "float64": np.float64, "float16": np.float16}
try:  # numpy has no bfloat16; ml_dtypes (JAX's package) provides it
    import ml_dtypes

    _NUMPY["bfloat16"] = ml_dtypes.bfloat16
except ImportError:
    pass


class LossError(Exception):
    """A loss error as Flux throws it: ``kind`` is DimensionMismatch, DomainError or ArgumentError."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class Unsupported(Exception):
    """The implementation cannot answer this request; the message says why (reported, not graded)."""


class Request:
    """One decoded request: loss, dtype, ŷ, y (numpy, Julia's column-major shape) and the parameters
    with Flux's defaults. Built from a request object (a dict as parsed from a line, or the line)."""

    def __init__(self, obj):
        if isinstance(obj, str):
            obj = parse(obj)
        elif not hasattr(obj, "pairs"):  # a plain dict (json.loads): re-read with numbers as text
            import json  # noqa: PLC0415

            obj = parse(json.dumps(obj))
        r = decode_request(obj)
        if r.dtype not in _NUMPY:
            raise Unsupported(f"dtype {r.dtype} needs the ml_dtypes package, which is not installed")
        t = _NUMPY[r.dtype]
        self.id = r.id
        self.loss = r.loss
        self.dtype_name = r.dtype
        self.dtype = t
        self.shape = list(r.yhat.shape)
        self.yhat = _array(r.yhat, t)
        if isinstance(r.y, Tensor):
            self.y = _array(r.y, t)
            self.y_is_scalar = False
            if self.y.shape != self.yhat.shape and sizes_agree(self.yhat.shape, self.y.shape):
                # Flux's broadcast of two arrays equal up to trailing 1s: both take the shape with
                # more dimensions, elementwise (agg = none returns that shape).
                full = max(self.yhat.shape, self.y.shape, key=len)
                self.yhat = self.yhat.reshape(full, order="F")
                self.y = self.y.reshape(full, order="F")
                self.shape = list(full)
        else:
            self.y = t(r.y)
            self.y_is_scalar = True
        p = r.params
        self.raw_params = p
        self.agg = p.get("agg", "mean")
        self.eps = t(round_to_dtype(p["eps"], r.dtype)) if "eps" in p else t(machine_epsilon(r.dtype))
        self.dims = list(p.get("dims", [1]))
        self.delta = t(round_to_dtype(p.get("delta", 1.0), r.dtype))
        self.smooth = t(round_to_dtype(p.get("smooth", 1.0), r.dtype))
        self.beta = t(round_to_dtype(p.get("beta", 0.7), r.dtype))
        w = p.get("weight")
        if w is None:
            self.weight = None
        elif isinstance(w, Tensor):
            self.weight = _array(w, t)
        else:
            self.weight = t(round_to_dtype(w, r.dtype))

    def target(self):
        """y with ŷ's shape (a scalar label broadcast); DimensionMismatch if the shapes differ
        (shapes equal up to trailing dimensions of size 1 were given the same shape above)."""
        if self.y_is_scalar:
            return np.full(self.yhat.shape, self.y, dtype=self.dtype)
        if self.y.shape != self.yhat.shape:
            raise LossError("DimensionMismatch",
                            f"{self.loss}: ŷ has shape {self.yhat.shape} but y has shape {self.y.shape}")
        return self.y

    def axes(self):
        """The 0-based numpy axes of ``dims`` that exist (Julia: dims beyond the rank have size 1)."""
        return tuple(sorted({d - 1 for d in self.dims if d - 1 < self.yhat.ndim}))

    def weights(self):
        """The weight broadcast against ŷ by Julia's rule (trailing dimensions of size 1)."""
        w = self.weight
        if w is None or np.ndim(w) == 0:
            return w
        nd = self.yhat.ndim
        if w.ndim > nd or any(a != b and a != 1 for a, b in zip(w.shape, self.yhat.shape)):
            raise LossError("DimensionMismatch",
                            f"weight of shape {w.shape} does not broadcast against ŷ {self.yhat.shape}")
        return w.reshape(w.shape + (1,) * (nd - w.ndim), order="F")


def sizes_agree(a, b):
    """Flux's `_check_sizes` (src/losses/utils.jl): size(ŷ, d) == size(y, d) for every d up to
    the larger rank, a missing trailing dimension counting as 1. (3,) agrees with (3, 1); (1,)
    does not agree with (3,), nor (3, 1) with (1, 4), although numpy broadcasts them."""

    def size(shape, d):
        return shape[d] if d < len(shape) else 1

    return all(size(a, d) == size(b, d) for d in range(max(len(a), len(b), 1)))


def _array(tensor, t):
    """A column-major numpy array of the tensor's shape; the float values are exact in ``t``."""
    return np.array(tensor.values, dtype=np.float64).astype(t).reshape(tuple(tensor.shape), order="F")
