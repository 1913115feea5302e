#include "lethe/diffusion/score_model.h"
#include "lethe/core/number_text.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "lethe/core/autograd.h"
#include "lethe/diffusion/one_step_generator.h"
#include "lethe/io/training_checkpoint.h"

namespace lethe {

std::unique_ptr<ScoreModel> ScoreModel::load(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  auto sde_name = file.metadata.find("sde");
  LETHE_CHECK(sde_name != file.metadata.end(), "checkpoint ", path,
              " has no 'sde' in its metadata: not a Lethe score model");
  auto model = std::make_unique<ScoreModel>(UNetConfig::from_metadata(file.metadata),
                                            Sde::parse(sde_name->second), file.metadata);
  model->unet_->load_state_dict(checkpoint_weights(file));
  return model;
}

ScoreModel::ScoreModel(const UNetConfig& config, const Sde& sde,
                       std::map<std::string, std::string> metadata)
    : init_(0), sde_(sde), metadata_(std::move(metadata)), dropout_noise_(0) {
  const auto kind = metadata_.find("model.kind");
  if (kind != metadata_.end()) {
    LETHE_CHECK(kind->second == "one-step-generator", "unknown model kind '", kind->second,
                "' (expected one-step-generator)");
    const auto t_init = metadata_.find("generator.t_init");
    LETHE_CHECK(t_init != metadata_.end(),
                "a one-step generator needs 'generator.t_init' in 1..999 in its metadata");
    generator_t_init_ = static_cast<int>(
        parse_integer(t_init->second, "checkpoint metadata 'generator.t_init'", 1, 999));
  }
  unet_ = std::make_unique<UNet>(config, init_);
  unet_->train(false);
  unet_->set_requires_grad(false);
}

NoiseModel ScoreModel::noise_model(const Tensor& labels, double cfg) const {
  const UNet* unet = unet_.get();
  Generator* noise = &dropout_noise_;
  const NoiseModel conditional = [unet, noise, labels](const Tensor& x, const Tensor& t) {
    return unet->forward(x, t, labels, *noise);
  };
  if (cfg == 0) return conditional;
  const Tensor null_labels = Tensor::full(labels.shape(), null_label(), DType::i64);
  const NoiseModel unconditional = [unet, noise, null_labels](const Tensor& x, const Tensor& t) {
    return unet->forward(x, t, null_labels, *noise);
  };
  return classifier_free_guidance(conditional, unconditional, cfg);
}

Device ScoreModel::device() const {
  const NamedTensors parameters = unet_->named_parameters();
  return parameters.empty() ? Device::cpu : parameters[0].second.device();
}

std::map<std::string, std::string> GeneratedSamples::metadata() const {
  return {{"sampler", sampler.name},
          {"steps", std::to_string(sampler.steps)},
          {"nfe_per_image", std::to_string(nfe_per_image)},
          {"cfg", std::to_string(cfg)},
          {"seed", std::to_string(seed)},
          {"images_per_second", std::to_string(images_per_second)}};
}

GeneratedSamples generate(const ScoreModel& model, const GenerationRequest& request,
                          const std::function<void(int64_t)>& progress) {
  const bool one_step = model.is_one_step_generator();
  if (one_step)
    LETHE_CHECK(request.cfg == 0, "guidance scale ", request.cfg,
                ": a one-step generator takes no classifier-free guidance (use 0)");
  else
    check_sampler(request.sampler, model.sde());
  LETHE_CHECK(request.batch >= 1 && !request.labels.empty(),
              "generate: needs labels and a "
              "positive batch size");
  const UNetConfig& config = model.unet().config();
  const int64_t total = static_cast<int64_t>(request.labels.size());
  const Shape shape{total, config.in_channels, config.resolution, config.resolution};
  Generator noise(request.seed, 0);
  Tensor start = request.start.defined() ? request.start : draw_prior(model.sde(), shape, noise);
  LETHE_CHECK(start.shape() == shape, "generate: starting latents ", describe(start),
              " do not match the requested samples ", shape_str(shape));
  start = start.to(DType::f32).to(model.device());
  NoGrad no_grad;
  std::vector<Tensor> chunks;
  int64_t nfe = 0;
  const auto begin = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < total; first += request.batch) {
    const int64_t last = std::min(total, first + request.batch);
    const Tensor labels = Tensor::from_vector(
        std::vector<int64_t>(request.labels.begin() + first, request.labels.begin() + last),
        {last - first});
    const Tensor batch_start = start.slice_batch(first, last).clone();
    if (one_step) {
      chunks.push_back(one_step_generate(model.unet(), model.sde(), model.generator_t_init(),
                                         batch_start, labels.to(model.device()), noise)
                           .to(Device::cpu));
      nfe = 1;
    } else {
      const ScoreFn score =
          score_from_noise_model(model.noise_model(labels, request.cfg), model.sde());
      const SampleResult result = sample(score, model.sde(), request.sampler, batch_start, noise);
      chunks.push_back(result.samples.to(Device::cpu));
      nfe = std::max(nfe, result.nfe);
    }
    if (progress) progress(last);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  GeneratedSamples out;
  out.samples = concat(chunks, 0);
  out.labels = Tensor::from_vector(request.labels, {total});
  out.nfe_per_image = nfe * (request.cfg != 0 ? 2 : 1);
  out.images_per_second = total / std::max(seconds, 1e-9);
  out.sampler = request.sampler;
  if (one_step) out.sampler = SamplerConfig{"one-step", 1};
  out.cfg = request.cfg;
  out.seed = request.seed;
  return out;
}

std::vector<int64_t> parse_labels(const std::string& text, int null_label) {
  std::vector<int64_t> labels;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item == "null") {
      labels.push_back(null_label);
      continue;
    }
    const bool digits = !item.empty() && item.size() <= 9 &&
                        item.find_first_not_of("0123456789") == std::string::npos;
    LETHE_CHECK(digits && std::stoi(item) < null_label, "label '", item, "' is not a class in 0..",
                null_label - 1, " or null");
    labels.push_back(std::stoi(item));
  }
  LETHE_CHECK(!labels.empty(), "no label given");
  return labels;
}

SafetensorsFile load_score_checkpoint(const std::string& path, const std::string& role) {
  SafetensorsFile file = load_safetensors(path);
  LETHE_CHECK(file.metadata.count("sde") && file.metadata.count("unet.name"), role, " ", path,
              " is not a Lethe U-Net score model (no 'sde' / 'unet.*' metadata)");
  return file;
}

std::unique_ptr<UNet> load_unet(const SafetensorsFile& file, Generator& init, Device device) {
  auto unet = std::make_unique<UNet>(UNetConfig::from_metadata(file.metadata), init);
  unet->load_state_dict(checkpoint_weights(file));
  unet->to(device);
  return unet;
}

std::string label_name(int64_t label, int null_label) {
  return label == null_label ? "null" : std::to_string(label);
}

}  // namespace lethe
