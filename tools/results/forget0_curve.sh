#!/bin/bash
# A forgetting-vs-iteration curve on SFD's task (issue 27): forget 0 in the shipped mnist-s-vp.
# One unlearning run (`lethe unlearn ARGS`) is resumed stage by stage to each STEP and evaluated
# there as the re-read shipped models are (tools/results/reevaluate_shipped.sh: 100 requests per
# digit, dpm++2m-12, guidance w = 1, evaluation seed 7, the second classifier, the override share
# of 1 beside UA), so every row stands beside the original's and SFD's.
# Usage: tools/results/forget0_curve.sh NAME "UNLEARN ARGS" STEP [STEP ...]
#   tools/results/forget0_curve.sh esd "esd --lr 1e-4" 25 50 100 200
#   tools/results/forget0_curve.sh salun "salun --lr 1e-4" 25 50 100 200
#   tools/results/forget0_curve.sh sa-lambda10 "sa --lambda 10 --set runs/forget0/sa-set.safetensors" 100 300 1000
# Runs go to runs/forget0/NAME, figures to docs/results/forget0/NAME-stepN.json (a stage whose JSON
# exists is skipped, so an interrupted curve continues where it stopped). The SA runs share one
# generated set (100 images per class, Fisher on 20 times per image).
set -euo pipefail
NAME=${1:?name}
ARGS=${2:?unlearn arguments}
shift 2
LETHE=${LETHE:-build/lethe}
RUN=runs/forget0/$NAME
OUT=docs/results/forget0
mkdir -p "$OUT" runs/forget0
for STEPS in "$@"; do
  JSON=$OUT/$NAME-step$STEPS.json
  [ -f "$JSON" ] && { echo "$JSON: done"; continue; }
  resume=""
  [ -f "$RUN/checkpoint.safetensors" ] && resume="--resume"
  # shellcheck disable=SC2086
  "$LETHE" unlearn $ARGS --forget 0 --steps "$STEPS" --precision bf16 --out "$RUN" $resume
  "$LETHE" eval "$RUN/checkpoint.safetensors" --forget 0 --override 1 --cfg 1 --n 100 --seed 7 \
    --precision bf16 --out "$JSON"
done
