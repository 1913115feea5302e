// lethe experiment rgd-mnist: RGD against its baselines on MNIST
// (docs/math.md#rgd-and-the-baselines). It runs (or resumes) every method from the same trained
// model under OUT/runs/NAME, evaluates each result and the original with the shipped classifier (UA
// on the forget class, RA and cFID / precision / recall on the retained classes), and plots l_f and
// l_r per step for RGD vs GradDiff with SGD and with Adam. Also the diversity ablation: RGD with a
// retain set of the same size from two classes similar to the forget class. Writes rgd-mnist.md,
// rgd-mnist.json, grids and SVG plots.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lethe/unlearn/gradient_unlearner.h"

namespace lethe {

struct RgdMnistOptions {
  int forget = 4;
  std::vector<int> narrow_classes{9, 7};  // rgd-narrow draws its retain set from these
  std::string methods = "rgd,rg,graddiff,finetune,salun,esd,rgd-sgd,graddiff-sgd,rgd-narrow";
  std::string init = "weights/mnist-s-vp.safetensors";
  std::string classifier = "weights/mnist-classifier.safetensors";
  std::string data_dir = "data/mnist";
  std::string out_dir = "runs/experiments/rgd-mnist";
  std::string runs = "";  // the training runs; default OUT/runs
  std::string runs_dir() const { return runs.empty() ? out_dir + "/runs" : runs; }
  int64_t steps = 200;
  double lr = 1e-4;                 // Adam (the public code uses 1e-5 over ~800 steps)
  double sgd_lr = 2e-3;             // plain SGD (1e-2 made RGD diverge at step 37)
  GradientUnlearningConfig shared;  // batch sizes, retain set size, lambda: the same for all
  int64_t forget_samples = 100;
  int64_t per_class = 30;
  std::string sampler = "ddim";
  int sampler_steps = 50;
  double cfg = 1;
  uint64_t seed = 1;
};

// "rgd,graddiff-sgd,rgd-narrow" -> the run names: a method name, NAME-sgd or rgd-narrow.
std::vector<std::string> parse_rgd_mnist_runs(const std::string& text);

// Returns false when a signal stopped one of its runs (saved; the same command resumes).
bool run_rgd_mnist(const RgdMnistOptions& options);

}  // namespace lethe
