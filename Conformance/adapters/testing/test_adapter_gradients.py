"""Tests of the adapters' gradient extension (PROTOCOL.md, "Gradients"): the shared protocol code
in losscheck_adapter.py, the numpy adapter's hand-derived gradients against central differences
of its own values, the tests-only broken gradient adapter, and (when python can import them) the
torch and JAX adapters on the protocol's examples. Needs numpy only; every subprocess has a
timeout.

    python3 -m unittest discover -s Conformance/adapters/testing -p 'test_*.py' -v
"""

import json
import math
import os
import subprocess
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ADAPTERS = os.path.dirname(HERE)
sys.path.insert(0, ADAPTERS)
sys.path.insert(0, HERE)
import losscheck_adapter as protocol  # noqa: E402
import numpy_adapter  # noqa: E402
import broken_gradient_adapter as broken  # noqa: E402


def ask(obj, gradient=numpy_adapter.gradient):
    return protocol.answer(obj, numpy_adapter.LOSSES, gradient=gradient)


def run_adapter(command, requests, timeout=300):
    """The answers of an adapter process to `requests` (its hello first)."""
    text = "".join(json.dumps(r) + "\n" for r in requests)
    out = subprocess.run(command, input=text, capture_output=True, text=True, timeout=timeout, cwd=ADAPTERS)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    if out.returncode != 0 or len(lines) != len(requests) + 1:
        raise AssertionError(f"{command}: status {out.returncode}, {len(lines)} lines; stderr: {out.stderr[-2000:]}")
    return lines[0], lines[1:]


def importable(module):
    try:
        return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, timeout=300).returncode == 0
    except subprocess.TimeoutExpired:
        return False


MAE_G1 = {"id": "mae-g1", "loss": "mae", "dtype": "float32", "shape": [2], "yhat": [0.5, 2], "y": [1, 1],
          "grad": ["yhat", "y"]}
MSE_NONE_G2 = {"id": "mse-none-g2", "loss": "mse", "dtype": "float64", "shape": [2], "yhat": [1, 2], "y": [0, 0],
               "params": {"agg": "none"}, "grad": ["yhat"], "cotangent": [1, 0.5]}


class ProtocolTests(unittest.TestCase):
    def test_protocol_examples(self):
        self.assertEqual(ask(MAE_G1), {"id": "mae-g1", "value": 0.75, "grad": {"yhat": [-0.5, 0.5], "y": [0.5, -0.5]}})
        # ∂/∂ŷ_k = c_k · 2(ŷ_k − y_k) = [1·2, 0.5·4]
        self.assertEqual(ask(MSE_NONE_G2), {"id": "mse-none-g2", "value": [1.0, 4.0], "shape": [2], "grad": {"yhat": [2.0, 2.0]}})

    def test_a_request_without_grad_is_answered_as_before(self):
        obj = {k: v for k, v in MAE_G1.items() if k != "grad"}
        self.assertEqual(ask(obj), {"id": "mae-g1", "value": 0.75})
        self.assertEqual(ask(obj, gradient=None), {"id": "mae-g1", "value": 0.75})

    def test_hello_says_gradients_only_when_true(self):
        self.assertNotIn("gradients", protocol.hello("x", {"mse": None}))
        self.assertIs(protocol.hello("x", {"mse": None}, gradients=True)["gradients"], True)

    def test_an_adapter_without_gradients_still_answers_the_value(self):
        a = ask(MAE_G1, gradient=None)
        self.assertEqual(a["value"], 0.75)
        self.assertIsInstance(a["gradUnsupported"], str)
        self.assertNotIn("grad", a)

    def test_malformed_grad_and_cotangent_are_argument_errors(self):
        for grad in (["y"], [], ["yhat", "yhat"], "yhat", ["yhat", "x"], [1]):
            a = ask(dict(MAE_G1, grad=grad))
            self.assertEqual(a["error"]["kind"], "ArgumentError", f"grad = {grad!r}: {a}")
            self.assertIn("grad", a["error"]["message"])
        no_grad = {k: v for k, v in MSE_NONE_G2.items() if k != "grad"}
        self.assertEqual(ask(no_grad)["error"]["kind"], "ArgumentError")
        self.assertEqual(ask(dict(MSE_NONE_G2, cotangent=[1, 2, 3]))["error"]["kind"], "ArgumentError")

    def test_a_cotangent_is_ignored_for_a_scalar_result(self):
        a = ask(dict(MSE_NONE_G2, params={"agg": "sum"}, cotangent=[7, 7, 7]))
        self.assertEqual(a["grad"], {"yhat": [2.0, 4.0]})

    def test_a_scalar_y_gets_the_sum_over_the_broadcast(self):
        a = ask({"id": "s", "loss": "mse", "yhat": [1, 2, 3], "y": 0.5, "params": {"agg": "sum"}, "grad": ["yhat", "y"]})
        self.assertEqual(a["grad"]["yhat"], [1.0, 3.0, 5.0])
        self.assertEqual(a["grad"]["y"], [-9.0])

    def test_column_major_shapes_and_non_finite_spellings(self):
        a = ask({"id": "c", "loss": "mse", "shape": [2, 2], "yhat": [1, 2, 3, "NaN"], "y": [0, 0, 0, 0],
                 "params": {"agg": "sum"}, "grad": ["yhat", "y"]})
        self.assertEqual(a["grad"], {"yhat": [2.0, 4.0, 6.0, "NaN"], "y": [-2.0, -4.0, -6.0, "NaN"]})
        a = ask({"id": "i", "loss": "poisson_loss", "yhat": [0.0], "y": [1.0], "params": {"agg": "sum"}, "grad": ["yhat"]})
        self.assertEqual(a["grad"]["yhat"], ["-Infinity"])

    def test_a_value_error_has_no_gradient_part(self):
        a = ask({"id": "e", "loss": "msle", "yhat": [-3], "y": [1], "grad": ["yhat"]})
        self.assertEqual(set(a), {"id", "error"})


