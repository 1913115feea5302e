#!/bin/bash
# Regenerates weights/mnist-failed-samples.safetensors: what a score model draws after 100 and 200
# training steps (blank, grey and white squares, speckle, stroke fragments), the real failures the
# evaluation classifier learns to call "none". Trains mnist-s for 200 steps (Adam 1e-3, warm-up 100,
# EMA 0.99, batch 64, seed 5), samples 50 per label (0-9 and null, dpm++2m-12, no guidance) from
# the step-100 and step-200 checkpoints with seed 0 (train split) and seed 1 (test split), and packs
# them as u8 (N, 1, 28, 28). About 3 minutes on 2 cores. Usage: make_failed_samples.sh [LETHE] [OUT]
set -euo pipefail
LETHE=${1:-build/lethe}
OUT=${2:-weights/mnist-failed-samples.safetensors}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TRAIN="--config mnist-s --batch 64 --lr 1e-3 --warmup 100 --ema 0.99 --precision bf16 --seed 5 --out $WORK/run"
"$LETHE" train $TRAIN --steps 100
cp "$WORK/run/checkpoint.safetensors" "$WORK/step100.safetensors"
"$LETHE" train $TRAIN --steps 200 --resume
cp "$WORK/run/checkpoint.safetensors" "$WORK/step200.safetensors"
for step in 100 200; do
  for seed in 0 1; do
    "$LETHE" sample "$WORK/step$step.safetensors" --labels 0,1,2,3,4,5,6,7,8,9,null --n 50 \
      --seed "$seed" --precision bf16 --out "$WORK/s$step-$seed.safetensors"
  done
done
python3 "$(dirname "$0")/pack_failed_samples.py" "$OUT" \
  --train "$WORK/s100-0.safetensors" "$WORK/s200-0.safetensors" \
  --test "$WORK/s100-1.safetensors" "$WORK/s200-1.safetensors"
