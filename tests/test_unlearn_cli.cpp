// The unlearning and experiment commands: a tiny end-to-end run of each, and the errors for bad
// flags (one message naming the flag, non-zero exit).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.h"
#include "digit_fixture.h"
#include "test_files.h"

namespace fs = std::filesystem;

using lethe::testing::fresh_dir;
using lethe::testing::read_text;

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

  // Each refused command line, with the text its one-line error must contain.
  const std::vector<std::pair<std::string, std::string>> refusals{
      {"unlearn msgm --toy toy-msgm --undesirable 2 --variant square",
       "unknown MSGM variant 'square'"},
      {"unlearn msgm --toy toy-msgm", "--undesirable"},
      {"unlearn msgm --toy toy-msgm --undesirable 2 --config mnist-xs",
       "--config applies to the U-Net"},
      {"unlearn msgm --toy toy-msgm --undesirable 2 --undesirable-p-uncond 0.5",
       "--undesirable-p-uncond applies to the U-Net"},
      {"unlearn msgm --undesirable 7 --undesirable-p-uncond 1.5", "--undesirable-p-uncond"},
      {"unlearn msgm --toy toy-msgm --undesirable 5", "component 5"},
      {"unlearn msgm --toy toy-msgm --undesirable 2 --every 0 --out " + dir.string(), "period"},
      {"unlearn msgm --undesirable 7 --init /nonexistent/ckpt.safetensors --data " + dir.string(),
       "/nonexistent/ckpt.safetensors"}};
  for (const auto& [command, message] : refusals) {
    CAPTURE(command);
    const CommandResult refused = run_lethe(command);
    CHECK(refused.exit_code != 0);
    CHECK(refused.contains(message));
  }
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

TEST_CASE("lethe unlearn graddiff: a tiny run logs, resumes and samples; bad flags are refused") {
  const fs::path dir = fresh_dir("gradient_unlearning_cli");
  fs::create_directories(dir);
  lethe::testing::write_digit_fixture(dir, 60);
  const std::string data = " --data " + dir.string();
  const CommandResult train = run_lethe("train --config mnist-xs --steps 1 --batch 4 --out " +
                                        (dir / "start").string() + data);
  REQUIRE_MESSAGE(train.exit_code == 0, train.output);
  const std::string start = (dir / "start" / "checkpoint.safetensors").string();
  const std::string flags = " --forget 4 --init " + start + data +
                            " --forget-batch 3 --retain-batch 4 --retain-per-class 2 --out " +
                            (dir / "u").string();
  const CommandResult first = run_lethe("unlearn graddiff --steps 2" + flags);
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  CHECK(first.contains("graddiff: forget {4}"));
  CHECK(first.contains("retain set 18 images (balanced)"));
  CHECK(first.contains("first-order predictions held"));
  const CommandResult resumed = run_lethe("unlearn graddiff --steps 3 --resume" + flags);
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(resumed.contains("resumed"));
  const std::string log = read_text(dir / "u" / "log.csv");
  CHECK(log.rfind("step,forget_loss,retain_loss,cos_phi,conflict,", 0) == 0);
  CHECK(log.find("\n3,") != std::string::npos);
  const std::string unlearned = (dir / "u" / "checkpoint.safetensors").string();
  const CommandResult sample =
      run_lethe("sample " + unlearned + " --sampler ddim --steps 2 --labels 4 --n 1 --out " +
                (dir / "s.png").string());
  CHECK_MESSAGE(sample.exit_code == 0, sample.output);

  const CommandResult optimizer = run_lethe("unlearn rgd --optimizer lbfgs" + flags);
  CHECK(optimizer.exit_code != 0);
  CHECK(optimizer.contains("unknown optimizer 'lbfgs'"));
  const CommandResult no_forget = run_lethe("unlearn rgd --init " + start + data);
  CHECK(no_forget.exit_code != 0);
  CHECK(no_forget.contains("--forget"));
  const CommandResult missing = run_lethe("unlearn esd --forget 4 --init /nonexistent.safetensors");
  CHECK(missing.exit_code != 0);
  CHECK(missing.contains("--init: no checkpoint file '/nonexistent.safetensors'"));
  const CommandResult overlap = run_lethe("unlearn rgd --retain-classes 4,9" + flags);
  CHECK(overlap.exit_code != 0);
  CHECK(overlap.contains("retain class 4 is also a forget class"));
  const CommandResult not_unet = run_lethe("unlearn rg --forget 4 --init " +
                                           (dir / "train-images-idx3-ubyte").string() + data);
  CHECK(not_unet.exit_code != 0);
  fs::remove_all(dir);
}

