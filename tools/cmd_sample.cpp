// lethe sample CKPT: draws class-conditional samples with any sampler and writes a PNG grid (one
// row per label) or a .safetensors file (`samples` in [-1, 1], `labels`) for lethe eval.
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "lethe/autograd.h"
#include "lethe/device.h"
#include "lethe/png.h"
#include "lethe/progress.h"
#include "lethe/score_model.h"

namespace lethe::tools {
namespace {

struct SampleOptions {
  std::string checkpoint;
  SamplerConfig sampler;
  std::string labels = "0,1,2,3,4,5,6,7,8,9";
  double cfg = 0;
  uint64_t seed = 0;
  int64_t per_label = 8;
  int64_t batch = 128;
  std::string latents;
  std::string out = "samples.png";
  std::string device = "cpu";
  std::string kernels = "auto";
};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Tensor starting_latents(const SampleOptions& options, const ScoreModel& model, const Shape& shape,
                        Generator& noise) {
  if (options.latents.empty()) return draw_prior(model.sde(), shape, noise);
  const SafetensorsFile file = load_safetensors(options.latents);
  LETHE_CHECK(file.tensors.size() == 1, "--latents ", options.latents,
              ": expected one tensor (N, C, H, W), found ", file.tensors.size());
  const Tensor latents = file.tensors[0].second.to(DType::f32);
  LETHE_CHECK(latents.shape() == shape, "--latents ", options.latents, ": tensor ",
              describe(latents), " does not match the requested samples ", shape_str(shape));
  return latents;
}

void run_sample(const SampleOptions& options) {
  LETHE_CHECK(ends_with(options.out, ".png") || ends_with(options.out, ".safetensors"), "--out ",
              options.out, ": expected a .png or .safetensors file name");
  const Device device = parse_device(options.device);
  set_gpu_kernels(options.kernels);
  const auto model = ScoreModel::load(options.checkpoint);
  model->to(device);
  check_sampler(options.sampler, model->sde());
  const std::vector<int64_t> label_list = parse_labels(options.labels, model->null_label());
  std::vector<int64_t> labels;
  for (int64_t label : label_list) labels.insert(labels.end(), options.per_label, label);
  const UNetConfig& config = model->unet().config();
  const int64_t total = static_cast<int64_t>(labels.size());
  Generator noise(options.seed, 0);
  const Tensor start =
      starting_latents(options, *model,
                       {total, config.in_channels, config.resolution, config.resolution}, noise)
          .to(device);

  NoGrad no_grad;
  std::vector<Tensor> chunks;
  int64_t nfe = 0;
  Progress progress("sample", total);
  const auto begin = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < total; first += options.batch) {
    const int64_t last = std::min(total, first + options.batch);
    const Tensor chunk_labels = Tensor::from_vector(
        std::vector<int64_t>(labels.begin() + first, labels.begin() + last), {last - first});
    const ScoreFn score =
        score_from_noise_model(model->noise_model(chunk_labels, options.cfg), model->sde());
    const SampleResult result =
        sample(score, model->sde(), options.sampler, start.slice_batch(first, last).clone(), noise);
    chunks.push_back(result.samples);
    nfe = std::max(nfe, result.nfe);
    progress.update(last, static_cast<double>(result.nfe), "NFE");
  }
  progress.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  const Tensor samples = concat(chunks, 0);
  std::printf("%lld samples, %s sampler, %lld NFE per image%s, %.2f img/s\n",
              static_cast<long long>(total), options.sampler.name.c_str(),
              static_cast<long long>(nfe),
              options.cfg != 0 ? " (two network calls each: guidance)" : "", total / seconds);
  if (ends_with(options.out, ".png")) {
    write_image_grid(options.out, samples, static_cast<int>(options.per_label));
  } else {
    save_safetensors(options.out,
                     {{"samples", samples}, {"labels", Tensor::from_vector(labels, {total})}},
                     {{"checkpoint", options.checkpoint},
                      {"sampler", options.sampler.name},
                      {"steps", std::to_string(options.sampler.steps)},
                      {"nfe_per_image", std::to_string(nfe * (options.cfg != 0 ? 2 : 1))},
                      {"cfg", std::to_string(options.cfg)},
                      {"seed", std::to_string(options.seed)},
                      {"images_per_second", std::to_string(total / seconds)}});
  }
  std::printf("wrote %s\n", options.out.c_str());
}

}  // namespace

void register_sample(CLI::App& app) {
  auto options = std::make_shared<SampleOptions>();
  SamplerConfig& s = options->sampler;
  CLI::App* command = app.add_subcommand("sample", "Draw samples from a score-model checkpoint");
  command->add_option("checkpoint", options->checkpoint, "Checkpoint (.safetensors)")->required();
  command
      ->add_option("--sampler", s.name,
                   "em, reverse-diffusion, ancestral, ddim, pc, langevin, heun or rk45")
      ->capture_default_str();
  command->add_option("--steps", s.steps, "Time steps (ODE: steps of heun)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--corrector-steps", s.corrector_steps, "Langevin steps per level")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--snr", s.snr, "Langevin signal-to-noise ratio")->capture_default_str();
  command->add_option("--eta", s.ddim_eta, "DDIM eta")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  command
      ->add_option("--labels", options->labels,
                   "Classes to sample, one grid row each; null "
                   "is the unconditional label")
      ->capture_default_str();
  command->add_option("--n", options->per_label, "Samples per label")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--cfg", options->cfg, "Classifier-free guidance scale w")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--seed", options->seed, "Random seed")->capture_default_str();
  command->add_option("--batch", options->batch, "Samples per network call")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--latents", options->latents,
                      "Start from these prior samples (.safetensors, one tensor (N, C, H, W))");
  command->add_option("--out", options->out, "Output: .png grid or .safetensors for lethe eval")
      ->capture_default_str();
  command->add_option("--device", options->device, "cpu or cuda")->capture_default_str();
  command
      ->add_option("--kernels", options->kernels,
                   "GPU GEMM/conv: hand, vendor or auto (the faster measured)")
      ->capture_default_str();
  command->callback([options] { run_sample(*options); });
}

}  // namespace lethe::tools
