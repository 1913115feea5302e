#include <algorithm>
#include <cmath>

#include "lethe/core/number_text.h"
#include "lethe/diffusion/toy_trainer.h"
#include "lethe/io/training_checkpoint.h"

namespace lethe {

namespace {

std::vector<int> trained_components(const ToyTrainingConfig& config, const GaussianMixture& full) {
  if (!config.components.empty()) return config.components;
  std::vector<int> all(full.components.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  return all;
}

// The trained components without the undesirable ones (all of them without MSGM).
std::vector<int> desirable_components(const ToyTrainingConfig& config,
                                      const GaussianMixture& full) {
  const std::vector<int> trained = trained_components(config, full);
  for (int c : config.undesirable)
    LETHE_CHECK(std::find(trained.begin(), trained.end(), c) != trained.end(),
                "undesirable component ", c, " is not among the trained components");
  std::vector<int> desirable;
  for (int c : trained)
    if (std::find(config.undesirable.begin(), config.undesirable.end(), c) ==
        config.undesirable.end())
      desirable.push_back(c);
  LETHE_CHECK(!desirable.empty(), "every trained component is undesirable");
  return desirable;
}

ParameterArena prepare(ToyScoreMlp& model, const ToyTrainingConfig& config) {
  if (!config.init_checkpoint.empty()) {
    const SafetensorsFile init = load_safetensors(config.init_checkpoint);
    model.load_state_dict(checkpoint_weights(init));
  }
  return ParameterArena::pack(model);
}

}  // namespace

ToyScoreTrainer::ToyScoreTrainer(const ToyTrainingConfig& config)
    : config_(config),
      data_(
          GaussianMixture::parse(config.preset)
              .with_components(trained_components(config, GaussianMixture::parse(config.preset)))),
      desirable_(GaussianMixture::parse(config.preset)
                     .with_components(
                         desirable_components(config, GaussianMixture::parse(config.preset)))),
      sde_(Sde::parse(config.sde)),
      init_(config.seed, 0),
      noise_(config.seed + 1, 0),
      model_(data_.dimension(), config.hidden, config.depth, config.time_features, init_),
      arena_(prepare(model_, config)),
      adam_(arena_, AdamConfig{config.lr, 0.9, 0.999, 1e-8, config.warmup_steps}),
      ema_(arena_, config.ema_rate) {
  if (!config.undesirable.empty()) {
    LETHE_CHECK(config.moderation.defined(),
                "undesirable components were given without a moderation term");
    undesirable_ = GaussianMixture::parse(config.preset).with_components(config.undesirable);
  }
}

double ToyScoreTrainer::train_until(int64_t final_step,
                                    const std::function<void(int64_t, double)>& report,
                                    const std::atomic<bool>* stop) {
  const NoiseModel model = [this](const Tensor& x, const Tensor& t) {
    return model_.forward(x, t);
  };
  const bool moderated = !config_.undesirable.empty();
  double loss_value = 0;
  while (adam_.steps() < final_step && !(stop && stop->load())) {
    arena_.zero_grad();
    Tensor loss = dsm_loss(model, sde_, desirable_.sample(config_.batch, noise_), noise_);
    if (moderated) {
      const ModerationTerm& moderation = config_.moderation;
      loss = moderation.desirable_weight * loss;
      if (moderation.applies(adam_.steps() + 1)) {
        const Tensor x0_u = undesirable_.sample(config_.batch, noise_);
        loss = loss + moderation.undesirable_weight * moderation.loss(model, sde_, x0_u, noise_);
      }
    }
    loss_value = loss.item();
    LETHE_CHECK(std::isfinite(loss_value), "toy training: the loss became ", loss_value,
                " (lower the learning rate, now ", config_.lr, ")");
    loss.backward();
    clip_grad_norm(arena_, config_.grad_clip);
    adam_.step();
    ema_.update();
    if (report) report(adam_.steps(), loss_value);
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
  const GaussianMixture full = GaussianMixture::parse(c.preset);
  const GaussianMixture trained = c.components.empty() ? full : full.with_components(c.components);
  std::map<std::string, std::string> metadata{{"model", "toy-score-mlp"},
                                              {"data", trained.spec()},
                                              {"data.full", full.spec()},
                                              {"sde", c.sde},
                                              {"hidden", std::to_string(c.hidden)},
                                              {"depth", std::to_string(c.depth)},
                                              {"time_features", std::to_string(c.time_features)},
                                              {"seed", std::to_string(c.seed)},
                                              {"init", c.init_checkpoint},
                                              {"batch", std::to_string(c.batch)},
                                              {"lr", std::to_string(c.lr)},
                                              {"warmup", std::to_string(c.warmup_steps)},
                                              {"grad_clip", std::to_string(c.grad_clip)},
                                              {"ema_rate", std::to_string(c.ema_rate)}};
  if (!c.undesirable.empty()) {
    metadata["undesirable"] = full.with_components(c.undesirable).spec();
    for (const auto& [key, value] : c.moderation.metadata) metadata[key] = value;
  }
  return metadata;
}

void ToyScoreTrainer::save_checkpoint(const std::string& path) {
  save_training_checkpoint(path, {arena_, adam_, ema_, noise_}, toy_metadata(config_));
}

void ToyScoreTrainer::load_checkpoint(const std::string& path) {
  TrainingState state{arena_, adam_, ema_, noise_};
  load_training_checkpoint(load_safetensors(path), state, toy_metadata(config_));
}

}  // namespace lethe

namespace lethe {

static int metadata_int(const SafetensorsFile& file, const std::string& key) {
  auto found = file.metadata.find(key);
  LETHE_CHECK(found != file.metadata.end(), "toy checkpoint ", file.path, ": metadata '", key,
              "' is missing");
  return static_cast<int>(parse_integer(
      found->second, "toy checkpoint " + file.path + ": metadata '" + key + "'", 0, 1 << 16));
}

static const std::string& metadata_text(const SafetensorsFile& file, const std::string& key) {
  auto found = file.metadata.find(key);
  LETHE_CHECK(found != file.metadata.end(), "toy checkpoint ", file.path, ": metadata '", key,
              "' is missing");
  return found->second;
}

std::unique_ptr<ToyScoreModel> ToyScoreModel::load(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  auto model_kind = file.metadata.find("model");
  LETHE_CHECK(model_kind != file.metadata.end() && model_kind->second == "toy-score-mlp",
              "checkpoint ", path,
              " is not a toy score model (metadata 'model' is not "
              "toy-score-mlp)");
  const GaussianMixture trained = GaussianMixture::parse(metadata_text(file, "data"));
  Generator init(0);
  auto mlp = std::make_unique<ToyScoreMlp>(trained.dimension(), metadata_int(file, "hidden"),
                                           metadata_int(file, "depth"),
                                           metadata_int(file, "time_features"), init);
  mlp->load_state_dict(checkpoint_weights(file));
  mlp->train(false);
  mlp->set_requires_grad(false);
  return std::unique_ptr<ToyScoreModel>(
      new ToyScoreModel(std::move(mlp), Sde::parse(metadata_text(file, "sde")), trained,
                        GaussianMixture::parse(metadata_text(file, "data.full"))));
}

ToyScoreModel::ToyScoreModel(std::unique_ptr<ToyScoreMlp> mlp, Sde sde, GaussianMixture trained,
                             GaussianMixture full)
    : mlp_(std::move(mlp)), sde_(sde), trained_(std::move(trained)), full_(std::move(full)) {}

NoiseModel ToyScoreModel::noise_model() const {
  const ToyScoreMlp* mlp = mlp_.get();
  return [mlp](const Tensor& x, const Tensor& t) { return mlp->forward(x, t); };
}

}  // namespace lethe