def perturbed(obj, which, i, h):
    o = json.loads(json.dumps(obj))
    if which == "y" and not isinstance(o["y"], list):
        o["y"] = o["y"] + h
    else:
        o[which][i] = o[which][i] + h
    return o


def scalar_loss(obj):
    """The loss as a scalar function (agg none: Σ c_k L_k), in float64, through the adapter."""
    a = ask({k: v for k, v in obj.items() if k not in ("grad", "cotangent")})
    v = np.asarray(a["value"], dtype=np.float64)
    if v.ndim == 0:
        return float(v)
    c = np.asarray(obj.get("cotangent", [1.0] * v.size), dtype=np.float64)
    return float(np.dot(c, v))


def benign_case(loss, agg, rng):
    shape = [3, 2]
    n = 6
    if loss in ("crossentropy", "kldivergence"):
        yhat = rng.uniform(0.2, 1, shape); yhat /= yhat.sum(0)
        y = rng.uniform(0.2, 1, shape); y /= y.sum(0)
    elif loss in ("binarycrossentropy", "dice_coeff_loss", "tversky_loss"):
        yhat, y = rng.uniform(0.1, 0.9, shape), rng.uniform(0, 1, shape)
    elif loss in ("msle", "poisson_loss"):
        yhat, y = rng.uniform(0.5, 3, shape), rng.uniform(0.5, 3, shape)
    elif loss in ("hinge", "squared_hinge"):
        y = rng.choice([-1.0, 1.0], shape)
        yhat = y * rng.choice([-0.7, 0.3, 1.6], shape)  # margins 1.7, 0.7 and −0.6: no kink
    else:
        yhat, y = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
        yhat = np.where(np.abs(yhat - y) < 0.05, yhat + 0.5, yhat)  # away from mae's kink
    obj = {"id": f"{loss}-{agg}", "loss": loss, "dtype": "float64", "shape": shape,
           "yhat": yhat.reshape(-1, order="F").tolist(), "y": y.reshape(-1, order="F").tolist(),
           "params": {} if loss in ("dice_coeff_loss", "tversky_loss") else {"agg": agg},
           "grad": ["yhat", "y"]}
    if loss in ("crossentropy", "logitcrossentropy") and agg == "sum":
        obj["params"]["weight"] = {"shape": [3], "data": [0.5, 1.5, 2.0]}
    if agg == "none" and loss not in ("dice_coeff_loss", "tversky_loss"):
        count = 2 if loss in ("crossentropy", "logitcrossentropy", "kldivergence") else n
        obj["cotangent"] = rng.normal(0, 1, count).tolist()
    return obj


