// lethe experiment sfd-mnist: the teacher (multi-step sampler) against its SiD one-step
// distillation and the SFD one-step generator that forgets a class (docs/math.md#sfd). It runs (or
// resumes) both distillations under OUT/runs/{sid,sfd}, evaluates the three models with the shipped
// classifier (UA on the forget class, the share of forget requests classified as the override
// class, RA and cFID / precision / recall on the retained classes, images per second), draws UA
// against the iteration from the early snapshots, and writes sfd-mnist.md, sfd-mnist.json, sample
// grids and the SVG curve.
#pragma once
#include <cstdint>
#include <string>

#include "lethe/run/sfd_job.h"

namespace lethe {

struct SfdMnistOptions {
  SfdRun run;  // the SFD run's settings; SiD uses the same with the forget weights at 0
  std::string classifier = "weights/mnist-classifier.safetensors";
  std::string data_dir = "data/mnist";
  std::string out_dir = "runs/experiments/sfd-mnist";
  std::string runs = "";  // the training runs; default OUT/runs
  std::string runs_dir() const { return runs.empty() ? out_dir + "/runs" : runs; }
  int64_t forget_samples = 100;
  int64_t per_class = 50;
  int64_t curve_samples = 100;  // forget-class samples per snapshot
  std::string sampler = "ddim";
  int sampler_steps = 50;
  double cfg = 0;  // the generators distil the unguided conditional teacher: compare like for like
  uint64_t seed = 1;
  bool skip_sid = false;
  // The teacher's default sampler (score_sde: PC, 1000 steps), timed on a few images only.
  std::string speed_sampler = "pc";
  int speed_sampler_steps = 1000;
  int64_t speed_samples = 8;
};

// Returns false when a signal stopped one of its runs (saved; the same command resumes).
bool run_sfd_mnist(SfdMnistOptions options);

}  // namespace lethe
