// The unlearning and experiment commands: a tiny end-to-end run of each, and the errors for bad
// flags (one message naming the flag, non-zero exit).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"

namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("lethe_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

std::string read_text(const fs::path& path) {
  std::ifstream file(path);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("lethe unlearn msgm --toy trains a moderated toy model; bad flags are refused") {
  const fs::path dir = fresh_dir("msgm_cli");
  const CommandResult toy =
      run_lethe("unlearn msgm --toy toy-msgm --undesirable 2 --variant obtuse --steps 20 --out " +
                dir.string());
  REQUIRE_MESSAGE(toy.exit_code == 0, toy.output);
  CHECK(toy.contains("MSGM obtuse on the toy toy-msgm"));
  CHECK(fs::exists(dir / "checkpoint.safetensors"));
  const CommandResult sample = run_lethe("toy sample " + (dir / "checkpoint.safetensors").string() +
                                         " --n 100 --steps 10 --out " + (dir / "s.png").string());
  CHECK_MESSAGE(sample.exit_code == 0, sample.output);

  const CommandResult variant =
      run_lethe("unlearn msgm --toy toy-msgm --undesirable 2 --variant square");
  CHECK(variant.exit_code != 0);
  CHECK(variant.contains("unknown MSGM variant 'square'"));
  const CommandResult missing = run_lethe("unlearn msgm --toy toy-msgm");
  CHECK(missing.exit_code != 0);
  CHECK(missing.contains("--undesirable"));
  const CommandResult unet_flag =
      run_lethe("unlearn msgm --toy toy-msgm --undesirable 2 --config mnist-xs");
  CHECK(unet_flag.exit_code != 0);
  CHECK(unet_flag.contains("--config applies to the U-Net"));
  const CommandResult component = run_lethe("unlearn msgm --toy toy-msgm --undesirable 5");
  CHECK(component.exit_code != 0);
  CHECK(component.contains("component 5"));
  const CommandResult every =
      run_lethe("unlearn msgm --toy toy-msgm --undesirable 2 --every 0 --out " + dir.string());
  CHECK(every.exit_code != 0);
  CHECK(every.contains("period"));
  const CommandResult init = run_lethe(
      "unlearn msgm --undesirable 7 --init /nonexistent/ckpt.safetensors --data " + dir.string());
  CHECK(init.exit_code != 0);
  CHECK(init.contains("/nonexistent/ckpt.safetensors"));
  CHECK(run_lethe("unlearn msgm --help").contains("--obtuse-floor"));
  CHECK(run_lethe("unlearn").exit_code != 0);
  fs::remove_all(dir);
}

TEST_CASE("lethe experiment msgm-toy writes its table, JSON and scatter plots") {
  const fs::path dir = fresh_dir("msgm_toy_experiment");
  const CommandResult run = run_lethe(
      "experiment msgm-toy --steps 30 --samples 300 --sampler-steps 10 --seeds 1 "
      "--variants orthogonal --schedules 0.1@1 --out " +
      dir.string());
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const std::string markdown = read_text(dir / "msgm-toy.md");
  for (const char* row : {"| original |", "| retrain |", "| msgm orthogonal w=0.1/1 |",
                          "| exact score of D_g (sampler control) |"})
    CHECK_MESSAGE(markdown.find(row) != std::string::npos, row);
  const std::string json = read_text(dir / "msgm-toy.json");
  CHECK(json.find("\"exact_mass_desirable_only\"") != std::string::npos);
  CHECK(fs::exists(dir / "original.png"));
  const CommandResult bad = run_lethe("experiment msgm-toy --schedules 0.1 --out " + dir.string());
  CHECK(bad.exit_code != 0);
  CHECK(bad.contains("WEIGHT@EVERY"));
  fs::remove_all(dir);
}
