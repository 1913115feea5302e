// The per-step CSV log of a training, unlearning or distillation run, kept consistent with the
// checkpoint across resumes.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>

namespace lethe {

// A fresh run (or an empty log) truncates `path` and writes `header` (one line, no newline). A
// resumed run keeps the header, which must match, and the rows up to `resumed_step` (the
// checkpoint's step: rows written after it by a run that was killed are dropped; the file is
// rewritten atomically) and appends to them.
std::ofstream open_run_log(const std::string& path, const std::string& header, bool resume,
                           int64_t resumed_step);

// A log field: %.6g, or empty for NaN (a value the step did not measure).
std::string csv_number(double value);

}  // namespace lethe
