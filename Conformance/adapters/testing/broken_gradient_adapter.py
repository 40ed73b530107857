#!/usr/bin/env python3
"""Correct values, deliberately broken gradients: what the gradient gate must catch (tests only).

    python3 Conformance/adapters/testing/broken_gradient_adapter.py [--bug all|none|sign|sum-for-mean|bce-clamp]
                                                                    [--base numpy|spec] [--losscheck PATH]

The values are always right; the gradients are the base's with these bugs (`--bug all`, the
default, has all three):

  sign          mse: the gradient with the wrong sign (∂/∂ŷ and ∂/∂y negated)
  sum-for-mean  logitcrossentropy: ∇sum reported for ∇mean (the 1/(number of columns) left out)
  bce-clamp     binarycrossentropy: PyTorch's BCELoss backward, (ŷ − y)/max(ŷ(1 − ŷ), 1e-12), the
                derivative that goes with its log clamped at −100 (no ϵ; pytorch/pytorch#103316:
                at ŷ = σ(−50) the gradient is clamped by the 1e-12)

`--bug none` is the faithful counterpart: the base's gradients unchanged. The base is the numpy
adapter (`numpy_adapter.py`, its hand-derived gradients; the default, needs only numpy) or, with
`--base spec`, LossSpec itself (`losscheck serve --impl spec`, every value and gradient element
correctly rounded; `--losscheck` or LOSSCHECK_BIN names the binary): with `--bug none --base spec`
this is an exact reference proxy, which any gradient gate must pass.
"""

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import numpy_adapter as base  # noqa: E402
from losscheck_adapter import (  # noqa: E402
    LossError, Request, _number, encode_flat, hello, prepare_cotangent, serve,
)

BUGS = ("sign", "sum-for-mean", "bce-clamp")


def torch_bce_backward(req):
    """∂/∂ŷ of PyTorch's BCELoss (aten binary_cross_entropy_backward): (ŷ − y)/max(ŷ(1 − ŷ), 1e-12),
    times the aggregation's factor. No ϵ."""
    y, x, one = req.target(), req.yhat, req.dtype(1)
    g = (x - y) / np.maximum(x * (one - x), req.dtype(1e-12))
    return base.agg_grad(g, req)


def mutate(req, bugs, dyhat, dy):
    """The broken gradient: flat (column-major) arrays in, flat arrays out."""
    if "sign" in bugs and req.loss == "mse":
        dyhat = -dyhat
        dy = None if dy is None else -dy
    if "sum-for-mean" in bugs and req.loss == "logitcrossentropy" and req.agg == "mean":
        n = req.dtype(base.groups(req))
        dyhat = dyhat * n
        dy = None if dy is None else dy * n
    if "bce-clamp" in bugs and req.loss == "binarycrossentropy":
        with np.errstate(all="ignore"):
            dyhat = np.asarray(torch_bce_backward(req)).reshape(-1, order="F")
    return dyhat, dy


def flat(x):
    return None if x is None else np.asarray(x).reshape(-1, order="F")


def serve_numpy(bugs):
    def gradient(req, f):
        dyhat, dy = base.gradient(req, f)
        return mutate(req, bugs, flat(dyhat), flat(dy))

    label = ",".join(sorted(bugs)) or "none"
    serve(f"broken-gradient adapter (numpy base, bugs: {label})", base.LOSSES, gradient=gradient)


class Spec:
    """`losscheck serve --impl spec` as a child process; each answer within `timeout` seconds."""

    def __init__(self, binary, timeout):
        self.proc = subprocess.Popen([binary, "serve", "--impl", "spec"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)
        self.lines = queue.Queue()
        self.timeout = timeout
        threading.Thread(target=self._pump, daemon=True).start()
        self.hello = json.loads(self.read())

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read(self):
        try:
            line = self.lines.get(timeout=self.timeout)
        except queue.Empty:
            self.proc.kill()
            sys.exit(f"broken_gradient_adapter: losscheck serve gave no answer within {self.timeout} s")
        if line is None:
            sys.exit("broken_gradient_adapter: losscheck serve exited")
        return line

    def ask(self, line):
        self.proc.stdin.write(line.rstrip("\r\n") + "\n")
        self.proc.stdin.flush()
        return json.loads(self.read())


def serve_spec(bugs, binary, timeout):
    spec = Spec(binary, timeout)
    label = ",".join(sorted(bugs)) or "none"
    h = hello(f"broken-gradient adapter (LossSpec base, bugs: {label}; {spec.hello.get('implementation', '?')})",
              base.LOSSES, gradients=True)
    sys.stdout.write(json.dumps(h) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        response = spec.ask(line)
        try:
            obj = json.loads(line)
            req = Request(obj) if isinstance(obj, dict) and "grad" in obj else None
        except (LossError, Exception):
            req = None
        if req is not None and isinstance(response.get("grad"), dict):
            try:
                g = response["grad"]
                t = req.dtype
                value = response["value"]
                prepare_cotangent(req, np.empty(response.get("shape", [len(value)])) if isinstance(value, list) else 0.0)
                dyhat = np.array([_number(v) for v in g["yhat"]], dtype=np.float64).astype(t)
                dy = None if "y" not in g else np.array([_number(v) for v in g["y"]], dtype=np.float64).astype(t)
                with np.errstate(all="ignore"):
                    dyhat, dy = mutate(req, bugs, dyhat, dy)
                g["yhat"] = encode_flat(dyhat, t)
                if dy is not None:
                    g["y"] = encode_flat(dy, t)
            except Exception:  # a bug here: pass LossSpec's answer on unchanged, say why on stderr
                traceback.print_exc(file=sys.stderr)
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()
    spec.proc.stdin.close()
    try:
        spec.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        spec.proc.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bug", default="all", choices=("all", "none") + BUGS)
    parser.add_argument("--base", default="numpy", choices=("numpy", "spec"))
    parser.add_argument("--losscheck", default=os.environ.get("LOSSCHECK_BIN", "losscheck"))
    parser.add_argument("--timeout", type=float, default=600, help="seconds per LossSpec answer (--base spec)")
    args = parser.parse_args()
    bugs = set(BUGS) if args.bug == "all" else set() if args.bug == "none" else {args.bug}
    if args.base == "spec":
        serve_spec(bugs, args.losscheck, args.timeout)
    else:
        serve_numpy(bugs)
