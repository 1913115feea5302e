// Smoke runs of the model commands (train, info, sample, eval, train-classifier) on a tiny
// mnist-xs checkpoint and a fixture data set, including their bad-input paths.
#include <doctest/doctest.h>

#include <unistd.h>
#include <algorithm>
#include <cmath>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "lethe/core/allocator.h"
#include "lethe/eval/classifier.h"
#include "lethe/io/image_dataset.h"
#include "lethe/io/safetensors.h"

using namespace lethe;
namespace fs = std::filesystem;

namespace {

// A fixture data set (40 random train and 20 test images) and a 2-step mnist-xs run, made once.
struct ModelFixture {
  // Unique per process, so concurrent test runs never share it.
  fs::path dir = fs::temp_directory_path() / ("lethe_test_cli_models_" + std::to_string(getpid()));
  std::string data, checkpoint;
  ModelFixture() {
    fs::remove_all(dir);
    fs::create_directories(dir / "data");
    Generator noise(3);
    for (auto [prefix, count] : {std::pair{"train", 40}, std::pair{"t10k", 20}}) {
      std::vector<int64_t> labels;
      for (int i = 0; i < count; ++i) labels.push_back(i % 10);
      write_idx_images((dir / "data" / (std::string(prefix) + "-images-idx3-ubyte")).string(),
                       noise.uniform({count, 28, 28}, 0, 255).to(DType::u8));
      write_idx_labels((dir / "data" / (std::string(prefix) + "-labels-idx1-ubyte")).string(),
                       Tensor::from_vector(labels, {count}));
    }
    data = (dir / "data").string();
    const CommandResult train = run_lethe("train --config mnist-xs --data " + data +
                                          " --steps 2 --batch 8 --out " + (dir / "run").string());
    REQUIRE_MESSAGE(train.exit_code == 0, train.output);
    checkpoint = (dir / "run/checkpoint.safetensors").string();
  }
  ~ModelFixture() {
    std::error_code ignored;  // runs at exit: never throw
    fs::remove_all(dir, ignored);
  }
};

ModelFixture& fixture() {
  static ModelFixture instance;
  return instance;
}

}  // namespace

TEST_CASE("lethe train writes a log and a checkpoint; --resume continues from it") {
  const ModelFixture& f = fixture();
  std::ifstream log(f.dir / "run/log.csv");
  std::string header, first;
  std::getline(log, header);
  std::getline(log, first);
  CHECK(header == "step,loss,desirable_loss,undesirable_loss,grad_norm,lr,elapsed_s");
  CHECK(first.rfind("1,", 0) == 0);
  const CommandResult resumed =
      run_lethe("train --config mnist-xs --data " + f.data +
                " --steps 3 --batch 8 --resume --out " + (f.dir / "run").string());
  CHECK_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(resumed.contains("resumed"));
  CHECK(resumed.contains("at step 3"));
}

TEST_CASE("lethe info prints the config, step and parameter count") {
  const CommandResult info = run_lethe("info " + fixture().checkpoint);
  CHECK(info.exit_code == 0);
  CHECK(info.contains("unet.name              mnist-xs"));
  CHECK(info.contains("parameters             164689"));
  CHECK(info.contains("can resume"));
}

TEST_CASE("lethe sample writes a grid or a samples file, and rejects bad input") {
  const ModelFixture& f = fixture();
  const std::string out = (f.dir / "s.safetensors").string();
  const CommandResult run = run_lethe("sample " + f.checkpoint +
                                      " --sampler em --steps 3 --n 2 --labels 4,null --out " + out);
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const SafetensorsFile file = load_safetensors(out);
  CHECK(file.at("samples").shape() == Shape{4, 1, 28, 28});
  CHECK(file.at("labels").to_double_vector() == std::vector<double>{4, 4, 10, 10});
  CHECK(file.metadata.at("sampler") == "em");

  const CommandResult same = run_lethe("sample " + f.checkpoint +
                                       " --sampler em --steps 3 --n 2 "
                                       "--labels 4,null --out " +
                                       out + ".again.safetensors");
  CHECK(same.exit_code == 0);  // same seed, same samples
  CHECK(load_safetensors(out + ".again.safetensors").at("samples").to_float_vector() ==
        file.at("samples").to_float_vector());

  const std::string png = (f.dir / "grid.png").string();
  CHECK(run_lethe("sample " + f.checkpoint +
                  " --sampler ddim --steps 2 --n 3 --labels 0,1 "
                  "--cfg 1.5 --out " +
                  png)
            .exit_code == 0);
  CHECK(fs::file_size(png) > 100);

  save_safetensors((f.dir / "latents.safetensors").string(),
                   {{"z", Tensor::zeros({3, 1, 28, 28})}});
  const CommandResult latents =
      run_lethe("sample " + f.checkpoint +
                " --n 2 --labels 1 "
                "--latents " +
                (f.dir / "latents.safetensors").string() + " --out " + out);
  CHECK(latents.exit_code != 0);
  CHECK(latents.contains("(2, 1, 28, 28)"));
  CHECK(run_lethe("sample " + f.checkpoint + " --sampler nope --out " + out).contains("nope"));
  CHECK(run_lethe("sample " + f.checkpoint + " --labels 3,12 --out " + out).contains("'12'"));
  CHECK(run_lethe("sample " + f.checkpoint + " --out x.jpg").contains(".png or .safetensors"));
  const std::string broken = (f.dir / "broken.safetensors").string();
  fs::copy_file(f.checkpoint, broken, fs::copy_options::overwrite_existing);
  fs::resize_file(broken, fs::file_size(broken) / 3);
  const CommandResult truncated = run_lethe("sample " + broken + " --out " + out);
  CHECK(truncated.exit_code != 0);
  CHECK(truncated.contains("broken.safetensors"));
}

