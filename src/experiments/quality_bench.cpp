#include "lethe/experiments/quality_bench.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "lethe/core/error.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/eval/classifier.h"
#include "lethe/eval/evaluation.h"
#include "lethe/io/image_dataset.h"
#include "lethe/io/json_report.h"
#include "lethe/io/svg_plot.h"
#include "lethe/run/resumable_run.h"
#include "lethe/tt/float32_math.h"

namespace lethe {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One guidance setting's figures at a mark.
nlohmann::json evaluate_setting(const ScoreModel& model, const QualityBenchOptions& options,
                                double cfg, const DigitClassifier& classifier,
                                const ImageDataset& test, const ImageDataset& train) {
  GenerationRequest request;
  request.sampler.name = options.sampler;
  request.sampler.steps = static_cast<int>(options.sampler_steps);
  for (int64_t digit = 0; digit < 10; ++digit) {
    request.labels.insert(request.labels.end(), options.per_class, digit);
  }
  request.cfg = cfg;
  request.seed = options.eval_seed;
  const auto start = Clock::now();
  const GeneratedSamples generated = generate(model, request);
  const double sampling_seconds = seconds_since(start);
  EvaluationRequest figures;
  figures.retained = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  figures.seed = options.eval_seed;
  nlohmann::json report =
      evaluate_samples(classifier, generated.samples, generated.labels, figures, test, train);
  const nlohmann::json& accuracy = report["rates"]["ra"];
  nlohmann::json out;
  out["cfg"] = cfg;
  out["accuracy"] = accuracy["rate"];
  out["accuracy_ci95"] = accuracy["ci95"];
  out["samples"] = accuracy["n"];
  // The classifier's "none" output (a blank or broken image), as a share of the samples.
  out["none_share"] = report["rates"]["none"]["rate"];
  out["quality"] = report["quality"];
  out["quality_floor_real_vs_real"] = report["quality_floor_real_vs_real"];
  out["sampling_seconds"] = sampling_seconds;
  out["nfe_per_image"] = generated.nfe_per_image;
  return out;
}

// The progress line: on a terminal rewritten in place, otherwise a plain line every 10 seconds.
class TrainingClockLine {
 public:
  explicit TrainingClockLine(double budget_seconds)
      : budget_(budget_seconds), terminal_(isatty(fileno(stderr)) != 0) {}
  void update(double trained, int64_t step, double loss, double seconds_per_step) {
    const double since = seconds_since(last_);
    if (since < (terminal_ ? 1.0 : 10.0)) return;
    last_ = Clock::now();
    std::fprintf(stderr,
                 "%sbench quality: trained %.0f s of %.0f s, step %lld, loss %.4f, %.2f s/step%s",
                 terminal_ ? "\r" : "", trained, budget_, static_cast<long long>(step), loss,
                 seconds_per_step, terminal_ ? "\033[K" : "\n");
    std::fflush(stderr);
  }
  void end_line() const {
    if (terminal_) std::fprintf(stderr, "\n");
  }

 private:
  double budget_;
  bool terminal_;
  Clock::time_point last_ = Clock::now();
};

void write_curve(const QualityBenchOptions& options, const nlohmann::json& result) {
  PlotSeries guided{
      "guided (w = " + std::to_string(options.cfg).substr(0, 3) + ")", {}, {}, "#1f77b4"};
  PlotSeries unguided{"unguided (w = 0)", {}, {}, "#ff7f0e"};
  for (const auto& mark : result["marks"]) {
    const double minutes = mark["trained_minutes"].get<double>();
    for (auto [series, key] : {std::pair{&guided, "guided"}, std::pair{&unguided, "unguided"}}) {
      series->x.push_back(minutes);
      series->y.push_back(100 * mark[key]["accuracy"].get<double>());
      series->low.push_back(100 * mark[key]["accuracy_ci95"][0].get<double>());
      series->high.push_back(100 * mark[key]["accuracy_ci95"][1].get<double>());
    }
  }
  write_json(options.out_dir + "/quality.json", result);
  write_text(
      options.out_dir + "/quality.svg",
      svg_line_plot("Conditional accuracy (%) of recipe " + options.recipe + ", " +
                        result["precision"].get<std::string>(),
                    "training minutes", "accuracy (%), 95 % Wilson interval", {guided, unguided}));
}

}  // namespace

