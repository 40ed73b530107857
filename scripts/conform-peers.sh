#!/usr/bin/env bash
# Runs the golden vectors against the peer frameworks and writes their conformance reports.
#
#   scripts/conform-peers.sh [numpy|jax|jax-native|torch|torch-native|spec|fast ...]
#
# Installs jax and torch (CPU) with pip into a virtual environment under .venv-peers/ (git-ignored;
# made once, reused), builds losscheck in release mode, and runs `losscheck conform` against each
# adapter of Conformance/adapters: the formula modes with the default gate, the native modes
# with their known-divergence manifests (Conformance/divergences/). Reports go to
# Reports/conformance/<name>.{html,json,xml}. Without arguments every peer that can be installed
# is run. A framework pip cannot install is skipped with a message. Not part of CI (the installs
# are large); the numpy adapter is tested in CI by LossConformanceTests.
#
# Environment: PYTHON (default python3), TORCH_SPEC (default torch==2.13.0+cpu; the CPU wheel),
# JAX_SPEC (default jax), CONFORM_ARGS (extra arguments for every run, e.g. "--large").
set -uo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
venv=".venv-peers"
out="Reports/conformance"
mkdir -p "$out"

if [ ! -x "$venv/bin/python" ]; then
  echo "conform-peers: creating $venv"
  "$python" -m venv --system-site-packages "$venv" || { echo "conform-peers: cannot create a venv" >&2; exit 2; }
fi
py="$venv/bin/python"

have() { "$py" -c "import $1" >/dev/null 2>&1; }

install() { # name module pip-spec...
  local name="$1" module="$2"
  shift 2
  if have "$module"; then return 0; fi
  echo "conform-peers: pip install $* (for $name)"
  if ! "$py" -m pip install --quiet "$@"; then
    echo "conform-peers: could not install $name with pip; its runs are skipped" >&2
    return 1
  fi
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(numpy spec jax jax-native torch torch-native); fi
wanted() { local t; for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

jax_ok=0
torch_ok=0
if wanted jax || wanted jax-native; then install jax jax "${JAX_SPEC:-jax}" && jax_ok=1 && { install optax optax optax || true; }; fi
if wanted torch || wanted torch-native; then install torch torch "${TORCH_SPEC:-torch==2.13.0+cpu}" && torch_ok=1; fi

swift build -c release --product losscheck >/dev/null || { echo "conform-peers: build failed" >&2; exit 2; }
losscheck="$(swift build -c release --show-bin-path)/losscheck"

status=0
run() { # name adapter-command [conform arguments...]
  local name="$1" command="$2"
  shift 2
  echo
  echo "=== $name: $command"
  local started=$SECONDS
  # shellcheck disable=SC2086
  "$losscheck" conform --adapter "$command" --html "$out/$name.html" --json "$out/$name.json" \
    --junit "$out/$name.xml" "$@" ${CONFORM_ARGS:-}
  local rc=$?
  echo "=== $name: exit status $rc in $((SECONDS - started)) s"
  [ $rc -eq 0 ] || status=1
}

adapters="Conformance/adapters"
divergences="Conformance/divergences"
if wanted numpy; then run numpy "$py $adapters/numpy_adapter.py" --divergences "$divergences/numpy.json"; fi
if wanted spec; then run spec "losscheck serve --impl spec" --require correctlyRounded; fi
if wanted fast; then run fast "losscheck serve --impl fast" --require stable; fi
if [ $jax_ok -eq 1 ]; then
  if wanted jax; then run jax "$py $adapters/jax_adapter.py" --divergences "$divergences/jax.json"; fi
  if wanted jax-native; then run jax-native "$py $adapters/jax_adapter.py --native" --divergences "$divergences/jax-native.json"; fi
fi
if [ $torch_ok -eq 1 ]; then
  if wanted torch; then run torch "$py $adapters/torch_adapter.py"; fi
  if wanted torch-native; then
    run torch-native "$py $adapters/torch_adapter.py --native" --divergences "$divergences/torch-native.json"
  fi
fi
echo
echo "conform-peers: reports in $out/"
exit $status