TEST_CASE("lethe experiment msgm-mnist compares checkpoints and writes its table, JSON and grids") {
  const fs::path dir = fresh_dir("msgm_mnist_experiment");
  fs::create_directories(dir);
  for (const char* split : {"train", "t10k"})
    lethe::testing::write_digit_fixture(dir, 40, split, 4);
  const std::string data = " --data " + dir.string();
  REQUIRE(
      run_lethe("train --config mnist-xs --steps 1 --batch 4 --out " + (dir / "m").string() + data)
          .exit_code == 0);
  const std::string model = (dir / "m" / "checkpoint.safetensors").string();
  const std::string classifier =
      " --classifier " + std::string(LETHE_SOURCE_DIR) + "/weights/mnist-classifier.safetensors";
  const CommandResult run = run_lethe(
      "experiment msgm-mnist --undesirable 7 --models a=" + model + ",b=" + model + classifier +
      data +
      " --unguided 4 --per-class 2 --bpd-images 1 --bpd-tolerance 0.01 --steps 2 --edit-images 2 "
      "--edit-steps 2 --out " +
      dir.string());
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const std::string markdown = read_text(dir / "msgm-mnist.md");
  CHECK(markdown.find("| a |") != std::string::npos);
  CHECK(markdown.find("| b |") != std::string::npos);
  const std::string json = read_text(dir / "msgm-mnist.json");
  for (const char* key : {"\"unguided_undesirable_rate\"", "\"asked_undesirable\"",
                          "\"unguided_none\"", "\"ci95\"", "\"bpd_undesirable\"", "\"cfid\""})
    CHECK_MESSAGE(json.find(key) != std::string::npos, key);
  CHECK(markdown.find("p vs a (Fisher)") != std::string::npos);
  CHECK(markdown.find("--baseline a") != std::string::npos);
  CHECK(fs::exists(dir / "a.png"));
  CHECK(fs::exists(dir / "a-edits.png"));
  for (const char* row : {"| a | D_g | inpaint top | 2 |", "| a | D_u | inpaint centre | 2 |",
                          "| b | D_u | reconstruct (PF-ODE) | 2 |"})
    CHECK_MESSAGE(markdown.find(row) != std::string::npos, row);
  CHECK(json.find("\"classified_as_original_digit\"") != std::string::npos);
  // Unconditional models: no conditional samples, quality from the unguided ones, the Fisher test
  // against a named baseline.
  const fs::path unguided_dir = dir / "unguided";
  const CommandResult unguided = run_lethe(
      "experiment msgm-mnist --undesirable 7 --models a=" + model + ",b=" + model + classifier +
      data +
      " --baseline b --unguided 12 --per-class 0 --bpd-images 0 --edit-images 0 --steps 2 "
      "--out " +
      unguided_dir.string());
  REQUIRE_MESSAGE(unguided.exit_code == 0, unguided.output);
  const std::string unguided_markdown = read_text(unguided_dir / "msgm-mnist.md");
  CHECK(unguided_markdown.find("p vs b (Fisher) |") != std::string::npos);
  CHECK(unguided_markdown.find("| a | 0.") != std::string::npos);
  CHECK(read_text(unguided_dir / "msgm-mnist.json").find("\"cfid\"") != std::string::npos);
  CHECK(fs::exists(unguided_dir / "a.png"));
  // A second run with one more model reuses the cached figures of the two it has seen.
  const CommandResult cached = run_lethe(
      "experiment msgm-mnist --undesirable 7 --models a=" + model + ",b=" + model + ",c=" + model +
      classifier + data +
      " --baseline b --unguided 12 --per-class 0 --bpd-images 0 --edit-images 0 --steps 2 "
      "--out " +
      unguided_dir.string());
  REQUIRE_MESSAGE(cached.exit_code == 0, cached.output);
  CHECK(cached.contains("a: figures from"));
  CHECK(cached.contains("b: figures from"));
  CHECK(cached.contains("c (" + model + "): sampling"));
  CHECK(read_text(unguided_dir / "msgm-mnist.md").find("| c | 0.") != std::string::npos);
  const CommandResult no_baseline = run_lethe("experiment msgm-mnist --models a=" + model +
                                              " --baseline zz --per-class 0" + data);
  CHECK(no_baseline.exit_code != 0);
  CHECK(no_baseline.contains("--baseline: no model named 'zz'"));
  const CommandResult bad = run_lethe("experiment msgm-mnist --models a" + data);
  CHECK(bad.exit_code != 0);
  CHECK(bad.contains("NAME=CHECKPOINT"));
  const CommandResult missing = run_lethe("experiment msgm-mnist --models a=/nonexistent" + data);
  CHECK(missing.exit_code != 0);
  CHECK(missing.contains("no checkpoint '/nonexistent'"));
  fs::remove_all(dir);
}

