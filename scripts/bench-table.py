#!/usr/bin/env python3
"""Turns one `losscheck bench --inputs peers --peers scripts/bench-peers.py` log into the Markdown
tables of Benchmarks/README.md: per dtype and size, LossFast's median (min–max), Gelem/s and
fraction of the streaming baseline, each peer's median, and LossFast's speed-up over the fastest
peer and over numpy (the peer's median time over LossFast's).

Usage: losscheck bench --threads 2 --inputs peers --peers scripts/bench-peers.py | tee bench.log
       scripts/bench-table.py bench.log
"""
import re
import sys

UNITS = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
PEERS = ["numpy", "jax", "torch", "torch.compile"]
TITLES = {"numpy": "numpy", "jax": "JAX jit", "torch": "torch", "torch.compile": "torch.compile"}


def seconds(text):
    value, unit = text.split()
    return float(value) * UNITS[unit]


def fmt(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            v = s / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return f"{s / 1e-9:.0f} ns"


def main(path):
    header = re.compile(r"^(float32|float64) n = (\d+): streaming baseline .*?\) ([\d.]+ \S+) \(([\d.]+ \S+)–([\d.]+ \S+)\), ([\d.]+) Gelem/s")
    row = re.compile(r"^  (\S+)\s+([\d.]+ \S+) \(([\d.]+ \S+)–([\d.]+ \S+)\)\s+([\d.]+) Gelem/s\s+(\d+)% of streaming(?:, (\d+)% of C streaming)?")
    c_loop = re.compile(r"plain C streaming loop .*?\) ([\d.]+ \S+) \(([\d.]+ \S+)–([\d.]+ \S+)\), ([\d.]+) Gelem/s")
    peer = re.compile(r"^(numpy|jax|torch|torch\.compile)\s+(\S+)\s+(float32|float64)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)")
    fast, streaming, c_streaming, peers, notes = {}, {}, {}, {}, []
    current = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if m := header.match(line):
            current = (m[1], int(m[2]))
            streaming[current] = (seconds(m[3]), float(m[6]))
            if c := c_loop.search(line):
                c_streaming[current] = (seconds(c[1]), float(c[4]))
        elif current and (m := row.match(line)):
            fast[current + (m[1],)] = (seconds(m[2]), seconds(m[3]), seconds(m[4]), float(m[5]), int(m[6]),
                                       int(m[7]) if m[7] else None)
        elif m := peer.match(line):
            peers[(m[3], int(m[4]), m[2], m[1])] = float(m[5])
        elif line.startswith("# ") or line.startswith("LossFast bench:") or line.startswith("machine:") \
                or line.startswith("LossFast vector path:") or line.startswith("warning:"):
            notes.append(line)
    for line in notes:
        print(f"    {line}")
    for key in sorted(streaming, key=lambda k: (k[0], k[1])):
        dtype, n = key
        base, rate = streaming[key]
        print(f"\n#### {dtype}, n = {n:.0e}".replace("e+0", "e"))
        c_text = ""
        if key in c_streaming:
            c_base, c_rate = c_streaming[key]
            c_text = f" Plain C streaming loop (Σ(ŷ − y)², same threads): {fmt(c_base)} = {c_rate:.2f} Gelem/s."
        print(f"\nStreaming baseline (read ŷ and y, sum): {fmt(base)} = {rate:.2f} Gelem/s.{c_text}"
              " \"% of C loop\": the plain C loop over each loss's own arrays, timed in turn with it"
              " (C loop time / LossFast time).\n")
        print("| loss | LossFast median (min–max) | Gelem/s | % of streaming | % of C loop | "
              + " | ".join(TITLES[p] for p in PEERS) + " | vs fastest peer | vs numpy |")
        print("|---" * (7 + len(PEERS)) + "|")
        for (d, size, loss), (median, lo, hi, grate, pct, cpct) in fast.items():
            if (d, size) != key:
                continue
            times = {p: peers.get((d, size, loss, p)) for p in PEERS}
            present = [t for t in times.values() if t is not None]
            fastest = f"{min(present) / median:.2f}×" if present else "—"
            vs_numpy = f"{times['numpy'] / median:.1f}×" if times["numpy"] else "—"
            cells = " | ".join(fmt(times[p]) if times[p] else "—" for p in PEERS)
            c_cell = f"{cpct}%" if cpct is not None else "—"
            print(f"| {loss} | {fmt(median)} ({fmt(lo)}–{fmt(hi)}) | {grate:.2f} | {pct}% | {c_cell} | {cells} | {fastest} | {vs_numpy} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdin")
