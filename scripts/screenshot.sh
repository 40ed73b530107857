#!/usr/bin/env bash
# Renders an HTML report with headless Chromium and writes a PNG next to it, to check that a
# report opens in a real browser and reads well.
#
#   scripts/screenshot.sh [report.html] [out.png] [width,height]
#
# Defaults: Reports/properties.html (else Reports/properties-test.html); the PNG in the temporary
# directory (not in Reports/, where it would be an untracked file) under the page's name; a
# 1366×900 window. Installs Debian's chromium with apt-get when it is missing. The page needs no
# network and no scripts; Chromium runs with scripts off, and is killed after 120 s.
set -euo pipefail
cd "$(dirname "$0")/.."

page="${1:-}"
if [ -z "$page" ]; then
  page=Reports/properties.html
  [ -f "$page" ] || page=Reports/properties-test.html
fi
if [ ! -f "$page" ]; then
  echo "screenshot: no report at $page (run scripts/verify.sh or swift test first)" >&2
  exit 2
fi
name="$(basename "$page" .html)"
out="${2:-${TMPDIR:-/tmp}/$name.png}"
size="${3:-1366,900}"

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser="$candidate"; break; fi
done
if [ -z "$browser" ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  echo "screenshot: installing chromium with apt-get"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
  browser=chromium
fi

url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
# A private profile directory, so that concurrent runs do not share a Chromium profile lock.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --disable-javascript --window-size="$size" --screenshot="$out" "$url" >/dev/null 2>&1
echo "screenshot: $out ($size) of $url"
