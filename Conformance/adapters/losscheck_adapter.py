"""The losscheck/1 protocol for Python adapters: read requests, write answers.

An adapter module defines one function per loss, ``f(req) -> value``, where ``req`` is a
:class:`Request` (ŷ and y as numpy arrays in Julia's column-major shape, parameters converted to
the dtype as Flux's ``ofeltype`` does) and the value is a number or, for ``agg = "none"``, an
array. It raises :class:`LossError` for Flux's errors and :class:`Unsupported` for what it cannot
do, and calls :func:`serve`. See Conformance/PROTOCOL.md.

Gradients (PROTOCOL.md, "Gradients"): an adapter that differentiates passes
``serve(..., gradient=g)`` with ``g(req, f) -> (dyhat, dy)``, called after the value of a request
that carries ``"grad"``. ``req.grad`` is the tuple of what was asked (``("yhat",)`` or
``("yhat", "y")``), ``req.cotangent`` the cotangent as an array of the unreduced result's shape
(``None`` when the result is a scalar; all ones when the request gave none). ``dyhat`` has ŷ's
shape, ``dy`` y's shape (a scalar y: the sum over the broadcast, any 0-d or one-element array), or
``None`` when ``"y"`` was not asked for. ``g`` raises :class:`Unsupported` for a case it cannot
differentiate (answered ``"gradUnsupported"``, the value still answered). A request without
``"grad"`` is answered exactly as without this extension.

Half precision (issue 15): ``"float16"`` requests are read into numpy float16 arrays and
``"bfloat16"`` requests into ``ml_dtypes.bfloat16`` arrays (numpy has no bfloat16 of its own;
``ml_dtypes`` is the package JAX uses). Without ``ml_dtypes`` bfloat16 is left out of the hello
(said on stderr) and such a request is answered ``unsupported``. Numbers are read as Python floats
(float64) and rounded once to the dtype (ties to even; exact for the dtype values requests carry),
and written as the shortest decimal that round-trips in the dtype (:func:`shortest_decimal`).
"""

import json
import sys
import traceback

import numpy as np

PROTOCOL = "losscheck/1"
DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16}
MACHINE_EPS = {"float32": 2.0**-23, "float64": 2.0**-52, "float16": 2.0**-10, "bfloat16": 2.0**-7}
try:
    import ml_dtypes

    DTYPES["bfloat16"] = ml_dtypes.bfloat16
    BFLOAT16 = ml_dtypes.bfloat16
except ImportError:  # bfloat16 is then not advertised (hello) and answered unsupported
    ml_dtypes = None
    BFLOAT16 = None
HALF_DTYPES = ("float16", "bfloat16")
# The dtypes every Python adapter speaks by default (hello's `dtypes`): the four, less bfloat16
# without ml_dtypes.
ALL_DTYPES = tuple(d for d in ("float32", "float64", "float16", "bfloat16") if d in DTYPES)


def dtype_name(dtype):
    """The protocol name of a numpy scalar type of DTYPES."""
    for name, t in DTYPES.items():
        if t is dtype:
            return name
    raise KeyError(dtype)


def shortest_decimal(x, dtype):
    """The shortest decimal that rounds back to the finite value `x` of a half dtype, as a float
    whose repr is that decimal (so json.dumps writes it): for d = 1, 2, … significant digits the
    d-digit decimal nearest to x and its two neighbours; the first d at which one rounds back
    (float64 parse, then one rounding to the dtype) wins, the nearest of them if several do (on an
    exact tie the one with the even last digit, as the mpmath oracle's `shortest_half`).
    numpy's float16 str is the same number; ml_dtypes' bfloat16 str is not shortest (6 digits)."""
    v = float(x)
    if v == 0 or not np.isfinite(v):
        return v
    for d in range(1, 10):
        mant, exp = ("%.*e" % (d - 1, v)).split("e")
        k = int(mant.replace(".", "").replace("-", ""))
        e10 = int(exp) - (d - 1)
        best = None
        for c in (k - 1, k, k + 1):
            if c <= 0:
                continue
            f = float(f"{c}e{e10}")
            f = -f if v < 0 else f
            with np.errstate(over="ignore"):
                back = float(np.array([f]).astype(dtype)[0])
            if back == v:
                key = (abs(f - v), c % 2)  # an exact tie of two d-digit decimals: the even one
                if best is None or key < best[0]:
                    best = (key, f)
        if best is not None:
            return best[1]
    return v


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
    """A column-major array of `shape` (Julia order) from the protocol's flat list (each number
    parsed to float64, then rounded once to the dtype)."""
    flat = np.array([_number(v) for v in values], dtype=np.float64).astype(dtype)
    return flat.reshape(tuple(shape), order="F")


