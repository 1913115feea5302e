#include "lethe/run/run_log.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "lethe/core/error.h"
#include "lethe/io/atomic_file.h"

namespace lethe {

std::ofstream open_run_log(const std::string& path, const std::string& header, bool resume,
                           int64_t resumed_step) {
  if (resume && std::filesystem::exists(path) && std::filesystem::file_size(path) > 0) {
    std::ifstream old(path);
    std::string kept, line;
    std::getline(old, line);
    LETHE_CHECK(line == header, "the log '", path, "' has the header '", line, "', expected '",
                header, "'");
    kept = line + "\n";
    while (std::getline(old, line)) {
      const int64_t step = std::strtoll(line.c_str(), nullptr, 10);
      if (step >= 1 && step <= resumed_step) kept += line + "\n";
    }
    AtomicFileWriter writer(path);
    writer.write(kept.data(), kept.size());
    writer.commit();
    std::ofstream log(path, std::ios::app);
    LETHE_CHECK(log.good(), "cannot write the log '", path, "'");
    return log;
  }
  std::ofstream log(path, std::ios::trunc);
  LETHE_CHECK(log.good(), "cannot write the log '", path, "'");
  log << header << '\n';
  return log;
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace lethe
