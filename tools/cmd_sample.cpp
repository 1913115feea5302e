// lethe sample CKPT: draws class-conditional samples with any sampler and writes a PNG grid (one
// row per label) or a .safetensors file (`samples` in [-1, 1], `labels`) for lethe eval.
#include <cstdio>

#include "commands.h"
#include "flag_values.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/io/png.h"
#include "lethe/io/progress.h"

namespace lethe::tools {
namespace {

struct SampleOptions {
  std::string checkpoint;
  SamplerConfig sampler = fast_sampler();
  std::string labels = "0,1,2,3,4,5,6,7,8,9";
  double cfg = 0;
  uint64_t seed = 0;
  int64_t per_label = 8;
  int64_t batch = 128;
  std::string latents;
  std::string out = "samples.png";
  Device device = Device::cpu;
};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The --latents file: one tensor (N, C, H, W) of prior samples, or undefined without the flag.
Tensor starting_latents(const std::string& path) {
  if (path.empty()) return Tensor();
  const SafetensorsFile file = load_safetensors(path);
  LETHE_CHECK(file.tensors.size() == 1, "--latents ", path,
              ": expected one tensor (N, C, H, W), found ", file.tensors.size());
  return file.tensors[0].second;
}

void run_sample(const SampleOptions& options) {
  LETHE_CHECK(ends_with(options.out, ".png") || ends_with(options.out, ".safetensors"), "--out ",
              options.out, ": expected a .png or .safetensors file name");
  const auto model = ScoreModel::load(options.checkpoint);
  model->to(options.device);
  GenerationRequest request;
  request.sampler = options.sampler;
  const std::vector<int64_t> labels =
      with_flag("--labels", [&] { return parse_labels(options.labels, model->null_label()); });
  for (int64_t label : labels) {
    request.labels.insert(request.labels.end(), options.per_label, label);
  }
  request.cfg = options.cfg;
  request.seed = options.seed;
  request.batch = options.batch;
  request.start = starting_latents(options.latents);
  Progress progress("sample", static_cast<int64_t>(request.labels.size()));
  const GeneratedSamples generated =
      generate(*model, request, [&](int64_t done) { progress.update(done, 0, "images"); });
  progress.finish();
  std::printf("%lld samples, %s sampler, %lld NFE per image%s, %.2f img/s\n",
              static_cast<long long>(generated.labels.numel()), generated.sampler.name.c_str(),
              static_cast<long long>(generated.nfe_per_image),
              options.cfg != 0 ? " (guidance: two network calls per step)" : "",
              generated.images_per_second);
  if (ends_with(options.out, ".png")) {
    std::vector<std::string> row_labels;
    for (int64_t label : labels) row_labels.push_back(label_name(label, model->null_label()));
    write_image_grid(options.out, generated.samples, static_cast<int>(options.per_label),
                     row_labels);
  } else {
    auto metadata = generated.metadata();
    metadata["checkpoint"] = options.checkpoint;
    save_safetensors(options.out, {{"samples", generated.samples}, {"labels", generated.labels}},
                     metadata);
  }
  std::printf("wrote %s\n", options.out.c_str());
}

}  // namespace

void register_sample(CLI::App& app) {
  auto options = std::make_shared<SampleOptions>();
  SamplerConfig& s = options->sampler;
  CLI::App* command = app.add_subcommand("sample", "Draw samples from a score-model checkpoint");
  command->add_option("checkpoint", options->checkpoint, "Checkpoint (.safetensors)")->required();
  command->add_option("--sampler", s.name,
                      "em, reverse-diffusion, ancestral, ddim, pc, langevin, heun, rk45, dpm++2m, "
                      "dpm++3m, unipc2 or unipc3");
  command->add_option("--steps", s.steps, "Time steps (heun: steps; dpm++, unipc: evaluations)")
      ->check(positive());
  command->add_option("--corrector-steps", s.corrector_steps, "Langevin steps per level")
      ->check(non_negative());
  command->add_option("--snr", s.snr, "Langevin signal-to-noise ratio");
  command->add_option("--time-grid", s.time_grid, "dpm++ and unipc: logsnr or uniform");
  command->add_option("--eta", s.ddim_eta, "DDIM eta")->check(in_range(0.0, 1.0));
  command->add_option("--labels", options->labels,
                      "Classes to sample, one grid row each; null "
                      "is the unconditional label");
  command->add_option("--n", options->per_label, "Samples per label")->check(positive());
  command->add_option("--cfg", options->cfg, "Classifier-free guidance scale w")
      ->check(non_negative());
  command->add_option("--seed", options->seed, "Random seed");
  command->add_option("--batch", options->batch, "Samples per network call")->check(positive());
  command->add_option("--latents", options->latents,
                      "Start from these prior samples (.safetensors, one tensor (N, C, H, W))");
  command->add_option("--out", options->out, "Output: .png grid or .safetensors for lethe eval");
  add_device_flag(*command, options->device);
  add_gpu_kernel_flags(*command);
  command->callback([options] { run_sample(*options); });
}

}  // namespace lethe::tools
