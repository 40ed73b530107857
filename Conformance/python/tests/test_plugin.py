"""The pytest plugin: one test per golden vector, outcomes that follow the gate, failure messages
that show the case, the exact value, the answer, its ulps and scaled error, the tier and the
replay command, and the options. The expected counts are computed by the Python grader on the
same implementation, in process, and compared with what pytest reports."""

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, SRC)

from losscheck import GateEvaluation, InProcess, Tier, load, load_manifest, run, select  # noqa: E402
from losscheck.results import Status  # noqa: E402

# A pure-Python mse (no numpy) with a seeded bug: the mean divides by n + 1.
IMPLEMENTATION = textwrap.dedent('''
    import math

    def _number(x):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(x, x) if isinstance(x, str) else float(x)

    def respond(obj):
        yhat = [_number(v) for v in obj["yhat"]]
        y = obj["y"]
        y = [_number(v) for v in y] if isinstance(y, list) else [_number(y)] * len(yhat)
        if len(y) != len(yhat) or obj.get("yshape", obj.get("shape")) != obj.get("shape"):
            return {"id": obj["id"], "error": {"kind": "DimensionMismatch", "message": "shapes differ"}}
        terms = [(a - b) ** 2 for a, b in zip(yhat, y)]
        agg = obj.get("params", {}).get("agg", "mean")
        if agg == "none":
            return {"id": obj["id"], "value": terms, "shape": obj.get("shape", [len(terms)])}
        if agg == "sum":
            return {"id": obj["id"], "value": math.fsum(terms)}
        return {"id": obj["id"], "value": math.fsum(terms) / (len(terms) + 1) if terms else math.nan}
''')

TEST_MODULE = IMPLEMENTATION + textwrap.dedent('''
    losscheck_name = "buggy pure-Python mse"
    losscheck_implementation = respond
    from losscheck.pytest_plugin import test_losscheck  # noqa: E402,F401
''')


def pytest_run(directory, *options):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", LOSSCHECK_VECTORS=os.path.join(REPO, "Conformance", "vectors"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "losscheck.pytest_plugin", "-p", "no:cacheprovider",
                           "-q", "-rN", "test_buggy_mse.py", "--losscheck-loss", "mse", *options],
                          cwd=directory, capture_output=True, text=True, timeout=600, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def counts(output):
    last = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)][-1]
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|xfailed|skipped|xpassed|errors?)", last)}


def expected_counts(require="acceptable", divergences=()):
    namespace = {}
    exec(IMPLEMENTATION, namespace)  # noqa: S102 - the same implementation, in process
    cases = select(load(os.path.join(REPO, "Conformance", "vectors")).cases, loss="mse")
    session, results = run(cases, InProcess(namespace["respond"], losses=["mse"]))
    evaluation = GateEvaluation(results, Tier(require), False, divergences)
    known = {r.id for r, _ in evaluation.known}
    failed = {r.id for r in evaluation.failures} | {r.id for r in evaluation.faults}
    extreme = {r.id for r in evaluation.extreme_below} - known
    skipped = {r.id for r in evaluation.unsupported}
    out = {"failed": len(failed), "xfailed": len(known | extreme),
           "skipped": len(skipped), "passed": len(results) - len(failed | known | extreme | skipped)}
    return {k: v for k, v in out.items() if v}, results


class Plugin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            import pytest  # noqa: F401,PLC0415
        except ImportError:
            raise unittest.SkipTest("pytest is not installed") from None
        cls.tmp = tempfile.mkdtemp(prefix="losscheck-plugin-")
        with open(os.path.join(cls.tmp, "test_buggy_mse.py"), "w", encoding="utf-8") as f:
            f.write(TEST_MODULE)

    def test_counts_and_messages(self):
        status, output = pytest_run(self.tmp)
        want, results = expected_counts()
        self.assertEqual(status, 1, output[-3000:])
        self.assertEqual(counts(output), want, output[-3000:])
        self.assertGreater(want["failed"], 10)
        # A failing case's message.
        failing = next(r for r in results if r.status == Status.GRADED and r.verdict.tier == Tier.DIVERGENT
                       and r.golden.expectation.outcome == "scalar" and r.verdict.ulps)
        block = output[output.index(f"{failing.id} ["):]
        block = block[: block.index("replay:")] + block[block.index("replay:"):].split("\n")[0]
        for text in [f"expected: {failing.golden.expectation.exact[0]}", f"answer:   {failing.answer}", "ulps",
                     "u·S (stable ≤", "tier:     divergent (required: acceptable)", f"vector:   {failing.golden.file}:",
                     f"replay:   losscheck conform --adapter \"<adapter command>\" --id {failing.id}"]:
            self.assertIn(text, block)
        # The summary table of losscheck conform.
        self.assertIn("losscheck conform — buggy pure-Python mse", output)
        self.assertRegex(output, r"mse\s+float32\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+0\s+0\s+0")

    def test_require_and_dtype(self):
        status, output = pytest_run(self.tmp, "--losscheck-require", "faithful", "--losscheck-dtype", "float64")
        want, _ = expected_counts("faithful")
        got = counts(output)
        self.assertEqual(sum(got.values()), len(select(load(os.path.join(REPO, "Conformance", "vectors")).cases,
                                                       loss="mse", dtype="float64")))
        self.assertGreaterEqual(got.get("failed", 0), 1)

    def test_divergences_manifest(self):
        manifest = os.path.join(self.tmp, "known.json")
        with open(manifest, "w", encoding="utf-8") as f:
            json.dump({"schema": "losscheck-divergences/1", "implementation": "buggy mse", "divergences": [
                {"loss": "mse", "tag": ["agg:mean", "agg:default"], "reason": "divides by n + 1 on purpose",
                 "link": "https://example.org/buggy-mse"}]}, f)
        status, output = pytest_run(self.tmp, "--losscheck-divergences", manifest)
        want, _ = expected_counts(divergences=load_manifest(manifest)[1])
        self.assertEqual(counts(output), want, output[-3000:])
        self.assertGreater(want["xfailed"], 30)

    def test_adapter_command(self):
        directory = tempfile.mkdtemp(prefix="losscheck-plugin-adapter-", dir=self.tmp)
        with open(os.path.join(directory, "test_buggy_mse.py"), "w", encoding="utf-8") as f:
            f.write(f"losscheck_adapter = {sys.executable!r} + ' ' + "
                    f"{os.path.join(REPO, 'Conformance', 'adapters', 'numpy_adapter.py')!r}\n"
                    "from losscheck.pytest_plugin import test_losscheck  # noqa: E402,F401\n")
        status, output = pytest_run(directory, "--losscheck-dtype", "float32")
        self.assertEqual(status, 0, output[-3000:])
        self.assertIn("numpy-flux", output)
        self.assertNotIn("failed", counts(output))


if __name__ == "__main__":
    unittest.main()
