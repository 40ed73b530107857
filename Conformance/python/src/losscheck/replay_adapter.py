#!/usr/bin/env python3
"""A losscheck/1 adapter that replays recorded answers (standard library only, runs by path).

    python3 replay_adapter.py answers.jsonl

``answers.jsonl`` is written by ``python3 -m losscheck grade --adapter … --record answers.jsonl``
(``losscheck.runner.Recorder``): the adapter's hello line, then per case id the events the
grader saw while waiting for that case's answer. For each request this adapter writes the same
events back, so ``losscheck conform --adapter "python3 replay_adapter.py answers.jsonl"`` grades
exactly the answers the Python grader graded:

- ``["line", text]``: writes the line (stale lines, garbage, wrong ids and all);
- ``["oversized", n]``: writes a line of ``n`` bytes (longer than the grader's limit);
- ``["end"]``: exits with status 3 without answering (a crash; the runner restarts it);
- ``["timeout"]``: sleeps for an hour (the runner's per-case timeout kills it);
- ``["send", "closed"]``: exits at once, before reading on.

A request whose id was not recorded gets an ``Other`` error saying so.
"""

import json
import os
import sys
import time


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: replay_adapter.py answers.jsonl\n")
        return 2
    hello = None
    records = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            if "hello" in record:
                hello = record["hello"]
            else:
                records[record["id"]] = record["events"]
    out = sys.stdout.buffer
    out.write(hello.encode("utf-8") + b"\n")
    out.flush()
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            case_id = json.loads(line).get("id", "")
        except ValueError:
            case_id = ""
        events = records.get(case_id)
        if events is None:
            answer = {"id": case_id, "error": {"kind": "Other", "message": "not recorded"}}
            events = [["line", json.dumps(answer)]]
        for event in events:
            kind = event[0]
            if kind == "line":
                out.write(event[1].encode("utf-8") + b"\n")
            elif kind == "oversized":
                out.write(b"x" * int(event[1]) + b"\n")
            elif kind == "end":
                out.flush()
                os._exit(3)
            elif kind == "timeout":
                out.flush()
                time.sleep(3600)
            elif kind == "send":
                out.flush()
                os._exit(4)
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
