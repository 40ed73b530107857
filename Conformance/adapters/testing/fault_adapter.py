#!/usr/bin/env python3
"""An adapter that misbehaves on purpose, to show that `losscheck conform` copes.

    python3 Conformance/adapters/testing/fault_adapter.py --mode MODE [--at K | --id CASE]

It answers correctly (with the numpy port) except on its K-th request (1-based, default 2), or on
the request with the id CASE (which survives a restart: a restarted adapter counts from 1 again):

  crash          exits with status 3 without answering
  hang           sleeps for an hour without answering
  garbage        writes a line that is not JSON
  wrong-id       answers with an id that was never sent
  missing-field  answers {"id": …} with no value, error or unsupported
  huge           answers with a 3 MB line
  out-of-order   first repeats its previous answer (an earlier id), then answers
  exit-at-start  exits with status 1 before its hello line (no K)
  bad-hello      says it speaks losscheck/0 (no K)
  no-hello       writes nothing and sleeps (no K)
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import numpy_adapter  # noqa: E402
from losscheck_adapter import PROTOCOL, LossError, Request, Unsupported, _answer  # noqa: E402

import numpy as np  # noqa: E402


def answer(obj):
    try:
        req = Request(obj)
        with np.errstate(all="ignore"):
            return _answer(obj.get("id", ""), numpy_adapter.LOSSES[req.loss](req), req.dtype)
    except LossError as e:
        return {"id": obj.get("id", ""), "error": {"kind": e.kind, "message": str(e)}}
    except Unsupported as e:
        return {"id": obj.get("id", ""), "unsupported": str(e)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", required=True)
    parser.add_argument("--at", type=int, default=2)
    parser.add_argument("--id", default=None)
    args = parser.parse_args()
    out = sys.stdout

    def write(obj_or_text):
        out.write((obj_or_text if isinstance(obj_or_text, str) else json.dumps(obj_or_text)) + "\n")
        out.flush()

    if args.mode == "exit-at-start":
        sys.stderr.write("fault_adapter: failing on purpose before the hello line\n")
        sys.exit(1)
    if args.mode == "no-hello":
        time.sleep(3600)
    protocol = "losscheck/0" if args.mode == "bad-hello" else PROTOCOL
    write({"protocol": protocol, "implementation": f"fault adapter ({args.mode})",
           "losses": sorted(numpy_adapter.LOSSES), "dtypes": ["float32", "float64"]})
    previous = None
    for count, line in enumerate(sys.stdin, start=1):
        obj = json.loads(line)
        if (obj.get("id") == args.id) if args.id is not None else (count == args.at):
            if args.mode == "crash":
                sys.stderr.write("fault_adapter: crashing on purpose\n")
                sys.stderr.flush()
                os._exit(3)
            if args.mode == "hang":
                time.sleep(3600)
            if args.mode == "garbage":
                write("this is not JSON {")
                continue
            if args.mode == "wrong-id":
                write({"id": "never-sent", "value": 1.0})
                continue
            if args.mode == "missing-field":
                write({"id": obj.get("id", "")})
                continue
            if args.mode == "huge":
                write({"id": obj.get("id", ""), "value": 1.0, "padding": "x" * 3_000_000})
                continue
            if args.mode == "out-of-order" and previous is not None:
                write(previous)
        previous = answer(obj)
        write(previous)


if __name__ == "__main__":
    main()
