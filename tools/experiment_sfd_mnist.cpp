// lethe experiment sfd-mnist: the teacher (multi-step sampler) against its SiD one-step
// distillation and the SFD one-step generator that forgets a class (spec/sfd.md). It runs (or
// resumes) both distillations under OUT/runs/{sid,sfd}, evaluates the three models with the shipped
// classifier (UA on the forget class, the share of forget requests classified as the override
// class, RA and cFID / precision / recall on the retained classes, images per second), draws UA
// against the iteration from the early snapshots, and writes sfd-mnist.md, sfd-mnist.json, sample
// grids and the SVG curve.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "commands.h"
#include "forgetting_evaluation.h"
#include "json_report.h"
#include "lethe/score_model.h"
#include "parse_digits.h"
#include "sfd_run.h"
#include "svg_plot.h"

namespace lethe::tools {
namespace {

struct SfdMnistOptions {
  SfdRun run;  // the SFD run's settings; SiD uses the same with the forget weights at 0
  std::string classifier = "weights/mnist-classifier.safetensors";
  std::string data_dir = "data/mnist";
  std::string out_dir = "runs/experiments/sfd-mnist";
  std::string runs = "";  // the training runs; default OUT/runs
  std::string runs_dir() const { return runs.empty() ? out_dir + "/runs" : runs; }
  int64_t forget_samples = 100;
  int64_t per_class = 50;
  int64_t curve_samples = 100;  // forget-class samples per snapshot
  std::string sampler = "ddim";
  int sampler_steps = 50;
  double cfg = 0;  // the generators distil the unguided conditional teacher: compare like for like
  uint64_t seed = 1;
  bool skip_sid = false;
  // The teacher's default sampler (score_sde: PC, 1000 steps), timed on a few images only.
  std::string speed_sampler = "pc";
  int speed_sampler_steps = 1000;
  int64_t speed_samples = 8;
};

// UA and the override share of forget-class requests for every snapshot of a run.
struct Curve {
  std::vector<double> step, ua, override_share;
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
  }
  return curve;
}

void run_sfd_mnist(SfdMnistOptions options) {
  SfdRun& sfd = options.run;
  prepare_sfd_run(sfd);
  LETHE_CHECK(sfd.config.forget.size() == 1, "--forget: sfd-mnist forgets one class, got '",
              sfd.forget, "'");
  LETHE_CHECK(!sfd.config.random_override,
              "--override: sfd-mnist reports the share classified as one override class; give a "
              "class");
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
      run.forget.clear();
      run.config.forget_weight_fake = run.config.forget_weight_generator = 0;
    }
    std::printf("== %s\n", name->c_str());
    std::fflush(stdout);
    if (!run_sfd(run)) {
      std::printf("interrupted: the same command resumes\n");
      return;
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
                              options.seed};
    const ForgettingFigures f = evaluate_forgetting(*model, request, *classifier, test, train,
                                                    options.out_dir + "/" + name + ".png");
    const nlohmann::json& e = f.evaluation;
    const double override_share =
        std::count(f.forget_predicted.begin(), f.forget_predicted.end(), override_class) /
        static_cast<double>(options.forget_samples);
    nlohmann::json entry = {{"name", name},
                            {"checkpoint", path},
                            {"nfe_per_image", f.generated.nfe_per_image},
                            {"images_per_second", f.generated.images_per_second},
                            {"ua", e["ua"]},
                            {"forget_classified_as_override", override_share},
                            {"ra", e["ra"]},
                            {"quality_retained", e["quality"]},
                            {"quality_floor_real_vs_real", e["quality_floor_real_vs_real"]}};
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
         {"forget_classified_as_override", none},
         {"ra", none},
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
    ua_series.push_back({name, curve.step, curve.ua, color});
    override_series.push_back({name, curve.step, curve.override_share, color});
  }
  const std::string digit = std::to_string(forget), other = std::to_string(override_class);
  write_text(options.out_dir + "/ua-curve.svg",
             svg_line_plot("UA on digit " + digit + " (requests for " + digit +
                               " not classified as " + digit + ") per iteration",
                           "iteration", ua_series));
  write_text(
      options.out_dir + "/override-curve.svg",
      svg_line_plot("Requests for digit " + digit + " classified as " + other + " per iteration",
                    "iteration", override_series));

  std::ostringstream table;
  table << "| model | NFE | img/s | img/s / teacher's | UA (" << forget << ") | " << forget
        << " -> " << override_class
        << " | RA | cFID retained | precision | recall "
           "|\n|---|---|---|---|---|---|---|---|---|---|\n";
  const double teacher_speed = report["models"][0]["images_per_second"].get<double>();
  for (const auto& m : report["models"])
    table << "| " << m["name"].get<std::string>() << " | " << m["nfe_per_image"].get<int64_t>()
          << " | " << format_number(m["images_per_second"], "%.1f") << " | "
          << format_number(m["images_per_second"].get<double>() / teacher_speed, "%.2f") << " | "
          << format_number(m["ua"], "%.3f") << " | "
          << format_number(m["forget_classified_as_override"], "%.3f") << " | "
          << format_number(m["ra"], "%.3f") << " | "
          << format_number(m["quality_retained"]["cfid"], "%.1f") << " | "
          << format_number(m["quality_retained"]["precision"], "%.3f") << " | "
          << format_number(m["quality_retained"]["recall"], "%.3f") << " |\n";
  const auto& floor = report["models"][0]["quality_floor_real_vs_real"];
  table << "\nReal-vs-real floor (retained classes, train vs test): cFID "
        << format_number(floor["cfid"], "%.1f") << ".\n";
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
}

}  // namespace

