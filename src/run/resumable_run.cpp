#include "lethe/run/resumable_run.h"

#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdio>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "lethe/core/error.h"
#include "lethe/io/progress.h"
#include "lethe/run/run_log.h"

namespace lethe {
namespace {

std::atomic<bool> stop_requested{false};

// Installs the stop handler for SIGINT and SIGTERM for its lifetime, then restores what was there.
class StopOnSignals {
 public:
  StopOnSignals() {
    stop_requested = false;
    previous_interrupt_ = std::signal(SIGINT, [](int) { stop_requested = true; });
    previous_terminate_ = std::signal(SIGTERM, [](int) { stop_requested = true; });
  }
  ~StopOnSignals() {
    std::signal(SIGINT, previous_interrupt_);
    std::signal(SIGTERM, previous_terminate_);
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  void (*previous_interrupt_)(int);
  void (*previous_terminate_)(int);
};

}  // namespace

// Creates the run directory (checked writable before any work) and removes the temporary files
// of saves that a kill interrupted between writing and renaming (NAME.tmp.PID.N, see
// io/atomic_file.h) in it and in its snapshots/.
void prepare_run_directory(const std::string& out_dir) {
  LETHE_CHECK(!out_dir.empty(), "the run directory is empty");
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  const bool directory = !error && std::filesystem::is_directory(out_dir, error);
  LETHE_CHECK(directory && access(out_dir.c_str(), W_OK) == 0, "cannot create the run directory '",
              out_dir, "'",
              error ? ": " + error.message() : std::string(" (not a writable directory)"));
  for (const std::string& dir : {out_dir, out_dir + "/snapshots"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      const std::string name = entry.path().filename().string();
      if (name.find(".safetensors.tmp.") != std::string::npos) {
        std::filesystem::remove(entry.path(), error);
      }
    }
  }
}

std::string run_checkpoint_path(const std::string& out_dir) {
  return out_dir + "/checkpoint.safetensors";
}

bool run_resumable(ResumableJob& job, const RunSettings& settings) {
  LETHE_CHECK(settings.checkpoint_every > 0, "steps between checkpoints must be positive, got ",
              settings.checkpoint_every);
  prepare_run_directory(settings.out_dir);
  const std::string checkpoint = run_checkpoint_path(settings.out_dir);
  if (settings.resume) {
    job.load_checkpoint(checkpoint);
    std::printf("resumed %s at step %lld\n", checkpoint.c_str(),
                static_cast<long long>(job.step()));
  }
  std::ofstream log =
      open_run_log(settings.out_dir + "/log.csv", "step," + job.log_columns() + ",elapsed_s",
                   settings.resume, job.step());
  std::printf("%s\n", job.description().c_str());
  std::fflush(stdout);

  job.at_pause(settings.out_dir);
  const StopOnSignals signals;
  Progress progress(job.name(), settings.steps, job.step());
  const ResumableJob::StepLog log_step = [&](int64_t step, const std::string& fields,
                                             double progress_value) {
    log << step << ',' << fields << ',' << progress.elapsed_seconds() << '\n';
    progress.update(step, progress_value, job.progress_value_name());
  };
  // A failed step (a non-finite loss or update) ends the run naming the step and what is saved.
  int64_t saved_step = settings.resume ? job.step() : -1;
  while (job.step() < settings.steps && !stop_requested) {
    const int64_t next_checkpoint = std::min(
        settings.steps, (job.step() / settings.checkpoint_every + 1) * settings.checkpoint_every);
    try {
      job.run_until(job.next_pause(job.step(), next_checkpoint), log_step, stop_requested);
    } catch (const Error& error) {
      std::ostringstream message;
      message << job.name() << ": step " << job.step() + 1 << " failed: " << error.what() << "; ";
      if (saved_step >= 0)
        message << "the last good checkpoint is " << checkpoint << " (step " << saved_step << ")";
      else
        message << "no checkpoint was saved before it";
      throw Error(message.str());
    }
    log.flush();
    job.at_pause(settings.out_dir);
    job.save_checkpoint(checkpoint);
    saved_step = job.step();
  }
  progress.finish();
  job.finish();
  std::printf("%s at step %lld: %s\n", stop_requested ? "interrupted, saved" : "saved",
              static_cast<long long>(job.step()), checkpoint.c_str());
  return !stop_requested;
}

}  // namespace lethe
