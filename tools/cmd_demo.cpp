// lethe demo: the main job. For now: trains a 2-D toy score model for a few seconds, samples it
// and writes a scatter PNG next to the data's, with the mass in the undesirable disc.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "lethe/plot.h"
#include "lethe/progress.h"
#include "lethe/toy.h"

namespace lethe::tools {
namespace {

struct DemoOptions {
  std::string out_dir = "out/demo";
  int64_t steps = 3000;
  int64_t samples = 4000;
  int sampler_steps = 500;
  uint64_t seed = 0;
};

void run_demo(const DemoOptions& options) {
  std::filesystem::create_directories(options.out_dir);
  ToyTrainingConfig config;
  config.steps = options.steps;
  config.seed = options.seed;
  ToyScoreTrainer trainer(config);
  std::printf("Training a 2-D score model (MLP %dx%d, VP SDE) on %s for %lld steps\n", config.depth,
              config.hidden, config.preset.c_str(), static_cast<long long>(config.steps));
  Progress progress("train", config.steps);
  const double final_loss =
      trainer.train(config.steps, [&](int64_t step, double loss) { progress.update(step, loss); });
  progress.finish();

  Generator data_noise(options.seed + 7, 0);
  const Tensor data = trainer.data().sample(options.samples, data_noise);
  const Tensor samples = trainer.sample(options.samples, options.sampler_steps, options.seed + 11);
  const std::string data_png = options.out_dir + "/toy_data.png";
  const std::string samples_png = options.out_dir + "/toy_samples.png";
  write_scatter_png(data_png, data, 4.5, 512, 1.0);
  write_scatter_png(samples_png, samples, 4.5, 512, 1.0);

  const double exact = trainer.data().mass_in_disc(0, 0, 1);
  std::printf("final DSM loss            %.4f\n", final_loss);
  std::printf(
      "mass in disc |x| <= 1     exact %.4f  data %.4f  model %.4f  (%lld samples, "
      "Euler-Maruyama %d steps)\n",
      exact, fraction_in_disc(data, 0, 0, 1), fraction_in_disc(samples, 0, 0, 1),
      static_cast<long long>(options.samples), options.sampler_steps);
  std::printf("mass near (2, 2), r 1.5   data %.4f  model %.4f\n",
              fraction_in_disc(data, 2, 2, 1.5), fraction_in_disc(samples, 2, 2, 1.5));
  std::printf("mass near (-2,-2), r 1.5  data %.4f  model %.4f\n",
              fraction_in_disc(data, -2, -2, 1.5), fraction_in_disc(samples, -2, -2, 1.5));
  std::printf("wrote %s and %s\n", data_png.c_str(), samples_png.c_str());
}

}  // namespace

void register_demo(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* demo = app.add_subcommand("demo", "Train a 2-D toy score model and plot its samples");
  demo->add_option("--out", options->out_dir, "Output directory")->capture_default_str();
  demo->add_option("--steps", options->steps, "Training steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  demo->add_option("--samples", options->samples, "Samples to draw")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  demo->add_option("--sampler-steps", options->sampler_steps, "Euler-Maruyama steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  demo->add_option("--seed", options->seed, "Random seed")->capture_default_str();
  demo->callback([options] { run_demo(*options); });
}

}  // namespace lethe::tools
