#!/usr/bin/env python3
"""An independent measurement of the adapters' gradients against LossSpec's exact ones.

    scripts/adapter-gradients-check.py [--losscheck PATH] [--adapters numpy,torch,...]
                                       [--per-combination 3] [--seed 14] [--json FILE] [--markdown FILE]

For every adapter that can run here (numpy always; torch and jax, formula and native modes, when
python can import them, else a visible `SKIPPED: <reason>`), it sends the same seeded random
gradient requests — all 14 losses, float32 and float64, agg mean / sum / none with a random
cotangent, ∂/∂ŷ alone and with ∂/∂y, scalar targets, weights, dims, kinks — to the adapter and to
`losscheck serve --impl spec` (LossSpec: every gradient element correctly rounded, the lower end
at a kink), and prints per loss and dtype the worst element error in ulps of the dtype
(`|r − v| / ulp(v)`, ulp(0) being the smallest subnormal), the worst error in ulps of the
gradient's largest element (normwise), and the elements whose class (finite, NaN, +∞, −∞)
differs. At a kink (mae's ŷ = y, hinge's ŷ·y = 1) the exact answer is the interval of the two
one-sided derivatives: an answer inside it has error 0.

Then it sends the inputs of real gradient bugs (NNlib #68, Flux #914, PyTorch #103316, #80770,
#89558 / optax #1786, Keras #9664) and says, per adapter, which reproduce (a class mismatch or a
relative error above 1e-2 in some element).

Exit status: 0 when every answer was well formed (numeric divergence is reported, never a
failure: `losscheck conform` grades it), 1 when an adapter or the reference gave a malformed
answer (not JSON, wrong id, a missing or ill-typed gradient part, element counts that do not fit,
a crash or a timeout), 2 for a usage error (no losscheck binary). Every subprocess has a timeout.
"""

import argparse
import json
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAPTER_DIR = os.path.join(ROOT, "Conformance", "adapters")
PY = sys.executable or "python3"

# name: (command, module that must import, what it is)
ADAPTERS = {
    "numpy": ([PY, os.path.join(ADAPTER_DIR, "numpy_adapter.py")], "numpy", "hand-derived numpy gradients"),
    "torch": ([PY, os.path.join(ADAPTER_DIR, "torch_adapter.py")], "torch", "torch autograd of the formulas"),
    "torch-native": ([PY, os.path.join(ADAPTER_DIR, "torch_adapter.py"), "--native"], "torch",
                     "torch autograd of torch.nn.functional"),
    "jax": ([PY, os.path.join(ADAPTER_DIR, "jax_adapter.py")], "jax", "jax.vjp of the formulas"),
    "jax-native": ([PY, os.path.join(ADAPTER_DIR, "jax_adapter.py"), "--native"], "jax",
                   "jax.vjp of optax / the jnp one-liners"),
}

LOSSES = [
    "mae", "mse", "msle", "huber_loss", "crossentropy", "logitcrossentropy", "binarycrossentropy",
    "logitbinarycrossentropy", "kldivergence", "poisson_loss", "hinge", "squared_hinge",
    "dice_coeff_loss", "tversky_loss",
]
CLASS_REDUCING = {"crossentropy", "logitcrossentropy", "kldivergence"}
NO_AGG = {"dice_coeff_loss", "tversky_loss"}
ELEMENTWISE = set(LOSSES) - CLASS_REDUCING - NO_AGG
DT = {"float32": np.float32, "float64": np.float64}
SPECIAL = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class ProtocolError(Exception):
    pass


# ---------------------------------------------------------------- a losscheck/1 process


