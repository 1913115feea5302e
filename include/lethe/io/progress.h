// A one-line progress report for long work: "step 120/3000  loss 0.4123  812.4 it/s  ETA 3.5s".
// Rewrites the line in place on a terminal and prints every `print_every` steps otherwise.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace lethe {

class Progress {
 public:
  // first_step: the step work starts from (a resumed run's checkpoint step), so that it/s and
  // the ETA count only the steps done since.
  Progress(std::string label, int64_t total_steps, int64_t first_step = 0);
  // Reports step `step` (1-based) with a value such as the loss; prints at most ~10 times a second.
  void update(int64_t step, double value, const std::string& value_name = "loss");
  void finish();  // final line with the total time
  double elapsed_seconds() const;

 private:
  std::string label_;
  int64_t total_;
  int64_t first_step_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool is_terminal_;
  bool printed_ = false;
};

}  // namespace lethe
