#!/usr/bin/env bash
# Benchmark (not a test): LossSpec's time on kldivergence(p, p) with ϵ = 0, an exact cancellation
# (issue 12, item 9). For each n it times `losscheck eval --impl spec` on two seeded random Float32
# probability arrays: 10 classes × n/10 columns, and a single column of n classes (agg = mean,
# eps = 0), and prints the wall time, the answer and the time of an ordinary non-cancelling case
# of the same size (KL(p, q), q another random array) for comparison.
#
#   scripts/bench-spec-cancellation.sh                 # builds losscheck (release), n = 1e2 … 1e5
#   SIZES="100 1000" scripts/bench-spec-cancellation.sh
#   LOSSCHECK=/path/to/losscheck scripts/bench-spec-cancellation.sh   # another build (e.g. an older commit)
#
# Wall times include the process start and the JSON decoding of the request (≈ 0.1 s at 1e5).
# Set TIMEOUT (seconds, default 1200) to give up on one case; it is then reported as "> TIMEOUT s".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${LOSSCHECK:-}" ]; then
  scripts/bootstrap.sh >/dev/null
  export LOSSFAST_NATIVE="${LOSSFAST_NATIVE:-1}"
  swift build -c release --product losscheck >&2
  LOSSCHECK="$(swift build -c release --show-bin-path)/losscheck"
fi
SIZES="${SIZES:-100 1000 10000 100000}"
TIMEOUT="${TIMEOUT:-1200}"

exec python3 - "$LOSSCHECK" "$TIMEOUT" $SIZES <<'PY'
import json, random, struct, subprocess, sys, time

binary, timeout, sizes = sys.argv[1], float(sys.argv[2]), [int(s) for s in sys.argv[3:]]

def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]

def probabilities(rng, classes, columns):
    values = []
    for _ in range(columns):
        column = [rng.random() + 1e-3 for _ in range(classes)]
        total = sum(column)
        values += [f32(v / total) for v in column]
    return values

def run(request):
    text = json.dumps(request)
    start = time.perf_counter()
    try:
        done = subprocess.run([binary, "eval", "--impl", "spec", "--format", "json", "--json", "-"],
                              input=text, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"(gave up after {timeout:g} s)"
    elapsed = time.perf_counter() - start
    answer = done.stdout.strip() or done.stderr.strip()
    return elapsed, answer

print(f"losscheck: {binary}")
print(f"{'case':<34} {'n':>7} {'seconds':>9}  answer")
for n in sizes:
    rng = random.Random(12 + n)
    for label, classes in (("KL(p,p) eps=0, 10 x n/10", 10), ("KL(p,p) eps=0, 1 column", n)):
        columns = n // classes
        p = probabilities(rng, classes, columns)
        shape = [classes, columns] if classes != n else [n]
        request = {"id": f"kl-pp-{n}", "loss": "kldivergence", "dtype": "float32", "shape": shape,
                   "yhat": p, "y": p, "params": {"eps": 0}}
        elapsed, answer = run(request)
        seconds = f"{elapsed:9.2f}" if elapsed is not None else f"> {timeout:g}".rjust(9)
        print(f"{label:<34} {n:>7} {seconds}  {answer[:90]}", flush=True)
    q = probabilities(rng, 10, n // 10)
    p = probabilities(rng, 10, n // 10)
    request = {"id": f"kl-pq-{n}", "loss": "kldivergence", "dtype": "float32", "shape": [10, n // 10],
               "yhat": q, "y": p, "params": {"eps": 0}}
    elapsed, answer = run(request)
    seconds = f"{elapsed:9.2f}" if elapsed is not None else f"> {timeout:g}".rjust(9)
    print(f"{'KL(p,q) eps=0, 10 x n/10 (control)':<34} {n:>7} {seconds}  {answer[:90]}", flush=True)
PY
