#include "lethe/experiments/msgm_toy.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include "lethe/core/autograd.h"
#include "lethe/core/int_list.h"
#include "lethe/core/number_text.h"
#include "lethe/diffusion/toy_trainer.h"
#include "lethe/eval/evaluation.h"
#include "lethe/io/json_report.h"
#include "lethe/io/progress.h"
#include "lethe/io/scatter_plot.h"
#include "lethe/unlearn/msgm.h"

namespace lethe {
namespace {

struct ToyModelSpec {
  std::string name;  // table row and file stem
  // A trained model, or none: the exact score of `exact_data` (the sampler's own error).
  std::optional<ToyTrainingConfig> config;
  std::vector<int> exact_data;
  std::string command;  // the lethe command that trains this model alone
};

std::vector<ToyModelSpec> model_specs(const MsgmToyOptions& options) {
  ToyTrainingConfig base;
  base.preset = "toy-msgm";
  base.sde = options.sde;
  base.steps = options.steps;
  const std::string common = " --sde " + options.sde + " --steps " + std::to_string(options.steps);
  std::vector<ToyModelSpec> specs;
  specs.push_back({"exact score of D_g (sampler control)", std::nullopt, {0, 1}, ""});
  specs.push_back({"exact score of D (sampler control)", std::nullopt, {0, 1, 2}, ""});
  specs.push_back({"original", base, {}, "lethe toy train --preset toy-msgm" + common});
  ToyTrainingConfig retrain = base;
  retrain.components = {0, 1};
  specs.push_back(
      {"retrain", retrain, {}, "lethe toy train --preset toy-msgm --components 0,1" + common});
  for (const auto& [weight, every] : parse_moderation_schedules(options.schedules)) {
    for (const std::string& variant_name : parse_msgm_variant_list(options.variants)) {
      ToyTrainingConfig msgm = base;
      msgm.undesirable = {2};
      MsgmConfig moderation;
      moderation.variant = parse_msgm_variant(variant_name);
      moderation.desirable_weight = 1 - weight;
      moderation.undesirable_weight = weight;
      moderation.every = every;
      msgm.moderation = msgm_moderation(moderation);
      char name[128];
      std::snprintf(name, sizeof name, "msgm %s w=%g/%lld", variant_name.c_str(), weight,
                    static_cast<long long>(every));
      char weights[128];
      std::snprintf(weights, sizeof weights,
                    " --desirable-weight %g --undesirable-weight %g --every %lld", 1 - weight,
                    weight, static_cast<long long>(every));
      specs.push_back({name,
                       msgm,
                       {},
                       "lethe unlearn msgm --toy toy-msgm --undesirable 2 --variant " +
                           variant_name + weights + common});
    }
  }
  return specs;
}

std::string file_stem(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  return name;
}

}  // namespace

std::vector<ModerationSchedule> parse_moderation_schedules(const std::string& text) {
  std::vector<ModerationSchedule> schedules;
  for (const std::string& item : split_list(text)) {
    const size_t at = item.find('@');
    LETHE_CHECK(at != std::string::npos, "schedule '", item, "' is not WEIGHT@EVERY (e.g. 0.01@4)");
    const double weight =
        parse_real(item.substr(0, at), "schedule '" + item + "': the weight", 0, 1);
    const int64_t every =
        parse_integer(item.substr(at + 1), "schedule '" + item + "': the period", 1, 1000000000);
    schedules.push_back({weight, every});
  }
  LETHE_CHECK(!schedules.empty(), "no moderation schedule given (e.g. 0.01@4)");
  return schedules;
}

std::vector<std::string> parse_msgm_variant_list(const std::string& text) {
  const std::vector<std::string> names = split_list(text);
  for (const std::string& name : names) parse_msgm_variant(name);
  LETHE_CHECK(!names.empty(), "no MSGM variant given");
  return names;
}

void run_msgm_toy(const MsgmToyOptions& options) {
  LETHE_CHECK(options.seeds >= 1, "msgm-toy: the seed count must be at least 1");
  const std::vector<ToyModelSpec> specs = model_specs(options);
  std::filesystem::create_directories(options.out_dir);
  const GaussianMixture full = GaussianMixture::preset("toy-msgm");
  const GaussianMixture desirable = full.with_components({0, 1});
  const double exact_desirable = desirable.mass_in_disc(0, 0, 1);
  const double exact_full = full.mass_in_disc(0, 0, 1);
  std::printf(
      "msgm-toy: %zu models x %d seeds, %lld training steps each, %lld samples (Euler-Maruyama "
      "%d steps)\n",
      specs.size(), options.seeds, static_cast<long long>(options.steps),
      static_cast<long long>(options.samples), options.sampler_steps);
  std::fflush(stdout);

  nlohmann::json report = {{"experiment", "msgm-toy"},
                           {"sde", options.sde},
                           {"training_steps", options.steps},
                           {"samples_per_model", options.samples},
                           {"sampler", {{"name", "em"}, {"steps", options.sampler_steps}}},
                           {"seeds", options.seeds},
                           {"region", "disc |x| <= 1"},
                           {"exact_mass_desirable_only", exact_desirable},
                           {"exact_mass_full_data", exact_full},
                           {"models", nlohmann::json::array()}};
  Progress progress("msgm-toy models", static_cast<int64_t>(specs.size()) * options.seeds);
  int64_t done = 0;
  for (const ToyModelSpec& spec : specs) {
    nlohmann::json runs = nlohmann::json::array();
    for (int seed = 0; seed < options.seeds; ++seed) {
      const uint64_t sampler_seed = 1000 + seed;
      Tensor samples;
      double final_loss = std::nan("");
      if (spec.config) {
        ToyTrainingConfig config = *spec.config;
        config.seed = seed;
        ToyScoreTrainer trainer(config);
        final_loss = trainer.train_until(config.steps, nullptr);
        samples = trainer.sample(options.samples, options.sampler_steps, sampler_seed);
      } else {
        NoGrad no_grad;
        Generator noise(sampler_seed, 0);
        const Sde sde = Sde::parse(options.sde);
        samples = sample_euler_maruyama(
            mixture_noise_model(to_mixture_model(full.with_components(spec.exact_data)), sde), sde,
            {options.samples, 2}, options.sampler_steps, noise);
      }
      nlohmann::json figures = evaluate_toy_samples(samples, full, desirable, 0, 0, 1, 2000 + seed);
      figures["seed"] = seed;
      if (spec.config) figures["final_loss"] = final_loss;
      if (seed == 0) {
        const std::string png = options.out_dir + "/" + file_stem(spec.name) + ".png";
        write_scatter_png(png, samples.slice_batch(0, std::min<int64_t>(options.samples, 5000)),
                          4.5, 384, 1.0);
        figures["scatter_png"] = std::filesystem::path(png).filename().string();
      }
      runs.push_back(figures);
      progress.update(++done, figures["region_mass"].get<double>());
    }
    double mass_sum = 0, energy_sum = 0;
    for (const auto& run : runs) {
      mass_sum += run["region_mass"].get<double>();
      energy_sum += run["energy_distance"].get<double>();
    }
    report["models"].push_back({{"name", spec.name},
                                {"command", spec.command},
                                {"mean_region_mass", mass_sum / runs.size()},
                                {"mean_energy_distance", energy_sum / runs.size()},
                                {"runs", runs}});
  }
  progress.finish();

  // The table: per model the mean mass over seeds, each seed's mass +- its binomial s.e., and
  // the energy distance to the desirable-only mixture.
  std::ostringstream table;
  char line[512];
  std::snprintf(line, sizeof line,
                "| model | mass in disc (mean) | / exact D_g | per seed (+- binomial s.e.) | "
                "energy distance to D_g |\n|---|---|---|---|---|\n");
  table << line;
  for (const auto& model : report["models"]) {
    std::ostringstream per_seed;
    for (const auto& run : model["runs"]) {
      char cell[96];
      std::snprintf(cell, sizeof cell, "%s%.5f +- %.5f", per_seed.tellp() > 0 ? "; " : "",
                    run["region_mass"].get<double>(), run["region_mass_stderr"].get<double>());
      per_seed << cell;
    }
    std::snprintf(line, sizeof line, "| %s | %.5f | %.1fx | %s | %.4f |\n",
                  model["name"].get<std::string>().c_str(), model["mean_region_mass"].get<double>(),
                  model["mean_region_mass"].get<double>() / exact_desirable, per_seed.str().c_str(),
                  model["mean_energy_distance"].get<double>());
    table << line;
  }
  std::snprintf(line, sizeof line,
                "\nExact mass in the disc: desirable-only mixture %.6f, full data %.6f.\n",
                exact_desirable, exact_full);
  table << line;
  std::printf("\n%s", table.str().c_str());

  std::ostringstream markdown;
  markdown << "# MSGM on the 2-D moderation toy (`lethe experiment msgm-toy`)\n\n"
           << "Generated by `lethe experiment msgm-toy --seeds " << options.seeds << " --steps "
           << options.steps << " --samples " << options.samples << " --sampler-steps "
           << options.sampler_steps << " --out " << options.out_dir << "`.\n\n"
           << "Data `toy-msgm`: desirable N((-2,-2), 0.25 I) and N((2,2), 0.25 I) (weight 0.4 "
              "each), undesirable N(0, 0.25 I) (weight 0.2). Every model is the 2-D MLP score "
              "network trained from scratch on "
           << options.sde
           << " for the stated steps; samples by Euler-Maruyama with the EMA weights. Energy "
              "distance: 2,000 samples vs 2,000 draws of the desirable-only mixture.\n\n"
           << table.str() << "\nScatter plots (seed 0, 5,000 samples, dashed: the disc):\n\n";
  for (const auto& model : report["models"]) {
    const std::string command = model["command"].get<std::string>();
    markdown << "- " << model["name"].get<std::string>() << ": "
             << (command.empty() ? "" : "`" + command + " --seed 0` ") << "![]("
             << model["runs"][0]["scatter_png"].get<std::string>() << ")\n";
  }
  write_text(options.out_dir + "/msgm-toy.md", markdown.str());
  write_json(options.out_dir + "/msgm-toy.json", report);
}

}  // namespace lethe
