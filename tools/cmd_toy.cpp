// lethe toy: 2-D score models on Gaussian mixtures, where every figure has an exact answer.
//   lethe toy train --preset toy-msgm [--components 0,1] --out runs/toy
//   lethe toy sample CKPT --n 200000 --out samples.safetensors|plot.png
#include <cstdio>

#include "commands.h"
#include "flag_values.h"
#include "lethe/core/autograd.h"
#include "lethe/io/safetensors.h"
#include "lethe/io/scatter_plot.h"
#include "lethe/run/toy_training_job.h"

namespace lethe::tools {
namespace {

struct ToySampleOptions {
  std::string checkpoint, out = "toy_samples.safetensors";
  SamplerConfig sampler;
  int64_t count = 10000;
  uint64_t seed = 0;
};

void run_toy_sample(const ToySampleOptions& options) {
  const auto model = ToyScoreModel::load(options.checkpoint);
  check_sampler(options.sampler, model->sde());
  Generator noise(options.seed, 0);
  NoGrad no_grad;
  const Tensor start = draw_prior(model->sde(), {options.count, 2}, noise);
  const SampleResult result = sample(score_from_noise_model(model->noise_model(), model->sde()),
                                     model->sde(), options.sampler, start, noise);
  const double exact = model->full_data().mass_in_disc(0, 0, 1);
  std::printf(
      "%lld samples (%s, %lld NFE): mass in |x| <= 1 %.5f (full data %.5f, trained "
      "data %.5f)\n",
      static_cast<long long>(options.count), options.sampler.name.c_str(),
      static_cast<long long>(result.nfe), fraction_in_disc(result.samples, 0, 0, 1), exact,
      model->trained_data().mass_in_disc(0, 0, 1));
  const bool png = options.out.size() > 4 && options.out.substr(options.out.size() - 4) == ".png";
  if (png) {
    write_scatter_png(options.out, result.samples, 4.5, 512, 1.0);
  } else {
    save_safetensors(options.out, {{"samples", result.samples}},
                     {{"checkpoint", options.checkpoint},
                      {"data", model->trained_data().spec()},
                      {"data.full", model->full_data().spec()},
                      {"sampler", options.sampler.name},
                      {"nfe_per_sample", std::to_string(result.nfe)},
                      {"seed", std::to_string(options.seed)}});
  }
  std::printf("wrote %s\n", options.out.c_str());
}

}  // namespace

void register_toy(CLI::App& app) {
  CLI::App* toy = app.add_subcommand("toy", "2-D score models on Gaussian mixtures");
  toy->require_subcommand(1);

  auto train = std::make_shared<ToyTrainingRun>();
  ToyTrainingConfig& c = train->config;
  CLI::App* train_command = toy->add_subcommand("train", "Train a toy score model");
  train_command->add_option("--preset", c.preset, "toy-msgm, rings, grid or w@x,y@s;...");
  add_class_list_flag(*train_command, "--components", c.components,
                      "Train on these components only (e.g. 0,1: retrain without 2)");
  train_command->add_option("--sde", c.sde, "vp, subvp or ve");
  train_command->add_option("--steps", c.steps, "Steps")->check(positive());
  train_command->add_option("--batch", c.batch, "Batch size")->check(positive());
  train_command->add_option("--lr", c.lr, "Adam learning rate")->check(positive());
  train_command->add_option("--seed", c.seed, "Random seed");
  add_run_directory_flags(*train_command, train->out_dir, train->checkpoint_every, train->resume);
  train_command->callback([train] { exit_if_interrupted(run_toy_training(*train)); });

  auto sample = std::make_shared<ToySampleOptions>();
  sample->sampler.name = "em";
  sample->sampler.steps = 500;
  CLI::App* sample_command = toy->add_subcommand("sample", "Sample a toy score model");
  sample_command->add_option("checkpoint", sample->checkpoint, "Toy checkpoint")->required();
  sample_command->add_option("--sampler", sample->sampler.name, "Sampler name");
  sample_command->add_option("--steps", sample->sampler.steps, "Steps")->check(positive());
  sample_command->add_option("--n", sample->count, "Samples")->check(positive());
  sample_command->add_option("--seed", sample->seed, "Random seed");
  sample_command->add_option("--out", sample->out, ".safetensors (for lethe eval --toy) or .png");
  sample_command->callback([sample] { run_toy_sample(*sample); });
}

}  // namespace lethe::tools
