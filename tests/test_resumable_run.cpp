// The run driver (lethe/run/resumable_run.h) on a job whose state is one number: checkpoints at
// the cadence, a signal stops the run at the next step boundary with a checkpoint written and the
// previous handler restored, and a resumed run writes the log the uninterrupted run writes.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/io/atomic_file.h"
#include "lethe/run/resumable_run.h"
#include "test_files.h"

namespace {

using lethe::ResumableJob;
using lethe::RunSettings;

// Step k adds k to a running total; the checkpoint holds "step total". When raise_at is set, the
// job raises that signal while running that step, as a Ctrl-C or `kill` would arrive mid-step.
class CountingJob : public ResumableJob {
 public:
  int raise_signal = 0;
  int64_t raise_at = -1;
  std::vector<int64_t> saved_at;

  std::string name() const override { return "count"; }
  std::string log_columns() const override { return "total"; }
  std::string description() const override { return "counting"; }
  int64_t step() const override { return step_; }
  void run_until(int64_t final_step, const StepLog& log, const std::atomic<bool>& stop) override {
    while (step_ < final_step && !stop) {
      ++step_;
      total_ += step_;
      if (step_ == raise_at) std::raise(raise_signal);
      log(step_, std::to_string(total_), static_cast<double>(total_));
    }
  }
  void save_checkpoint(const std::string& path) override {
    const std::string text = std::to_string(step_) + " " + std::to_string(total_);
    lethe::AtomicFileWriter writer(path);
    writer.write(text.data(), text.size());
    writer.commit();
    saved_at.push_back(step_);
  }
  void load_checkpoint(const std::string& path) override {
    std::istringstream(lethe::testing::read_text(path)) >> step_ >> total_;
  }

 private:
  int64_t step_ = 0, total_ = 0;
};

// The log without its last column (elapsed seconds, which differ between runs).
std::string log_without_time(const std::filesystem::path& path) {
  std::istringstream in(lethe::testing::read_text(path));
  std::string out;
  for (std::string line; std::getline(in, line);) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

void record_signal(int) {}

}  // namespace

TEST_CASE("run_resumable: checkpoints at the cadence and at the end") {
  const auto dir = lethe::testing::fresh_dir("resumable_plain");
  CountingJob job;
  CHECK(lethe::run_resumable(job, RunSettings{dir.string(), 10, 4, false}));
  CHECK(job.saved_at == std::vector<int64_t>{4, 8, 10});
  CHECK(lethe::testing::read_text(dir / "checkpoint.safetensors") == "10 55");
  CHECK(log_without_time(dir / "log.csv").substr(0, 18) == "step,total\n1,1\n2,3");
}

TEST_CASE(
    "run_resumable: SIGINT and SIGTERM stop at a step boundary, save, and restore the handler") {
  for (const int signal : {SIGINT, SIGTERM}) {
    CAPTURE(signal);
    const auto dir = lethe::testing::fresh_dir("resumable_signal");
    const auto previous = std::signal(signal, record_signal);
    CountingJob job;
    job.raise_signal = signal;
    job.raise_at = 6;
    CHECK_FALSE(lethe::run_resumable(job, RunSettings{dir.string(), 10, 4, false}));
    const bool restored = std::signal(signal, previous) == record_signal;
    CHECK(restored);  // the handler from before the run is back
    // Step 6 finishes (the flag is read between steps), and its state is what is saved.
    CHECK(job.saved_at == std::vector<int64_t>{4, 6});
    CHECK(lethe::testing::read_text(dir / "checkpoint.safetensors") == "6 21");

    // Resuming writes the same log as a run that was never interrupted.
    CountingJob resumed;
    CHECK(lethe::run_resumable(resumed, RunSettings{dir.string(), 10, 4, true}));
    CHECK(resumed.saved_at == std::vector<int64_t>{8, 10});
    const auto reference = lethe::testing::fresh_dir("resumable_reference");
    CountingJob uninterrupted;
    lethe::run_resumable(uninterrupted, RunSettings{reference.string(), 10, 4, false});
    CHECK(log_without_time(dir / "log.csv") == log_without_time(reference / "log.csv"));
  }
}

TEST_CASE("run_resumable: refuses a run directory it cannot create and a zero cadence") {
  const auto dir = lethe::testing::fresh_dir("resumable_bad");
  { std::ofstream(dir / "file") << "x"; }
  CountingJob job;
  CHECK_THROWS_WITH_AS(lethe::run_resumable(job, RunSettings{(dir / "file/run").string(), 5, 1}),
                       doctest::Contains("cannot create the run directory"), lethe::Error);
  CHECK_THROWS_WITH_AS(lethe::run_resumable(job, RunSettings{(dir / "run").string(), 5, 0}),
                       doctest::Contains("steps between checkpoints must be positive"),
                       lethe::Error);
  CHECK(job.saved_at.empty());
}