ScoreTrainingConfig quality_recipe(const std::string& name) {
  ScoreTrainingConfig config;
  config.grad_clip = 1.0;
  config.p_uncond = 0.1;
  if (name == "reference") {
    config.batch = 128;
    config.lr = 5e-4;
    config.warmup_steps = 500;
    config.ema_rate = 0.999;
    return config;
  }
  if (name == "fast") {
    config.batch = 64;
    config.lr = 1e-3;
    config.warmup_steps = 100;
    config.ema_rate = 0.999;
    return config;
  }
  fail("unknown recipe '", name, "' (expected reference or fast)");
}

void run_quality_bench(const QualityBenchOptions& options) {
  LETHE_CHECK(options.budget_minutes > 0 && options.mark_minutes > 0,
              "bench quality: the budget and the mark interval must be positive");
  ScoreTrainingConfig config = quality_recipe(options.recipe);
  config.unet = options.unet;
  if (options.batch > 0) config.batch = options.batch;
  config.seed = options.seed;
  prepare_run_directory(options.out_dir);
  std::string classifier_accuracy;
  const auto classifier = load_classifier(options.classifier, &classifier_accuracy);
  const ImageDataset train = load_idx_dataset(options.data_dir, "train");
  const ImageDataset test = load_idx_dataset(options.data_dir, "test");
  const std::string precision = tt::float32_math_name();
  std::printf(
      "bench quality: recipe %s (batch %lld, Adam %g, warm-up %lld, EMA %g), %s, %s, "
      "budget %.3g min, marks every %.3g min, %lld samples per digit with %s-%lld\n",
      options.recipe.c_str(), static_cast<long long>(config.batch), config.lr,
      static_cast<long long>(config.warmup_steps), config.ema_rate, options.unet.c_str(),
      precision.c_str(), options.budget_minutes, options.mark_minutes,
      static_cast<long long>(options.per_class), options.sampler.c_str(),
      static_cast<long long>(options.sampler_steps));
  std::fflush(stdout);  // before the progress lines on stderr, also when stdout is a file
  ScoreTrainer trainer(config, train);
  nlohmann::json result;
  result["recipe"] = options.recipe;
  result["training_config"] = config.to_metadata();
  result["precision"] = precision;
  result["sampler"] = options.sampler;
  result["sampler_steps"] = options.sampler_steps;
  result["per_class"] = options.per_class;
  result["marks"] = nlohmann::json::array();
  const double budget = options.budget_minutes * 60, interval = options.mark_minutes * 60;
  double trained = 0, next_mark = std::min(interval, budget), last_loss = 0;
  TrainingClockLine line(budget);
  while (trained < budget) {
    const auto start = Clock::now();
    trainer.train_until(trainer.step() + 1,
                        [&](const TrainingStepReport& report) { last_loss = report.loss; });
    trained += seconds_since(start);
    line.update(trained, trainer.step(), last_loss, trained / trainer.step());
    if (trained < next_mark && trained < budget) continue;
    line.end_line();
    const std::string checkpoint =
        options.out_dir + "/mark-" + std::to_string(result["marks"].size() + 1) + ".safetensors";
    trainer.save_checkpoint(checkpoint);
    const auto model = ScoreModel::load(checkpoint);
    nlohmann::json mark;
    mark["trained_minutes"] = trained / 60;
    mark["step"] = trainer.step();
    mark["seconds_per_step"] = trained / trainer.step();
    mark["loss"] = last_loss;
    mark["checkpoint"] = checkpoint;
    mark["guided"] = evaluate_setting(*model, options, options.cfg, *classifier, test, train);
    mark["unguided"] = evaluate_setting(*model, options, 0.0, *classifier, test, train);
    const auto& guided = mark["guided"];
    const auto& unguided = mark["unguided"];
    std::printf(
        "  %5.1f min, step %5lld: accuracy guided %5.1f %% (%.1f-%.1f), unguided %5.1f %% "
        "(%.1f-%.1f); cFID guided %.1f (floor %.1f)\n",
        trained / 60, static_cast<long long>(trainer.step()),
        100 * guided["accuracy"].get<double>(), 100 * guided["accuracy_ci95"][0].get<double>(),
        100 * guided["accuracy_ci95"][1].get<double>(), 100 * unguided["accuracy"].get<double>(),
        100 * unguided["accuracy_ci95"][0].get<double>(),
        100 * unguided["accuracy_ci95"][1].get<double>(), guided["quality"]["cfid"].get<double>(),
        guided["quality_floor_real_vs_real"]["cfid"].get<double>());
    std::fflush(stdout);
    result["marks"].push_back(mark);
    write_curve(options, result);
    next_mark += interval;
  }
  std::printf("wrote %s/quality.json and %s/quality.svg\n", options.out_dir.c_str(),
              options.out_dir.c_str());
}

}  // namespace lethe
