#!/usr/bin/env bash
# Installs what the build needs beyond a Swift toolchain: GSL (libgsl-dev) and pkg-config, with
# apt-get. Idempotent: does nothing when `pkg-config --exists gsl` already succeeds.
set -euo pipefail

if ! command -v swift >/dev/null 2>&1; then
  echo "bootstrap: 'swift' is not on PATH; install a Swift 6.2 or later toolchain (https://www.swift.org/install/)" >&2
  exit 1
fi

if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists gsl; then
  echo "bootstrap: GSL $(pkg-config --modversion gsl) and $(swift --version 2>/dev/null | head -n 1)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: GSL or pkg-config is missing and apt-get is not available;" >&2
  echo "           install them with your package manager (macOS: brew install gsl pkg-config)" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "bootstrap: installing libgsl-dev and pkg-config needs root, and sudo is not available" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "bootstrap: installing libgsl-dev and pkg-config with apt-get"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libgsl-dev pkg-config

if ! pkg-config --exists gsl; then
  echo "bootstrap: GSL is still not visible to pkg-config after the installation" >&2
  exit 1
fi
echo "bootstrap: GSL $(pkg-config --modversion gsl) installed"
