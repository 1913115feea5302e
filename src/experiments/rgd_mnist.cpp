#include "lethe/experiments/rgd_mnist.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/eval/forgetting_evaluation.h"
#include "lethe/io/json_report.h"
#include "lethe/io/svg_plot.h"
#include "lethe/run/gradient_unlearning_job.h"
#include "lethe/tt/float32_math.h"

namespace lethe {
namespace {

GradientUnlearningRun run_for(const std::string& name, const RgdMnistOptions& options) {
  GradientUnlearningRun run;
  run.config = options.shared;
  run.config.forget = {options.forget};
  run.init = options.init;
  run.data_dir = options.data_dir;
  run.steps = options.steps;
  run.out_dir = options.runs_dir() + "/" + name;
  run.resume = std::filesystem::exists(run.out_dir + "/checkpoint.safetensors");
  std::string method = name;
  if (name.size() > 4 && name.substr(name.size() - 4) == "-sgd") {
    method = name.substr(0, name.size() - 4);
    run.config.optimizer = "sgd";
    run.config.lr = options.sgd_lr;
  } else {
    run.config.lr = options.lr;
  }
  if (name == "rgd-narrow") {
    method = "rgd";
    run.config.retain_classes = options.narrow_classes;
  }
  run.config.method = parse_unlearn_method(method);
  return run;
}

struct RunLog {
  std::vector<double> step, forget_loss, retain_loss;
  double wall_seconds = 0;  // summed over resumed segments
};

RunLog read_log(const std::string& path) {
  std::ifstream file(path);
  LETHE_CHECK(file.good(), "cannot read the unlearning log '", path, "'");
  RunLog log;
  std::string line;
  std::getline(file, line);  // header
  double segment_end = 0;
  while (std::getline(file, line)) {
    std::vector<std::string> fields;
    std::stringstream stream(line);
    for (std::string field; std::getline(stream, field, ',');) fields.push_back(field);
    LETHE_CHECK(fields.size() == 13, "unlearning log '", path, "': a row has ", fields.size(),
                " fields, expected 13");
    auto value = [](const std::string& text) {
      return text.empty() ? std::nan("") : std::stod(text);
    };
    log.step.push_back(value(fields[0]));
    log.forget_loss.push_back(value(fields[1]));
    log.retain_loss.push_back(value(fields[2]));
    const double elapsed = value(fields[12]);
    if (elapsed < segment_end) log.wall_seconds += segment_end;  // a resumed run restarts at 0
    segment_end = elapsed;
  }
  log.wall_seconds += segment_end;
  return log;
}

}  // namespace

std::vector<std::string> parse_rgd_mnist_runs(const std::string& text) {
  const std::vector<std::string> names = split_list(text);
  for (const std::string& name : names) run_for(name, RgdMnistOptions{});
  LETHE_CHECK(!names.empty(), "no run given (e.g. rgd,graddiff-sgd,rgd-narrow)");
  return names;
}

bool run_rgd_mnist(const RgdMnistOptions& options) {
  const std::vector<int> forget{options.forget};
  std::vector<int> retained;
  for (int c = 0; c < 10; ++c)
    if (c != forget[0]) retained.push_back(c);
  const std::vector<std::string> names = parse_rgd_mnist_runs(options.methods);
  for (const std::string& name : names) run_for(name, options).config.validate();
  std::string classifier_accuracy;
  const auto classifier = load_classifier(options.classifier, &classifier_accuracy);
  const ImageDataset test = load_idx_dataset(options.data_dir, "test");
  const ImageDataset train = load_idx_dataset(options.data_dir, "train");
  std::filesystem::create_directories(options.runs_dir());
  std::filesystem::create_directories(options.out_dir);

  for (const std::string& name : names) {
    std::printf("== %s\n", name.c_str());
    std::fflush(stdout);
    if (!run_gradient_unlearning(run_for(name, options))) {
      std::printf("interrupted: the same command resumes\n");
      return false;
    }
  }

  SamplerConfig sampler;
  sampler.name = options.sampler;
  sampler.steps = options.sampler_steps;
  nlohmann::json report = {{"experiment", "rgd-mnist"},
                           {"forget", forget[0]},
                           {"steps", options.steps},
                           {"adam_lr", options.lr},
                           {"sgd_lr", options.sgd_lr},
                           {"sampler", {{"name", sampler.name}, {"steps", sampler.steps}}},
                           {"cfg", options.cfg},
                           {"forget_samples", options.forget_samples},
                           {"samples_per_retained_class", options.per_class},
                           {"classifier_test_accuracy", classifier_accuracy},
                           {"models", nlohmann::json::array()}};
  std::vector<std::pair<std::string, std::string>> evaluated{{"original", options.init}};
  for (const std::string& name : names)
    evaluated.emplace_back(name, options.runs_dir() + "/" + name + "/checkpoint.safetensors");
  for (const auto& [name, path] : evaluated) {
    std::printf("evaluating %s...\n", name.c_str());
    std::fflush(stdout);
    const auto model = ScoreModel::load(path);
    const ForgettingRequest request{forget[0],         retained, options.forget_samples,
                                    options.per_class, sampler,  options.cfg,
                                    options.seed};
    const nlohmann::json figures = evaluate_forgetting(*model, request, *classifier, test, train,
                                                       options.out_dir + "/" + name + ".png")
                                       .evaluation;
    nlohmann::json entry = forgetting_entry(figures);
    entry["name"] = name;
    entry["checkpoint"] = path;
    if (name != "original") {
      const RunLog log = read_log(options.runs_dir() + "/" + name + "/log.csv");
      entry["wall_seconds"] = log.wall_seconds;
      entry["steps"] = log.step.empty() ? 0.0 : log.step.back();
    }
    entry["grid_png"] = name + ".png";
    report["models"].push_back(entry);
  }

  // l_f and l_r per step: RGD vs GradDiff, per optimiser.
  std::vector<std::string> plots;
  for (const std::string suffix : {"", "-sgd"}) {
    const std::string optimizer = suffix.empty() ? "Adam" : "SGD";
    std::vector<PlotSeries> forget_series, retain_series;
    for (const auto& [method, color] : std::vector<std::pair<std::string, std::string>>{
             {"rgd", "#d62728"}, {"graddiff", "#1f77b4"}}) {
      const std::string name = method + suffix;
      if (std::find(names.begin(), names.end(), name) == names.end()) continue;
      const RunLog log = read_log(options.runs_dir() + "/" + name + "/log.csv");
      forget_series.push_back({name, log.step, log.forget_loss, color});
      retain_series.push_back({name, log.step, log.retain_loss, color});
    }
    if (forget_series.empty()) continue;
    for (const auto& [what, series] :
         {std::pair{std::string("l_f (forget, ascended)"), forget_series},
          std::pair{std::string("l_r (retain)"), retain_series}}) {
      const std::string file =
          "losses-" + optimizer + (what[2] == 'f' ? "-forget" : "-retain") + ".svg";
      write_text(options.out_dir + "/" + file,
                 svg_line_plot(what + " per step, " + optimizer, "step", what, series));
      plots.push_back(file);
    }
  }

  std::ostringstream table;
  table << "| model | UA [95 % CI] | forget: none | mean p(c_f) | RA [95 % CI] | retained: none "
           "| cFID retained | precision | recall | steps | wall time (s) |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& m : report["models"])
    table << "| " << m["name"].get<std::string>() << " | " << format_rate(m["ua_rate"]) << " | "
          << format_number(m["forget_none"]["rate"], "%.3f") << " | "
          << format_number(m["mean_p_forget"], "%.3f") << " | " << format_rate(m["ra_rate"])
          << " | " << format_number(m["retained_none"]["rate"], "%.3f") << " | "
          << format_number(m["quality_retained"]["cfid"], "%.1f") << " | "
          << format_number(m["quality_retained"]["precision"], "%.3f") << " | "
          << format_number(m["quality_retained"]["recall"], "%.3f") << " | "
          << format_number(m.value("steps", nlohmann::json()), "%.0f") << " | "
          << format_number(m.value("wall_seconds", nlohmann::json()), "%.0f") << " |\n";
  const auto& floor = report["models"][0]["quality_floor_real_vs_real"];
  const auto& real = report["models"][0]["real_floor"];
  table << "\nReal-vs-real floor (retained classes, train vs test): cFID "
        << format_number(floor["cfid"], "%.1f") << ". Real test digits of the retained classes: "
        << "RA " << format_rate(real["ra"]) << ", read as " << forget[0] << " "
        << format_rate(real["retained_read_as_forget"]) << " (UA's ceiling is 1 minus it), "
        << "none " << format_rate(real["none"]) << ". Intervals: Wilson, 95 %.\n";
  std::printf("\n%s", table.str().c_str());

  std::ostringstream markdown;
  markdown << "# RGD and baselines on MNIST (`lethe experiment rgd-mnist`)\n\nGenerated by `lethe "
              "experiment rgd-mnist --forget "
           << options.forget << " --steps " << options.steps << " --methods " << options.methods
           << " --init " << options.init << " --lr " << options.lr << " --sgd-lr " << options.sgd_lr
           << " --lambda " << options.shared.lambda << " --alpha-trunc "
           << options.shared.alpha_trunc << " --forget-batch " << options.shared.forget_batch
           << " --retain-batch " << options.shared.retain_batch << " --retain-per-class "
           << options.shared.retain_per_class << " --narrow-classes "
           << join_ints(options.narrow_classes) << " --forget-samples " << options.forget_samples
           << " --per-class " << options.per_class << " --sampler " << sampler.name
           << " --sampler-steps " << sampler.steps << " --cfg " << options.cfg << " --seed "
           << options.seed << " --classifier " << options.classifier << " --precision "
           << tt::float32_math_name() << " --out " << options.out_dir
           << (options.runs.empty() ? "" : " --runs " + options.runs) << "`: forget digit "
           << forget[0] << " of `" << options.init << "`; Adam lr " << options.lr << ", SGD lr "
           << options.sgd_lr << "; `rgd-narrow`: retain set from digits "
           << join_ints(options.narrow_classes)
           << " only (same size). Evaluation: " << options.forget_samples
           << " samples asked for the forget digit (UA = share not classified as it), "
           << options.per_class << " per retained digit (RA, cFID), " << sampler.name << " "
           << sampler.steps << " steps, CFG w = " << options.cfg
           << ", classifier held-out accuracy " << classifier_accuracy << ".\n\n"
           << table.str() << "\n";
  for (const std::string& plot : plots) markdown << "![](" << plot << ")\n";
  markdown << "\nSample grids (first row: the forget digit; then each retained digit):\n\n";
  for (const auto& m : report["models"])
    markdown << "- " << m["name"].get<std::string>() << ": ![](" << m["grid_png"].get<std::string>()
             << ")\n";
  write_text(options.out_dir + "/rgd-mnist.md", markdown.str());
  write_json(options.out_dir + "/rgd-mnist.json", report);
  return true;
}

}  // namespace lethe
