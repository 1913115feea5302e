#include "lethe/run/gradient_unlearning_job.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/run/run_log.h"

namespace lethe {
namespace {

// "held": the measured change has the sign the first-order prediction gave (0 counts as <= 0).
const char* held(double predicted, double actual) {
  if (std::isnan(predicted) || std::isnan(actual)) return "";
  return (predicted <= 0) == (actual <= 0) ? "1" : "0";
}

}  // namespace

GradientUnlearningJob::GradientUnlearningJob(const GradientUnlearningConfig& config,
                                             const std::string& init, ImageDataset data,
                                             int64_t total_steps)
    : config_(config),
      init_(init),
      unlearner_(config, init, std::move(data)),
      total_steps_(total_steps) {}

std::string GradientUnlearningJob::log_columns() const {
  return "forget_loss,retain_loss,cos_phi,conflict,predicted_forget_change,actual_forget_change,"
         "forget_held,predicted_retain_change,actual_retain_change,retain_held,method_loss";
}

std::string GradientUnlearningJob::description() const {
  std::ostringstream text;
  text << name() << ": forget {" << join_ints(config_.forget) << "} from " << init_ << ", "
       << total_steps_ << " steps, " << config_.optimizer << " lr " << config_.lr << ", lambda "
       << config_.lambda << ", forget batch " << config_.forget_batch << ", retain set "
       << unlearner_.retain_set_size() << " images"
       << (config_.retain_classes.empty() ? " (balanced)"
                                          : " from {" + join_ints(config_.retain_classes) + "}");
  return text.str();
}

void GradientUnlearningJob::run_until(int64_t final_step, const StepLog& log,
                                      const std::atomic<bool>& stop) {
  unlearner_.run_until(
      final_step,
      [&](const UnlearningStepReport& r) {
        const char* f_held = held(r.predicted_forget_change, r.actual_forget_change);
        const char* r_held = held(r.predicted_retain_change, r.actual_retain_change);
        if (*f_held) {
          ++checked_;
          forget_held_ += f_held[0] == '1';
          retain_held_ += r_held[0] == '1';
        }
        conflicts_ += r.conflict;
        std::ostringstream fields;
        fields << csv_number(r.forget_loss) << ',' << csv_number(r.retain_loss) << ','
               << csv_number(r.cos_phi) << ',' << (r.conflict ? 1 : 0) << ','
               << csv_number(r.predicted_forget_change) << ',' << csv_number(r.actual_forget_change)
               << ',' << f_held << ',' << csv_number(r.predicted_retain_change) << ','
               << csv_number(r.actual_retain_change) << ',' << r_held << ','
               << csv_number(r.method_loss);
        log(r.step, fields.str(), r.forget_loss);
      },
      &stop);
}

void GradientUnlearningJob::finish() {
  if (checked_ == 0) return;
  std::printf(
      "gradients conflicted on %lld of %lld steps; first-order predictions held for L_f on %lld, "
      "for L_r on %lld of %lld checked steps\n",
      static_cast<long long>(conflicts_), static_cast<long long>(checked_),
      static_cast<long long>(forget_held_), static_cast<long long>(retain_held_),
      static_cast<long long>(checked_));
}

bool run_gradient_unlearning(GradientUnlearningRun run) {
  GradientUnlearningConfig& config = run.config;
  prepare_run_directory(run.out_dir);
  config.check_predictions = !run.no_check;
  config.validate();
  LETHE_CHECK(std::filesystem::is_regular_file(run.init),
              "unlearning: no starting checkpoint file '", run.init, "'");
  GradientUnlearningJob job(config, run.init, load_idx_dataset(run.data_dir, "train"), run.steps);
  return run_resumable(job, {run.out_dir, run.steps, run.checkpoint_every, run.resume});
}

}  // namespace lethe
