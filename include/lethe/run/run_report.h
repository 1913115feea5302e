// `lethe report RUN_DIR`: one self-contained HTML page for a training, unlearning or distillation
// run directory: the checkpoint's configuration, a plot per column of its CSV log, sample grids
// from its checkpoint and snapshots, the PNGs already there, and every JSON of figures in it.
//   lethe report runs/sfd    ->  runs/sfd/report.html
#pragma once
#include <cstdint>
#include <string>

namespace lethe {

struct ReportOptions {
  std::string run_dir;
  std::string out;  // default RUN_DIR/report.html
  bool sample = true;
  std::string sampler = "ddim";
  int steps = 25;
  int64_t per_label = 8;
  uint64_t seed = 0;
};

void run_report(const ReportOptions& options);

}  // namespace lethe
