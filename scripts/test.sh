#!/usr/bin/env bash
# The tests: every test target (Swift Testing), then the formatting lint.
# Warnings are errors for every target of this package (Package.swift: .treatAllWarnings(as: .error)).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

# LossFast for this machine's AVX2/FMA when it has them (Package.swift; Benchmarks/README.md).
export LOSSFAST_NATIVE="${LOSSFAST_NATIVE:-1}"

swift build --build-tests

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
swift test 2>&1 | tee "$log"
# `swift test` succeeds when no test ran at all; that must not pass.
if ! grep -Eq 'Test run with [1-9][0-9]* tests? .*passed' "$log"; then
  echo "test.sh: no Swift Testing tests ran" >&2
  exit 1
fi

# The Python grader (Conformance/python): its unit tests, and its agreement with `losscheck
# conform` on the same recorded answers of 12 adapters (the debug losscheck built above); about
# 2 minutes on 2 cores; prints SKIPPED without python3.
scripts/python-grader-test.sh

swift format lint --strict --recursive Sources Tests Package.swift

# The DocC catalogs and doc comments of every library module, warnings as errors (broken
# ``Symbol`` links, undocumented parameters); about 15 s; prints SKIPPED without docc.
scripts/docs.sh
echo "test.sh: all tests passed and the sources are formatted"