TEST_CASE("lethe train and sample --device cuda: run on a GPU, a clear error without one") {
  const ModelFixture& f = fixture();
  const std::string run_dir = (f.dir / "run_cuda").string();
  const std::string samples = (f.dir / "cuda_samples.safetensors").string();
  const CommandResult train =
      run_lethe("train --config mnist-xs --data " + f.data +
                " --steps 3 --batch 8 --device cuda --kernels auto --out " + run_dir);
  const CommandResult sample =
      run_lethe("sample " + f.checkpoint +
                " --sampler em --steps 3 --n 2 --labels 4,null --device cuda --out " + samples);
  if (!cuda_available()) {
    for (const CommandResult* run : {&train, &sample}) {
      CHECK(run->exit_code != 0);
      CHECK_MESSAGE(run->contains("--device: cuda: "), run->output);
    }
    return;
  }
  REQUIRE_MESSAGE(train.exit_code == 0, train.output);
  CHECK(train.contains("on cuda"));
  CHECK(train.contains("saved at step 3"));
  REQUIRE_MESSAGE(sample.exit_code == 0, sample.output);
  const CommandResult on_cpu =
      run_lethe("sample " + f.checkpoint + " --sampler em --steps 3 --n 2 --labels 4,null --out " +
                samples + ".cpu.safetensors");
  REQUIRE_MESSAGE(on_cpu.exit_code == 0, on_cpu.output);
  const std::vector<float> gpu = load_safetensors(samples).at("samples").to_float_vector();
  const std::vector<float> cpu =
      load_safetensors(samples + ".cpu.safetensors").at("samples").to_float_vector();
  REQUIRE(gpu.size() == cpu.size());
  double largest_difference = 0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    largest_difference = std::max(largest_difference, std::abs(double(gpu[i]) - cpu[i]));
  }
  MESSAGE("lethe sample --device cuda vs cpu: largest difference ", largest_difference);
  CHECK(largest_difference <= 1e-3);
}

TEST_CASE("lethe inpaint, reconstruct and bpd --device cuda: run on a GPU, a clear error without") {
  const ModelFixture& f = fixture();
  const std::string base = (f.dir / "zeroshot_cuda").string();
  const std::string inpaint = "inpaint " + f.checkpoint + " --data " + f.data +
                              " --count 2 --sampler em --steps 3 --mask centre --out " + base +
                              ".png";
  const std::string reconstruct = "reconstruct " + f.checkpoint + " --data " + f.data +
                                  " --count 2 --ode heun --steps 2 --out " + base + "_r.png";
  const std::string bpd =
      "bpd " + f.checkpoint + " --data " + f.data + " --count 2 --rtol 1e-2 --atol 1e-2";
  for (const std::string& command : {inpaint, reconstruct, bpd}) {
    const CommandResult run = run_lethe(command + " --device cuda");
    INFO(command, "\n", run.output);
    if (!cuda_available()) {
      CHECK(run.exit_code != 0);
      CHECK(run.contains("--device: cuda: "));
      continue;
    }
    CHECK(run.exit_code == 0);
    CHECK((run.contains("mean PSNR") || run.contains("bits/dim")));
  }
}

