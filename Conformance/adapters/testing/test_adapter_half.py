"""Tests of half-precision requests (float16, bfloat16; issue 15) through the adapters end to end:
the shared protocol code in losscheck_adapter.py (reading in the dtype, the shortest round-trip
writer), and each adapter process (numpy, torch, torch --autocast, jax) spawned with a timeout on
a few float16/bfloat16 requests, its answers checked for the protocol's spelling. Skipped, saying
so, where python cannot import ml_dtypes, torch or jax.

    python3 -m unittest discover -s Conformance/adapters/testing -p 'test_*.py' -v
"""

import json
import math
import os
import struct
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ADAPTERS = os.path.dirname(HERE)
sys.path.insert(0, ADAPTERS)
sys.path.insert(0, HERE)
import losscheck_adapter as protocol  # noqa: E402
import numpy_adapter  # noqa: E402
from test_adapter_gradients import importable, run_adapter  # noqa: E402

HAVE_BF16 = protocol.BFLOAT16 is not None
HAVE_TORCH = importable("torch")
HAVE_JAX = importable("jax")

REQUESTS = [
    {"id": "mse-f16-300", "loss": "mse", "dtype": "float16", "yhat": [300, 0], "y": [0, 0]},
    {"id": "mse-f16-255", "loss": "mse", "dtype": "float16", "yhat": [255], "y": [0]},
    {"id": "lce-f16", "loss": "logitcrossentropy", "dtype": "float16", "shape": [3], "yhat": [12, 0, -3],
     "y": [0, 1, 0], "grad": ["yhat", "y"]},
    {"id": "bce-f16", "loss": "binarycrossentropy", "dtype": "float16", "yhat": [0.1, 0.2, 0.9], "y": 1,
     "grad": ["yhat", "y"]},
    {"id": "huber-f16-none", "loss": "huber_loss", "dtype": "float16", "yhat": [0.5, 0.1, 2], "y": [0, 0, 0],
     "params": {"delta": 0.1, "agg": "none"}, "grad": ["yhat"], "cotangent": [1, 2, 3]},
    {"id": "bce-bf16", "loss": "binarycrossentropy", "dtype": "bfloat16", "yhat": [0.1, 0.2, 0.9], "y": 1,
     "grad": ["yhat", "y"]},
    {"id": "tversky-bf16", "loss": "tversky_loss", "dtype": "bfloat16", "yhat": [0.9, 0.1, 0.4], "y": [1, 0, 1],
     "grad": ["yhat"]},
    {"id": "lbce-bf16-none", "loss": "logitbinarycrossentropy", "dtype": "bfloat16", "yhat": [100, -100, 3],
     "y": [1, 0, 0.5], "params": {"agg": "none"}, "grad": ["yhat"], "cotangent": [1, 2, 3]},
    {"id": "kl-bf16", "loss": "kldivergence", "dtype": "bfloat16", "shape": [2, 2], "yhat": [0, 1, 0.5, 0.5],
     "y": [0.5, 0.5, 0.5, 0.5]},
]


def numbers(answer):
    """Every number of an answer (value and gradient elements), flat."""
    out = []
    for x in [answer.get("value")] + [v for part in answer.get("grad", {}).values() for v in part]:
        out.extend(x if isinstance(x, list) else [x])
    return out


def spelled_in(x, dtype):
    """True when `x` is the protocol's spelling of a value of the dtype: a non-finite string, or
    the shortest decimal that round-trips in the dtype (read in the dtype, written again: the same)."""
    if isinstance(x, str):
        return x in ("NaN", "Infinity", "-Infinity")
    t = protocol.DTYPES[dtype]
    v = float(np.array([x]).astype(t)[0])
    return math.isfinite(v) and repr(protocol.encode(v, t)) == repr(x)


def digits(x):
    return len(repr(abs(x)).split("e")[0].replace(".", "").strip("0"))


