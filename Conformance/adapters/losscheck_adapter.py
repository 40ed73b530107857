"""The losscheck/1 protocol for Python adapters: read requests, write answers.

An adapter module defines one function per loss, ``f(req) -> value``, where ``req`` is a
:class:`Request` (ŷ and y as numpy arrays in Julia's column-major shape, parameters converted to
the dtype as Flux's ``ofeltype`` does) and the value is a number or, for ``agg = "none"``, an
array. It raises :class:`LossError` for Flux's errors and :class:`Unsupported` for what it cannot
do, and calls :func:`serve`. See Conformance/PROTOCOL.md.
"""

import json
import sys
import traceback

import numpy as np

PROTOCOL = "losscheck/1"
DTYPES = {"float32": np.float32, "float64": np.float64}
MACHINE_EPS = {"float32": 2.0**-23, "float64": 2.0**-52}


class LossError(Exception):
    """A loss error as Flux throws it: kind is DimensionMismatch, DomainError or ArgumentError."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class Unsupported(Exception):
    """The adapter cannot answer this request; the message says why (reported, not graded)."""


def _number(x):
    """A protocol number: a JSON number, or "NaN", "Infinity", "-Infinity"."""
    if isinstance(x, str):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[x]
    return float(x)


def _array(values, shape, dtype):
    """A column-major array of `shape` (Julia order) from the protocol's flat list."""
    flat = np.array([_number(v) for v in values], dtype=np.float64).astype(dtype)
    return flat.reshape(tuple(shape), order="F")


class Request:
    """One decoded request: loss, dtype, ŷ, y and the parameters with Flux's defaults."""

    def __init__(self, obj):
        self.id = obj.get("id", "")
        self.loss = obj["loss"]
        self.dtype_name = obj.get("dtype", "float64")
        self.dtype = DTYPES[self.dtype_name]
        t = self.dtype
        n = len(obj["yhat"])
        self.shape = list(obj.get("shape", [n]))
        self.yhat = _array(obj["yhat"], self.shape, t)
        y = obj["y"]
        if isinstance(y, list):
            self.y = _array(y, obj.get("yshape", self.shape), t)
            self.y_is_scalar = False
            if self.y.shape != self.yhat.shape and sizes_agree(self.yhat.shape, self.y.shape):
                # Flux's broadcast of two arrays equal up to trailing 1s: both take the shape with
                # more dimensions, elementwise (agg = none returns that shape).
                full = max(self.yhat.shape, self.y.shape, key=len)
                self.yhat = self.yhat.reshape(full, order="F")
                self.y = self.y.reshape(full, order="F")
                self.shape = list(full)
        else:
            self.y = t(_number(y))
            self.y_is_scalar = True
        p = obj.get("params", {})
        self.raw_params = p
        self.agg = p.get("agg", "mean")
        # Scalar parameters are Float64 literals converted to the dtype (Flux's ofeltype).
        self.eps = t(_number(p["eps"])) if "eps" in p else t(MACHINE_EPS[self.dtype_name])
        dims = p.get("dims", [1])
        self.dims = [dims] if isinstance(dims, int) else list(dims)
        self.delta = t(_number(p.get("delta", 1.0)))
        self.smooth = t(_number(p.get("smooth", 1.0)))
        self.beta = t(_number(p.get("beta", 0.7)))
        w = p.get("weight")
        if w is None:
            self.weight = None
        elif isinstance(w, dict):
            self.weight = _array(w["data"], w["shape"], t)
        else:
            self.weight = t(_number(w))

    def target(self):
        """y with ŷ's shape (a scalar label broadcast); DimensionMismatch if the shapes differ.

        Shapes equal up to trailing dimensions of size 1 were already given the same shape (the
        one with more dimensions) when the request was read; any other difference — including
        the pairs numpy and PyTorch would broadcast, (1, 4) against (3, 4) — is Flux's error.
        """
        if self.y_is_scalar:
            return np.full(self.yhat.shape, self.y, dtype=self.dtype)
        if self.y.shape != self.yhat.shape:
            raise LossError(
                "DimensionMismatch",
                f"{self.loss}: ŷ has shape {self.yhat.shape} but y has shape {self.y.shape}; "
                "they must be equal up to trailing dimensions of size 1 (Flux's _check_sizes)",
            )
        return self.y

    def axes(self):
        """The 0-based numpy axes of `dims` that exist (Julia: dims beyond the rank have size 1)."""
        return tuple(sorted({d - 1 for d in self.dims if d - 1 < self.yhat.ndim}))

    def weights(self):
        """The weight broadcast against ŷ by Julia's rule (trailing dimensions of size 1)."""
        w = self.weight
        if w is None or np.ndim(w) == 0:
            return w
        nd = self.yhat.ndim
        if w.ndim > nd or any(a != b and a != 1 for a, b in zip(w.shape, self.yhat.shape)):
            raise LossError("DimensionMismatch", f"weight of shape {w.shape} does not broadcast against ŷ {self.yhat.shape}")
        return w.reshape(w.shape + (1,) * (nd - w.ndim), order="F")


def sizes_agree(a, b):
    """Flux's `_check_sizes` (src/losses/utils.jl): size(ŷ, d) == size(y, d) for every d up to
    the larger rank, a missing trailing dimension counting as 1. (3,) agrees with (3, 1); (1,)
    does not agree with (3,), nor (3, 1) with (1, 4), although numpy broadcasts them."""
    def size(shape, d):
        return shape[d] if d < len(shape) else 1

    return all(size(a, d) == size(b, d) for d in range(max(len(a), len(b), 1)))


def encode(x, dtype):
    """The protocol spelling of one value: the shortest decimal that round-trips in the dtype."""
    x = dtype(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return float(str(x)) if dtype is np.float32 else float(x)


def _answer(req_id, value, dtype):
    value = np.asarray(value)  # numpy, jax and torch (CPU) values alike
    if value.ndim > 0:
        flat = value.reshape(-1, order="F")
        return {"id": req_id, "value": [encode(v, dtype) for v in flat], "shape": list(value.shape)}
    return {"id": req_id, "value": encode(value, dtype)}


def serve(name, losses, dtypes=("float32", "float64")):
    """Speak losscheck/1 on stdin/stdout: a hello line, then one answer line per request line.

    `losses` maps loss ids to functions of a :class:`Request`.
    """
    write = sys.stdout.write
    write(json.dumps({"protocol": PROTOCOL, "implementation": name, "losses": sorted(losses), "dtypes": list(dtypes)}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        req_id = ""
        try:
            obj = json.loads(line)
            req_id = obj.get("id", "")
            req = Request(obj)
            if req.loss not in losses:
                raise Unsupported(f"the loss {req.loss} is not implemented")
            if req.dtype_name not in dtypes:
                raise Unsupported(f"dtype {req.dtype_name} is not implemented")
            with np.errstate(all="ignore"):
                answer = _answer(req_id, losses[req.loss](req), req.dtype)
        except LossError as e:
            answer = {"id": req_id, "error": {"kind": e.kind, "message": str(e)}}
        except Unsupported as e:
            answer = {"id": req_id, "unsupported": str(e)}
        except Exception as e:  # a bug in the adapter: report it, keep serving
            traceback.print_exc(file=sys.stderr)
            answer = {"id": req_id, "error": {"kind": "Other", "message": f"{type(e).__name__}: {e}"}}
        write(json.dumps(answer) + "\n")
        sys.stdout.flush()
