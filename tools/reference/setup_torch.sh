#!/usr/bin/env bash
# Installs what `make bench-compare` needs on Debian and nothing else needs: PyTorch for the
# system Python (python3-torch) with the multi-threaded OpenBLAS. As root it runs apt-get;
# otherwise it prints the exact command.
set -euo pipefail

packages=(python3-torch libopenblas0-pthread)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  echo "bench-compare: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "bench-compare: missing packages: ${missing[*]}" >&2
  echo "bench-compare: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
