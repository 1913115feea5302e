// lethe bench quality: time to quality. Trains a U-Net on a recipe for a wall-clock budget and, at
// every mark (the clock paused while it evaluates), samples a fixed set with a fixed sampler and
// reports the conditional accuracy with and without guidance (the shipped classifier's argmax
// equals the requested digit; with its 95 % Wilson interval) and cFID / KID of the guided set
// against held-out real digits, beside their real-vs-real floor. Writes quality.json (the curve)
// and quality.svg (accuracy against training minutes) under the output directory, with the
// checkpoint of each mark.
#pragma once
#include <cstdint>
#include <string>

#include "lethe/diffusion/score_trainer.h"

namespace lethe {

// The recipes: "reference" (Adam 5e-4, warm-up 500, EMA 0.999, batch 128: the recipe whose
// PyTorch run of ~50 minutes the issue measured) and "fast" (ours for time to quality, see
// docs/benchmarks.md). Throws lethe::Error for another name.
ScoreTrainingConfig quality_recipe(const std::string& name);

struct QualityBenchOptions {
  std::string recipe = "fast";
  std::string unet = "mnist-s";
  int64_t batch = 0;           // training batch; 0: the recipe's
  double budget_minutes = 15;  // training time, evaluation excluded
  double mark_minutes = 5;     // evaluate after every this much training, and at the end
  int64_t per_class = 50;      // samples per digit, for each guidance setting
  std::string sampler = "dpm++2m";
  int64_t sampler_steps = 12;  // network evaluations per image (twice that with guidance)
  double cfg = 1;              // the guided set's guidance scale
  std::string classifier = "weights/mnist-classifier.safetensors";
  std::string data_dir = "data/mnist";
  std::string out_dir = "runs/bench-quality";
  uint64_t seed = 0;       // training
  uint64_t eval_seed = 1;  // the fixed sampling noise of every mark
};

// quality.json and quality.svg are rewritten after every mark, so an interrupted run keeps the
// marks it measured.
void run_quality_bench(const QualityBenchOptions& options);

}  // namespace lethe