TEST_CASE("lethe experiment rgd-mnist runs, resumes and evaluates methods, with loss plots") {
  const fs::path dir = fresh_dir("rgd_mnist_experiment");
  fs::create_directories(dir);
  for (const char* split : {"train", "t10k"})
    lethe::testing::write_digit_fixture(dir, 60, split, 5);
  const std::string data = " --data " + dir.string();
  REQUIRE(
      run_lethe("train --config mnist-xs --steps 1 --batch 4 --out " + (dir / "m").string() + data)
          .exit_code == 0);
  const std::string flags =
      " --init " + (dir / "m" / "checkpoint.safetensors").string() + data + " --classifier " +
      std::string(LETHE_SOURCE_DIR) +
      "/weights/mnist-classifier.safetensors --methods rgd,graddiff,graddiff-sgd,rgd-narrow "
      "--forget-batch 3 --retain-batch 4 --retain-per-class 5 --forget-samples 2 --per-class 1 "
      "--sampler-steps 2 --out " +
      dir.string();
  // A narrow retain set of 45 images (5 per retained digit) cannot come from two classes of 6
  // images each: that run stops with the reason. An unknown method is refused before any run
  // starts.
  const CommandResult narrow = run_lethe("experiment rgd-mnist --steps 1" + flags);
  CHECK(narrow.exit_code != 0);
  CHECK(narrow.contains("retain set: class"));
  const CommandResult unknown =
      run_lethe("experiment rgd-mnist --steps 1 --methods rgd,ascent" + data);
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.contains("unknown unlearning method 'ascent'"));
  const std::string small = flags + " --narrow-classes 9,7,8,6,5,3,2,1,0";
  REQUIRE(run_lethe("experiment rgd-mnist --steps 1" + small).exit_code == 0);
  const CommandResult resumed = run_lethe("experiment rgd-mnist --steps 2" + small);
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(resumed.contains("resumed"));
  const std::string markdown = read_text(dir / "rgd-mnist.md");
  for (const char* row : {"| original |", "| rgd |", "| graddiff-sgd |", "| rgd-narrow |"})
    CHECK_MESSAGE(markdown.find(row) != std::string::npos, row);
  // The "Generated by" line is the whole command: every flag that shapes the table.
  for (const char* flag : {"--alpha-trunc 0.1", "--lambda 5", "--retain-per-class 5",
                           "--per-class 1", "--sampler-steps 2", "--seed 1", "--precision fp32"})
    CHECK_MESSAGE(markdown.find(flag) != std::string::npos, flag);
  CHECK(markdown.find("UA [95 % CI]") != std::string::npos);
  const std::string svg = read_text(dir / "losses-SGD-forget.svg");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("graddiff-sgd") != std::string::npos);
  CHECK(fs::exists(dir / "losses-Adam-retain.svg"));
  CHECK(read_text(dir / "rgd-mnist.json").find("\"wall_seconds\"") != std::string::npos);
  fs::remove_all(dir);
}
