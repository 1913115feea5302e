// lethe unlearn: the unlearning methods, one subcommand each (msgm; rgd, rg, graddiff,
// finetune, salun, esd; sfd; sa).
#include "commands.h"

namespace lethe::tools {

void register_unlearn(CLI::App& app) {
  CLI::App* unlearn = app.add_subcommand("unlearn", "Unlearning methods for score models");
  unlearn->require_subcommand(1);
  register_unlearn_msgm(*unlearn);
  register_unlearn_gradient(*unlearn);
  register_unlearn_sfd(*unlearn);
  register_unlearn_sa(*unlearn);
}

}  // namespace lethe::tools