class Process:
    """One losscheck/1 process: a hello, then one answer per request, each within `timeout` s."""

    def __init__(self, name, command, timeout):
        self.name = name
        self.timeout = timeout
        self.stderr = tempfile.NamedTemporaryFile(prefix=f"gradcheck-{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            encoding="utf-8", bufsize=1, cwd=ROOT,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        text = self._read(timeout=max(timeout, 120))  # importing torch or jax takes a while
        try:
            self.hello = json.loads(text)
        except ValueError:
            raise ProtocolError(f"{name}: the hello line is not JSON: {text[:200]!r}")
        if not isinstance(self.hello, dict) or self.hello.get("protocol") != "losscheck/1":
            raise ProtocolError(f"{name}: not a losscheck/1 hello: {text[:200]!r}")

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read(self, timeout=None):
        try:
            line = self.lines.get(timeout=self.timeout if timeout is None else timeout)
        except queue.Empty:
            raise ProtocolError(f"{self.name}: no answer within {self.timeout} s")
        if line is None:
            raise ProtocolError(f"{self.name}: exited (status {self.proc.poll()}) without answering; stderr: {self.stderr.name}")
        return line.rstrip("\r\n")

    def ask(self, request):
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise ProtocolError(f"{self.name}: cannot write a request: {e}")
        text = self._read()
        try:
            answer = json.loads(text)
        except ValueError:
            raise ProtocolError(f"{self.name}: answer to {request['id']} is not JSON: {text[:200]!r}")
        if not isinstance(answer, dict) or answer.get("id") != request["id"]:
            raise ProtocolError(f"{self.name}: answer to {request['id']} has another id: {text[:200]!r}")
        return answer

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.stderr.close()


def is_number(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or v in SPECIAL


def number(v):
    return SPECIAL[v] if isinstance(v, str) else float(v)


def check_answer(answer, request):
    """The answer's outcome ('value', 'error', 'unsupported') and gradient part (None, a
    reason string, or (yhat list, y list or None)); ProtocolError when malformed."""
    rid = request["id"]
    kinds = [k for k in ("value", "error", "unsupported") if k in answer]
    if len(kinds) != 1:
        raise ProtocolError(f"answer to {rid} has {kinds or 'no'} outcome: {json.dumps(answer)[:200]}")
    outcome = kinds[0]
    if "grad" in answer and "gradUnsupported" in answer:
        raise ProtocolError(f"answer to {rid} has both grad and gradUnsupported")
    if "gradUnsupported" in answer:
        if not isinstance(answer["gradUnsupported"], str):
            raise ProtocolError(f"answer to {rid}: gradUnsupported is not a string")
        return outcome, answer["gradUnsupported"]
    if "grad" not in answer:
        if outcome == "value" and "grad" in request:
            raise ProtocolError(f"answer to {rid} (a gradient request) has a value but no gradient part")
        return outcome, None
    if outcome != "value":
        raise ProtocolError(f"answer to {rid} has a gradient part with an {outcome}")
    g = answer["grad"]
    if not isinstance(g, dict) or not isinstance(g.get("yhat"), list) or not all(is_number(v) for v in g["yhat"]):
        raise ProtocolError(f"answer to {rid}: grad.yhat missing or not an array of numbers: {json.dumps(g)[:200]}")
    if len(g["yhat"]) != len(request["yhat"]):
        raise ProtocolError(f"answer to {rid}: grad.yhat has {len(g['yhat'])} elements, ŷ has {len(request['yhat'])}")
    gy = None
    if "y" in request["grad"]:
        if not isinstance(g.get("y"), list) or not all(is_number(v) for v in g["y"]):
            raise ProtocolError(f"answer to {rid}: grad.y missing or not an array of numbers")
        ny = len(request["y"]) if isinstance(request["y"], list) else 1
        if len(g["y"]) != ny:
            raise ProtocolError(f"answer to {rid}: grad.y has {len(g['y'])} elements, y has {ny}")
        gy = [number(v) for v in g["y"]]
    elif "y" in g:
        raise ProtocolError(f"answer to {rid}: grad.y given although not asked for")
    return outcome, ([number(v) for v in g["yhat"]], gy)


# ---------------------------------------------------------------- cases


def num(x, dt):
    """A protocol number exactly representing x rounded to the dtype (repr of its Float64)."""
    v = float(DT[dt](x))
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def nums(xs, dt):
    return [num(x, dt) for x in np.asarray(xs, dtype=np.float64).reshape(-1, order="F")]


def columns_normalised(a, shape, axis=0):
    a = np.abs(a) + 1e-3
    return a / a.sum(axis=axis, keepdims=True)


def random_case(rng, loss, dt, agg, with_y):
    """One random gradient request in the loss's natural domain, with some kinks and ties."""
    params = {}
    if loss in CLASS_REDUCING or loss in NO_AGG or rng.random() < 0.5:
        shape = [int(rng.integers(2, 5)), int(rng.integers(1, 4))]
    else:
        shape = [int(rng.integers(1, 7))]
    n = int(np.prod(shape))
    z = rng.standard_normal(shape)
    scalar_y = None
    if loss in ("mae", "mse", "huber_loss"):
        yhat, y = 2 * z, 2 * rng.standard_normal(shape)
        if loss == "mae" and rng.random() < 0.5:  # kinks: ŷ = y somewhere
            k = int(rng.integers(0, n))
            y.flat[k] = yhat.flat[k]
        if loss == "huber_loss":
            params["delta"] = float(rng.choice([1.0, 0.5, 2.0]))
        if rng.random() < 0.2:
            scalar_y = 0.5
    elif loss == "msle":
        yhat, y = rng.uniform(0, 3, shape), rng.uniform(0, 3, shape)
    elif loss in ("crossentropy", "kldivergence"):
        yhat = columns_normalised(z, shape)
        y = columns_normalised(rng.standard_normal(shape), shape)
        if rng.random() < 0.4:  # one-hot columns: zero targets
            y = np.zeros(shape)
            for j in range(shape[1]):
                y[rng.integers(0, shape[0]), j] = 1.0
    elif loss == "logitcrossentropy":
        yhat = 3 * z
        y = columns_normalised(rng.standard_normal(shape), shape)
    elif loss == "binarycrossentropy":
        yhat = rng.uniform(0.01, 0.99, shape)
        y = rng.integers(0, 2, shape).astype(float) if rng.random() < 0.5 else rng.uniform(0, 1, shape)
        if rng.random() < 0.2:
            scalar_y = 1.0
    elif loss == "logitbinarycrossentropy":
        yhat = 4 * z
        y = rng.integers(0, 2, shape).astype(float) if rng.random() < 0.5 else rng.uniform(0, 1, shape)
        if rng.random() < 0.2:
            scalar_y = 0.0
    elif loss == "poisson_loss":
        yhat = rng.uniform(0.1, 3, shape)
        y = rng.integers(0, 5, shape).astype(float)
    elif loss in ("hinge", "squared_hinge"):
        y = rng.choice([-1.0, 1.0], shape)
        yhat = 1.5 * z
        if rng.random() < 0.6:  # kinks: ŷ·y = 1 somewhere
            k = int(rng.integers(0, n))
            yhat.flat[k] = y.flat[k]
            if n > 1:
                y.flat[0] = 2.0
                yhat.flat[0] = 0.5
        if rng.random() < 0.2:
            scalar_y = 1.0
    else:  # dice, tversky
        yhat = rng.uniform(0, 1, shape)
        y = rng.integers(0, 2, shape).astype(float)
        if loss == "dice_coeff_loss" and rng.random() < 0.5:
            params["smooth"] = float(rng.choice([0.5, 1.0, 2.0]))
        if loss == "tversky_loss" and rng.random() < 0.5:
            params["beta"] = float(rng.choice([0.3, 0.5, 0.7]))
    if loss in ("crossentropy", "logitcrossentropy", "kldivergence"):
        if rng.random() < 0.3:
            params["dims"] = 2
        if loss != "kldivergence" and rng.random() < 0.3:
            params["weight"] = {"shape": [shape[0]], "data": nums(rng.uniform(0.2, 2, shape[0]), dt)}
    if loss in ("crossentropy", "binarycrossentropy", "kldivergence", "msle") and rng.random() < 0.15:
        params["eps"] = 0.0
    if loss not in NO_AGG:
        params["agg"] = agg
    req = {"loss": loss, "dtype": dt, "shape": shape, "yhat": nums(yhat, dt),
           "y": num(scalar_y, dt) if scalar_y is not None else nums(y, dt), "params": params,
           "grad": ["yhat", "y"] if with_y else ["yhat"]}
    if agg == "none" and loss not in NO_AGG:
        if loss in CLASS_REDUCING:
            d = params.get("dims", 1)
            count = n // shape[d - 1]
        else:
            count = n
        req["cotangent"] = nums(rng.standard_normal(count), dt)
    return req


def cases(seed, per):
    rng = np.random.default_rng(seed)
    out = []
    for loss in LOSSES:
        for dt in ("float32", "float64"):
            for agg in ("mean", "sum", "none") if loss not in NO_AGG else ("mean",):
                for k in range(per):
                    req = random_case(rng, loss, dt, agg, with_y=(k % 2 == 1) or loss in NO_AGG)
                    req["id"] = f"{loss}-{dt[-2:]}-{agg}-{k}"
                    out.append(req)
    return out


def sigma(x, dt):
    t = DT[dt]
    return t(1) / (t(1) + np.exp(-t(x)))


def bug_cases():
    """The inputs of real gradient bugs, in ŷ's terms (the protocol differentiates with respect to
    the loss's ŷ, not a logit upstream of it)."""
    f32 = np.float32
    s103316 = [float(1 / (1 + np.exp(-f32(x)))) for x in (-50.0, -10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0)]
    cases = []
    for dt in ("float32", "float64"):
        cases += [
            ("nnlib#68", f"logitcrossentropy, logits ±430 ({dt})",
             {"loss": "logitcrossentropy", "dtype": dt, "shape": [2, 2], "yhat": [430.0, -430.0, -430.0, 430.0],
              "y": [0.0, 1.0, 1.0, 0.0], "grad": ["yhat", "y"]}),
            ("flux#914", f"binarycrossentropy(σ(50), 0) ({dt}: σ(50) rounds to 1)",
             {"loss": "binarycrossentropy", "dtype": dt, "yhat": [num(sigma(50.0, dt), dt)], "y": [0.0], "grad": ["yhat", "y"]}),
            ("flux#914", f"binarycrossentropy(σ(50), 0) with ϵ = 0 ({dt}: the exact ∂/∂ŷ is +∞)",
             {"loss": "binarycrossentropy", "dtype": dt, "yhat": [num(sigma(50.0, dt), dt)], "y": [0.0],
              "params": {"eps": 0.0}, "grad": ["yhat"]}),
            ("keras#9664", f"logitbinarycrossentropy at logits ±100 ({dt})",
             {"loss": "logitbinarycrossentropy", "dtype": dt, "yhat": [100.0, -100.0], "y": [0.0, 1.0], "grad": ["yhat", "y"]}),
            ("keras#9664", f"binarycrossentropy(σ(100), 0) ({dt})",
             {"loss": "binarycrossentropy", "dtype": dt, "yhat": [num(sigma(100.0, dt), dt)], "y": [0.0], "grad": ["yhat"]}),
            ("pytorch#80770", f"xlogy's ∂/∂x at x = 0: crossentropy ∂/∂y at a zero target ({dt})",
             {"loss": "crossentropy", "dtype": dt, "yhat": [0.25, 0.75], "y": [0.0, 1.0], "grad": ["yhat", "y"]}),
            ("pytorch#80770", f"xlogy's ∂/∂x at x = 0: poisson_loss ∂/∂y at y = 0 ({dt})",
             {"loss": "poisson_loss", "dtype": dt, "yhat": [0.5, 2.0], "y": [0.0, 3.0], "grad": ["yhat", "y"]}),
            ("pytorch#80770", f"xlogy's ∂/∂y at x = y = 0: poisson_loss(0, 0) ({dt})",
             {"loss": "poisson_loss", "dtype": dt, "yhat": [0.0, 2.0], "y": [0.0, 3.0], "grad": ["yhat"]}),
            ("pytorch#89558/optax#1786", f"kldivergence at a zero target ({dt})",
             {"loss": "kldivergence", "dtype": dt, "shape": [2, 2], "yhat": [0.5, 0.5, 0.25, 0.75],
              "y": [1.0, 0.0, 0.0, 1.0], "grad": ["yhat", "y"]}),
            ("pytorch#89558/optax#1786", f"kldivergence ∂/∂ŷ at a zero target, ŷ = 0, ϵ = 0 ({dt})",
             {"loss": "kldivergence", "dtype": dt, "shape": [2], "yhat": [1.0, 0.0],
              "y": [1.0, 0.0], "params": {"eps": 0.0}, "grad": ["yhat"]}),
        ]
    cases += [
        ("pytorch#103316", "binarycrossentropy(σ.([-50,-10,-5,-2,0,2,5,10]), 1) (float32, the issue's input)",
         {"loss": "binarycrossentropy", "dtype": "float32", "yhat": s103316, "y": [1.0] * 8, "grad": ["yhat"]}),
        ("pytorch#103316", "the same with ϵ = 0 (the issue's formula: ∂/∂x at −50 is −0.125)",
         {"loss": "binarycrossentropy", "dtype": "float32", "yhat": s103316, "y": [1.0] * 8,
          "params": {"eps": 0.0}, "grad": ["yhat"]}),
    ]
    out = []
    for i, (tag, what, req) in enumerate(cases):
        req = dict(req, id=f"bug-{i}-{tag}")
        out.append((tag, what, req))
    return out


# ---------------------------------------------------------------- grading


def klass(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return "finite"


def ulp(v, dt):
    return float(np.spacing(DT[dt](abs(v))))


def factors(req):
    """The aggregation factor of each unreduced element of an elementwise loss (exact)."""
    n = len(req["yhat"])
    agg = req.get("params", {}).get("agg", "mean")
    if agg == "mean":
        return [Fraction(1, n)] * n if n else []
    if agg == "sum":
        return [Fraction(1)] * n
    return [Fraction(number(c)) for c in req.get("cotangent", [1.0] * n)]


def kink_intervals(req):
    """The exact subgradient intervals at kinks (mae's ŷ = y, hinge's ŷ·y = 1), computed here in
    rationals: (for ∂/∂ŷ per element, for ∂/∂y per element or one for a scalar y), each entry
    None where there is no kink, else (lower, upper) as Fractions; None when the case has no kink.
    LossSpec answers the lower end only (its SpecGradient reports `lower` for a subgradient)."""
    loss = req["loss"]
    n = len(req["yhat"])
    if loss not in ("mae", "hinge") or n == 0:
        return None
    x = [number(v) for v in req["yhat"]]
    ys = req["y"]
    y = [number(ys)] * n if not isinstance(ys, list) else [number(v) for v in ys]
    f = factors(req)
    if not all(math.isfinite(v) for v in x + y) or not all(math.isfinite(float(c)) for c in f):
        return None
    gx, gy, kink = [], [], False
    for i in range(n):
        X, Y, F = Fraction(x[i]), Fraction(y[i]), f[i]
        if loss == "mae":
            if X == Y:
                kink = True
                gx.append((-abs(F), abs(F)))
                gy.append((-abs(F), abs(F)))
            else:
                s = 1 if X > Y else -1
                gx.append((s * F, s * F))
                gy.append((-s * F, -s * F))
        else:
            m = 1 - X * Y
            if m > 0:
                gx.append((-Y * F, -Y * F))
                gy.append((-X * F, -X * F))
            elif m < 0:
                gx.append((Fraction(0), Fraction(0)))
                gy.append((Fraction(0), Fraction(0)))
            else:
                kink = True
                a, b = -Y * F, -X * F
                gx.append((min(a, 0), max(a, 0)))
                gy.append((min(b, 0), max(b, 0)))
    if not kink:
        return None
    if not isinstance(ys, list):
        gy = [(sum((g[0] for g in gy), Fraction(0)), sum((g[1] for g in gy), Fraction(0)))]
    strip = lambda gs: [g if g[0] != g[1] else None for g in gs]  # noqa: E731
    return strip(gx), strip(gy)


def round_out(q, dt, up):
    """q rounded to the dtype outwards (down for a lower end, up for an upper one)."""
    t = DT[dt]
    r = t(float(q))
    if up and Fraction(float(r)) < q:
        r = np.nextafter(r, t(np.inf))
    if not up and Fraction(float(r)) > q:
        r = np.nextafter(r, t(-np.inf))
    return float(r)


class Stats:
    def __init__(self):
        self.cases = 0
        self.elements = 0
        self.worst = {"yhat": (0.0, None), "y": (0.0, None)}
        self.worst_norm = (0.0, None)
        self.class_mismatch = []
        self.kinks = 0
        self.kinks_inside = 0
        self.grad_unsupported = 0
        self.outcome_mismatch = []
        self.reference_outside = []  # LossSpec's kink answer outside the interval computed here

    def to_json(self):
        return {
            "cases": self.cases, "elements": self.elements,
            "worstUlpsYhat": self.worst["yhat"][0], "worstYhatAt": self.worst["yhat"][1],
            "worstUlpsY": self.worst["y"][0], "worstYAt": self.worst["y"][1],
            "worstNormwiseUlps": self.worst_norm[0], "worstNormwiseAt": self.worst_norm[1],
            "classMismatches": self.class_mismatch[:20], "classMismatchCount": len(self.class_mismatch),
            "kinkElements": self.kinks, "kinkElementsInside": self.kinks_inside,
            "gradUnsupported": self.grad_unsupported, "outcomeMismatches": self.outcome_mismatch[:20],
            "referenceOutsideKinkInterval": self.reference_outside[:20],
        }


def compare(stats, which, rid, got, ref, intervals, dt):
    """Accumulates one gradient vector's element errors into stats."""
    t = DT[dt]
    got = [float(t(r)) for r in got]  # a float32 decimal read as the float32 it spells
    ref = [float(t(v)) for v in ref]
    finite_ref = [abs(v) for v in ref if math.isfinite(v)]
    scale = max(finite_ref) if finite_ref else 0.0
    for i, (r, v) in enumerate(zip(got, ref)):
        stats.elements += 1
        cr, cv = klass(r), klass(v)
        if cr != cv:
            stats.class_mismatch.append(f"{rid} {which}[{i}]: {r!r} for {v!r}")
            continue
        if cr != "finite":
            continue
        interval = intervals[i] if intervals is not None else None
        if interval is not None:
            stats.kinks += 1
            lo, hi = round_out(interval[0], dt, up=False), round_out(interval[1], dt, up=True)
            if not (lo <= v <= hi):
                stats.reference_outside.append(f"{rid} {which}[{i}]: LossSpec {v!r} outside [{lo!r}, {hi!r}]")
            err = 0.0 if lo <= r <= hi else min(abs(r - lo), abs(r - hi))
            if err == 0:
                stats.kinks_inside += 1
        else:
            err = abs(r - v)
        u = err / ulp(v, dt)
        if u > stats.worst[which][0]:
            stats.worst[which] = (u, f"{rid} {which}[{i}]: {r!r} for {v!r}")
        un = err / ulp(scale, dt)
        if un > stats.worst_norm[0]:
            stats.worst_norm = (un, f"{rid} {which}[{i}]")


def diverges(got, ref, rtol=1e-2):
    """The first element where got differs from ref by class or by more than rtol (relative to
    the element, or to the vector's largest element where the reference is 0); None if none."""
    finite = [abs(v) for v in ref if math.isfinite(v)]
    scale = max(finite) if finite else 0.0
    for i, (r, v) in enumerate(zip(got, ref)):
        if klass(r) != klass(v):
            return i
        if klass(r) == "finite" and abs(r - v) > rtol * (abs(v) if v != 0 else max(scale, 1e-300)):
            return i
    return None


# ---------------------------------------------------------------- main


def importable(module, timeout):
    try:
        r = subprocess.run([PY, "-c", f"import {module}"], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"importing {module} took more than {timeout} s"
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        return f"python cannot import {module} ({last})"
    return None


def fmt(u):
    if u == 0:
        return "0"
    if u < 10:
        return f"{u:.2g}"
    if u < 1e6:
        return f"{u:.0f}"
    return f"{u:.1e}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    built = [os.path.join(root, ".build", mode, "losscheck") for mode in ("release", "debug")]
    default_bin = os.environ.get("LOSSCHECK_BIN") or next((b for b in built if os.path.isfile(b)), built[0])
    ap.add_argument("--losscheck", default=default_bin, help="default: $LOSSCHECK_BIN, else .build/release or .build/debug")
    ap.add_argument("--adapters", default=",".join(ADAPTERS), help="comma-separated: " + ", ".join(ADAPTERS))
    ap.add_argument("--adapter", action="append", default=[], metavar="NAME=COMMAND",
                    help="an extra adapter command (e.g. a tests-only one), repeatable")
    ap.add_argument("--per-combination", type=int, default=3, help="cases per loss × dtype × agg")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--timeout", type=float, default=60, help="seconds per answer")
    ap.add_argument("--json", help="write the measurements to this file")
    ap.add_argument("--markdown", help="write the tables to this file")
    args = ap.parse_args()

    if not (os.path.isfile(args.losscheck) and os.access(args.losscheck, os.X_OK)):
        print(f"adapter-gradients-check: no losscheck binary at {args.losscheck} (--losscheck, LOSSCHECK_BIN)", file=sys.stderr)
        return 2
    started = time.time()
    requests = cases(args.seed, args.per_combination)
    bugs = bug_cases()
    protocol_errors = []
    out_md = []

    def emit(line=""):
        print(line)
        out_md.append(line)

    # The reference answers, once.
    reference = {}
    try:
        spec = Process("spec", [args.losscheck, "serve", "--impl", "spec"], args.timeout)
        try:
            for req in requests + [b[2] for b in bugs]:
                ans = spec.ask(req)
                reference[req["id"]] = check_answer(ans, req)
        finally:
            spec.close()
    except ProtocolError as e:
        print(f"adapter-gradients-check: the reference failed: {e}", file=sys.stderr)
        return 1

    selected = [a for a in args.adapters.split(",") if a]
    table = {}
    for name in selected:
        if name not in ADAPTERS:
            print(f"adapter-gradients-check: unknown adapter {name!r} (known: {', '.join(ADAPTERS)})", file=sys.stderr)
            return 2
    for spec_text in args.adapter:
        name, _, command = spec_text.partition("=")
        ADAPTERS[name] = (command.split(), None, "given with --adapter")
        selected.append(name)
    emit(f"# Adapter gradients against LossSpec (seed {args.seed}, {len(requests)} random cases + {len(bugs)} bug inputs)")
    emit()
    results = {}
    for name in selected:
        command, module, what = ADAPTERS[name]
        reason = importable(module, 300) if module else None
        if reason:
            emit(f"SKIPPED: {name}: {reason}")
            results[name] = {"skipped": reason}
            continue
        stats = {}
        bug_results = []
        try:
            proc = Process(name, command, args.timeout)
        except ProtocolError as e:
            protocol_errors.append(str(e))
            emit(f"PROTOCOL ERROR: {name}: {e}")
            results[name] = {"protocolError": str(e)}
            continue
        try:
            impl = proc.hello.get("implementation", "?")
            if proc.hello.get("gradients") is not True:
                emit(f"note: {name}'s hello does not say \"gradients\": true")
            for req in requests:
                key = (req["loss"], req["dtype"])
                s = stats.setdefault(key, Stats())
                try:
                    outcome, grad = check_answer(proc.ask(req), req)
                except ProtocolError as e:
                    protocol_errors.append(f"{name}: {e}")
                    if "exited" in str(e) or "within" in str(e):
                        raise
                    continue
                ref_outcome, ref_grad = reference[req["id"]]
                s.cases += 1
                if outcome != ref_outcome:
                    s.outcome_mismatch.append(f"{req['id']}: {outcome} for {ref_outcome}")
                    continue
                if isinstance(grad, str):
                    s.grad_unsupported += 1
                    continue
                if grad is None or not isinstance(ref_grad, tuple):
                    continue
                kinks = kink_intervals(req)
                compare(s, "yhat", req["id"], grad[0], ref_grad[0], kinks[0] if kinks else None, req["dtype"])
                if grad[1] is not None and ref_grad[1] is not None:
                    compare(s, "y", req["id"], grad[1], ref_grad[1], kinks[1] if kinks else None, req["dtype"])
            for tag, what_bug, req in bugs:
                try:
                    outcome, grad = check_answer(proc.ask(req), req)
                except ProtocolError as e:
                    protocol_errors.append(f"{name}: {e}")
                    if "exited" in str(e) or "within" in str(e):
                        raise
                    continue
                ref_outcome, ref_grad = reference[req["id"]]
                row = {"bug": tag, "input": what_bug, "id": req["id"]}
                if isinstance(grad, str) or grad is None:
                    row.update(result="no gradient", detail=str(grad) if grad else outcome)
                elif not isinstance(ref_grad, tuple):
                    row.update(result="reference has no gradient", detail=str(ref_grad))
                else:
                    found = None
                    for which, got, ref in (("yhat", grad[0], ref_grad[0]), ("y", grad[1], ref_grad[1])):
                        if got is None or ref is None:
                            continue
                        i = diverges(got, ref)
                        if i is not None:
                            found = f"∂/∂{'ŷ' if which == 'yhat' else 'y'}[{i}] = {got[i]!r}, exact {ref[i]!r}"
                            break
                    row.update(result="REPRODUCES" if found else "no", detail=found or "agrees within 1e-2")
                bug_results.append(row)
        except ProtocolError as e:
            emit(f"PROTOCOL ERROR: {name} stopped: {e}")
        finally:
            proc.close()
        results[name] = {
            "implementation": impl, "command": command, "what": what,
            "losses": {f"{k[0]}/{k[1]}": v.to_json() for k, v in stats.items()}, "bugs": bug_results,
        }
        emit(f"## {name}: {impl} ({what})")
        emit()
        emit("| loss | dtype | cases | worst ∂/∂ŷ ulps | worst ∂/∂y ulps | worst normwise ulps | class mismatches | kinks (inside) | gradUnsupported | outcome mismatches |")
        emit("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for loss in LOSSES:
            for dt in ("float32", "float64"):
                s = stats.get((loss, dt))
                if s is None:
                    continue
                emit(f"| {loss} | {dt} | {s.cases} | {fmt(s.worst['yhat'][0])} | {fmt(s.worst['y'][0])} | "
                     f"{fmt(s.worst_norm[0])} | {len(s.class_mismatch)} | {s.kinks} ({s.kinks_inside}) | "
                     f"{s.grad_unsupported} | {len(s.outcome_mismatch)} |")
        emit()
        worst = [(s.worst[w][0], s.worst[w][1]) for s in stats.values() for w in ("yhat", "y") if s.worst[w][1]]
        for u, where in sorted(worst, reverse=True)[:5]:
            emit(f"- worst: {fmt(u)} ulps at {where}")
        mism = [m for s in stats.values() for m in s.class_mismatch]
        for m in mism[:8]:
            emit(f"- class mismatch: {m}")
        if len(mism) > 8:
            emit(f"- … {len(mism) - 8} more class mismatches")
        for m in [m for s in stats.values() for m in s.reference_outside][:5]:
            emit(f"- note (the check itself, not the adapter): {m}")
        outm = [m for s in stats.values() for m in s.outcome_mismatch]
        for m in outm[:5]:
            emit(f"- outcome mismatch: {m}")
        emit()
        emit(f"### {name}: real gradient bugs")
        emit()
        emit("| bug | input | reproduces | detail |")
        emit("|---|---|---|---|")
        for row in bug_results:
            emit(f"| {row['bug']} | {row['input']} | {row['result']} | {row['detail']} |")
        emit()
        tags = sorted({row["bug"] for row in bug_results})
        summary = []
        for tag in tags:
            rows = [r for r in bug_results if r["bug"] == tag]
            k = sum(r["result"] == "REPRODUCES" for r in rows)
            summary.append(f"{tag} {'REPRODUCES' if k else 'no'} ({k}/{len(rows)} inputs)")
        results[name]["bugSummary"] = summary
        emit(f"{name} bugs: " + "; ".join(summary))
        emit()
    if protocol_errors:
        emit(f"PROTOCOL ERRORS: {len(protocol_errors)}")
        for e in protocol_errors[:20]:
            emit(f"- {e}")
    emit(f"adapter-gradients-check: finished in {time.time() - started:.0f} s; "
         f"{'protocol errors: ' + str(len(protocol_errors)) if protocol_errors else 'no protocol errors'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seed": args.seed, "cases": len(requests), "adapters": results,
                       "protocolErrors": protocol_errors}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(out_md) + "\n")
    return 1 if protocol_errors else 0


if __name__ == "__main__":
    sys.exit(main())
