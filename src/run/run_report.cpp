#include "lethe/run/run_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include "lethe/diffusion/score_model.h"
#include "lethe/io/html_report.h"
#include "lethe/io/png.h"
#include "lethe/io/progress.h"
#include "lethe/io/safetensors.h"
#include "lethe/io/svg_plot.h"
#include "lethe/run/sfd_job.h"

namespace lethe {
namespace {

namespace fs = std::filesystem;

struct CsvLog {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> values;  // per column
};

CsvLog read_csv_log(const std::string& path) {
  std::ifstream file(path);
  LETHE_CHECK(file.good(), "report: cannot read the log '", path, "'");
  CsvLog log;
  std::string line;
  LETHE_CHECK(static_cast<bool>(std::getline(file, line)) && !line.empty(), "report: the log '",
              path, "' has no header line");
  std::stringstream header(line);
  for (std::string name; std::getline(header, name, ',');) log.columns.push_back(name);
  log.values.resize(log.columns.size());
  for (int64_t row = 2; std::getline(file, line); ++row) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream stream(line);
    for (std::string field; std::getline(stream, field, ',');) fields.push_back(field);
    if (line.back() == ',') fields.emplace_back();
    LETHE_CHECK(fields.size() == log.columns.size(), "report: the log '", path, "' line ", row,
                " has ", fields.size(), " fields, the header ", log.columns.size());
    for (size_t k = 0; k < fields.size(); ++k) {
      char* end = nullptr;
      const double value = std::strtod(fields[k].c_str(), &end);
      log.values[k].push_back(end != fields[k].c_str() && *end == '\0' ? value : std::nan(""));
    }
  }
  return log;
}

// A trailing mean over `window` finite points (NaN until one is seen).
std::vector<double> running_mean(const std::vector<double>& values, size_t window) {
  std::vector<double> out(values.size(), std::nan(""));
  double sum = 0;
  std::vector<double> kept;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) continue;
    kept.push_back(values[i]);
    sum += values[i];
    if (kept.size() > window) sum -= kept[kept.size() - window - 1];
    out[i] = sum / static_cast<double>(std::min(kept.size(), window));
  }
  return out;
}

void add_log_plots(HtmlReport& report, const std::string& path) {
  const CsvLog log = read_csv_log(path);
  LETHE_CHECK(!log.columns.empty() && log.columns[0] == "step", "report: the log '", path,
              "' does not start with a 'step' column");
  report.heading("Training log");
  report.paragraph("Every column of " + fs::path(path).filename().string() +
                   " against the step; the darker line is a running mean over 2% of the run.");
  const size_t window = std::max<size_t>(1, log.values[0].size() / 50);
  for (size_t k = 1; k < log.columns.size(); ++k) {
    const std::string& name = log.columns[k];
    if (name == "elapsed_s" || name.find("held") != std::string::npos) continue;
    if (std::none_of(log.values[k].begin(), log.values[k].end(),
                     [](double v) { return std::isfinite(v); }))
      continue;
    std::vector<PlotSeries> series{{name, log.values[0], log.values[k], "#9ecae1"}};
    if (window > 1)
      series.push_back(
          {"running mean", log.values[0], running_mean(log.values[k], window), "#08519c"});
    report.svg(svg_line_plot(name, "step", name, series, 420, 280));
  }
}

std::vector<int64_t> grid_labels(const ScoreModel& model, int64_t per_label) {
  std::vector<int64_t> labels;
  const int classes = model.unet().config().num_classes;
  for (int c = 0; c < std::max(classes, 1); ++c)
    labels.insert(labels.end(), per_label, classes == 0 ? 0 : c);
  return labels;
}

// Samples a grid (one row per class) from `checkpoint` into `png`.
void sample_grid(const std::string& checkpoint, const std::string& png,
                 const ReportOptions& options) {
  const auto model = ScoreModel::load(checkpoint);
  SamplerConfig sampler;
  // DDIM exists for VP only; other SDEs get the probability-flow ODE with the same steps.
  sampler.name =
      options.sampler == "ddim" && model->sde().kind != SdeKind::vp ? "heun" : options.sampler;
  sampler.steps = options.steps;
  GenerationRequest request{sampler, grid_labels(*model, options.per_label), 0, options.seed, 128,
                            Tensor()};
  std::vector<std::string> row_labels;
  for (size_t i = 0; i < request.labels.size(); i += options.per_label) {
    row_labels.push_back(label_name(request.labels[i], model->null_label()));
  }
  write_image_grid(png, generate(*model, request).samples, static_cast<int>(options.per_label),
                   row_labels);
}

