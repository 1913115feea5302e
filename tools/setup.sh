#!/usr/bin/env bash
# Installs what Lethe needs to build and test on Debian: a C++17 compiler, CMake, and the
# header-only libraries. As root it runs apt-get; otherwise it prints the exact command.
#   tools/setup.sh           what the build and tests need
#   tools/setup.sh browser   also Chromium, for the report test's headless browser check
#   tools/setup.sh fuzz      also clang with libFuzzer and LLVM's OpenMP, for make fuzz
set -euo pipefail

missing=()
need_package() {  # need_package PACKAGE FILE-OR-COMMAND
  local package=$1 probe=$2
  if [[ $probe == /* ]]; then
    [[ -e $probe ]] || missing+=("$package")
  else
    command -v "$probe" >/dev/null 2>&1 || missing+=("$package")
  fi
}

need_package g++ g++
need_package make make
need_package cmake cmake
need_package doctest-dev /usr/include/doctest/doctest.h
need_package libstb-dev /usr/include/stb/stb_image_write.h
need_package nlohmann-json3-dev /usr/include/nlohmann/json.hpp
need_package libcli11-dev /usr/include/CLI/CLI.hpp
if [[ ${1:-} == browser ]]; then
  need_package chromium chromium
fi
if [[ ${1:-} == fuzz ]]; then
  need_package clang clang++
  need_package libomp-dev /usr/lib/llvm-14/lib/libomp.so
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

command_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root:  $command_line" >&2
  exit 1
fi
