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

# The adapters' gradient extension (Conformance/adapters/testing/test_adapter_gradients.py): the
# shared protocol code, numpy's gradients against central differences, the broken gradient
# adapter; torch and JAX when python imports them. Needs python3 with numpy, else SKIPPED.
if command -v python3 >/dev/null 2>&1 && python3 -c "import numpy" 2>/dev/null; then
  timeout 900 python3 -m unittest discover -s Conformance/adapters/testing -p 'test_*.py'
else
  echo "test.sh: adapter gradient tests SKIPPED: python3 with numpy is not installed"
fi

swift format lint --strict --recursive Sources Tests Package.swift

# The DocC catalogs and doc comments of every library module, warnings as errors (broken
# ``Symbol`` links, undocumented parameters); about 15 s; prints SKIPPED without docc.
scripts/docs.sh
echo "test.sh: all tests passed and the sources are formatted"
