// The one driver of every long run (training, unlearning, distillation, and the experiments that
// chain them): a run directory, a CSV log kept consistent with the checkpoint, checkpoints every N
// steps, --resume that continues bit for bit, and SIGINT / SIGTERM that stop the run at the next
// step boundary with a checkpoint written. A job plugs in by implementing ResumableJob.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace lethe {

// What the driver needs of a trainer, an unlearner or a distiller.
class ResumableJob {
 public:
  // Called after each completed step with the step's CSV fields (the columns between "step" and
  // "elapsed_s", already joined by commas) and the value the progress line shows.
  using StepLog =
      std::function<void(int64_t step, const std::string& csv_fields, double progress_value)>;

  virtual ~ResumableJob() = default;
  virtual std::string name() const = 0;  // the progress line's label, e.g. "train"
  virtual std::string progress_value_name() const { return "loss"; }
  virtual std::string log_columns() const = 0;  // the CSV header between "step" and "elapsed_s"
  virtual std::string description() const = 0;  // one line printed when the run starts
  virtual int64_t step() const = 0;             // completed steps
  // Runs steps until `final_step` are done or `stop` becomes true (checked between steps).
  virtual void run_until(int64_t final_step, const StepLog& log, const std::atomic<bool>& stop) = 0;
  virtual void save_checkpoint(const std::string& path) = 0;  // atomic
  virtual void load_checkpoint(const std::string& path) = 0;  // the same settings required
  // The first step after `step` and at most `final_step` where the run pauses for at_pause
  // (SFD's snapshots); by default none before final_step.
  virtual int64_t next_pause(int64_t step, int64_t final_step) const { return final_step; }
  // Called at the start, at every pause and checkpoint, before the checkpoint is written.
  virtual void at_pause(const std::string& out_dir) {}
  virtual void finish() {}  // after the last step, before the final line: a summary, if any
};

struct RunSettings {
  std::string out_dir;           // OUT/checkpoint.safetensors, OUT/log.csv
  int64_t steps = 0;             // the run's total, counted from step 0 of the first start
  int64_t checkpoint_every = 0;  // steps between checkpoints (> 0)
  bool resume = false;           // continue from OUT/checkpoint.safetensors
};

// Runs `job` to settings.steps. Prints "resumed PATH at step N" on resume, the job's description,
// a progress line at least once a second, and "saved at step N: PATH" (or "interrupted, saved
// ..."). The previous SIGINT / SIGTERM handlers are restored when it returns. Returns false when a
// signal stopped the run first (its checkpoint is saved).
bool run_resumable(ResumableJob& job, const RunSettings& settings);

// Creates OUT, checks that it is a writable directory and removes the temporary files of saves a
// kill interrupted. run_resumable calls it; a run_*() calls it first too, so that a bad --out
// fails before any data is read.
void prepare_run_directory(const std::string& out_dir);

// The checkpoint a run directory holds: OUT/checkpoint.safetensors.
std::string run_checkpoint_path(const std::string& out_dir);

}  // namespace lethe
