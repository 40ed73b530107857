"""The Python grader and ``losscheck conform`` grade the same recorded answers identically.

For each adapter: its answers to every golden vector are recorded once by the Python runner
(``Recorder``: every line read, stale lines, garbage, oversized lines, crashes, hangs); the Python
grader grades the recording (``Replay``), and ``losscheck conform`` grades it through
``replay_adapter.py``, which writes the same lines back. Both must give every case the same
status, fault kind, tier, term count, ulps and scaled error (the same Double, bit for bit), worst
element, bounds, note and descriptions, and the same counts per tier; the runs' notes (stale
lines skipped, restarts) must agree too. Fault details are compared by kind only: they quote
standard error (not replayed) and each JSON parser's own message.

Environment: ``LOSSCHECK_BIN`` (default ``.build/debug/losscheck`` under the repository root) is
the binary; without it, or without numpy for the Python adapters, the tests are skipped with the
reason. ``LOSSCHECK_AGREEMENT_SPEC=1`` adds ``losscheck serve --impl spec`` (about 20 s in a
debug build). Run with ``python3 -m pytest`` or ``python3 -m unittest`` from this directory.
"""

import collections
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
sys.path.insert(0, os.path.join(PACKAGE_ROOT, "src"))

from losscheck import load, tier_counts  # noqa: E402
from losscheck.runner import CommandChannel, Recorder, Replay, run  # noqa: E402

BIN = os.environ.get("LOSSCHECK_BIN") or os.path.join(REPO, ".build", "debug", "losscheck")
if not os.path.isabs(BIN):
    BIN = os.path.join(REPO, BIN)
REPLAY = os.path.join(PACKAGE_ROOT, "src", "losscheck", "replay_adapter.py")
PY = shlex.quote(sys.executable)
ADAPTERS = os.path.join(REPO, "Conformance", "adapters")

try:
    import numpy  # noqa: F401

    HAVE_NUMPY = True
except ImportError:
    HAVE_NUMPY = False

# (name, command, needs numpy, recording timeout per case in seconds)
FAULT = f"{PY} {ADAPTERS}/testing/fault_adapter.py --mode"
CASES = [
    ("numpy", f"{PY} {ADAPTERS}/numpy_adapter.py", True),
    ("buggy-nan-dropped", f"{PY} {ADAPTERS}/testing/buggy_adapter.py --bug nan-dropped", True),
    ("buggy-f32-sequential", f"{PY} {ADAPTERS}/testing/buggy_adapter.py --bug f32-sequential", True),
    ("buggy-keras-clip", f"{PY} {ADAPTERS}/testing/buggy_adapter.py --bug keras-clip", True),
    ("fault-crash", f"{FAULT} crash --id mse-f32-618ba081f593", True),
    ("fault-hang", f"{FAULT} hang --id mae-f64-bb58fadb32a4", True),
    ("fault-garbage", f"{FAULT} garbage --at 5", True),
    ("fault-wrong-id", f"{FAULT} wrong-id --at 7", True),
    ("fault-missing-field", f"{FAULT} missing-field --at 11", True),
    ("fault-huge", f"{FAULT} huge --at 3", True),
    ("fault-out-of-order", f"{FAULT} out-of-order --at 9", True),
    ("losscheck-fast", f"{shlex.quote(BIN)} serve --impl fast", False),
]
if os.environ.get("LOSSCHECK_AGREEMENT_SPEC") == "1":
    CASES.append(("losscheck-spec", f"{shlex.quote(BIN)} serve --impl spec", False))

#: Per-case timeouts: the recording waits this long for an answer (a hang costs this much once);
#: losscheck grades the replay with a shorter one (the replayed hang sleeps).
RECORD_TIMEOUT = 3.0
REPLAY_TIMEOUT = 2.0
#: Upper bounds of whole runs (every external process has a timeout).
RUN_LIMIT = 900

_VECTORS = []


def vectors():
    if not _VECTORS:
        _VECTORS.append(load(os.path.join(REPO, "Conformance", "vectors")))
    return _VECTORS[0]


