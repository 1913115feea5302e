// The progress line: its rate counts the steps done since the work started, so that a resumed
// run does not report the checkpoint's steps as done in its first seconds.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "lethe/io/progress.h"
#include "test_files.h"

namespace {

// What `report` writes to stderr.
template <class Report>
std::string captured_stderr(Report&& report) {
  const std::filesystem::path path = lethe::testing::fresh_dir("progress") / "stderr.txt";
  std::FILE* file = std::fopen(path.c_str(), "w");
  REQUIRE(file != nullptr);
  std::fflush(stderr);
  const int saved = dup(fileno(stderr));
  dup2(fileno(file), fileno(stderr));
  report();
  std::fflush(stderr);
  dup2(saved, fileno(stderr));
  close(saved);
  std::fclose(file);
  return lethe::testing::read_text(path);
}

}  // namespace

TEST_CASE("progress: it/s of a resumed run counts only the steps done since it started") {
  const std::string line = captured_stderr([] {
    lethe::Progress progress("train", 1000, 900);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    progress.update(1000, 0.5);  // the last step always prints
  });
  INFO(line);
  const size_t rate_end = line.find(" it/s");
  REQUIRE(rate_end != std::string::npos);
  const double rate = std::stod(line.substr(line.rfind(' ', rate_end - 1) + 1));
  // 100 steps in at least 50 ms: at most 2000 it/s (counting all 1000 steps would give 10x).
  CHECK(rate > 0);
  CHECK(rate <= 2000);
  CHECK(line.find("step 1000/1000") != std::string::npos);
  CHECK(line.find("ETA 0.0s") != std::string::npos);
}
