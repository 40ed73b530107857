#!/usr/bin/env bash
# Tests of the Python grader (Conformance/python, issue 16), runnable without a Swift toolchain
# except for the agreement tests, which need a losscheck binary and skip (saying so) without one.
#
#   scripts/python-grader-test.sh            # install into .venv-grader, run the package's tests
#   LOSSCHECK_BIN=.build/release/losscheck scripts/python-grader-test.sh
#
# The package is installed into .venv-grader (a venv that sees the system's numpy and pytest)
# with `pip install --no-index`: its build backend (Conformance/python/build_backend) needs
# nothing, so this works offline. Then, from Conformance/python: the unit tests (vectors,
# numbers, tiers, the plugin), the agreement with `losscheck conform` on the same recorded
# answers of 12 adapters (tests/test_agreement.py), and the numpy example through the installed
# pytest plugin. Without pytest the unit tests run with unittest. Every step has a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v python3 >/dev/null 2>&1; then
  echo "python-grader-test: SKIPPED: python3 is not installed"
  exit 0
fi
export LOSSCHECK_BIN="${LOSSCHECK_BIN:-$root/.build/debug/losscheck}"
case "$LOSSCHECK_BIN" in /*) ;; *) LOSSCHECK_BIN="$root/$LOSSCHECK_BIN" ;; esac
if [ ! -x "$LOSSCHECK_BIN" ]; then
  echo "python-grader-test: note: no losscheck binary at $LOSSCHECK_BIN: the agreement tests will be skipped"
fi

venv="$root/.venv-grader"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "" 2>/dev/null; then
  rm -rf "$venv"
  timeout 300 python3 -m venv --system-site-packages "$venv"
fi
timeout 300 "$venv/bin/python" -m pip install --quiet --no-index --no-deps --force-reinstall \
  --disable-pip-version-check "$root/Conformance/python"
"$venv/bin/python" -c "import losscheck, sys; print('python-grader-test: losscheck', losscheck.__version__, 'installed in', sys.prefix)"

cd "$root/Conformance/python"
started=$(date +%s)
if "$venv/bin/python" -c "import pytest" 2>/dev/null; then
  # The installed package's pytest11 entry point loads the plugin for the example.
  timeout 1800 "$venv/bin/python" -m pytest -q -p no:cacheprovider -rs tests examples/test_numpy_losses.py
else
  echo "python-grader-test: pytest is not installed: running the unit tests with unittest (no plugin tests)"
  timeout 1800 "$venv/bin/python" -m unittest discover -s tests -v
fi
echo "python-grader-test: passed in $(( $(date +%s) - started )) s"
