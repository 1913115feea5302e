// lethe experiment: each subcommand runs one experiment end to end and writes its figures, a
// markdown table and a JSON (results are generated, never typed).
#include "commands.h"

namespace lethe::tools {

void register_experiment(CLI::App& app) {
  CLI::App* experiment =
      app.add_subcommand("experiment", "Run an experiment and write its figures, table and JSON");
  experiment->require_subcommand(1);
  register_experiment_msgm_toy(*experiment);
  register_experiment_msgm_mnist(*experiment);
  register_experiment_rgd_mnist(*experiment);
  register_experiment_sfd_mnist(*experiment);
}

}  // namespace lethe::tools
