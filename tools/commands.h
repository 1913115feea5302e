// Registration of the CLI subcommands. Each register_* adds one subcommand (with its flags and a
// callback) to the app; errors inside callbacks are lethe::Error and reach main's handler.
#pragma once
#include <CLI/CLI.hpp>

namespace lethe::tools {

// The exit statuses of `lethe` (docs/cli.md#errors-and-exit-codes).
enum ExitStatus : int {
  kExitSuccess = 0,
  kExitError = 1,         // bad input or a failed run: one "lethe: error: ..." line
  kExitUsage = 2,         // a malformed command line: unknown command or flag, bad flag value
  kExitInterrupted = 130  // SIGINT / SIGTERM stopped a run; its checkpoint is saved
};

// Thrown by a command whose run a signal stopped; main exits with kExitInterrupted.
struct RunInterrupted {};

// run_*() return false when a signal stopped the run: the command then ends as interrupted.
inline void exit_if_interrupted(bool completed) {
  if (!completed) throw RunInterrupted{};
}

void register_audit(CLI::App& app);
void register_bench(CLI::App& app);  // with its subcommands ops, kernels and unet
void register_demo(CLI::App& app);
void register_data(CLI::App& app);
void register_train(CLI::App& app);
void register_train_classifier(CLI::App& app);
void register_eval_classifier(CLI::App& app);
void register_eval(CLI::App& app);
void register_info(CLI::App& app);
void register_sample(CLI::App& app);
void register_inpaint(CLI::App& app);
void register_reconstruct(CLI::App& app);
void register_bpd(CLI::App& app);
void register_toy(CLI::App& app);
void register_export(CLI::App& app);
void register_unlearn(CLI::App& app);
void register_unlearn_msgm(CLI::App& unlearn);      // under `lethe unlearn`
void register_unlearn_gradient(CLI::App& unlearn);  // rgd, rg, graddiff, finetune, salun, esd
void register_unlearn_sfd(CLI::App& unlearn);
void register_unlearn_sa(CLI::App& unlearn);
void register_distill(CLI::App& app);
void register_experiment(CLI::App& app);
void register_report(CLI::App& app);
void register_experiment_msgm_toy(CLI::App& experiment);  // under `lethe experiment`
void register_experiment_msgm_mnist(CLI::App& experiment);
void register_experiment_rgd_mnist(CLI::App& experiment);
void register_experiment_sfd_mnist(CLI::App& experiment);

inline void register_all_commands(CLI::App& app) {
  app.option_defaults()->always_capture_default();  // --help shows every default
  register_audit(app);
  register_bench(app);
  register_demo(app);
  register_data(app);
  register_train(app);
  register_train_classifier(app);
  register_eval_classifier(app);
  register_eval(app);
  register_info(app);
  register_sample(app);
  register_inpaint(app);
  register_reconstruct(app);
  register_bpd(app);
  register_toy(app);
  register_export(app);
  register_unlearn(app);
  register_distill(app);
  register_experiment(app);
  register_report(app);
}

}  // namespace lethe::tools
