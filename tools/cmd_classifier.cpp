// lethe train-classifier: trains the evaluation classifier (digits + "none") and writes its
// weights with the held-out accuracies in the file's metadata.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "flag_values.h"
#include "lethe/eval/classifier.h"
#include "lethe/io/progress.h"
#include "lethe/io/safetensors.h"

namespace lethe::tools {
namespace {

struct ClassifierOptions {
  ClassifierTrainingConfig config;
  std::string data_dir = "data/mnist";
  std::string out = "weights/mnist-classifier.safetensors";
};

void run_train_classifier(const ClassifierOptions& options) {
  const ImageDataset train = load_idx_dataset(options.data_dir, "train");
  const ImageDataset test = load_idx_dataset(options.data_dir, "test");
  Generator init(options.config.seed, 0);
  DigitClassifier model(init);
  std::printf("training the classifier (%lld parameters) on %lld digits + junk, %lld steps\n",
              static_cast<long long>(model.parameter_count()), static_cast<long long>(train.size()),
              static_cast<long long>(options.config.steps));
  std::fflush(stdout);
  Progress progress("classifier", options.config.steps);
  train_classifier(model, train, options.config,
                   [&](int64_t step, double loss) { progress.update(step, loss); });
  progress.finish();
  const ClassifierAccuracy accuracy = evaluate_classifier(model, test, options.config.seed + 99);
  std::printf(
      "held-out digits: %.2f%% correct (%lld images); held-out junk: %.2f%% \"none\" "
      "(%lld images)\n",
      100 * accuracy.digits, static_cast<long long>(accuracy.digit_count), 100 * accuracy.junk,
      static_cast<long long>(accuracy.junk_count));
  const auto parent = std::filesystem::path(options.out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  save_safetensors(options.out, model.named_parameters(),
                   {{"model", "digit-classifier"},
                    {"outputs", "0-9 digits, 10 none"},
                    {"test_digit_accuracy", std::to_string(accuracy.digits)},
                    {"test_junk_none_rate", std::to_string(accuracy.junk)},
                    {"steps", std::to_string(options.config.steps)},
                    {"seed", std::to_string(options.config.seed)}});
  std::printf("wrote %s\n", options.out.c_str());
}

}  // namespace

void register_train_classifier(CLI::App& app) {
  auto options = std::make_shared<ClassifierOptions>();
  ClassifierTrainingConfig& c = options->config;
  CLI::App* command =
      app.add_subcommand("train-classifier", "Train the evaluation classifier (digits + none)");
  command->add_option("--data", options->data_dir, "IDX data directory");
  command->add_option("--steps", c.steps, "Optimiser steps")->check(positive());
  command->add_option("--batch", c.batch, "Batch size")->check(in_range(8, 4096));
  command->add_option("--lr", c.lr, "Adam learning rate")->check(positive());
  command->add_option("--junk", c.junk_fraction, "Share of each batch that is junk")
      ->check(in_range(0.0, 0.9));
  command->add_option("--seed", c.seed, "Random seed");
  command->add_option("--out", options->out, "Output weights file");
  command->callback([options] { run_train_classifier(*options); });
}

}  // namespace lethe::tools
