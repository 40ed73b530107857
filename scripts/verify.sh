#!/usr/bin/env bash
# The main job: builds losscheck in release mode and runs `losscheck verify`, which writes
# Reports/index.html and exits 0 only if every check holds. Extra arguments go to verify
# (e.g. --reports DIR, --oracle FILE, --quiet).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

# LossFast for this machine's AVX2/FMA when it has them (Package.swift; Benchmarks/README.md).
export LOSSFAST_NATIVE="${LOSSFAST_NATIVE:-1}"

swift build -c release --product losscheck
bin="$(swift build -c release --show-bin-path)"
exec "$bin/losscheck" verify "$@"