class HalfProtocolTests(unittest.TestCase):
    def test_float16_is_read_and_written_in_the_dtype(self):
        ask = lambda obj: protocol.answer(obj, numpy_adapter.LOSSES, gradient=numpy_adapter.gradient)  # noqa: E731
        # 300² = 90000 > 65504: the square overflows float16 (the exact mean 45000 would fit)
        self.assertEqual(ask(REQUESTS[0]), {"id": "mse-f16-300", "value": "Infinity"})
        # 255² = 65025 rounds to 65024 (spacing 32 there), written shortest: 65020 reads back to it
        self.assertEqual(ask(REQUESTS[1]), {"id": "mse-f16-255", "value": 65020.0})
        req = protocol.Request({"loss": "mse", "dtype": "float16", "yhat": [0.1], "y": [0]})
        self.assertEqual(req.yhat.dtype, np.float16)
        self.assertEqual(float(req.eps), 2.0**-10)
        self.assertEqual(float(req.beta), 0.7001953125)  # Float16(0.7)
        self.assertEqual(protocol.encode(2.0**-24, np.float16), 6e-08)
        self.assertEqual(protocol.encode(65504.0, np.float16), 65500.0)
        self.assertEqual(protocol.encode(70000.0, np.float16), "Infinity")  # a wider result is rounded once

    @unittest.skipUnless(HAVE_BF16, "ml_dtypes is not importable: bfloat16 is not offered")
    def test_bfloat16_is_read_and_written_in_the_dtype(self):
        req = protocol.Request({"loss": "tversky_loss", "dtype": "bfloat16", "yhat": [0.1], "y": [0]})
        self.assertEqual(req.yhat.dtype, protocol.BFLOAT16)
        self.assertEqual(float(req.eps), 2.0**-7)
        self.assertEqual(float(req.beta), 0.69921875)  # BFloat16(0.7), one rounding
        self.assertEqual(float(req.yhat[0]), 0.10009765625)
        self.assertEqual(protocol.encode(0.10009765625, protocol.BFLOAT16), 0.1)
        self.assertEqual(protocol.encode(1 + 2.0**-8 + 2.0**-30, protocol.BFLOAT16), 1.01)  # 1.0078125: no double rounding
        self.assertIn("bfloat16", protocol.hello("x", {})["dtypes"])

    @unittest.skipUnless(HAVE_BF16, "ml_dtypes is not importable: bfloat16 is not offered")
    def test_shortest_decimal_of_every_bfloat16_value(self):
        bf = protocol.BFLOAT16
        for bits in range(0, 1 << 16, 3):
            b = struct.unpack("<f", struct.pack("<I", bits << 16))[0]
            if not math.isfinite(b) or b == 0:
                continue
            s = protocol.encode(b, bf)
            self.assertEqual(float(np.array([s]).astype(bf)[0]), b, (b, s))
            d = digits(s)
            if d > 1:  # no decimal with one digit fewer reads back to b
                shorter = float("%.*e" % (d - 2, b))
                for c in (shorter, float("%.*e" % (d - 2, math.nextafter(shorter, 0))), ):
                    self.assertNotEqual(float(np.array([c]).astype(bf)[0]) if c else 0.0, b, (b, s, c))

    def test_float16_shortest_matches_numpy_on_every_value(self):
        for bits in range(0, 1 << 16, 7):
            h = float(np.array([bits], dtype=np.uint16).view(np.float16)[0])
            if math.isfinite(h):
                self.assertEqual(protocol.encode(h, np.float16), float(str(np.float16(h))))


class HalfAdapterProcessTests(unittest.TestCase):
    def check(self, command, requests, dtypes):
        hello, answers = run_adapter(command, requests, timeout=120)
        for d in dtypes:
            self.assertIn(d, hello["dtypes"], hello)
        for req, a in zip(requests, answers):
            self.assertEqual(a["id"], req["id"])
            self.assertIn("value", a, a)
            if "grad" in req:
                self.assertIn("grad", a, a)
                self.assertEqual(len(a["grad"]["yhat"]), len(req["yhat"]), a)
            for x in numbers(a):
                self.assertTrue(spelled_in(x, req["dtype"]), f"{command[-1]} {req['id']}: {x!r} in {a}")
        return {a["id"]: a for a in answers}

    def requests(self):
        return [r for r in REQUESTS if HAVE_BF16 or r["dtype"] == "float16"]

    def test_numpy_adapter(self):
        answers = self.check([sys.executable, "numpy_adapter.py"], self.requests(),
                             ["float16"] + (["bfloat16"] if HAVE_BF16 else []))
        self.assertEqual(answers["mse-f16-300"]["value"], "Infinity")

    @unittest.skipUnless(HAVE_TORCH and HAVE_BF16, "torch or ml_dtypes is not importable")
    def test_torch_adapter_and_autocast(self):
        plain = self.check([sys.executable, "torch_adapter.py"], self.requests(), ["float16", "bfloat16"])
        self.assertEqual(plain["mse-f16-300"]["value"], "Infinity")  # (ŷ − y)² in float16
        hello, _ = run_adapter([sys.executable, "torch_adapter.py", "--autocast", "--native"], [], timeout=120)
        self.assertTrue(hello["implementation"].startswith("torch-autocast "), hello)
        self.assertEqual(hello["dtypes"], ["float16", "bfloat16"])
        auto = self.check([sys.executable, "torch_adapter.py", "--autocast", "--native"], self.requests(),
                          ["float16", "bfloat16"])
        # autocast runs F.mse_loss in float32: the exact mean 45000, rounded once to float16
        self.assertEqual(auto["mse-f16-300"]["value"], 45000.0)
        _, f32 = run_adapter([sys.executable, "torch_adapter.py", "--autocast"],
                             [{"id": "x", "loss": "mse", "dtype": "float32", "yhat": [1], "y": [0]}], timeout=120)
        self.assertIn("unsupported", f32[0])

    @unittest.skipUnless(HAVE_JAX and HAVE_BF16, "jax or ml_dtypes is not importable")
    def test_jax_adapter(self):
        self.check([sys.executable, "jax_adapter.py"], self.requests(), ["float16", "bfloat16"])


if __name__ == "__main__":
    unittest.main()
