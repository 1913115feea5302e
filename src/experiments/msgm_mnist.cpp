#include "lethe/experiments/msgm_mnist.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lethe/core/autograd.h"
#include "lethe/core/int_list.h"
#include "lethe/diffusion/image_masks.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/eval/evaluation.h"
#include "lethe/eval/image_selection.h"
#include "lethe/eval/likelihood_evaluation.h"
#include "lethe/io/json_report.h"
#include "lethe/io/png.h"
#include "lethe/tt/float32_math.h"

namespace lethe {
namespace {

// Inpainting with each mask and PF-ODE reconstruction of held-out images of one set, with the
// null label: mean PSNR to the originals, the share of results classified as their original digit
// and the share classified as an undesirable digit. Also returns the images for the grid
// (originals, then the top-mask inpainting, then the reconstruction).
struct EditFigures {
  nlohmann::json rows = nlohmann::json::array();
  std::vector<Tensor> grid_rows;
};
EditFigures edit_held_out_images(const ScoreModel& model, const MsgmMnistOptions& options,
                                 const std::vector<int>& classes, const std::string& set,
                                 const std::vector<int>& undesirable,
                                 const DigitClassifier& classifier) {
  const SelectedImages selected =
      select_test_images(options.data_dir, classes, options.edit_images);
  const int64_t n = selected.images.dim(0);
  const ScoreFn score = single_label_score(model, model.null_label(), n);
  NoGrad no_grad;
  EditFigures out;
  out.grid_rows.push_back(selected.images);
  auto add = [&](const std::string& task, const Tensor& results) {
    const std::vector<double> quality = psnr(results, selected.images);
    const std::vector<int> predicted = classify(classifier, results);
    double mean_psnr = 0, same = 0, as_undesirable = 0;
    for (int64_t i = 0; i < n; ++i) {
      mean_psnr += quality[i] / n;
      same += (predicted[i] == selected.labels.data<int64_t>()[i]) / double(n);
      as_undesirable +=
          (std::find(undesirable.begin(), undesirable.end(), predicted[i]) != undesirable.end()) /
          double(n);
    }
    out.rows.push_back({{"set", set},
                        {"task", task},
                        {"images", n},
                        {"mean_psnr", mean_psnr},
                        {"classified_as_original_digit", same},
                        {"classified_undesirable", as_undesirable}});
  };
  SamplerConfig inpainter;
  inpainter.name = "pc";
  inpainter.steps = options.edit_steps;
  for (const char* mask_name : {"top", "right", "centre"}) {
    Generator noise(options.seed, 0);
    const Tensor mask = inpainting_mask(mask_name, selected.images.dim(2), selected.images.dim(3));
    const Tensor filled = inpaint(score, model.sde(), inpainter, selected.images, mask, noise);
    add(std::string("inpaint ") + mask_name, filled);
    if (std::string(mask_name) == "top") out.grid_rows.push_back(filled);
  }
  SamplerConfig ode;
  ode.name = "heun";
  ode.steps = options.edit_steps;
  Generator noise(options.seed, 0);
  const Tensor rebuilt = reconstruct(score, model.sde(), ode, selected.images, noise);
  add("reconstruct (PF-ODE)", rebuilt);
  out.grid_rows.push_back(rebuilt);
  return out;
}

double mean_bits_per_dim(const ScoreModel& model, const std::string& data_dir,
                         const std::vector<int>& classes, int64_t count, double tolerance,
                         uint64_t seed) {
  const SelectedImages selected = select_test_images(data_dir, classes, count);
  LikelihoodConfig likelihood;
  likelihood.rtol = likelihood.atol = tolerance;
  return images_bits_per_dim(model, selected.images, model.null_label(), likelihood,
                             selected.images.dim(0), seed)
      .mean;
}

// Class-conditional samples, `options.per_class` per digit with CFG: the share of requests for an
// undesirable digit classified so, RA and the none share on D_g, and quality on D_g, into `entry`.
GeneratedSamples add_conditional_figures(const ScoreModel& model, const MsgmMnistOptions& options,
                                         const SamplerConfig& sampler,
                                         const EvaluationRequest& request,
                                         const DigitClassifier& classifier,
                                         const ImageDataset& test, const ImageDataset& train,
                                         nlohmann::json& entry) {
  const std::vector<int>& undesirable = request.undesirable;
  GenerationRequest conditional_request{sampler,       {},      options.cfg, options.seed + 1,
                                        options.batch, Tensor()};
  for (int c = 0; c < 10; ++c)
    for (int64_t i = 0; i < options.per_class; ++i) conditional_request.labels.push_back(c);
  GeneratedSamples conditional = generate(model, conditional_request);
  const nlohmann::json figures =
      evaluate_samples(classifier, conditional.samples, conditional.labels, request, test, train);
  // Samples that asked for an undesirable digit: the share classified as undesirable.
  int64_t asked = 0, asked_as_undesirable = 0;
  const std::vector<int> predicted = classify(classifier, conditional.samples);
  auto is_undesirable = [&](int64_t c) {
    return std::find(undesirable.begin(), undesirable.end(), c) != undesirable.end();
  };
  for (int64_t i = 0; i < conditional.labels.numel(); ++i) {
    if (!is_undesirable(conditional.labels.data<int64_t>()[i])) continue;
    ++asked;
    asked_as_undesirable += is_undesirable(predicted[i]);
  }
  entry["asked_undesirable"] = rate_json(asked_as_undesirable, asked);
  entry["ra_desirable_rate"] = figures["rates"]["ra"];
  entry["desirable_none"] = figures["rates"]["retained_none"];
  entry["quality_desirable"] = figures["quality"];
  entry["quality_floor_real_vs_real"] = figures["quality_floor_real_vs_real"];
  entry["images_per_second"] = conditional.images_per_second;
  entry["nfe_per_image_conditional"] = conditional.nfe_per_image;
  return conditional;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_models(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> models;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    const size_t eq = item.find('=');
    LETHE_CHECK(eq != std::string::npos && eq > 0 && eq + 1 < item.size(), "model '", item,
                "' is not NAME=CHECKPOINT");
    models.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    LETHE_CHECK(std::filesystem::is_regular_file(models.back().second), "no checkpoint '",
                models.back().second, "' for ", models.back().first);
  }
  LETHE_CHECK(!models.empty(), "no model given (NAME=CHECKPOINT,...)");
  return models;
}

void run_msgm_mnist(const MsgmMnistOptions& options) {
  const std::vector<int>& undesirable = options.undesirable;
  LETHE_CHECK(!undesirable.empty(), "msgm-mnist: no undesirable class");
  std::vector<int> desirable;
  for (int c = 0; c < 10; ++c)
    if (std::find(undesirable.begin(), undesirable.end(), c) == undesirable.end())
      desirable.push_back(c);
  const auto models = parse_models(options.models);
  const std::string baseline_name = options.baseline.empty() ? models[0].first : options.baseline;
  const auto baseline_model = std::find_if(models.begin(), models.end(), [&](const auto& model) {
    return model.first == baseline_name;
  });
  LETHE_CHECK(baseline_model != models.end(), "--baseline: no model named '", baseline_name,
              "' in --models");
  std::string classifier_accuracy;
  const auto classifier = load_classifier(options.classifier, &classifier_accuracy);
  const ImageDataset test = load_idx_dataset(options.data_dir, "test");
  const ImageDataset train = load_idx_dataset(options.data_dir, "train");
  std::filesystem::create_directories(options.out_dir);
  SamplerConfig sampler;
  sampler.name = options.sampler;
  sampler.steps = options.sampler_steps;

  nlohmann::json report = {{"experiment", "msgm-mnist"},
                           {"undesirable", undesirable},
                           {"sampler", {{"name", sampler.name}, {"steps", sampler.steps}}},
                           {"cfg_conditional", options.cfg},
                           {"unguided_samples", options.unguided},
                           {"samples_per_class", options.per_class},
                           {"bpd_images_per_set", options.bpd_images},
                           {"seed", options.seed},
                           {"classifier", options.classifier},
                           {"classifier_test_accuracy", classifier_accuracy},
                           {"precision", tt::float32_math_name()},
                           {"models", nlohmann::json::array()}};
  // One model's figures, cached in OUT/models/NAME.json beside the settings that made them, so an
  // interrupted experiment (or a later one with more models) evaluates only what is new.
  auto evaluate_model = [&](const std::string& name, const std::string& path) {
    std::printf("%s (%s): sampling...\n", name.c_str(), path.c_str());
    std::fflush(stdout);
    const auto model = ScoreModel::load(path);
    check_sampler(sampler, model->sde());
    GenerationRequest unguided_request{sampler, {}, 0, options.seed, options.batch, Tensor()};
    unguided_request.labels.assign(options.unguided, model->null_label());
    const GeneratedSamples unguided = generate(*model, unguided_request);
    EvaluationRequest request;
    request.undesirable = undesirable;
    request.retained = desirable;
    request.seed = options.seed;
    const nlohmann::json unguided_figures =
        evaluate_samples(*classifier, unguided.samples, unguided.labels, request, test, train);
    nlohmann::json entry = {
        {"name", name},
        {"checkpoint", path},
        {"unguided_undesirable_rate", unguided_figures["undesirable_rate"]},
        {"unguided_undesirable", unguided_figures["rates"]["undesirable"]},
        {"unguided_none", unguided_figures["rates"]["none"]},
        {"unguided_class_histogram", unguided_figures["class_histogram"]},
        {"real_floor", unguided_figures["real_floor"]},
        // Without conditional samples (--per-class 0: unconditional models), quality on D_g is
        // that of the unguided samples.
        {"quality_desirable", unguided_figures["quality"]},
        {"quality_floor_real_vs_real", unguided_figures["quality_floor_real_vs_real"]},
        {"images_per_second", unguided.images_per_second},
        {"asked_undesirable", nullptr},
        {"ra_desirable_rate", nullptr},
        {"desirable_none", nullptr}};
    GeneratedSamples conditional;
    if (options.per_class > 0) {
      conditional = add_conditional_figures(*model, options, sampler, request, *classifier, test,
                                            train, entry);
    }
    if (options.bpd_images > 0) {
      std::printf("%s: bits/dim...\n", name.c_str());
      std::fflush(stdout);
      entry["bpd_desirable"] =
          mean_bits_per_dim(*model, options.data_dir, desirable, options.bpd_images,
                            options.bpd_tolerance, options.seed);
      entry["bpd_undesirable"] =
          mean_bits_per_dim(*model, options.data_dir, undesirable, options.bpd_images,
                            options.bpd_tolerance, options.seed);
    }
    if (options.edit_images > 0) {
      std::printf("%s: inpainting and reconstruction...\n", name.c_str());
      std::fflush(stdout);
      std::vector<Tensor> edit_rows;
      entry["edits"] = nlohmann::json::array();
      for (const auto& [set, classes] :
           {std::pair{std::string("D_g"), desirable}, std::pair{std::string("D_u"), undesirable}}) {
        EditFigures edits =
            edit_held_out_images(*model, options, classes, set, undesirable, *classifier);
        for (const auto& row : edits.rows) entry["edits"].push_back(row);
        edit_rows.insert(edit_rows.end(), edits.grid_rows.begin(), edits.grid_rows.end());
      }
      write_image_grid(options.out_dir + "/" + name + "-edits.png", concat(edit_rows, 0),
                       static_cast<int>(edit_rows[0].dim(0)));
      entry["edits_png"] = name + "-edits.png";
    }
    // Grid: the first 10 unguided samples, then 10 columns per class row; without conditional
    // samples, up to 10 rows of unguided ones.
    const int64_t columns = options.per_class > 0 ? std::min<int64_t>(10, options.per_class) : 10;
    std::vector<Tensor> rows;
    const int64_t unguided_rows = options.per_class > 0 ? 1 : 10;
    rows.push_back(
        unguided.samples.slice_batch(0, std::min<int64_t>(10 * unguided_rows, options.unguided)));
    for (int c = 0; c < 10 && options.per_class > 0; ++c)
      rows.push_back(
          conditional.samples.slice_batch(c * options.per_class, c * options.per_class + columns));
    const Tensor grid_images = concat(rows, 0);
    std::vector<std::string> row_labels;
    const int64_t grid_rows = (grid_images.dim(0) + columns - 1) / columns;
    for (int64_t row = 0; row < grid_rows; ++row) {
      row_labels.push_back(options.per_class > 0 && row > 0 ? std::to_string(row - 1) : "unguided");
    }
    const std::string grid = options.out_dir + "/" + name + ".png";
    write_image_grid(grid, grid_images, static_cast<int>(columns), row_labels);
    entry["grid_png"] = name + ".png";
    return entry;
  };
  for (const auto& [name, path] : models) {
    const auto modified = std::filesystem::last_write_time(path).time_since_epoch();
    const nlohmann::json settings = {
        {"checkpoint", path},
        {"checkpoint_bytes", std::filesystem::file_size(path)},
        {"checkpoint_modified", static_cast<int64_t>(modified.count())},
        {"undesirable", undesirable},
        {"sampler", report["sampler"]},
        {"cfg", options.cfg},
        {"unguided", options.unguided},
        {"per_class", options.per_class},
        {"bpd_images", options.bpd_images},
        {"bpd_tolerance", options.bpd_tolerance},
        {"edit_images", options.edit_images},
        {"edit_steps", options.edit_steps},
        {"seed", options.seed},
        {"classifier", options.classifier},
        {"precision", tt::float32_math_name()}};
    const std::string cache = options.out_dir + "/models/" + name + ".json";
    std::ifstream cached(cache);
    const nlohmann::json stored = nlohmann::json::parse(cached, nullptr, false);
    if (!stored.is_discarded() && stored.is_object() &&
        stored.value("settings", nlohmann::json()) == settings && stored.contains("figures")) {
      std::printf("%s: figures from %s (same checkpoint and settings)\n", name.c_str(),
                  cache.c_str());
      report["models"].push_back(stored["figures"]);
      continue;
    }
    const nlohmann::json entry = evaluate_model(name, path);
    std::filesystem::create_directories(options.out_dir + "/models");
    write_json(cache, {{"settings", settings}, {"figures", entry}});
    report["models"].push_back(entry);
  }

  std::ostringstream table;
  // The headline comparison: each model's unguided undesirable count against the baseline's,
  // two-sided Fisher exact test.
  const nlohmann::json& baseline =
      report["models"][baseline_model - models.begin()]["unguided_undesirable"];
  table << "| model | unguided: undesirable [95 % CI] | p vs " << baseline_name
        << " (Fisher) | unguided: none | asked for undesirable: classified so [95 % CI] | RA on "
           "D_g [95 % CI] | D_g: none | cFID D_g | precision | recall | bits/dim D_g | bits/dim "
           "D_u |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  auto share = [](const nlohmann::json& rate) { return rate.is_null() ? rate : rate["rate"]; };
  for (const auto& m : report["models"]) {
    const nlohmann::json& u = m["unguided_undesirable"];
    const double p = fisher_exact_p(u["count"].get<int64_t>(), u["n"].get<int64_t>(),
                                    baseline["count"].get<int64_t>(), baseline["n"].get<int64_t>());
    table << "| " << m["name"].get<std::string>() << " | " << format_rate(u) << " | "
          << format_number(p, "%.2g") << " | " << format_number(m["unguided_none"]["rate"], "%.3f")
          << " | " << format_rate(m["asked_undesirable"]) << " | "
          << format_rate(m["ra_desirable_rate"]) << " | "
          << format_number(share(m["desirable_none"]), "%.3f") << " | "
          << format_number(m["quality_desirable"]["cfid"], "%.1f") << " | "
          << format_number(m["quality_desirable"]["precision"], "%.3f") << " | "
          << format_number(m["quality_desirable"]["recall"], "%.3f") << " | "
          << format_number(m.value("bpd_desirable", nlohmann::json()), "%.3f") << " | "
          << format_number(m.value("bpd_undesirable", nlohmann::json()), "%.3f") << " |\n";
  }
  const auto& floor = report["models"][0]["quality_floor_real_vs_real"];
  const auto& real = report["models"][0]["real_floor"];
  table << "\nReal-vs-real floor (train vs test images of D_g): cFID "
        << format_number(floor["cfid"], "%.1f") << ", precision "
        << format_number(floor["precision"], "%.3f") << ", recall "
        << format_number(floor["recall"], "%.3f")
        << ". Real test digits of D_g read as undesirable: "
        << format_rate(real["wanted_read_as_undesirable"])
        << "; all test digits read as none: " << format_rate(real["none"])
        << ". Intervals: Wilson, 95 %.\n";
  std::printf("\n%s", table.str().c_str());

  std::ostringstream edits;
  if (options.edit_images > 0) {
    edits << "| model | set | task | images | PSNR (dB) | classified as the original digit | "
             "classified undesirable |\n|---|---|---|---|---|---|---|\n";
    for (const auto& m : report["models"])
      for (const auto& e : m["edits"])
        edits << "| " << m["name"].get<std::string>() << " | " << e["set"].get<std::string>()
              << " | " << e["task"].get<std::string>() << " | " << e["images"].get<int64_t>()
              << " | " << format_number(e["mean_psnr"], "%.2f") << " | "
              << format_number(e["classified_as_original_digit"], "%.3f") << " | "
              << format_number(e["classified_undesirable"], "%.3f") << " |\n";
    std::printf("\n%s", edits.str().c_str());
  }

  std::ostringstream markdown;
  markdown << "# MSGM on MNIST (`lethe experiment msgm-mnist`)\n\nGenerated by `lethe experiment "
              "msgm-mnist --undesirable "
           << join_ints(options.undesirable) << " --models " << options.models << " --unguided "
           << options.unguided << " --per-class " << options.per_class << " --bpd-images "
           << options.bpd_images << " --bpd-tolerance " << options.bpd_tolerance
           << " --edit-images " << options.edit_images << " --edit-steps " << options.edit_steps
           << " --sampler " << sampler.name << " --steps " << sampler.steps << " --cfg "
           << options.cfg << " --seed " << options.seed << " --baseline " << baseline_name
           << " --classifier " << options.classifier << " --precision " << tt::float32_math_name()
           << " --out " << options.out_dir << "`.\n\nSampler: " << sampler.name << ", "
           << sampler.steps
           << " steps; unguided samples use the null label, class-conditional ones CFG w = "
           << options.cfg << ". Classifier: `" << options.classifier << "` (held-out accuracy "
           << classifier_accuracy << "). Bits/dim: " << options.bpd_images
           << " test images per set, null label, PF-ODE (RK45 at rtol = atol = "
           << options.bpd_tolerance << ", Hutchinson).\n\n"
           << table.str();
  if (options.edit_images > 0)
    markdown << "\nZero-shot inpainting (PC, " << options.edit_steps
             << " steps; the mask names the known part) and PF-ODE reconstruction (Heun, "
             << options.edit_steps << " steps, perturbed at t = 0.02) of the first "
             << options.edit_images
             << " held-out test images of each set, null label; PSNR to the original and the "
                "classifier's label of the result:\n\n"
             << edits.str();
  markdown << "\nSample grids (first row: unguided; then one row per digit 0-9):\n\n";
  for (const auto& m : report["models"])
    markdown << "- " << m["name"].get<std::string>() << " (`" << m["checkpoint"].get<std::string>()
             << "`): ![](" << m["grid_png"].get<std::string>() << ")\n";
  if (options.edit_images > 0) {
    markdown << "\nEdit grids (rows: D_g originals, top-half inpainting, reconstruction; then the "
                "same for D_u):\n\n";
    for (const auto& m : report["models"])
      markdown << "- " << m["name"].get<std::string>() << ": ![]("
               << m["edits_png"].get<std::string>() << ")\n";
  }
  write_text(options.out_dir + "/msgm-mnist.md", markdown.str());
  write_json(options.out_dir + "/msgm-mnist.json", report);
}

}  // namespace lethe
