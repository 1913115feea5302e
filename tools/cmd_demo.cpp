// lethe demo: the main job on the shipped weights (src/experiments/demo.cpp); this file holds
// its flags.
#include "commands.h"
#include "flag_values.h"
#include "lethe/experiments/demo.h"

namespace lethe::tools {

void register_demo(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* demo = app.add_subcommand(
      "demo", "The main job: sample and score the shipped models, run the toy, write a report");
  demo->add_option("--out", options->out_dir, "Output directory");
  demo->add_option("--weights", options->weights_dir, "Shipped weights");
  demo->add_option("--results", options->results_dir, "Experiment outputs (curves)");
  demo->add_option("--per-class", options->per_class, "Samples per digit and model")
      ->check(positive());
  demo->add_option("--unguided", options->unguided, "Null-label samples per score model")
      ->check(non_negative());
  demo->add_option("--sampler-steps", options->sampler_steps, "DDIM steps")->check(positive());
  demo->add_option("--cfg", options->cfg, "Guidance scale of score models")->check(non_negative());
  demo->add_option("--toy-steps", options->toy_steps, "Training steps of each toy model")
      ->check(positive());
  demo->add_option("--toy-samples", options->toy_samples, "Samples per toy model")
      ->check(positive());
  demo->add_option("--seed", options->seed, "Random seed");
  demo->callback([options] { run_demo(*options); });
}

}  // namespace lethe::tools
