#!/usr/bin/env python3
"""Half-precision smoke check of the Python adapters against the mpmath oracle (issue 15).

Sends the requests of Conformance/oracle/half_cases.jsonl (each line without its "oracle" member)
to each adapter over losscheck/1 and compares every answered number with the oracle's correctly
rounded value in the request's dtype (`oracle.float16` / `oracle.bfloat16`). Prints, per adapter,
loss and dtype: the cases answered, how many are exactly the correctly rounded value (every
element), how many are within 1 ulp of it (in the dtype, subnormal spacing below the normal
range), how many have another outcome class (NaN, ±∞, an error or a value where the oracle has
another), and the worst finite error in ulps of the dtype with its case id. No Swift involved.

    python3 scripts/half-smoke.py                       # every adapter found importable
    python3 scripts/half-smoke.py --adapter numpy --adapter "torch --autocast --native"
    python3 scripts/half-smoke.py --markdown FILE       # also write the tables as Markdown

Every adapter process runs with a timeout (--timeout, default 900 s per adapter).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections import OrderedDict, defaultdict
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "Conformance", "oracle", "half_cases.jsonl")
ADAPTERS = os.path.join(ROOT, "Conformance", "adapters")
FORMATS = {"float16": (11, -14, 15), "bfloat16": (8, -126, 127)}  # precision, emin, emax
DEFAULT = ["numpy", "torch", "torch --native", "torch --autocast", "torch --autocast --native", "jax", "jax --native"]
ERROR_KINDS = ("DomainError", "DimensionMismatch", "ArgumentError")


def number(x):
    """A protocol number, or an oracle string ("2.365", "NaN", "Infinity", "-Infinity")."""
    specials = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    return specials[x] if isinstance(x, str) and x in specials else float(x)


def rounded(x, dtype):
    """A float rounded once to the dtype (the adapters already write dtype values; a decimal read
    back is rounded, as the protocol reads it)."""
    if not math.isfinite(x) or x == 0:
        return x
    p, emin, emax = FORMATS[dtype]
    q = Fraction(x)
    a = abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if a < Fraction(2) ** e:
        e -= 1
    quantum = max(e, emin) - (p - 1)
    value = round(a / Fraction(2) ** quantum) * Fraction(2) ** quantum  # ties to even
    v = float(value) if value < Fraction(2) ** (emax + 1) else math.inf
    return -v if q < 0 else v


def ulp(c, dtype):
    p, emin, _ = FORMATS[dtype]
    if c == 0:
        return math.ldexp(1.0, emin - p + 1)
    return math.ldexp(1.0, max(math.frexp(abs(c))[1] - 1, emin) - p + 1)


def klass(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return "finite"


def compare(case, answer):
    """(status, worst ulps or None): status is 'cr', 'ulp1', 'far' or 'class' (another outcome)."""
    o = case["oracle"]
    dtype = case["dtype"]
    if o["outcome"] in ERROR_KINDS:
        ok = "error" in answer and answer["error"].get("kind") == o["outcome"]
        return ("cr" if ok else "class"), None
    if "value" not in answer:
        return "class", None
    want = o[dtype] if isinstance(o[dtype], list) else [o[dtype]]
    got = answer["value"] if isinstance(answer["value"], list) else [answer["value"]]
    if len(want) != len(got):
        return "class", None
    worst, status = 0.0, "cr"
    for w, g in zip(want, got):
        c, r = number(w), rounded(number(g), dtype)
        if math.isnan(c) or math.isnan(r) or math.isinf(c) or math.isinf(r):
            if klass(c) != klass(r):
                return "class", None
            continue
        if r == c:
            continue
        u = abs(r - c) / ulp(c, dtype)
        worst = max(worst, u)
        status = "ulp1" if u <= 1 and status == "cr" else ("far" if u > 1 else status)
    return status, worst


def run(adapter, cases, timeout):
    words = adapter.split()
    command = [sys.executable, os.path.join(ADAPTERS, f"{words[0]}_adapter.py")] + words[1:]
    text = "".join(json.dumps(OrderedDict((k, v) for k, v in c.items() if k != "oracle")) + "\n" for c in cases)
    started = time.time()
    out = subprocess.run(command, input=text, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    if out.returncode != 0 or len(lines) != len(cases) + 1:
        raise RuntimeError(f"{adapter}: status {out.returncode}, {len(lines)} lines; {out.stderr[-1500:]}")
    return lines[0], lines[1:], time.time() - started


def table(adapter, hello, cases, answers, seconds):
    rows = defaultdict(lambda: {"n": 0, "cr": 0, "ulp1": 0, "class": 0, "unsupported": 0, "worst": (0.0, "")})
    by_category = defaultdict(lambda: {"n": 0, "cr": 0, "ulp1": 0, "class": 0, "unsupported": 0, "worst": (0.0, "")})
    mismatches = []
    for case, a in zip(cases, answers):
        row = rows[(case["loss"], case["dtype"])]
        row2 = by_category[(case["oracle"]["category"], case["dtype"])]
        tally(row2, case, a)
        if a.get("id") != case["id"]:
            raise RuntimeError(f"{adapter}: answer {a.get('id')} for {case['id']}")
        if "unsupported" in a:
            row["unsupported"] += 1
            continue
        row["n"] += 1
        status, worst = compare(case, a)
        if status == "cr":
            row["cr"] += 1
            row["ulp1"] += 1
        elif status == "ulp1":
            row["ulp1"] += 1
        elif status == "class":
            row["class"] += 1
            o = case["oracle"]
            want = o["outcome"] if o["outcome"] in ERROR_KINDS else o[case["dtype"]]
            got = a["error"]["kind"] if "error" in a else a.get("value")
            mismatches.append(f"{case['id']}: oracle {short(want)}, answer {short(got)}")
        if worst is not None and worst > row["worst"][0]:
            row["worst"] = (worst, case["id"])
    lines = [f"### {hello['implementation']} (`{adapter}`, {seconds:.0f} s)", "",
             "| loss | dtype | cases | correctly rounded | ≤ 1 ulp | other class | worst ulps | worst case |",
             "|---|---|---|---|---|---|---|---|"]
    for (loss, dtype), r in sorted(rows.items()):
        w, wid = r["worst"]
        unsup = f" (+{r['unsupported']} unsupported)" if r["unsupported"] else ""
        lines.append(f"| {loss} | {dtype} | {r['n']}{unsup} | {r['cr']} | {r['ulp1']} | {r['class']} | "
                     f"{w:.4g} | {wid} |")
    total = {k: sum(r[k] for r in rows.values()) for k in ("n", "cr", "ulp1", "class", "unsupported")}
    lines.append(f"| **all** | | {total['n']} | {total['cr']} | {total['ulp1']} | {total['class']} | | |")
    lines += ["", "By category:", "", "| category | dtype | cases | correctly rounded | ≤ 1 ulp | other class | worst ulps | worst case |",
              "|---|---|---|---|---|---|---|---|"]
    for (category, dtype), r in sorted(by_category.items()):
        w, wid = r["worst"]
        unsup = f" (+{r['unsupported']} unsupported)" if r["unsupported"] else ""
        lines.append(f"| {category} | {dtype} | {r['n']}{unsup} | {r['cr']} | {r['ulp1']} | {r['class']} | "
                     f"{w:.4g} | {wid} |")
    if mismatches:
        lines += ["", "Other outcome class:", ""] + [f"- {m}" for m in mismatches]
    return "\n".join(lines) + "\n"


def tally(row, case, a):
    """Counts one answer into a row of the by-category table."""
    if "unsupported" in a:
        row["unsupported"] += 1
        return
    row["n"] += 1
    status, worst = compare(case, a)
    row["cr"] += status == "cr"
    row["ulp1"] += status in ("cr", "ulp1")
    row["class"] += status == "class"
    if worst is not None and worst > row["worst"][0]:
        row["worst"] = (worst, case["id"])


def short(x):
    text = json.dumps(x)
    return text if len(text) <= 60 else text[:57] + "…"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", action="append", help="numpy, torch [--native] [--autocast], jax [--native]")
    ap.add_argument("--cases", default=CASES)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--markdown")
    args = ap.parse_args(argv)
    with open(args.cases, encoding="utf-8") as f:
        cases = [json.loads(line, object_pairs_hook=OrderedDict) for line in f if line.strip()]
    out = []
    for adapter in args.adapter or DEFAULT:
        module = adapter.split()[0]
        if module != "numpy" and subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                                                timeout=300).returncode != 0:
            print(f"half-smoke: {adapter}: SKIPPED ({module} is not importable)")
            continue
        hello, answers, seconds = run(adapter, cases, args.timeout)
        text = table(adapter, hello, cases, answers, seconds)
        print(text, flush=True)
        out.append(text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("# Half-precision smoke check (scripts/half-smoke.py)\n\n" + "\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
