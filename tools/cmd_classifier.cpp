// lethe train-classifier: trains the evaluation classifier (digits + "none") and writes its
// weights with the held-out figures in the file's metadata. lethe eval-classifier: the same
// held-out confusion matrix for any classifier file, so two instruments can be compared.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "flag_values.h"
#include "lethe/eval/classifier.h"
#include "lethe/io/json_report.h"
#include "lethe/io/png.h"
#include "lethe/io/progress.h"
#include "lethe/io/safetensors.h"

namespace lethe::tools {
namespace {

constexpr int64_t kJunkPerFamily = 250;
constexpr uint64_t kEvaluationSeed = 1234;  // the held-out junk, the same for every classifier

std::string default_failed_samples() {
  return "weights/mnist-failed-samples.safetensors";
}

struct ClassifierOptions {
  ClassifierTrainingConfig config;
  std::string junk_kinds = "noise,blend,blur,erase,blank,saturated,speckle,faint,smear";
  std::string failed_path = default_failed_samples();
  std::string data_dir = "data/mnist";
  std::string out = "weights/mnist-classifier.safetensors";
};

FailedSamples failed_samples_or_none(const std::string& path) {
  if (path.empty()) return {};
  return with_flag("--failed", [&] { return load_failed_samples(path); });
}

nlohmann::json confusion_json(const ClassifierConfusion& confusion) {
  auto rows = [](const std::vector<ClassifierConfusion::Row>& list) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& row : list) out[row.name] = row.predicted;
    return out;
  };
  return {{"columns", "predicted 0-9, then none"},  {"digits", rows(confusion.digits)},
          {"junk", rows(confusion.junk)},           {"digit_accuracy", confusion.digit_accuracy()},
          {"digit_count", confusion.digit_count()}, {"junk_none_rate", confusion.junk_none_rate()},
          {"junk_count", confusion.junk_count()}};
}

// The matrix as a table: one line per true digit or junk family, counts per predicted class.
void print_confusion(const ClassifierConfusion& confusion) {
  std::printf("%-10s", "true \\ read");
  for (int c = 0; c < 10; ++c) std::printf("%6d", c);
  std::printf("%6s %8s\n", "none", "correct");
  auto print_rows = [](const std::vector<ClassifierConfusion::Row>& rows, bool digits) {
    for (size_t r = 0; r < rows.size(); ++r) {
      std::printf("%-10s", rows[r].name.c_str());
      for (int64_t count : rows[r].predicted) std::printf("%6lld", static_cast<long long>(count));
      const int64_t right = rows[r].predicted[digits ? r : kNoneClass];
      std::printf(" %7.2f%%\n", 100.0 * right / std::max<int64_t>(1, rows[r].total()));
    }
  };
  print_rows(confusion.digits, true);
  print_rows(confusion.junk, false);
  std::printf(
      "held-out digits: %.2f%% correct (%lld images); held-out junk: %.2f%% \"none\" "
      "(%lld images)\n",
      100 * confusion.digit_accuracy(), static_cast<long long>(confusion.digit_count()),
      100 * confusion.junk_none_rate(), static_cast<long long>(confusion.junk_count()));
}

ClassifierConfusion held_out_confusion(const DigitClassifier& model, const ImageDataset& test,
                                       const Tensor& failed_test) {
  return evaluate_classifier(model, test, {std::begin(kJunkKinds), std::end(kJunkKinds)},
                             failed_test, kJunkPerFamily, kEvaluationSeed);
}