TEST_CASE("lethe eval reports its figures as JSON and names a missing classifier") {
  const ModelFixture& f = fixture();
  Generator init(0);
  DigitClassifier untrained(init);
  const std::string classifier = (f.dir / "classifier.safetensors").string();
  save_safetensors(classifier, untrained.named_parameters());
  const std::string samples = (f.dir / "eval_samples.safetensors").string();
  Generator noise(1);
  std::vector<int64_t> labels;
  for (int i = 0; i < 40; ++i) labels.push_back(i % 10);
  save_safetensors(samples, {{"samples", noise.uniform({40, 1, 28, 28}, -1, 1)},
                             {"labels", Tensor::from_vector(labels, {40})}});
  const std::string json = (f.dir / "eval.json").string();
  const CommandResult eval =
      run_lethe("eval " + samples + " --classifier " + classifier + " --data " + f.data +
                " --forget 0 --override 1 --undesirable 7 --out " + json);
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  std::ifstream report(json);
  const std::string text((std::istreambuf_iterator<char>(report)),
                         std::istreambuf_iterator<char>());
  for (const char* key : {"\"ua\"", "\"ra\"", "\"undesirable_rate\"", "\"cfid\"", "\"kid_mean\"",
                          "\"precision\"", "\"quality_floor_real_vs_real\"", "\"class_histogram\"",
                          "\"rates\"", "\"ci95\"", "\"forget_none\"", "\"real_floor\"",
                          "\"retained_read_as_forget\"", "\"forget_read_as_override\""}) {
    CHECK_MESSAGE(text.find(key) != std::string::npos, key);
  }
  CHECK(eval.contains("real ceiling"));
  // A directory of samples files is evaluated as their union.
  fs::create_directories(f.dir / "sample_dir");
  fs::copy_file(samples, f.dir / "sample_dir/a.safetensors");
  fs::copy_file(samples, f.dir / "sample_dir/b.safetensors");
  const std::string dir_json = (f.dir / "eval_dir.json").string();
  const CommandResult directory =
      run_lethe("eval " + (f.dir / "sample_dir").string() + " --classifier " + classifier +
                " --data " + f.data + " --forget 0 --out " + dir_json);
  REQUIRE_MESSAGE(directory.exit_code == 0, directory.output);
  std::ifstream dir_report(dir_json);
  const std::string dir_text((std::istreambuf_iterator<char>(dir_report)),
                             std::istreambuf_iterator<char>());
  CHECK(dir_text.find("\"samples\": 80") != std::string::npos);
  const CommandResult missing = run_lethe("eval " + samples +
                                          " --classifier /nonexistent.st "
                                          "--data " +
                                          f.data);
  CHECK(missing.exit_code != 0);
  CHECK(missing.contains("/nonexistent.st"));
}

TEST_CASE("lethe train-classifier and eval-classifier: confusion matrix, metadata, bad families") {
  const ModelFixture& f = fixture();
  const std::string weights = (f.dir / "trained_classifier.safetensors").string();
  const CommandResult train = run_lethe("train-classifier --data " + f.data +
                                        " --steps 2 --batch 16 --junk-kinds blank,smear "
                                        "--failed '' --out " +
                                        weights);
  REQUIRE_MESSAGE(train.exit_code == 0, train.output);
  CHECK(train.contains("2 generated families"));
  CHECK(train.contains("held-out digits:"));
  const auto metadata = load_safetensors(weights).metadata;
  CHECK(metadata.at("junk_kinds") == "blank,smear");
  CHECK(metadata.at("test_confusion").find("\"junk\"") != std::string::npos);
  const std::string json = (f.dir / "confusion.json").string();
  const std::string grid = (f.dir / "junk.png").string();
  const CommandResult eval =
      run_lethe("eval-classifier " + weights + " --data " + f.data + " --failed " +
                std::string(LETHE_SOURCE_DIR) + "/weights/mnist-failed-samples.safetensors --out " +
                json + " --grid " + grid);
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  for (const char* family : {"blank", "saturated", "speckle", "faint", "failed"}) {
    CHECK_MESSAGE(eval.contains(family), family);
  }
  CHECK(fs::file_size(json) > 100);
  CHECK(fs::file_size(grid) > 100);
  const CommandResult bad = run_lethe("train-classifier --junk-kinds blank,sparkle");
  CHECK(bad.exit_code == 2);
  CHECK(bad.contains("--junk-kinds: unknown junk family 'sparkle'"));
}

TEST_CASE("lethe eval on a checkpoint generates the samples first and records how") {
  const ModelFixture& f = fixture();
  Generator init(0);
  DigitClassifier untrained(init);
  const std::string classifier = (f.dir / "classifier2.safetensors").string();
  save_safetensors(classifier, untrained.named_parameters());
  const std::string json = (f.dir / "eval_ckpt.json").string();
  const std::string samples = (f.dir / "eval_ckpt_samples.safetensors").string();
  const CommandResult eval =
      run_lethe("eval " + f.checkpoint +
                " --sampler ddim --steps 2 --n 3 --labels 0,1,2,3,4,5,6,7,8,9 "
                "--classifier " +
                classifier + " --data " + f.data + " --forget 0 --save-samples " + samples +
                " --out " + json);
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  CHECK(load_safetensors(samples).at("samples").shape() == Shape{30, 1, 28, 28});
  std::ifstream report(json);
  const std::string text((std::istreambuf_iterator<char>(report)),
                         std::istreambuf_iterator<char>());
  CHECK(text.find("\"sampler\": \"ddim\"") != std::string::npos);
  CHECK(text.find("\"nfe_per_image\": \"2\"") != std::string::npos);
  CHECK(text.find("\"ua\"") != std::string::npos);
}

