#!/usr/bin/env bash
# CUDA compiler launcher: capture_ptxas_report.sh REPORT_DIR NVCC ARGS...
# Runs the nvcc command and keeps its stderr, the ptxas resource report (-Xptxas -v: registers,
# spills, shared memory per kernel), in REPORT_DIR/<source>.txt. Anything else nvcc prints
# (warnings, errors) still reaches the terminal.
set -uo pipefail
report_dir=$1
shift
source_file=unknown.cu
for argument in "$@"; do
  [[ $argument == *.cu ]] && source_file=$argument
done
mkdir -p "$report_dir"
report="$report_dir/$(basename "$source_file").txt"
"$@" 2>"$report"
status=$?
grep -v -e '^ptxas info' -e '^ *[0-9]* bytes stack frame' "$report" >&2
exit $status
