#include "lethe/run/selective_amnesia_job.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/io/json_report.h"
#include "lethe/run/run_log.h"

namespace lethe {

SelectiveAmnesiaJob::SelectiveAmnesiaJob(const SelectiveAmnesiaConfig& config,
                                         const std::string& init, AmnesiaSet set,
                                         int64_t total_steps)
    : config_(config),
      init_(init),
      amnesia_(config, init, std::move(set)),
      total_steps_(total_steps) {}

std::string SelectiveAmnesiaJob::description() const {
  std::ostringstream text;
  text << "sa: forget {" << join_ints(config_.forget) << "} from " << init_ << ", " << total_steps_
       << " steps, surrogate "
       << (config_.surrogate == "noise" ? "U(-1, 1) noise" : "class " + config_.surrogate)
       << ", lambda " << config_.lambda << ", gamma " << config_.gamma << ", Adam lr " << config_.lr
       << ", batch " << config_.batch << " + " << config_.batch << ", replay set "
       << amnesia_.replay_set_size() << " generated images";
  return text.str();
}

void SelectiveAmnesiaJob::run_until(int64_t final_step, const StepLog& log,
                                    const std::atomic<bool>& stop) {
  amnesia_.run_until(
      final_step,
      [&](const AmnesiaStepReport& r) {
        std::ostringstream fields;
        fields << csv_number(r.surrogate_loss) << ',' << csv_number(r.replay_loss) << ','
               << csv_number(r.ewc) << ',' << csv_number(r.loss) << ',' << csv_number(r.grad_norm);
        log(r.step, fields.str(), r.surrogate_loss);
      },
      &stop);
}

namespace {

nlohmann::json fisher_json(const FisherSummary& summary, const AmnesiaSet& set) {
  nlohmann::json shares = nlohmann::json::array();
  for (const auto& [block, share] : summary.share_by_block)
    shares.push_back({{"block", block}, {"share", share}});
  nlohmann::json settings;
  for (const auto& [key, value] : set.metadata) settings[key] = value;
  return {{"total", summary.total},
          {"max", summary.max},
          {"median", summary.median},
          {"p99", summary.p99},
          {"zero_share", summary.zero_share},
          {"share_by_block", shares},
          {"set", settings}};
}

}  // namespace

bool run_selective_amnesia(SelectiveAmnesiaRun run) {
  prepare_run_directory(run.out_dir);
  run.config.validate();
  LETHE_CHECK(std::filesystem::is_regular_file(run.init),
              "Selective Amnesia: no starting checkpoint file '", run.init, "'");
  const std::string set_path =
      run.set_path.empty() ? run.out_dir + "/amnesia-set.safetensors" : run.set_path;
  AmnesiaSet set;
  if (std::filesystem::exists(set_path)) {
    set = load_amnesia_set(set_path, run.config, run.init);
    std::printf("using the generated set %s (%lld images)\n", set_path.c_str(),
                static_cast<long long>(set.samples.size()));
  } else {
    set = make_amnesia_set(run.config, run.init);
    save_amnesia_set(set_path, set);
    std::printf("wrote the generated set %s\n", set_path.c_str());
  }
  SelectiveAmnesiaJob job(run.config, run.init, set, run.steps);
  const FisherSummary summary = job.fisher_summary();
  std::printf(
      "Fisher: total %.4g, max %.4g, median %.3g, 99th percentile %.3g; largest share %s "
      "%.1f %%\n",
      summary.total, summary.max, summary.median, summary.p99,
      summary.share_by_block.front().first.c_str(), 100 * summary.share_by_block.front().second);
  write_json(run.out_dir + "/fisher.json", fisher_json(summary, set));
  return run_resumable(job, {run.out_dir, run.steps, run.checkpoint_every, run.resume});
}

}  // namespace lethe