def _scalar(x, dtype):
    """A protocol number as a scalar of the dtype: float64 first, then one rounding (ties to
    even; numpy's and ml_dtypes' float64 casts round once, directly)."""
    return np.array([_number(x)], dtype=np.float64).astype(dtype)[0]


class Request:
    """One decoded request: loss, dtype, ŷ, y and the parameters with Flux's defaults."""

    def __init__(self, obj):
        self.id = obj.get("id", "")
        self.loss = obj["loss"]
        self.dtype_name = obj.get("dtype", "float64")
        if self.dtype_name not in DTYPES:
            if self.dtype_name == "bfloat16":
                raise Unsupported("dtype bfloat16 needs the ml_dtypes package, which is not installed")
            raise Unsupported(f"dtype {self.dtype_name} is not implemented")
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
            self.y = _scalar(y, t)
            self.y_is_scalar = True
        p = obj.get("params", {})
        self.raw_params = p
        self.agg = p.get("agg", "mean")
        # Scalar parameters are Float64 literals converted to the dtype (Flux's ofeltype).
        self.eps = _scalar(p["eps"], t) if "eps" in p else t(MACHINE_EPS[self.dtype_name])
        dims = p.get("dims", [1])
        self.dims = [dims] if isinstance(dims, int) else list(dims)
        self.delta = _scalar(p.get("delta", 1.0), t)
        self.smooth = _scalar(p.get("smooth", 1.0), t)
        self.beta = _scalar(p.get("beta", 0.7), t)
        w = p.get("weight")
        if w is None:
            self.weight = None
        elif isinstance(w, dict):
            self.weight = _array(w["data"], w["shape"], t)
        else:
            self.weight = _scalar(w, t)
        self.grad = _grad_request(obj)
        # The cotangent as read (flat, in the dtype); `cotangent` becomes its array of the
        # result's shape once the value is known (serve), None for a scalar result.
        c = obj.get("cotangent")
        if c is not None and not isinstance(c, list):
            raise LossError("ArgumentError", "cotangent must be an array of numbers")
        self.cotangent_flat = None if c is None else _array(c, [len(c)], t)
        self.cotangent = None

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


def _grad_request(obj):
    """The request's `grad` as a tuple ("yhat",) or ("yhat", "y"), or None; ArgumentError for
    anything else, and for a `cotangent` without `grad` (PROTOCOL.md, "Gradients")."""
    g = obj.get("grad")
    if g is None:
        if "cotangent" in obj:
            raise LossError("ArgumentError", "cotangent is given without grad; add \"grad\": [\"yhat\"]")
        return None
    allowed = 'grad must be ["yhat"] or ["yhat", "y"]'
    if not isinstance(g, list) or not g:
        raise LossError("ArgumentError", f"{allowed}, got {json.dumps(g)}")
    if any(not isinstance(v, str) or v not in ("yhat", "y") for v in g) or len(set(g)) != len(g):
        raise LossError("ArgumentError", f"{allowed}, got {json.dumps(g)}")
    if "yhat" not in g:
        raise LossError("ArgumentError", f"{allowed} (the gradient with respect to ŷ is always computed), got {json.dumps(g)}")
    return ("yhat", "y") if "y" in g else ("yhat",)


def sizes_agree(a, b):
    """Flux's `_check_sizes` (src/losses/utils.jl): size(ŷ, d) == size(y, d) for every d up to
    the larger rank, a missing trailing dimension counting as 1. (3,) agrees with (3, 1); (1,)
    does not agree with (3,), nor (3, 1) with (1, 4), although numpy broadcasts them."""
    def size(shape, d):
        return shape[d] if d < len(shape) else 1

    return all(size(a, d) == size(b, d) for d in range(max(len(a), len(b), 1)))