TEST_CASE("lethe inpaint, reconstruct and bpd write their figures as JSON") {
  const ModelFixture& f = fixture();
  const std::string base = (f.dir / "zeroshot").string();
  const CommandResult inpaint = run_lethe("inpaint " + f.checkpoint + " --data " + f.data +
                                          " --count 2 --sampler em "
                                          "--steps 3 --mask centre --out " +
                                          base + ".png --json " + base + "_inpaint.json");
  REQUIRE_MESSAGE(inpaint.exit_code == 0, inpaint.output);
  CHECK(inpaint.contains("mean PSNR"));
  const CommandResult reconstruct = run_lethe("reconstruct " + f.checkpoint + " --data " + f.data +
                                              " --count 2 --ode heun "
                                              "--steps 2 --out " +
                                              base + "_r.png --json " + base + "_reconstruct.json");
  REQUIRE_MESSAGE(reconstruct.exit_code == 0, reconstruct.output);
  const CommandResult bpd =
      run_lethe("bpd " + f.checkpoint + " --data " + f.data +
                " --count 2 --rtol 1e-2 --atol 1e-2 --json " + base + "_bpd.json");
  REQUIRE_MESSAGE(bpd.exit_code == 0, bpd.output);
  for (const char* suffix : {"_inpaint.json", "_reconstruct.json", "_bpd.json"}) {
    CHECK_MESSAGE(fs::file_size(base + suffix) > 50, suffix);
  }
  std::ifstream json(base + "_bpd.json");
  const std::string text((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  CHECK(text.find("\"bits_per_dim\"") != std::string::npos);
  CHECK(run_lethe("inpaint " + f.checkpoint + " --data " + f.data + " --mask left")
            .contains("'left'"));
}

TEST_CASE("lethe train --precision bf16 trains; a bad precision is one error line") {
  const ModelFixture& f = fixture();
  const CommandResult bf16 =
      run_lethe("train --config mnist-xs --data " + f.data +
                " --steps 2 --batch 8 --precision bf16 --out " + (f.dir / "bf16").string());
  CHECK_MESSAGE(bf16.exit_code == 0, bf16.output);
  CHECK(fs::exists(f.dir / "bf16/checkpoint.safetensors"));
  const CommandResult bad = run_lethe("sample " + f.checkpoint + " --precision fp8");
  CHECK(bad.exit_code == 2);
  CHECK(bad.contains("lethe: error: --precision: unknown precision 'fp8'"));
}

TEST_CASE("lethe bench quality: a curve of marks with accuracy intervals, JSON and SVG") {
  const ModelFixture& f = fixture();
  const fs::path out = f.dir / "quality";
  const CommandResult run = run_lethe(
      "bench quality --config mnist-xs --batch 8 --budget-minutes 0.02 --mark-minutes 0.01 "
      "--per-class 2 "
      "--data " +
      f.data + " --classifier " + std::string(LETHE_SOURCE_DIR) +
      "/weights/mnist-classifier.safetensors --out " + out.string());
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  std::ifstream file(out / "quality.json");
  const nlohmann::json result = nlohmann::json::parse(file);
  REQUIRE(result["marks"].size() == 2);
  for (const auto& mark : result["marks"]) {
    for (const char* setting : {"guided", "unguided"}) {
      const auto& figures = mark[setting];
      CHECK(figures["samples"] == 20);
      const double accuracy = figures["accuracy"];
      CHECK(figures["accuracy_ci95"][0].get<double>() <= accuracy);
      CHECK(accuracy <= figures["accuracy_ci95"][1].get<double>());
      CHECK(figures["quality"]["cfid"].get<double>() >= 0);
    }
    CHECK(mark["guided"]["cfg"] == 1.0);
    CHECK(mark["unguided"]["cfg"] == 0.0);
    CHECK(fs::exists(mark["checkpoint"].get<std::string>()));
  }
  CHECK(result["marks"][1]["trained_minutes"].get<double>() >= 0.02 * 0.999);
  CHECK(fs::exists(out / "quality.svg"));
  const CommandResult bad = run_lethe("bench quality --recipe slow");
  CHECK(bad.exit_code == 2);
}