class NumpyGradientTests(unittest.TestCase):
    def test_every_loss_matches_central_differences_of_its_own_value(self):
        rng = np.random.default_rng(5)
        for loss in numpy_adapter.LOSSES:
            for agg in ("mean", "sum", "none"):
                obj = benign_case(loss, agg, rng)
                got = ask(obj)["grad"]
                for which in ("yhat", "y"):
                    for i in range(len(obj[which])):
                        x = obj[which][i]
                        h = 1e-6 * max(1.0, abs(x))
                        fd = (scalar_loss(perturbed(obj, which, i, h)) - scalar_loss(perturbed(obj, which, i, -h))) / (2 * h)
                        with self.subTest(loss=loss, agg=agg, which=which, i=i):
                            self.assertTrue(math.isclose(got[which][i], fd, rel_tol=1e-5, abs_tol=1e-7),
                                            f"{got[which][i]} vs central difference {fd}")

    def test_xlogy_conventions_at_zero_targets(self):
        # ∂/∂y of xlogy(y, ŷ + ϵ) at y = 0 is log(ŷ + ϵ) (pytorch#80770), ∂/∂ŷ is exactly 0.
        a = ask({"id": "x", "loss": "crossentropy", "yhat": [0.25, 0.75], "y": [0.0, 1.0], "params": {"agg": "sum", "eps": 0.0},
                 "grad": ["yhat", "y"]})
        self.assertEqual(a["grad"]["yhat"][0], 0.0)
        self.assertAlmostEqual(a["grad"]["y"][0], -math.log(0.25), places=15)
        # xlogx's derivative at 0 is −∞, not NaN (pytorch#89558, optax#1786).
        a = ask({"id": "k", "loss": "kldivergence", "yhat": [0.5, 0.5], "y": [1.0, 0.0], "grad": ["yhat", "y"]})
        self.assertEqual(a["grad"]["y"][1], "-Infinity")


class BrokenGradientAdapterTests(unittest.TestCase):
    COMMAND = [sys.executable, os.path.join(HERE, "broken_gradient_adapter.py")]

    def test_values_are_right_and_the_three_gradients_are_broken(self):
        bce = [float(1 / (1 + np.exp(np.float32(50.0)))), 0.5]
        requests = [
            {"id": "mse", "loss": "mse", "yhat": [1.0, 3.0], "y": [0.0, 0.0], "grad": ["yhat"]},
            {"id": "lce", "loss": "logitcrossentropy", "shape": [2, 2], "yhat": [1.0, 2.0, 0.5, 0.0], "y": [0.0, 1.0, 1.0, 0.0], "grad": ["yhat"]},
            {"id": "bce", "loss": "binarycrossentropy", "dtype": "float32", "yhat": bce, "y": [1.0, 1.0], "grad": ["yhat"]},
        ]
        hello, bad = run_adapter(self.COMMAND + ["--bug", "all"], requests)
        self.assertIs(hello["gradients"], True)
        _, good = run_adapter(self.COMMAND + ["--bug", "none"], requests)
        for b, g in zip(bad, good):
            self.assertEqual(b["value"], g["value"], b["id"])
            self.assertEqual(g, ask(requests[[r["id"] for r in requests].index(g["id"])]))
        self.assertEqual(bad[0]["grad"]["yhat"], [-v for v in good[0]["grad"]["yhat"]])  # the sign
        self.assertEqual(bad[1]["grad"]["yhat"], [2 * v for v in good[1]["grad"]["yhat"]])  # ∇sum of 2 columns
        # PyTorch's clamp: −1/(2·1e-12) at ŷ = σ(−50) instead of Flux's −1/(2(ŷ + ϵ)) ≈ −4.2e6.
        self.assertAlmostEqual(bad[2]["grad"]["yhat"][0] / -5e11, 1.0, places=5)
        self.assertAlmostEqual(good[2]["grad"]["yhat"][0] / -4194304.0, 1.0, places=5)


@unittest.skipUnless(importable("torch"), "python cannot import torch")
class TorchAdapterTests(unittest.TestCase):
    def test_protocol_examples_and_autograd_through_the_formulas(self):
        for mode in ([], ["--native"]):
            hello, (a, b) = run_adapter([sys.executable, os.path.join(ADAPTERS, "torch_adapter.py")] + mode, [MAE_G1, MSE_NONE_G2])
            self.assertIs(hello["gradients"], True)
            self.assertEqual(a["grad"], {"yhat": [-0.5, 0.5], "y": [0.5, -0.5]}, mode)
            self.assertEqual(b["grad"], {"yhat": [2.0, 2.0]}, mode)


@unittest.skipUnless(importable("jax"), "python cannot import jax")
class JaxAdapterTests(unittest.TestCase):
    def test_protocol_examples_through_vjp(self):
        for mode in ([], ["--native"]):
            hello, (a, b) = run_adapter([sys.executable, os.path.join(ADAPTERS, "jax_adapter.py")] + mode, [MAE_G1, MSE_NONE_G2])
            self.assertIs(hello["gradients"], True)
            self.assertEqual(a["grad"], {"yhat": [-0.5, 0.5], "y": [0.5, -0.5]}, mode)
            self.assertEqual(b["grad"], {"yhat": [2.0, 2.0]}, mode)


if __name__ == "__main__":
    unittest.main()
