"""``python3 -m losscheck``: grade an adapter on the golden vectors from Python (no Swift needed).

    python3 -m losscheck grade --adapter "python3 Conformance/adapters/numpy_adapter.py"
    python3 -m losscheck grade --adapter "…" --record answers.jsonl     # keep the answers
    python3 -m losscheck grade --replay answers.jsonl                   # grade them again
    python3 -m losscheck check-vectors                                  # manifest, digests, every line

The options, the table and the exit status (0 pass, 1 a gated case below the tier, 2 an input
or adapter error) are those of ``losscheck conform``.
"""

import argparse
import json
import sys
import time

from . import __version__
from .divergences import load_manifest
from .grading import GradingOptions
from .report import GateEvaluation, text_summary
from .runner import AdapterStartError, CommandChannel, Recorder, Replay, run
from .tiers import Tier
from .vectors import VectorFileError, content_id, find_vectors, load, select


def _parser():
    p = argparse.ArgumentParser(prog="python3 -m losscheck", description=__doc__.split("\n\n")[0])
    p.add_argument("--version", action="version", version=f"losscheck (python) {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade an adapter (or recorded answers) on the golden vectors")
    source = g.add_mutually_exclusive_group(required=True)
    source.add_argument("--adapter", help="the adapter's command line (run with /bin/sh -c)")
    source.add_argument("--replay", metavar="FILE", help="grade answers recorded with --record")
    g.add_argument("--record", metavar="FILE", help="record the adapter's answers (JSON Lines) for --replay")
    g.add_argument("--vectors", help="a directory of .jsonl files or one file (default: Conformance/vectors)")
    g.add_argument("--require", default="acceptable", choices=[t.value for t in Tier])
    g.add_argument("--gate-extreme", action="store_true")
    g.add_argument("--allow-nan-for-domain-error", action="store_true")
    g.add_argument("--divergences", action="append", default=[], metavar="FILE")
    g.add_argument("--loss", action="append", default=[])
    g.add_argument("--dtype", action="append", default=[], choices=["float32", "float64"])
    g.add_argument("--tag", action="append", default=[])
    g.add_argument("--regime", action="append", default=[], choices=["benign", "edge", "extreme"])
    g.add_argument("--id", action="append", default=[])
    g.add_argument("--timeout", type=float, default=10.0, help="seconds one case may take")
    g.add_argument("--startup-timeout", type=float, default=120.0)
    g.add_argument("--max-restarts", type=int, default=10)
    g.add_argument("--json", metavar="FILE", help="write every case's result (JSON)")
    g.add_argument("--quiet", action="store_true", help="print only the verdict line")
    c = sub.add_parser("check-vectors", help="check MANIFEST.json, the digests, every line and every id")
    c.add_argument("--vectors")
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "check-vectors":
            return _check_vectors(args)
        return _grade(args)
    except VectorFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _check_vectors(args):
    started = time.monotonic()
    vs = load(args.vectors or find_vectors())
    wrong = [c for c in vs if content_id(c) != c.id]
    for c in wrong[:10]:
        print(f"{c.file}:{c.line}: id {c.id} is not the content hash {content_id(c)}", file=sys.stderr)
    print(f"{len(vs)} cases in {vs.directory}: manifest {vs.manifest['schema']}, digests match, "
          f"{len(vs) - len(wrong)} ids match their content ({time.monotonic() - started:.2f} s)")
    return 1 if wrong else 0


def _grade(args):
    if args.timeout <= 0 or args.startup_timeout <= 0:
        print("error: timeouts must be positive", file=sys.stderr)
        return 2
    entries = []
    for path in args.divergences:
        entries += load_manifest(path)[1]
    vs = load(args.vectors or find_vectors())
    cases = select(vs.cases, loss=args.loss, dtype=args.dtype, regime=args.regime, tag=args.tag, id=args.id)
    if not cases:
        print("error: no case matches the selection (--loss, --dtype, --tag, --regime, --id)", file=sys.stderr)
        return 2
    factory = Replay(args.replay) if args.replay else CommandChannel(args.adapter, startup_timeout=args.startup_timeout)
    recorder = Recorder(factory) if args.record else None
    grading = GradingOptions(allow_nan_for_domain_error=args.allow_nan_for_domain_error)
    started = time.monotonic()
    try:
        session, results = run(cases, recorder or factory, case_timeout=args.timeout,
                               max_restarts=args.max_restarts, grading=grading)
    except AdapterStartError as error:
        print(f"error: the adapter could not be run: {error}", file=sys.stderr)
        return 2
    seconds = time.monotonic() - started
    if recorder:
        recorder.save(args.record)
    evaluation = GateEvaluation(results, Tier(args.require), args.gate_extreme, entries)
    hello = session.first_hello
    if args.quiet:
        print(f"{'PASS' if evaluation.passed else 'FAIL'}: {evaluation.summary()}")
    else:
        sys.stdout.write(text_summary(results, evaluation, hello.implementation, args.adapter or f"replay {args.replay}",
                                      f"{vs.directory} ({len(cases)} cases)", session.notes))
        print(f"graded in {seconds:.2f} s (python grader)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"schema": "losscheck-conform/1", "grader": "python", "implementation": hello.implementation,
                       "adapter": args.adapter or "", "options": {"require": args.require,
                                                                  "gateExtreme": args.gate_extreme},
                       "notes": session.notes, "divergences": [e.as_json() for e in entries],
                       "seconds": seconds, "cases": [r.as_json() for r in results]}, f, allow_nan=True)
    return evaluation.exit_status()


if __name__ == "__main__":
    sys.exit(main())