void add_metadata(HtmlReport& report, const std::string& checkpoint) {
  const SafetensorsFile file = load_safetensors(checkpoint);
  int64_t parameters = 0;
  for (const auto& [name, tensor] : file.tensors)
    if (name.rfind("train.", 0) != 0) parameters += tensor.numel();
  std::vector<std::vector<std::string>> rows{{"parameters", std::to_string(parameters)}};
  for (const auto& [key, value] : file.metadata) rows.push_back({key, value});
  report.heading("Checkpoint");
  report.paragraph(checkpoint);
  report.table({"key", "value"}, rows);
}

void add_json_figures(HtmlReport& report, const std::string& path) {
  std::ifstream file(path);
  nlohmann::json figures;
  try {
    figures = nlohmann::json::parse(file);
  } catch (const nlohmann::json::exception& e) {
    fail("report: '", path, "' is not valid JSON (", e.what(), ")");
  }
  std::vector<std::vector<std::string>> rows;
  const nlohmann::json flat = figures.flatten();
  for (const auto& [key, value] : flat.items()) {
    std::string text;
    if (value.is_number_float()) {
      char number[32];
      std::snprintf(number, sizeof number, "%.4g", value.get<double>());
      text = number;
    } else {
      text = value.is_string() ? value.get<std::string>() : value.dump();
    }
    rows.push_back({key, text});
  }
  report.heading("Figures: " + fs::path(path).filename().string());
  report.table({"figure", "value"}, rows);
}

}  // namespace

void run_report(const ReportOptions& options) {
  LETHE_CHECK(fs::is_directory(options.run_dir), "report: '", options.run_dir,
              "' is not a directory");
  const std::string out = options.out.empty() ? options.run_dir + "/report.html" : options.out;
  HtmlReport report("Run report: " + options.run_dir);
  report.command("lethe report " + options.run_dir);
  const std::string checkpoint = options.run_dir + "/checkpoint.safetensors";
  const bool has_checkpoint = fs::is_regular_file(checkpoint);
  const bool has_log = fs::is_regular_file(options.run_dir + "/log.csv");
  std::vector<fs::path> pngs, jsons;
  for (const auto& entry : fs::directory_iterator(options.run_dir)) {
    if (entry.path().extension() == ".png") pngs.push_back(entry.path());
    if (entry.path().extension() == ".json") jsons.push_back(entry.path());
  }
  std::sort(pngs.begin(), pngs.end());
  std::sort(jsons.begin(), jsons.end());
  LETHE_CHECK(has_checkpoint || has_log || !pngs.empty() || !jsons.empty(), "report: '",
              options.run_dir, "' holds no run (no checkpoint.safetensors, log.csv, PNG or JSON)");
  bool unet_checkpoint = false;
  if (has_checkpoint) {
    add_metadata(report, checkpoint);
    unet_checkpoint = load_safetensors(checkpoint).metadata.count("unet.name") > 0;
  }
  if (has_log) add_log_plots(report, options.run_dir + "/log.csv");

  std::vector<FigureImage> grids;
  if (options.sample) {
    const std::string grid_dir = options.run_dir + "/report-grids";
    fs::create_directories(grid_dir);
    std::vector<std::pair<std::string, std::string>> sources;  // caption, checkpoint
    for (const auto& [step, path] : sfd_snapshots(options.run_dir))
      sources.emplace_back("snapshot at step " + std::to_string(step), path);
    if (unet_checkpoint) sources.emplace_back("final checkpoint", checkpoint);
    Progress progress("report: sampling", static_cast<int64_t>(sources.size()));
    for (size_t k = 0; k < sources.size(); ++k) {
      const std::string png = grid_dir + "/grid-" + std::to_string(k) + ".png";
      sample_grid(sources[k].second, png, options);
      grids.push_back({sources[k].first, png});
      progress.update(static_cast<int64_t>(k + 1), 0, "grids");
    }
    progress.finish();
  }
  for (const fs::path& png : pngs) grids.push_back({png.filename().string(), png.string()});
  if (!grids.empty()) {
    report.heading("Samples");
    report.paragraph(options.sample
                         ? "One row per class; sampled with " + options.sampler + " " +
                               std::to_string(options.steps) +
                               " steps (one-step generators: one network call), seed " +
                               std::to_string(options.seed) + "; then the images in the run."
                         : "The images in the run.");
    report.images(grids);
  }
  for (const fs::path& json : jsons) add_json_figures(report, json.string());
  report.write(out);
}

}  // namespace lethe
