// lethe demo: the main job, on the shipped weights and without the data set. It samples the
// original MNIST model and the unlearned ones (MSGM, SFD, RGD) with fixed seeds, scores every
// sample with the shipped classifier, trains the 2-D moderation toy against its exact answer, and
// writes out/demo/report.html (grids side by side, the metrics table, the toy scatter plots and
// the experiments' curves, each with the command that reproduces it). The table also goes to the
// terminal.
#pragma once
#include <cstdint>
#include <string>

namespace lethe {

struct DemoOptions {
  std::string out_dir = "out/demo";
  std::string weights_dir = "weights";
  std::string results_dir = "docs/results";
  int64_t per_class = 10;  // conditional samples per digit and model
  int64_t unguided = 50;   // null-label samples per score model
  int sampler_steps = 20;  // DDIM
  double cfg = 1;          // score models' conditional samples
  int64_t toy_steps = 3000;
  int64_t toy_samples = 20000;
  int toy_sampler_steps = 100;
  uint64_t seed = 0;
};

void run_demo(const DemoOptions& options);

}  // namespace lethe
