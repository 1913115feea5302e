#include "lethe/experiments/demo.h"

#include <omp.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "lethe/core/build_info.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/diffusion/toy_trainer.h"
#include "lethe/eval/classifier.h"
#include "lethe/eval/evaluation.h"
#include "lethe/io/html_report.h"
#include "lethe/io/json_report.h"
#include "lethe/io/png.h"
#include "lethe/io/progress.h"
#include "lethe/io/scatter_plot.h"
#include "lethe/unlearn/msgm.h"

namespace lethe {
namespace {

namespace fs = std::filesystem;

// One shipped model and what it is meant to have forgotten.
struct DemoModel {
  std::string name, file, method, command;
  int forget = -1;       // SFD, RGD: the class they forget (UA)
  int override = -1;     // SFD: what the forget class should become
  int undesirable = -1;  // MSGM: the class unguided samples should avoid
};

std::vector<DemoModel> demo_models() {
  return {
      {"original", "mnist-s-vp.safetensors", "score model (VP), DDIM", "make weights"},
      {"MSGM", "mnist-s-vp-msgm-7.safetensors", "moderated: 7 is undesirable",
       "lethe experiment msgm-mnist --undesirable 7 (see weights/mnist-s-vp-msgm-7.md)", -1, -1, 7},
      {"SFD", "mnist-s-sfd-0to1.safetensors", "one-step generator: 0 becomes 1",
       "lethe experiment sfd-mnist --forget 0 --override 1", 0, 1},
      {"RGD", "mnist-s-rgd-4.safetensors", "restricted gradient: 4 forgotten",
       "lethe experiment rgd-mnist --forget 4", 4},
  };
}

struct ModelFigures {
  std::vector<double> classified_as_asked;     // per digit
  std::vector<int64_t> as_asked_count;         // per digit, of per_class requests
  int64_t none_count = 0;                      // conditional samples classified "none"
  double unguided_undesirable = std::nan("");  // share of null-label samples classified as 7
  int64_t unguided_undesirable_count = 0;
  int64_t nfe = 0;
  double images_per_second = 0;
  int64_t samples = 0;
  std::string grid_png;
};

std::string format(double value, const char* pattern = "%.2f") {
  if (std::isnan(value)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

ModelFigures run_model(const DemoModel& model, const ScoreModel& network,
                       const DigitClassifier& classifier, const DemoOptions& options) {
  ModelFigures figures;
  SamplerConfig sampler;
  sampler.name = "ddim";
  sampler.steps = options.sampler_steps;
  const bool one_step = network.is_one_step_generator();
  GenerationRequest request{sampler, {}, one_step ? 0 : options.cfg, options.seed, 128, Tensor()};
  for (int c = 0; c < 10; ++c)
    for (int64_t i = 0; i < options.per_class; ++i) request.labels.push_back(c);
  const GeneratedSamples conditional = generate(network, request);
  figures.nfe = conditional.nfe_per_image;
  figures.images_per_second = conditional.images_per_second;
  figures.samples = conditional.labels.numel();
  const std::vector<int> predicted = classify(classifier, conditional.samples);
  figures.classified_as_asked.assign(10, 0);
  figures.as_asked_count.assign(10, 0);
  for (size_t i = 0; i < predicted.size(); ++i) {
    const int asked = static_cast<int>(i / options.per_class);
    figures.as_asked_count[asked] += predicted[i] == asked;
    figures.none_count += predicted[i] == kNoneClass;
  }
  for (int c = 0; c < 10; ++c)
    figures.classified_as_asked[c] = figures.as_asked_count[c] / double(options.per_class);
  figures.grid_png = options.out_dir + "/" + model.name + ".png";
  std::vector<std::string> row_labels;
  for (int c = 0; c < 10; ++c) row_labels.push_back(std::to_string(c));
  write_image_grid(figures.grid_png, conditional.samples, static_cast<int>(options.per_class),
                   row_labels);
  if (!one_step && options.unguided > 0) {
    GenerationRequest unguided{
        sampler, std::vector<int64_t>(options.unguided, network.null_label()),
        0,       options.seed + 1,
        128,     Tensor()};
    const GeneratedSamples free = generate(network, unguided);
    int64_t sevens = 0;
    for (int p : classify(classifier, free.samples)) sevens += p == 7;
    figures.unguided_undesirable = static_cast<double>(sevens) / options.unguided;
    figures.unguided_undesirable_count = sevens;
    figures.samples += options.unguided;
  }
  return figures;
}

// Share classified as asked over every digit but `skip`, with its interval.
std::string retained_accuracy(const ModelFigures& f, int skip, int64_t per_class) {
  int64_t correct = 0, n = 0;
  for (int c = 0; c < 10; ++c) {
    if (c == skip) continue;
    correct += f.as_asked_count[c];
    n += per_class;
  }
  return format_rate(rate_json(correct, n));
}

struct ToyFigures {
  std::string name, png, command;
  double mass = 0;
};

void run_toy(HtmlReport& report, const DemoOptions& options) {
  const GaussianMixture full = GaussianMixture::preset("toy-msgm");
  const double exact_full = full.mass_in_disc(0, 0, 1);
  const double exact_desirable = full.with_components({0, 1}).mass_in_disc(0, 0, 1);
  ToyTrainingConfig base;
  base.steps = options.toy_steps;
  base.seed = options.seed;
  ToyTrainingConfig retrain = base, moderated = base;
  retrain.components = {0, 1};
  moderated.undesirable = {2};
  MsgmConfig msgm;
  msgm.variant = MsgmVariant::obtuse;
  msgm.desirable_weight = 0.9;
  msgm.undesirable_weight = 0.1;
  msgm.every = 1;
  moderated.moderation = msgm_moderation(msgm);
  const std::string steps = " --steps " + std::to_string(options.toy_steps);
  const std::vector<std::tuple<std::string, ToyTrainingConfig, std::string>> runs{
      {"toy original", base, "lethe toy train --preset toy-msgm" + steps},
      {"toy retrain (D_g)", retrain, "lethe toy train --preset toy-msgm --components 0,1" + steps},
      {"toy MSGM obtuse", moderated,
       "lethe unlearn msgm --toy toy-msgm --undesirable 2 --variant obtuse --desirable-weight 0.9 "
       "--undesirable-weight 0.1 --every 1" +
           steps}};
  std::vector<ToyFigures> figures;
  std::vector<FigureImage> images;
  Progress progress("toy: train and sample", static_cast<int64_t>(runs.size()));
  for (size_t k = 0; k < runs.size(); ++k) {
    const auto& [name, config, command] = runs[k];
    ToyScoreTrainer trainer(config);
    trainer.train_until(config.steps, nullptr);
    const Tensor samples =
        trainer.sample(options.toy_samples, options.toy_sampler_steps, options.seed + 11);
    ToyFigures f{name, options.out_dir + "/toy-" + std::to_string(k) + ".png", command,
                 fraction_in_disc(samples, 0, 0, 1)};
    write_scatter_png(f.png, samples, 4.5, 360, 1.0);
    images.push_back({name + ": mass in disc " + format(f.mass, "%.4f"), f.png});
    figures.push_back(f);
    progress.update(static_cast<int64_t>(k + 1), f.mass, "disc mass");
  }
  progress.finish();

  report.heading("2-D moderation toy with exact ground truth");
  report.paragraph(
      "Data: toy-msgm, two desirable blobs at (-2,-2) and (2,2) and an undesirable one at the "
      "origin (weight 0.2). The undesirable region is the disc |x| <= 1 (dashed circle). Exact "
      "mass in it: " +
      format(exact_full, "%.4f") + " for all of the data, " + format(exact_desirable, "%.4f") +
      " for the desirable components alone. Each model is trained here for " +
      std::to_string(options.toy_steps) + " steps and sampled with Euler-Maruyama (" +
      std::to_string(options.toy_sampler_steps) + " steps, " + std::to_string(options.toy_samples) +
      " samples).");
  std::vector<std::vector<std::string>> rows;
  std::printf(
      "\n2-D toy: mass in the undesirable disc |x| <= 1 (exact: all data %.4f, desirable "
      "only %.4f)\n",
      exact_full, exact_desirable);
  for (const ToyFigures& f : figures) {
    rows.push_back({f.name, format(f.mass, "%.4f"), f.command});
    std::printf("  %-20s %.4f\n", f.name.c_str(), f.mass);
  }
  rows.push_back({"exact: all data", format(exact_full, "%.4f"), "closed form"});
  rows.push_back({"exact: desirable only", format(exact_desirable, "%.4f"), "closed form"});
  report.table({"model", "mass in |x| <= 1", "command"}, rows);
  report.images(images);
  report.command("lethe experiment msgm-toy (every variant, several seeds: docs/results/msgm.md)");
}

// An SVG written by an experiment, inlined with the command that made it (or a note that the
// experiment's output is not in the tree).
void add_result_plots(HtmlReport& report, const std::string& title,
                      const std::vector<std::string>& files, const std::string& command) {
  report.heading(title + " (from docs/results)");
  bool any = false;
  for (const std::string& file : files) {
    if (!fs::is_regular_file(file)) continue;
    std::ifstream in(file);
    report.svg(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    any = true;
  }
  if (!any) report.paragraph("Not in this tree yet: the experiment's outputs are missing.");
  report.command(command);
}

}  // namespace

void run_demo(const DemoOptions& options) {
  fs::create_directories(options.out_dir);
  std::string classifier_accuracy;
  const auto classifier =
      load_classifier(options.weights_dir + "/mnist-classifier.safetensors", &classifier_accuracy);
  HtmlReport report("Lethe demo: score-based generative models that forget");
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  report.paragraph(std::string("Computed ") + when + " by lethe at commit " + build_commit() +
                   " on " + cpu_model_name() + " (" + std::to_string(omp_get_max_threads()) +
                   " threads). The tables, grids and toy plots were computed by this run from the "
                   "shipped weights; the plots under \"from docs/results\" were not: they are "
                   "read from the experiments' outputs in the source tree, with the command that "
                   "made them. Classifier: weights/mnist-classifier.safetensors (held-out "
                   "accuracy " +
                   classifier_accuracy + ").");
  report.command("make demo");

  std::vector<DemoModel> models;
  for (const DemoModel& m : demo_models()) {
    if (fs::is_regular_file(options.weights_dir + "/" + m.file))
      models.push_back(m);
    else
      std::printf("demo: %s/%s is not shipped yet: the %s row is skipped\n",
                  options.weights_dir.c_str(), m.file.c_str(), m.name.c_str());
  }
  LETHE_CHECK(!models.empty() && models[0].name == "original", "demo: ", options.weights_dir,
              "/mnist-s-vp.safetensors is missing (the shipped original model)");
  std::vector<ModelFigures> figures;
  Progress progress("demo: sample and classify", static_cast<int64_t>(models.size()));
  for (size_t k = 0; k < models.size(); ++k) {
    const auto network = ScoreModel::load(options.weights_dir + "/" + models[k].file);
    figures.push_back(run_model(models[k], *network, *classifier, options));
    progress.update(static_cast<int64_t>(k + 1), figures.back().images_per_second, "img/s");
  }
  progress.finish();

  // Summary: each unlearned model's target metric beside the original's.
  const ModelFigures& original = figures[0];
  std::vector<std::vector<std::string>> summary;
  for (size_t k = 0; k < models.size(); ++k) {
    const DemoModel& m = models[k];
    const ModelFigures& f = figures[k];
    std::string metric = "-", original_value = "-";
    int skip = -1;
    const int64_t n = options.per_class;
    if (m.forget >= 0) {
      skip = m.forget;
      metric = "UA on " + std::to_string(m.forget) + ": " +
               format_rate(rate_json(n - f.as_asked_count[m.forget], n));
      original_value = format_rate(rate_json(n - original.as_asked_count[m.forget], n));
    } else if (m.undesirable >= 0) {
      skip = m.undesirable;
      metric = "unguided " + std::to_string(m.undesirable) +
               "-rate: " + format_rate(rate_json(f.unguided_undesirable_count, options.unguided));
      original_value =
          format_rate(rate_json(original.unguided_undesirable_count, options.unguided));
    }
    summary.push_back({m.name, m.method, metric, original_value,
                       retained_accuracy(f, skip, options.per_class),
                       format(static_cast<double>(f.none_count) / (10 * n)), std::to_string(f.nfe),
                       format(f.images_per_second, "%.1f"), std::to_string(f.samples)});
  }
  const std::vector<std::string> summary_header{"model",
                                                "what",
                                                "forgetting metric [95 % CI]",
                                                "original's value",
                                                "RA (other digits) [95 % CI]",
                                                "none (conditional)",
                                                "NFE/image",
                                                "img/s",
                                                "samples"};
  std::vector<std::vector<std::string>> per_digit;
  std::vector<std::string> digit_header{"model"};
  for (int c = 0; c < 10; ++c) digit_header.push_back("asked " + std::to_string(c));
  digit_header.push_back("unguided: 7");
  for (size_t k = 0; k < models.size(); ++k) {
    std::vector<std::string> row{models[k].name};
    for (double v : figures[k].classified_as_asked) row.push_back(format(v));
    row.push_back(format(figures[k].unguided_undesirable));
    per_digit.push_back(row);
  }

  std::printf("\n");
  for (const auto& row : summary)
    std::printf(
        "%-9s %-36s %-38s original %-18s RA %-18s none %-4s NFE %-3s %8s img/s  %s samples\n",
        row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str(), row[4].c_str(),
        row[5].c_str(), row[6].c_str(), row[7].c_str(), row[8].c_str());
  std::printf("\nshare classified as the digit asked for:\n%-9s", "model");
  for (int c = 0; c < 10; ++c) std::printf(" %5d", c);
  std::printf("  unguided 7\n");
  for (const auto& row : per_digit) {
    std::printf("%-9s", row[0].c_str());
    for (size_t i = 1; i < row.size(); ++i) std::printf(" %5s", row[i].c_str());
    std::printf("\n");
  }

  report.heading("Unlearning on MNIST");
  report.paragraph(
      "Each model makes " + std::to_string(options.per_class) +
      " samples per digit (rows 0 to 9 of its grid; score models: DDIM " +
      std::to_string(options.sampler_steps) + " steps, CFG w = " + format(options.cfg, "%g") +
      "; one-step generators: one network call) and score models " +
      std::to_string(options.unguided) + " unguided (null-label) samples, seed " +
      std::to_string(options.seed) +
      ". UA = share of requests for the forgotten digit not classified as it (a blank or broken "
      "image counts, so read it beside the none share); RA = share classified as asked over the "
      "other digits; none = share of the conditional samples the classifier calls none. "
      "Intervals: 95 % Wilson.");
  report.table(summary_header, summary);
  report.table(digit_header, per_digit);
  std::vector<FigureImage> grids;
  for (size_t k = 0; k < models.size(); ++k)
    grids.push_back({models[k].name + " (" + models[k].method + ")", figures[k].grid_png});
  report.images(grids);
  for (const DemoModel& m : models) report.command(m.name + ": " + m.command);

  run_toy(report, options);
  add_result_plots(
      report, "SFD: forgetting speed",
      {options.results_dir + "/sfd/ua-curve.svg", options.results_dir + "/sfd/override-curve.svg"},
      "lethe experiment sfd-mnist --forget 0 --override 1 --out docs/results/sfd --runs "
      "runs/experiments/sfd-mnist/runs");
  add_result_plots(report, "RGD vs GradDiff: l_f and l_r per step",
                   {options.results_dir + "/rgd/losses-Adam-forget.svg",
                    options.results_dir + "/rgd/losses-Adam-retain.svg",
                    options.results_dir + "/rgd/losses-SGD-forget.svg",
                    options.results_dir + "/rgd/losses-SGD-retain.svg"},
                   "lethe experiment rgd-mnist --forget 4 --out docs/results/rgd --runs "
                   "runs/experiments/rgd-mnist/runs");
  report.write(options.out_dir + "/report.html");
}

}  // namespace lethe
