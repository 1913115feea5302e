#include "lethe/experiments/sfd_mnist.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/eval/forgetting_evaluation.h"
#include "lethe/eval/metrics.h"
#include "lethe/io/json_report.h"
#include "lethe/io/svg_plot.h"
#include "lethe/run/sfd_job.h"

namespace lethe {
namespace {

// UA and the override share of forget-class requests for every snapshot of a run.
struct Curve {
  std::vector<double> step, ua, override_share;
  std::vector<double> ua_low, ua_high, override_low, override_high;  // 95 % Wilson intervals
};
Curve forgetting_curve(const std::string& run_dir, const SfdMnistOptions& options, int forget,
                       int override_class, const DigitClassifier& classifier) {
  Curve curve;
  for (const auto& [step, path] : sfd_snapshots(run_dir)) {
    const auto model = ScoreModel::load(path);
    GenerationRequest request{SamplerConfig{}, {}, 0, options.seed, 128, Tensor()};
    request.labels.assign(options.curve_samples, forget);
    const std::vector<int> predicted = classify(classifier, generate(*model, request).samples);
    int64_t as_forget = 0, as_override = 0;
    for (int p : predicted) {
      as_forget += p == forget;
      as_override += p == override_class;
    }
    curve.step.push_back(static_cast<double>(step));
    curve.ua.push_back(1 - static_cast<double>(as_forget) / options.curve_samples);
    curve.override_share.push_back(static_cast<double>(as_override) / options.curve_samples);
    const Interval ua = wilson_interval(options.curve_samples - as_forget, options.curve_samples);
    const Interval share = wilson_interval(as_override, options.curve_samples);
    curve.ua_low.push_back(ua.low);
    curve.ua_high.push_back(ua.high);
    curve.override_low.push_back(share.low);
    curve.override_high.push_back(share.high);
  }
  return curve;
}

}  // namespace

bool run_sfd_mnist(SfdMnistOptions options) {
  SfdRun& sfd = options.run;
  check_sfd_run(sfd);
  LETHE_CHECK(sfd.config.forget.size() == 1, "sfd-mnist: forgets one class, got {",
              join_ints(sfd.config.forget), "}");
  LETHE_CHECK(!sfd.config.random_override,
              "sfd-mnist: reports the share classified as one override class, not a random one");
  const int forget = sfd.config.forget[0];
  const int override_class = sfd.config.override_class;
  std::vector<int> retained;
  for (int c = 0; c < 10; ++c)
    if (c != forget) retained.push_back(c);
  std::string classifier_accuracy;
  const auto classifier = load_classifier(options.classifier, &classifier_accuracy);
  const ImageDataset test = load_idx_dataset(options.data_dir, "test");
  const ImageDataset train = load_idx_dataset(options.data_dir, "train");
  std::filesystem::create_directories(options.out_dir);

  std::vector<std::string> runs;  // evaluation order; SFD, the subject, trains first
  if (!options.skip_sid) runs.push_back("sid");
  runs.push_back("sfd");
  for (auto name = runs.rbegin(); name != runs.rend(); ++name) {
    SfdRun run = sfd;
    run.out_dir = options.runs_dir() + "/" + *name;
    run.resume = std::filesystem::exists(run.out_dir + "/checkpoint.safetensors");
    if (*name == "sid") {
      run.config.forget.clear();
      run.config.forget_weight_fake = run.config.forget_weight_generator = 0;
    }
    std::printf("== %s\n", name->c_str());
    std::fflush(stdout);
    if (!run_sfd(run)) {
      std::printf("interrupted: the same command resumes\n");
      return false;
    }
  }

  nlohmann::json report = {
      {"experiment", "sfd-mnist"},
      {"forget", forget},
      {"override", override_class},
      {"steps", sfd.steps},
      {"batch", sfd.config.batch},
      {"lr_generator", sfd.config.lr_generator},
      {"lr_fake", sfd.config.lr_fake},
      {"forget_weight_generator", sfd.config.forget_weight_generator},
      {"forget_weight_fake", sfd.config.forget_weight_fake},
      {"ema", sfd.config.ema},
      {"teacher_sampler",
       {{"name", options.sampler}, {"steps", options.sampler_steps}, {"cfg", options.cfg}}},
      {"forget_samples", options.forget_samples},
      {"samples_per_retained_class", options.per_class},
      {"classifier_test_accuracy", classifier_accuracy},
      {"models", nlohmann::json::array()}};
  std::vector<std::pair<std::string, std::string>> models{{"teacher", sfd.teacher}};
  for (const std::string& name : runs)
    models.emplace_back(name, options.runs_dir() + "/" + name + "/checkpoint.safetensors");
  for (const auto& [name, path] : models) {
    std::printf("evaluating %s...\n", name.c_str());
    std::fflush(stdout);
    const auto model = ScoreModel::load(path);
    ForgettingRequest request{forget,
                              retained,
                              options.forget_samples,
                              options.per_class,
                              SamplerConfig{options.sampler, options.sampler_steps},
                              options.cfg,
                              options.seed,
                              override_class};
    const ForgettingFigures f = evaluate_forgetting(*model, request, *classifier, test, train,
                                                    options.out_dir + "/" + name + ".png");
    nlohmann::json entry = forgetting_entry(f.evaluation);
    entry["name"] = name;
    entry["checkpoint"] = path;
    entry["nfe_per_image"] = f.generated.nfe_per_image;
    entry["images_per_second"] = f.generated.images_per_second;
    entry["grid_png"] = name + ".png";
    report["models"].push_back(entry);
  }

  if (options.speed_samples > 0) {
    std::printf("timing the teacher's %s %d-step sampler on %lld images...\n",
                options.speed_sampler.c_str(), options.speed_sampler_steps,
                static_cast<long long>(options.speed_samples));
    std::fflush(stdout);
    const auto teacher = ScoreModel::load(sfd.teacher);
    SamplerConfig sampler;
    sampler.name = options.speed_sampler;
    sampler.steps = options.speed_sampler_steps;
    GenerationRequest request{sampler, {}, options.cfg, options.seed, 128, Tensor()};
    for (int64_t i = 0; i < options.speed_samples; ++i)
      request.labels.push_back(retained[i % retained.size()]);
    const GeneratedSamples timed = generate(*teacher, request);
    const nlohmann::json none;
    report["models"].push_back(
        {{"name", "teacher " + options.speed_sampler + " " +
                      std::to_string(options.speed_sampler_steps) + " (speed only)"},
         {"checkpoint", sfd.teacher},
         {"nfe_per_image", timed.nfe_per_image},
         {"images_per_second", timed.images_per_second},
         {"timed_images", options.speed_samples},
         {"ua", none},
         {"ua_rate", none},
         {"forget_none", none},
         {"forget_classified_as_override", none},
         {"ra", none},
         {"ra_rate", none},
         {"retained_none", none},
         {"quality_retained", {{"cfid", none}, {"precision", none}, {"recall", none}}}});
  }

  std::printf("forgetting curve from the snapshots...\n");
  std::fflush(stdout);
  std::vector<PlotSeries> ua_series, override_series;
  const std::vector<std::pair<std::string, std::string>> colors{{"sfd", "#d62728"},
                                                                {"sid", "#1f77b4"}};
  for (const auto& [name, color] : colors) {
    if (std::find(runs.begin(), runs.end(), name) == runs.end()) continue;
    const Curve curve = forgetting_curve(options.runs_dir() + "/" + name, options, forget,
                                         override_class, *classifier);
    report["curves"][name] = {{"step", curve.step},
                              {"ua", curve.ua},
                              {"forget_classified_as_override", curve.override_share}};
    ua_series.push_back({name, curve.step, curve.ua, color, curve.ua_low, curve.ua_high});
    override_series.push_back(
        {name, curve.step, curve.override_share, color, curve.override_low, curve.override_high});
  }
  const std::string digit = std::to_string(forget), other = std::to_string(override_class);
  write_text(options.out_dir + "/ua-curve.svg",
             svg_line_plot("UA on digit " + digit + " (requests for " + digit +
                               " not classified as " + digit + ") per iteration",
                           "iteration", "UA, 95 % Wilson interval", ua_series));
  write_text(
      options.out_dir + "/override-curve.svg",
      svg_line_plot("Requests for digit " + digit + " classified as " + other + " per iteration",
                    "iteration", "share, 95 % Wilson interval", override_series));

  std::ostringstream table;
  table << "| model | NFE | img/s | img/s / teacher's | UA (" << forget << ") [95 % CI] | "
        << forget << " -> " << override_class << " [95 % CI] | " << forget
        << ": none | RA [95 % CI] | retained: none | cFID retained | precision | recall "
           "|\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  const double teacher_speed = report["models"][0]["images_per_second"].get<double>();
  auto share = [](const nlohmann::json& rate) { return rate.is_null() ? rate : rate["rate"]; };
  for (const auto& m : report["models"])
    table << "| " << m["name"].get<std::string>() << " | " << m["nfe_per_image"].get<int64_t>()
          << " | " << format_number(m["images_per_second"], "%.1f") << " | "
          << format_number(m["images_per_second"].get<double>() / teacher_speed, "%.2f") << " | "
          << format_rate(m["ua_rate"]) << " | " << format_rate(m["forget_classified_as_override"])
          << " | " << format_number(share(m["forget_none"]), "%.3f") << " | "
          << format_rate(m["ra_rate"]) << " | " << format_number(share(m["retained_none"]), "%.3f")
          << " | " << format_number(m["quality_retained"]["cfid"], "%.1f") << " | "
          << format_number(m["quality_retained"]["precision"], "%.3f") << " | "
          << format_number(m["quality_retained"]["recall"], "%.3f") << " |\n";
  const auto& floor = report["models"][0]["quality_floor_real_vs_real"];
  const auto& real = report["models"][0]["real_floor"];
  table << "\nReal-vs-real floor (retained classes, train vs test): cFID "
        << format_number(floor["cfid"], "%.1f") << ". Real test digits of the retained classes: "
        << "RA " << format_rate(real["ra"]) << ", read as " << forget << " "
        << format_rate(real["retained_read_as_forget"]) << " (UA's ceiling is 1 minus it), "
        << "none " << format_rate(real["none"]) << ". Intervals: Wilson, 95 %.\n";
  std::printf("\n%s", table.str().c_str());

  std::ostringstream markdown;
  markdown << "# SFD on MNIST (`lethe experiment sfd-mnist`)\n\nGenerated by `lethe experiment "
              "sfd-mnist --forget "
           << forget << " --override " << override_class << " --steps " << sfd.steps << " --batch "
           << sfd.config.batch << " --lr " << sfd.config.lr_generator << " --lr-fake "
           << sfd.config.lr_fake << " --ema " << sfd.config.ema << " --out " << options.out_dir
           << (options.runs.empty() ? "" : " --runs " + options.runs) << "`: teacher `"
           << sfd.teacher << "` (" << options.sampler << " " << options.sampler_steps
           << " steps, CFG w = " << options.cfg << "; speed also for its " << options.speed_sampler
           << " " << options.speed_sampler_steps << "-step sampler on " << options.speed_samples
           << " images), its SiD distillation (forget weights 0) and SFD (forget weights "
           << sfd.config.forget_weight_generator << " generator / " << sfd.config.forget_weight_fake
           << " fake score), both one-step generators trained for " << sfd.steps
           << " iterations. Evaluation: " << options.forget_samples << " samples asked for digit "
           << forget << " (UA = share not classified as " << forget << "), " << options.per_class
           << " per retained digit (RA, cFID), classifier held-out accuracy " << classifier_accuracy
           << ".\n\n"
           << table.str() << "\n![](ua-curve.svg)\n![](override-curve.svg)\n\nSample grids (first "
           << "row: asked for digit " << forget << "; then each retained digit):\n\n";
  for (const auto& m : report["models"])
    if (m.contains("grid_png"))
      markdown << "- " << m["name"].get<std::string>() << ": ![]("
               << m["grid_png"].get<std::string>() << ")\n";
  write_text(options.out_dir + "/sfd-mnist.md", markdown.str());
  write_json(options.out_dir + "/sfd-mnist.json", report);
  return true;
}

}  // namespace lethe
