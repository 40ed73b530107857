#!/usr/bin/env bash
# Builds the DocC catalog of every library module (Sources/<Module>/<Module>.docc) with the
# symbol graphs of the debug build, warnings as errors: a broken ``Symbol`` link in a catalog or
# a doc comment fails. Archives go to .build/docs/<Module>.doccarchive. Prints SKIPPED (and exits
# 0) where the toolchain has no `docc`.
set -euo pipefail
cd "$(dirname "$0")/.."

docc=""
if command -v docc >/dev/null 2>&1; then
  docc="docc"
elif command -v xcrun >/dev/null 2>&1 && xcrun --find docc >/dev/null 2>&1; then
  docc="xcrun docc"
fi
if [ -z "$docc" ]; then
  echo "docs.sh: SKIPPED: this toolchain has no docc"
  exit 0
fi

swift package dump-symbol-graph >/dev/null
graphs="$(find .build -maxdepth 2 -type d -name symbolgraph | head -n 1)"
if [ -z "$graphs" ]; then
  echo "docs.sh: swift package dump-symbol-graph wrote no symbol graphs" >&2
  exit 1
fi

status=0
mkdir -p .build/docs
for catalog in Sources/*/*.docc; do
  module="$(basename "$catalog" .docc)"
  work="$(mktemp -d)"
  cp "$graphs/$module.symbols.json" "$work/"
  cp "$graphs/$module@"*.symbols.json "$work/" 2>/dev/null || true
  if $docc convert "$catalog" --additional-symbol-graph-dir "$work" \
    --fallback-display-name "$module" --fallback-bundle-identifier "losscheck.$module" \
    --output-path ".build/docs/$module.doccarchive" --warnings-as-errors >"$work/log" 2>&1; then
    echo "docs.sh: $module: catalog and doc comments build without warnings"
  else
    { grep -E "(error|warning):" -A4 "$work/log" || cat "$work/log"; } >&2
    echo "docs.sh: $module: DocC reported the problems above" >&2
    status=1
  fi
  rm -rf "$work"
done
exit "$status"