void register_experiment_sfd_mnist(CLI::App& experiment) {
  auto options = std::make_shared<SfdMnistOptions>();
  SfdRun& run = options->run;
  run.forget = "0";
  // MNIST-sized defaults, measured (docs/results/sfd.md): a larger rate and a smaller batch than
  // the CIFAR code's 1e-5 and 128 reach a good generator within the 2-hour CPU budget.
  run.steps = 800;
  run.config.batch = 32;
  run.config.lr_generator = run.config.lr_fake = 1e-4;
  run.snapshots = "0,25,50,100,200,400,800";
  CLI::App* command = experiment.add_subcommand(
      "sfd-mnist", "Teacher vs SiD vs SFD one-step generators on MNIST, with the forgetting curve");
  command->add_option("--forget", run.forget, "The digit to forget")->capture_default_str();
  command->add_option("--override", run.override_class, "The digit it should become")
      ->capture_default_str();
  command->add_option("--teacher", run.teacher, "The teacher score model")->capture_default_str();
  command->add_option("--steps", run.steps, "Iterations of each distillation")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--batch", run.config.batch, "Generated images per update")
      ->capture_default_str();
  command->add_option("--lr", run.config.lr_generator, "Generator learning rate")
      ->capture_default_str();
  command->add_option("--lr-fake", run.config.lr_fake, "Fake-score learning rate")
      ->capture_default_str();
  command->add_option("--ema", run.config.ema, "Generator EMA rate")->capture_default_str();
  command
      ->add_option("--forget-weight", run.config.forget_weight_generator,
                   "SFD: weight of the forgetting term in the generator loss")
      ->capture_default_str();
  command
      ->add_option("--forget-weight-fake", run.config.forget_weight_fake,
                   "SFD: weight of the forget batch in the fake-score loss")
      ->capture_default_str();
  command->add_option("--snapshots", run.snapshots, "Snapshot iterations (the curve)")
      ->capture_default_str();
  command->add_option("--device", run.device, "cpu or cuda (training)")->capture_default_str();
  command->add_flag("--skip-sid", options->skip_sid, "Run and evaluate SFD only");
  command->add_option("--classifier", options->classifier, "Classifier weights")
      ->capture_default_str();
  command->add_option("--data", options->data_dir, "IDX data directory")->capture_default_str();
  command->add_option("--out", options->out_dir, "Output directory (tables, plots, grids)")
      ->capture_default_str();
  command->add_option("--runs", options->runs,
                      "Where the runs train and resume (default OUT/runs)");
  command
      ->add_option("--forget-samples", options->forget_samples,
                   "Samples asked for the forget digit")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--per-class", options->per_class, "Samples per retained digit")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--curve-samples", options->curve_samples, "Forget-digit samples per snapshot")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--sampler", options->sampler, "Teacher sampler")->capture_default_str();
  command->add_option("--sampler-steps", options->sampler_steps, "Teacher sampler steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--cfg", options->cfg, "Teacher guidance scale")->capture_default_str();
  command->add_option("--seed", options->seed, "Sampling seed")->capture_default_str();
  command->add_option("--speed-sampler", options->speed_sampler, "Teacher sampler timed only")
      ->capture_default_str();
  command->add_option("--speed-sampler-steps", options->speed_sampler_steps, "Its steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--speed-samples", options->speed_samples, "Images it is timed on (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->callback([options] { run_sfd_mnist(*options); });
}

}  // namespace lethe::tools
