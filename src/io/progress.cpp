#include "lethe/io/progress.h"

#include <unistd.h>

#include <cstdio>

namespace lethe {

Progress::Progress(std::string label, int64_t total_steps, int64_t first_step)
    : label_(std::move(label)),
      total_(total_steps),
      first_step_(first_step),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_),
      is_terminal_(isatty(fileno(stderr)) != 0) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t step, double value, const std::string& value_name) {
  const auto now = std::chrono::steady_clock::now();
  const double since_print = std::chrono::duration<double>(now - last_print_).count();
  const bool last = step >= total_;
  if (!last && since_print < (is_terminal_ ? 0.1 : 2.0)) return;
  last_print_ = now;
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(step - first_step_) / elapsed : 0;
  const double eta = rate > 0 ? (total_ - step) / rate : 0;
  std::fprintf(stderr, "%s%s step %lld/%lld  %s %.5g  %.1f it/s  ETA %.1fs%s",
               is_terminal_ ? "\r" : "", label_.c_str(), static_cast<long long>(step),
               static_cast<long long>(total_), value_name.c_str(), value, rate, eta,
               is_terminal_ ? "\033[K" : "\n");
  std::fflush(stderr);
  printed_ = true;
}

void Progress::finish() {
  if (printed_ && is_terminal_) std::fprintf(stderr, "\n");
  std::fprintf(stderr, "%s done in %.1fs\n", label_.c_str(), elapsed_seconds());
}

}  // namespace lethe