void run_train_classifier(const ClassifierOptions& options) {
  ClassifierTrainingConfig config = options.config;
  config.junk_kinds =
      with_flag("--junk-kinds", [&] { return parse_junk_kinds(options.junk_kinds); });
  const FailedSamples failed = failed_samples_or_none(options.failed_path);
  const ImageDataset train = load_idx_dataset(options.data_dir, "train");
  const ImageDataset test = load_idx_dataset(options.data_dir, "test");
  Generator init(config.seed, 0);
  DigitClassifier model(init);
  std::printf(
      "training the classifier (%lld parameters) on %lld digits + junk (%zu generated families%s), "
      "%lld steps\n",
      static_cast<long long>(model.parameter_count()), static_cast<long long>(train.size()),
      config.junk_kinds.size(), failed.train.defined() ? " + real failed samples" : "",
      static_cast<long long>(config.steps));
  std::fflush(stdout);
  Progress progress("classifier", config.steps);
  train_classifier(model, train, failed.train, config,
                   [&](int64_t step, double loss) { progress.update(step, loss); });
  progress.finish();
  const ClassifierConfusion confusion = held_out_confusion(model, test, failed.test);
  print_confusion(confusion);
  const auto parent = std::filesystem::path(options.out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  save_safetensors(options.out, model.named_parameters(),
                   {{"model", "digit-classifier"},
                    {"outputs", "0-9 digits, 10 none"},
                    {"test_digit_accuracy", std::to_string(confusion.digit_accuracy())},
                    {"test_junk_none_rate", std::to_string(confusion.junk_none_rate())},
                    {"test_confusion", confusion_json(confusion).dump()},
                    {"junk_kinds", options.junk_kinds},
                    {"failed_samples", options.failed_path},
                    {"steps", std::to_string(config.steps)},
                    {"junk_fraction", std::to_string(config.junk_fraction)},
                    {"seed", std::to_string(config.seed)}});
  std::printf("wrote %s\n", options.out.c_str());
}

struct EvalClassifierOptions {
  std::string classifier_path;
  std::string failed_path = default_failed_samples();
  std::string data_dir = "data/mnist";
  std::string out, grid, misread;
};

// The held-out failed samples the classifier reads as digits, in a grid of 16 columns.
void write_misread_grid(const std::string& path, const DigitClassifier& model,
                        const Tensor& failed_test) {
  LETHE_CHECK(failed_test.defined(), "--misread needs the failed samples (--failed)");
  const std::vector<int> read = classify(model, failed_test);
  std::vector<Tensor> misread;
  std::string labels;
  for (size_t i = 0; i < read.size(); ++i) {
    if (read[i] == kNoneClass) continue;
    misread.push_back(failed_test.slice_batch(i, i + 1));
    labels += std::to_string(read[i]);
  }
  if (misread.empty()) {
    std::printf("no held-out failed sample is read as a digit; %s not written\n", path.c_str());
    return;
  }
  write_image_grid(path, concat(misread, 0), 16);
  std::printf("wrote %s: %zu failed samples read as digits, row by row as %s\n", path.c_str(),
              misread.size(), labels.c_str());
}

// One row of `kColumns` held-out junk images per family, in kJunkKinds order, then failed samples.
void write_junk_grid(const std::string& path, const ImageDataset& test, const Tensor& failed_test) {
  constexpr int64_t kColumns = 12;
  Generator noise(kEvaluationSeed, 0);
  std::vector<Tensor> rows;
  std::vector<std::string> names;
  for (JunkKind kind : kJunkKinds) {
    rows.push_back(make_junk(kind, test, kColumns, noise));
    names.push_back(junk_kind_name(kind));
  }
  if (failed_test.defined() && failed_test.dim(0) >= kColumns) {
    std::vector<Tensor> spread;  // evenly over the file, which is ordered by checkpoint and label
    for (int64_t i = 0; i < kColumns; ++i) {
      const int64_t at = i * failed_test.dim(0) / kColumns;
      spread.push_back(failed_test.slice_batch(at, at + 1));
    }
    rows.push_back(concat(spread, 0));
    names.push_back("failed");
  }
  write_image_grid(path, concat(rows, 0), kColumns, names);
  std::printf("wrote %s (one row per family, labelled)\n", path.c_str());
}

void run_eval_classifier(const EvalClassifierOptions& options) {
  const auto model = load_classifier(options.classifier_path);
  const FailedSamples failed = failed_samples_or_none(options.failed_path);
  const ImageDataset test = load_idx_dataset(options.data_dir, "test");
  const ClassifierConfusion confusion = held_out_confusion(*model, test, failed.test);
  print_confusion(confusion);
  if (!options.grid.empty()) write_junk_grid(options.grid, test, failed.test);
  if (!options.misread.empty()) write_misread_grid(options.misread, *model, failed.test);
  nlohmann::json report = confusion_json(confusion);
  report["classifier"] = options.classifier_path;
  report["junk_per_family"] = kJunkPerFamily;
  report["junk_seed"] = kEvaluationSeed;
  write_json(options.out, report);
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
  command
      ->add_option("--junk-kinds", options->junk_kinds,
                   "Generated junk families labelled none (noise, blend, blur, erase, blank, "
                   "saturated, speckle, faint, smear)")
      ->check(parsed_by([](const std::string& text) { parse_junk_kinds(text); }));
  command->add_option("--failed", options->failed_path,
                      "Real failed samples labelled none (empty: none)");
  command->add_option("--seed", c.seed, "Random seed");
  command->add_option("--out", options->out, "Output weights file");
  add_precision_flag(*command);
  command->callback([options] { run_train_classifier(*options); });
}

void register_eval_classifier(CLI::App& app) {
  auto options = std::make_shared<EvalClassifierOptions>();
  CLI::App* command = app.add_subcommand(
      "eval-classifier",
      "Confusion matrix of a classifier on held-out digits and every junk family");
  add_checkpoint_flag(*command, "classifier", options->classifier_path, "Classifier weights")
      ->required();
  command->add_option("--failed", options->failed_path,
                      "Held-out real failed samples (empty: leave them out)");
  command->add_option("--data", options->data_dir, "IDX data directory");
  command->add_option("--out", options->out, "Write the matrix as JSON here");
  command->add_option("--grid", options->grid,
                      "Write a PNG of each junk family here (one row each)");
  command->add_option("--misread", options->misread,
                      "Write a PNG of the held-out failed samples read as digits here");
  command->callback([options] { run_eval_classifier(*options); });
}

}  // namespace lethe::tools
