// lethe report RUN_DIR: one HTML page for a run directory (lethe/run/run_report.h); this file
// holds its flags.
#include "commands.h"
#include "flag_values.h"
#include "lethe/run/run_report.h"

namespace lethe::tools {

void register_report(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command =
      app.add_subcommand("report", "Write one self-contained HTML page for a run directory");
  command->add_option("run_dir", options->run_dir, "A train / unlearn / distill run directory")
      ->required();
  command->add_option("--out", options->out, "Output page (default RUN_DIR/report.html)");
  command->add_flag(
      "--no-sample", [options](int64_t) { options->sample = false; },
      "Do not sample grids from the checkpoint and snapshots");
  command->add_option("--sampler", options->sampler, "Sampler of score-model grids");
  command->add_option("--steps", options->steps, "Sampler steps")->check(positive());
  command->add_option("--n", options->per_label, "Samples per class in a grid")->check(positive());
  command->add_option("--seed", options->seed, "Sampling seed");
  command->callback([options] { run_report(*options); });
}

}  // namespace lethe::tools
