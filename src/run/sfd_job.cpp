#include "lethe/run/sfd_job.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "lethe/core/error.h"
#include "lethe/core/int_list.h"
#include "lethe/run/run_log.h"

namespace lethe {
namespace {

std::string snapshot_path(const std::string& out_dir, int64_t step) {
  char name[48];
  std::snprintf(name, sizeof name, "/snapshots/step-%06lld.safetensors",
                static_cast<long long>(step));
  return out_dir + name;
}

}  // namespace

SfdJob::SfdJob(const SfdConfig& config, const std::string& teacher, std::vector<int64_t> snapshots,
               int64_t total_steps)
    : config_(config),
      teacher_(teacher),
      distiller_(config, teacher),
      snapshots_(std::move(snapshots)),
      total_steps_(total_steps) {}

std::string SfdJob::log_columns() const {
  return "fake_loss,generator_loss,forget_loss,generated_abs_mean";
}

std::string SfdJob::description() const {
  std::ostringstream text;
  if (config_.forgets()) {
    text << "sfd: forget {" << join_ints(config_.forget) << "} -> "
         << (config_.random_override ? "random" : std::to_string(config_.override_class))
         << ", teacher " << teacher_;
  } else {
    text << "sid: distil " << teacher_ << " into a one-step generator";
  }
  text << ", batch " << config_.batch << ", lr " << config_.lr_generator << " / " << config_.lr_fake
       << ", " << total_steps_ << " steps";
  return text.str();
}

void SfdJob::run_until(int64_t final_step, const StepLog& log, const std::atomic<bool>& stop) {
  distiller_.run_until(
      final_step,
      [&](const SfdStepReport& r) {
        log(r.step,
            csv_number(r.fake_loss) + ',' + csv_number(r.generator_loss) + ',' +
                csv_number(r.forget_loss) + ',' + csv_number(r.generated_abs_mean),
            r.generator_loss);
      },
      &stop);
}

int64_t SfdJob::next_pause(int64_t step, int64_t final_step) const {
  int64_t next = final_step;
  for (int64_t s : snapshots_)
    if (s > step && s < next) next = s;
  return next;
}

void SfdJob::at_pause(const std::string& out_dir) {
  std::filesystem::create_directories(out_dir + "/snapshots");
  for (int64_t s : snapshots_)
    if (s == distiller_.step() && !std::filesystem::exists(snapshot_path(out_dir, s)))
      distiller_.save_generator(snapshot_path(out_dir, s));
}

std::vector<std::pair<int64_t, std::string>> sfd_snapshots(const std::string& out_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  const std::string directory = out_dir + "/snapshots";
  if (!std::filesystem::is_directory(directory)) return found;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step-", 0) != 0 || entry.path().extension() != ".safetensors") continue;
    const std::string digits = name.substr(5, name.size() - 5 - 12);
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    found.emplace_back(std::stoll(digits), entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

void check_sfd_run(const SfdRun& run) {
  LETHE_CHECK(std::filesystem::is_regular_file(run.teacher), "SFD: no teacher checkpoint file '",
              run.teacher, "'");
}

bool run_sfd(const SfdRun& run) {
  check_sfd_run(run);
  prepare_run_directory(run.out_dir);
  SfdJob job(run.config, run.teacher, run.snapshots, run.steps);
  return run_resumable(job, {run.out_dir, run.steps, run.checkpoint_every, run.resume});
}

}  // namespace lethe
