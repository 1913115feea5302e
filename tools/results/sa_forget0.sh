#!/bin/bash
# Selective Amnesia on SFD's task (issue 27): forget 0 in the shipped mnist-s-vp, with a
# forgetting-vs-iteration curve. One run with EWC weight LAMBDA is resumed stage by stage to each
# STEP and evaluated there like the re-read shipped models (tools/results/reevaluate_shipped.sh:
# 100 requests per digit, dpm++2m-12, guidance w = 1, evaluation seed 7, the second classifier),
# so its rows stand beside the original's and SFD's. The generated set (100 images per class,
# Fisher on 20 times per image) is made once in runs/sa/set.safetensors and shared by every LAMBDA.
# Usage: tools/results/sa_forget0.sh LAMBDA STEP [STEP ...]
#   e.g. tools/results/sa_forget0.sh 10 100 300 1000
# Writes docs/results/sa/forget0-lambdaL-stepN.json; resumable (finished stages are skipped).
set -euo pipefail
LAMBDA=${1:?EWC weight}
shift
LETHE=${LETHE:-build/lethe}
RUN=runs/sa/forget0-lambda$LAMBDA
OUT=docs/results/sa
mkdir -p "$OUT" runs/sa
for STEPS in "$@"; do
  JSON=$OUT/forget0-lambda$LAMBDA-step$STEPS.json
  [ -f "$JSON" ] && { echo "$JSON: done"; continue; }
  resume=""
  [ -f "$RUN/checkpoint.safetensors" ] && resume="--resume"
  "$LETHE" unlearn sa --forget 0 --lambda "$LAMBDA" --steps "$STEPS" --set runs/sa/set.safetensors \
    --precision bf16 --out "$RUN" $resume
  "$LETHE" eval "$RUN/checkpoint.safetensors" --forget 0 --override 1 --cfg 1 --n 100 --seed 7 \
    --precision bf16 --out "$JSON"
done
