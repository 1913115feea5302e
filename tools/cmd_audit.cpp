// lethe audit: the flag of the CUDA resource audit in lethe/bench/audit.h (the ptxas report as one
// line per kernel: registers, spills, shared memory, sm_90 occupancy).
#include <memory>

#include "commands.h"
#include "lethe/bench/audit.h"

namespace lethe::tools {

void register_audit(CLI::App& app) {
  auto options = std::make_shared<bench::AuditOptions>();
  CLI::App* audit = app.add_subcommand(
      "audit", "Per-kernel registers, spills, shared memory and sm_90 occupancy (ptxas report)");
  audit->add_option("--ptxas-dir", options->report_directory,
                    "Directory of the ptxas report (default: ptxas/ beside the lethe binary)");
  audit->callback([options] { bench::run_audit(*options); });
}

}  // namespace lethe::tools
