#!/bin/bash
# RGD's ablations (issue 27): the lambda x truncation sweep and the retain-set-size sweep on digit 4,
# and the forget-every-digit average, each run as the RGD experiment's rgd row (200 steps, Adam lr
# 1e-4, forget batch 64, retain chunks of 64; training seed 0) and evaluated as the re-read shipped
# models (tools/results/reevaluate_shipped.sh: 100 requests per digit, dpm++2m-12, guidance w = 1,
# evaluation seed 7, the second classifier).
# Usage: tools/results/rgd_sweeps.sh lambda-trunc | retain-size | every-digit
#   lambda-trunc: lambda in {1, 5, 25} x alpha_trunc in {0.03, 0.1, 0.3} (9 runs)
#   retain-size:  10, 50, 200 retain images per remaining class (3 runs)
#   every-digit:  forget each digit 0..9 with the defaults (10 runs)
# About 15 minutes per run on one core. Runs go to runs/rgd-sweeps/NAME, figures to
# docs/results/rgd-sweeps/NAME.json; a run whose JSON exists is skipped, an interrupted one resumes.
# tools/results/rgd_sweeps_table.py docs/results/rgd-sweeps writes the tables.
set -euo pipefail
LETHE=${LETHE:-build/lethe}
OUT=docs/results/rgd-sweeps
mkdir -p "$OUT" runs/rgd-sweeps
run() {  # NAME FORGET FLAGS...
  local name=$1 forget=$2
  shift 2
  local json=$OUT/$name.json dir=runs/rgd-sweeps/$name
  [ -f "$json" ] && { echo "$json: done"; return; }
  local resume=""
  [ -f "$dir/checkpoint.safetensors" ] && resume="--resume"
  "$LETHE" unlearn rgd --forget "$forget" --steps 200 --lr 1e-4 --no-check --precision bf16 \
    --seed 0 "$@" --out "$dir" $resume
  "$LETHE" eval "$dir/checkpoint.safetensors" --forget "$forget" --cfg 1 --n 100 --seed 7 \
    --precision bf16 --out "$json"
}
case ${1:?lambda-trunc, retain-size or every-digit} in
  lambda-trunc)
    for lambda in 1 5 25; do
      for trunc in 0.03 0.1 0.3; do
        run "forget4-lambda$lambda-trunc$trunc" 4 --lambda "$lambda" --alpha-trunc "$trunc"
      done
    done ;;
  retain-size)
    for size in 10 50 200; do run "forget4-retain$size" 4 --retain-per-class "$size"; done ;;
  every-digit)
    for digit in 0 1 2 3 4 5 6 7 8 9; do run "forget$digit-default" "$digit"; done ;;
  *) echo "unknown sweep '$1' (expected lambda-trunc, retain-size or every-digit)" >&2; exit 2 ;;
esac