def encode(x, dtype):
    """The protocol spelling of one value: the shortest decimal that round-trips in the dtype.

    A value of a wider type (a float32 result of a half request, as under torch.autocast) is
    rounded to the dtype first, once, to nearest even."""
    if dtype in (np.float16, BFLOAT16):
        with np.errstate(over="ignore"):
            x = np.array([x]).astype(dtype)[0]
    else:
        x = dtype(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if dtype is np.float32 or dtype is np.float16:
        return float(str(x))  # numpy's str of float32 and float16 is the shortest round trip
    if dtype is BFLOAT16:
        return shortest_decimal(x, dtype)
    return float(x)


def _answer(req_id, value, dtype):
    value = np.asarray(value)  # numpy, jax and torch (CPU) values alike
    if value.ndim > 0:
        flat = value.reshape(-1, order="F")
        return {"id": req_id, "value": [encode(v, dtype) for v in flat], "shape": list(value.shape)}
    return {"id": req_id, "value": encode(value, dtype)}


def encode_flat(x, dtype):
    """An array's elements, flat and column-major, spelled like values."""
    x = np.asarray(x)
    return [encode(v, dtype) for v in x.reshape(-1, order="F")]


def prepare_cotangent(req, value):
    """Sets `req.cotangent` for the value just computed: the request's cotangent (all ones without
    one) as an array of the unreduced result's shape, column-major; None for a scalar result
    (mean, sum, dice, tversky: a cotangent is then ignored). A count that does not fit the result
    is an ArgumentError."""
    value = np.asarray(value)
    if value.ndim == 0:
        req.cotangent = None
        return
    if req.cotangent_flat is None:
        req.cotangent = np.ones(value.shape, dtype=req.dtype)
        return
    if req.cotangent_flat.size != value.size:
        raise LossError(
            "ArgumentError",
            f"cotangent has {req.cotangent_flat.size} elements but the result has shape {list(value.shape)} "
            f"({value.size} elements)",
        )
    req.cotangent = req.cotangent_flat.reshape(value.shape, order="F")


def _gradient_part(req, dyhat, dy):
    """The response's `grad` object: ŷ's gradient in ŷ's shape, y's in y's (a scalar y: one
    element, the sum over the broadcast)."""
    dyhat = np.asarray(dyhat)
    if dyhat.size != req.yhat.size:
        raise RuntimeError(f"the gradient has {dyhat.size} elements, ŷ has {req.yhat.size}")
    part = {"yhat": encode_flat(dyhat.reshape(req.yhat.shape, order="F") if dyhat.ndim else dyhat, req.dtype)}
    if "y" in req.grad:
        dy = np.asarray(dy)
        if req.y_is_scalar:
            dy = np.sum(dy) if dy.size != 1 else dy.reshape(())
        elif dy.size != np.size(req.y):
            raise RuntimeError(f"the y gradient has {dy.size} elements, y has {np.size(req.y)}")
        part["y"] = encode_flat(dy, req.dtype)
    return part


def hello(name, losses, dtypes=ALL_DTYPES, gradients=False):
    """The hello line's object; `"gradients": true` only when the adapter differentiates."""
    h = {"protocol": PROTOCOL, "implementation": name, "losses": sorted(losses), "dtypes": list(dtypes)}
    if gradients:
        h["gradients"] = True
    return h


def answer(obj, losses, dtypes=ALL_DTYPES, gradient=None):
    """The response object for one decoded request line (`obj`): the value, an error or
    unsupported, and for a request with `grad` the gradient part (`grad` or `gradUnsupported`)."""
    req_id = ""
    try:
        req_id = obj.get("id", "")
        req = Request(obj)
        if req.loss not in losses:
            raise Unsupported(f"the loss {req.loss} is not implemented")
        if req.dtype_name not in dtypes:
            raise Unsupported(f"dtype {req.dtype_name} is not implemented")
        f = losses[req.loss]
        with np.errstate(all="ignore"):
            value = f(req)
            result = _answer(req_id, value, req.dtype)
            if req.grad is not None:
                if gradient is None:
                    result["gradUnsupported"] = "this adapter does not compute gradients"
                else:
                    prepare_cotangent(req, value)
                    try:
                        dyhat, dy = gradient(req, f)
                        result["grad"] = _gradient_part(req, dyhat, dy)
                    except Unsupported as e:
                        result["gradUnsupported"] = str(e)
        return result
    except LossError as e:
        return {"id": req_id, "error": {"kind": e.kind, "message": str(e)}}
    except Unsupported as e:
        return {"id": req_id, "unsupported": str(e)}
    except Exception as e:  # a bug in the adapter: report it, keep serving
        traceback.print_exc(file=sys.stderr)
        return {"id": req_id, "error": {"kind": "Other", "message": f"{type(e).__name__}: {e}"}}


def serve(name, losses, dtypes=ALL_DTYPES, gradient=None):
    """Speak losscheck/1 on stdin/stdout: a hello line, then one answer line per request line.

    `losses` maps loss ids to functions of a :class:`Request`; `gradient`, when given, is
    `g(req, f) -> (dyhat, dy)` (module docstring) and the hello says `"gradients": true`.
    `dtypes` (default: float32, float64, float16 and, with ml_dtypes, bfloat16) are the dtypes
    the hello lists; a request of another dtype is answered `unsupported`.
    """
    if ml_dtypes is None:
        print(f"{name}: ml_dtypes is not installed, so bfloat16 is not offered", file=sys.stderr)
    dtypes = tuple(d for d in dtypes if d in DTYPES)
    write = sys.stdout.write
    write(json.dumps(hello(name, losses, dtypes, gradient is not None)) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except Exception as e:  # not JSON: an error answer, as before the gradient extension
            response = {"id": "", "error": {"kind": "Other", "message": f"{type(e).__name__}: {e}"}}
        else:
            response = answer(obj, losses, dtypes, gradient)
        write(json.dumps(response) + "\n")
        sys.stdout.flush()