def compare(swift, python_results, python_notes):
    """Differences between losscheck's report and the Python grader's results, as readable lines."""
    problems = []
    by_id = {c["id"]: c for c in swift["cases"]}
    if len(by_id) != len(python_results):
        problems.append(f"losscheck graded {len(by_id)} cases, the Python grader {len(python_results)}")
    for r in python_results:
        s = by_id.get(r.id)
        if s is None:
            problems.append(f"{r.id}: missing from losscheck's report")
            continue
        mine = r.as_json()
        keys = ["status", "fault", "terms", "expected"]
        if r.status.value != "fault":
            keys += ["answer", "detail"]
        for key in keys:
            if s.get(key) != mine.get(key):
                problems.append(f"{r.id}: {key}: losscheck {s.get(key)!r}, python {mine.get(key)!r}")
        sv, pv = s.get("verdict"), mine.get("verdict")
        if (sv is None) != (pv is None):
            problems.append(f"{r.id}: verdict: losscheck {sv!r}, python {pv!r}")
        elif sv is not None:
            for key in ["tier", "ulps", "scaled", "worstIndex", "nanForDomainError", "stableBound", "acceptableBound",
                        "note"]:
                a, b = sv.get(key), pv.get(key)
                if isinstance(a, str) and a in ("Infinity", "-Infinity", "NaN") and isinstance(b, float):
                    a = float(a)
                if a != b and not (a != a and b != b):
                    problems.append(f"{r.id}: verdict.{key}: losscheck {a!r}, python {b!r}")
    if sorted(swift.get("notes", [])) != sorted(python_notes):
        problems.append(f"notes: losscheck {swift.get('notes')!r}, python {python_notes!r}")
    return problems


def swift_counts(report):
    counts = collections.Counter()
    for c in report["cases"]:
        if c["status"] == "graded":
            counts[c["verdict"]["tier"]] += 1
        elif c["status"] == "fault":
            counts[f"fault:{c['fault']}"] += 1
        else:
            counts["unsupported"] += 1
    return dict(counts)


# The Python grader grades values only (gradient vectors are graded by ``losscheck conform``
# alone, Conformance/PROTOCOL.md "Gradient grading"): the comparison runs conform on the value
# vectors, whatever the adapter's hello says about gradients.
VALUES_ONLY = ("--gradients", "off")


