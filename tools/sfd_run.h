// The loop behind `lethe unlearn sfd` and `lethe distill sid`, shared with `lethe experiment
// sfd-mnist`: progress, the per-step CSV log, checkpoints every N steps and on Ctrl-C, --resume,
// and the generator's EMA weights at the snapshot steps (the forgetting-speed curve).
#pragma once
#include <string>
#include <vector>

#include "lethe/sfd.h"

namespace lethe::tools {

struct SfdRun {
  SfdConfig config;
  std::string forget;                // class list as given on the command line ("" for SiD)
  std::string override_class = "1";  // a class or "random"
  std::string teacher = "weights/mnist-s-vp.safetensors";
  std::string out_dir;
  std::string device = "cpu";
  int64_t steps = 2000;
  int64_t checkpoint_every = 100;
  std::string snapshots = "0,25,50,100,200,400,800,1600,3200";
  bool resume = false;
};

// Parses the run's lists into its config and checks them (before any work).
void prepare_sfd_run(SfdRun& run);
// Runs (or resumes) to run.steps: OUT/checkpoint.safetensors, OUT/log.csv,
// OUT/snapshots/step-NNNNNN.safetensors. Returns false when Ctrl-C stopped it first (the
// checkpoint is saved).
bool run_sfd(SfdRun run);
// The snapshot steps of a run directory that exist on disk, ascending, with their files.
std::vector<std::pair<int64_t, std::string>> sfd_snapshots(const std::string& out_dir);

}  // namespace lethe::tools
