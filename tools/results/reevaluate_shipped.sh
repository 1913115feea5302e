#!/bin/bash
# Re-reads the shipped unlearned models with the second classifier (issue 27): each model samples
# 100 requests per digit (dpm++2m-12, guidance w = 1 for score models, evaluation seed 7, never
# used to choose a checkpoint) and `lethe eval` scores the same samples with the second classifier
# and with the first (weights/mnist-classifier-v1), so the instrument is the only difference.
# Writes docs/results/instrument-v2/NAME.json and NAME-v1.json, then the table
# docs/results/instrument-v2/table.md (tools/results/instrument_table.py). About 20 minutes on
# the 2-core CPU. Usage: tools/results/reevaluate_shipped.sh [NAME=CHECKPOINT:FLAGS ...]
set -euo pipefail
LETHE=${LETHE:-build/lethe}
OUT=docs/results/instrument-v2
SAMPLES=$(mktemp -d)
trap 'rm -rf "$SAMPLES"' EXIT
mkdir -p "$OUT"
evaluate() {  # NAME CHECKPOINT EVAL-FLAGS...
  local name=$1 checkpoint=$2
  shift 2
  "$LETHE" eval "$checkpoint" "$@" --n 100 --seed 7 --precision bf16 \
    --save-samples "$SAMPLES/$name.safetensors" --out "$OUT/$name.json"
  "$LETHE" eval "$SAMPLES/$name.safetensors" "$@" \
    --classifier weights/mnist-classifier-v1.safetensors --out "$OUT/$name-v1.json"
}
evaluate original-forget4 weights/mnist-s-vp.safetensors --forget 4 --cfg 1
evaluate rgd-4 weights/mnist-s-rgd-4.safetensors --forget 4 --cfg 1
evaluate original-forget0 weights/mnist-s-vp.safetensors --forget 0 --override 1 --cfg 1
evaluate sfd-0to1 weights/mnist-s-sfd-0to1.safetensors --forget 0 --override 1
python3 "$(dirname "$0")/instrument_table.py" "$OUT" > "$OUT/table.md"
echo "wrote $OUT/table.md"