def conform(command, json_path, timeout=REPLAY_TIMEOUT):
    """Runs ``losscheck conform`` (exit 0, 1 or 2 are verdicts; anything else is an error)."""
    proc = subprocess.run(
        [BIN, "conform", "--adapter", command, "--json", json_path, "--quiet", "--timeout", str(timeout),
         "--vectors", os.path.join(REPO, "Conformance", "vectors"), *VALUES_ONLY],
        cwd=REPO, capture_output=True, text=True, timeout=RUN_LIMIT)
    if proc.returncode not in (0, 1, 2) or not os.path.exists(json_path):
        raise AssertionError(f"losscheck conform failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    with open(json_path, encoding="utf-8") as f:
        return json.load(f), proc.stdout.strip()


class Agreement(unittest.TestCase):
    """One test per adapter (generated below)."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(BIN):
            raise unittest.SkipTest(f"no losscheck binary at {BIN} (build it, or set LOSSCHECK_BIN)")

    def check_adapter(self, name, command, needs_numpy):
        if needs_numpy and not HAVE_NUMPY:
            self.skipTest(f"{name}: the adapter needs numpy, which is not installed")
        cases = vectors().cases
        with tempfile.TemporaryDirectory(prefix=f"losscheck-agreement-{name}-") as tmp:
            recording = os.path.join(tmp, "answers.jsonl")
            recorder = Recorder(CommandChannel(command, startup_timeout=120, cwd=REPO))
            started = time.monotonic()
            run(cases, recorder, case_timeout=RECORD_TIMEOUT)
            recorder.save(recording)
            recorded = time.monotonic() - started
            started = time.monotonic()
            session, results = run(cases, Replay(recording), case_timeout=REPLAY_TIMEOUT)
            graded = time.monotonic() - started
            report, verdict = conform(f"{PY} {shlex.quote(REPLAY)} {shlex.quote(recording)}", os.path.join(tmp, "s.json"))
        problems = compare(report, results, session.notes)
        python_counts = tier_counts(results)
        self.assertEqual(swift_counts(report), python_counts, f"{name}: counts per tier differ")
        self.assertEqual(len(results), len(cases))
        self.assertEqual(problems, [], f"{name}: {len(problems)} differences, first: {problems[:5]}")
        sys.stderr.write(f"\n  {name}: {len(results)} cases, identical; {dict(sorted(python_counts.items()))}; "
                         f"recorded in {recorded:.1f} s, python graded in {graded:.2f} s; losscheck: {verdict}\n")


def _make(name, command, needs_numpy):
    def test(self):
        self.check_adapter(name, command, needs_numpy)

    test.__name__ = f"test_{name.replace('-', '_')}"
    test.__doc__ = f"{name}: {command}"
    return test


for _name, _command, _needs in CASES:
    setattr(Agreement, f"test_{_name.replace('-', '_')}", _make(_name, _command, _needs))


class DirectRun(unittest.TestCase):
    """losscheck running the numpy adapter itself agrees with the Python grader running it itself
    (no recording in between: the adapter is deterministic)."""

    def test_numpy_direct(self):
        if not os.path.exists(BIN):
            self.skipTest(f"no losscheck binary at {BIN} (build it, or set LOSSCHECK_BIN)")
        if not HAVE_NUMPY:
            self.skipTest("the numpy adapter needs numpy, which is not installed")
        command = f"{PY} {ADAPTERS}/numpy_adapter.py"
        session, results = run(vectors().cases, CommandChannel(command, cwd=REPO), case_timeout=10)
        with tempfile.TemporaryDirectory(prefix="losscheck-agreement-direct-") as tmp:
            report, _ = conform(command, os.path.join(tmp, "s.json"), timeout=10)
        self.assertEqual(compare(report, results, session.notes), [])
        self.assertEqual(swift_counts(report), tier_counts(results))


def table_rows(output):
    """The rows of losscheck conform's table (loss, dtype and the eight counts) in ``output``."""
    rows = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 10 and parts[1] in ("float32", "float64") and all(p.isdigit() for p in parts[2:10]):
            rows.append(tuple(parts[:10]))
    return rows


class ExampleTable(unittest.TestCase):
    """``pytest examples/test_numpy_losses.py`` (the numpy adapter's functions in process) prints the
    same table of tiers as ``losscheck conform --adapter "python3 …/numpy_adapter.py"``."""

    def test_numpy_example_table(self):
        if not os.path.exists(BIN):
            self.skipTest(f"no losscheck binary at {BIN} (build it, or set LOSSCHECK_BIN)")
        if not HAVE_NUMPY:
            self.skipTest("the numpy example needs numpy, which is not installed")
        try:
            import pytest  # noqa: F401,PLC0415
        except ImportError:
            self.skipTest("pytest is not installed")
        env = dict(os.environ, PYTHONPATH=os.path.join(PACKAGE_ROOT, "src"), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
        example = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "losscheck.pytest_plugin", "-p", "no:cacheprovider", "-q",
             os.path.join(PACKAGE_ROOT, "examples", "test_numpy_losses.py")],
            cwd=REPO, capture_output=True, text=True, timeout=RUN_LIMIT, env=env)
        swift = subprocess.run(
            [BIN, "conform", "--adapter", f"{PY} {ADAPTERS}/numpy_adapter.py",
             "--vectors", os.path.join(REPO, "Conformance", "vectors"), *VALUES_ONLY,
             "--dtype", "float32", "--dtype", "float64"],
            cwd=REPO, capture_output=True, text=True, timeout=RUN_LIMIT)
        mine, theirs = table_rows(example.stdout), table_rows(swift.stdout)
        self.assertEqual(len(theirs), 28, swift.stdout[-2000:])
        self.assertEqual(mine, theirs, example.stdout[-3000:])
        # The verdict line too: the same counts of gated cases in the same words.
        # The example lists Float32 and Float64 only: its half-precision cases are reported
        # unsupported, where the Swift run above is restricted to the same two dtypes.
        def verdict(output):
            lines = [line for line in output.splitlines() if line.startswith(("PASS: ", "FAIL: "))][-1:]
            return [re.sub(r"; \d+ unsupported", "", line) for line in lines]
        self.assertEqual(verdict(example.stdout), verdict(swift.stdout))
        self.assertEqual(example.returncode, 0, example.stdout[-3000:])


if __name__ == "__main__":
    unittest.main()
