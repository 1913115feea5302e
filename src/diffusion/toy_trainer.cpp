#include <cmath>

#include "lethe/toy.h"
#include "lethe/training_checkpoint.h"

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

void ToyScoreTrainer::save_checkpoint(const std::string& path) {
  save_training_checkpoint(path, {arena_, adam_, ema_, noise_}, toy_metadata(config_));
}

void ToyScoreTrainer::load_checkpoint(const std::string& path) {
  TrainingState state{arena_, adam_, ema_, noise_};
  load_training_checkpoint(load_safetensors(path), state, toy_metadata(config_));
}

}  // namespace lethe
