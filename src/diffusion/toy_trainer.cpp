#include <cmath>

#include "lethe/safetensors.h"
#include "lethe/toy.h"

namespace lethe {

ToyScoreTrainer::ToyScoreTrainer(const ToyTrainingConfig& config)
    : config_(config),
      data_(GaussianMixture::preset(config.preset)),
      sde_(Sde::parse(config.sde)),
      init_(config.seed, 0),
      noise_(config.seed + 1, 0),
      model_(data_.dimension(), config.hidden, config.depth, config.time_features, init_),
      arena_(ParameterArena::pack(model_)),
      adam_(arena_, AdamConfig{config.lr, 0.9, 0.999, 1e-8, config.warmup_steps}),
      ema_(arena_, config.ema_rate) {}

double ToyScoreTrainer::train(int64_t steps, const std::function<void(int64_t, double)>& report) {
  const NoiseModel model = [this](const Tensor& x, const Tensor& t) {
    return model_.forward(x, t);
  };
  double loss_value = 0;
  for (int64_t step = 1; step <= steps; ++step) {
    const Tensor x0 = data_.sample(config_.batch, noise_);
    arena_.zero_grad();
    const Tensor loss = dsm_loss(model, sde_, x0, noise_);
    loss_value = loss.item();
    LETHE_CHECK(std::isfinite(loss_value), "toy training: the loss became ", loss_value,
                " at step ", adam_.steps() + 1, "; lower the learning rate (now ", config_.lr, ")");
    loss.backward();
    clip_grad_norm(arena_, config_.grad_clip);
    adam_.step();
    ema_.update();
    if (report) report(step, loss_value);
  }
  return loss_value;
}

Tensor ToyScoreTrainer::sample(int64_t count, int sampler_steps, uint64_t seed) {
  ema_.swap_into(arena_);
  model_.train(false);
  Generator noise(seed, 0);
  const NoiseModel model = [this](const Tensor& x, const Tensor& t) {
    return model_.forward(x, t);
  };
  Tensor samples =
      sample_euler_maruyama(model, sde_, {count, data_.dimension()}, sampler_steps, noise);
  ema_.swap_into(arena_);
  model_.train(true);
  return samples;
}

}  // namespace lethe

namespace lethe {

static std::map<std::string, std::string> toy_metadata(const ToyTrainingConfig& c) {
  return {{"model", "toy-score-mlp"},
          {"data", c.preset},
          {"sde", c.sde},
          {"hidden", std::to_string(c.hidden)},
          {"depth", std::to_string(c.depth)},
          {"time_features", std::to_string(c.time_features)},
          {"seed", std::to_string(c.seed)}};
}

void ToyScoreTrainer::save_checkpoint(const std::string& path) const {
  NamedTensors tensors = arena_.named_views(ema_.shadow());
  for (auto& [name, view] : arena_.named_views(arena_.values)) {
    tensors.emplace_back("train.live." + name, view);
  }
  for (auto& [name, tensor] : adam_.state()) tensors.emplace_back("train." + name, tensor);
  tensors.emplace_back("train.ema.updates",
                       Tensor::from_vector(std::vector<int64_t>{ema_.updates()}, {1}));
  auto metadata = toy_metadata(config_);
  metadata["step"] = std::to_string(adam_.steps());
  metadata["noise_offset"] = std::to_string(noise_.offset());
  save_safetensors(path, tensors, metadata);
}

void ToyScoreTrainer::load_checkpoint(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  for (const auto& [key, value] : toy_metadata(config_)) {
    auto found = file.metadata.find(key);
    LETHE_CHECK(found != file.metadata.end() && found->second == value, "checkpoint ", path,
                ": metadata '", key, "' is '",
                found == file.metadata.end() ? "(missing)" : found->second, "' but this run uses '",
                value, "'");
  }
  NamedTensors live, adam;
  for (const auto& [name, tensor] : file.tensors) {
    if (name.rfind("train.live.", 0) == 0) {
      live.emplace_back(name.substr(11), tensor);
    } else if (name.rfind("train.adam.", 0) == 0) {
      adam.emplace_back(name.substr(6), tensor);
    }
  }
  model_.load_state_dict(live);
  Tensor shadow = ema_.shadow().clone();
  for (auto& [name, view] : arena_.named_views(shadow)) view.copy_from(file.at(name));
  ema_.set_state(shadow, static_cast<int64_t>(file.at("train.ema.updates").item()));
  adam_.load_state(adam);
  auto offset = file.metadata.find("noise_offset");
  LETHE_CHECK(offset != file.metadata.end() &&
                  offset->second.find_first_not_of("0123456789") == std::string::npos &&
                  !offset->second.empty(),
              "checkpoint ", path, ": metadata 'noise_offset' is missing or not a number");
  noise_.set_offset(std::stoull(offset->second));
}

}  // namespace lethe
