#include <cmath>

#include "lethe/score_training.h"
#include "lethe/training_checkpoint.h"

namespace lethe {

std::map<std::string, std::string> ScoreTrainingConfig::to_metadata() const {
  std::string class_list;
  for (size_t i = 0; i < classes.size(); ++i)
    class_list += (i ? "," : "") + std::to_string(classes[i]);
  auto metadata = UNetConfig::preset(unet).to_metadata();
  metadata["model"] = "unet";
  metadata["sde"] = sde;
  metadata["data_scale"] = "[-1,1]";
  metadata["train.classes"] = class_list;
  metadata["train.batch"] = std::to_string(batch);
  metadata["train.seed"] = std::to_string(seed);
  metadata["train.p_uncond"] = std::to_string(p_uncond);
  metadata["train.likelihood_weighting"] = likelihood_weighting ? "yes" : "no";
  return metadata;
}

static ImageDataset restricted(const ImageDataset& data, const std::vector<int>& classes) {
  LETHE_CHECK(!classes.empty(), "training needs at least one class");
  const ImageDataset subset = data.with_classes(classes);
  LETHE_CHECK(subset.size() > 0, "the data set has no images of the requested classes");
  return subset;
}

// Moves the freshly initialised model to `device` and packs its arena there.
static ParameterArena pack_on(Module& model, Device device) {
  model.to(device);
  return ParameterArena::pack(model);
}

ScoreTrainer::ScoreTrainer(const ScoreTrainingConfig& config, ImageDataset data)
    : config_(config),
      data_(restricted(data, config.classes)),
      sde_(Sde::parse(config.sde)),
      init_(config.seed, 0),
      noise_(config.seed + 1, 0),
      model_(UNetConfig::preset(config.unet), init_),
      arena_(pack_on(model_, config.device)),
      adam_(arena_, AdamConfig{config.lr, 0.9, 0.999, 1e-8, config.warmup_steps}),
      ema_(arena_, config.ema_rate),
      batches_(data_.size(), config.batch, config.seed) {
  LETHE_CHECK(config.p_uncond >= 0 && config.p_uncond <= 1, "p_uncond ", config.p_uncond,
              " is outside [0, 1]");
}

Tensor ScoreTrainer::step_loss(int64_t step) {
  const std::vector<int64_t> indices = batches_.batch(step);
  const Tensor x0 = data_.float_images(indices).to(config_.device);
  Tensor labels = data_.labels_of(indices);
  const int64_t null_label = model_.config().num_classes;
  const Tensor drop = noise_.bernoulli({config_.batch}, config_.p_uncond);
  for (int64_t i = 0; i < config_.batch; ++i) {
    if (drop.data<float>()[i] > 0) labels.data<int64_t>()[i] = null_label;
  }
  const NoiseModel model = [&](const Tensor& x, const Tensor& t) {
    return model_.forward(x, t, labels, noise_);
  };
  return dsm_loss(model, sde_, x0, noise_, config_.likelihood_weighting);
}

void ScoreTrainer::train_until(int64_t final_step,
                               const std::function<void(const TrainingStepReport&)>& report,
                               const std::atomic<bool>* stop) {
  model_.train(true);
  while (adam_.steps() < final_step && !(stop && stop->load())) {
    arena_.zero_grad();
    const Tensor loss = step_loss(adam_.steps());
    const double loss_value = loss.item();
    LETHE_CHECK(std::isfinite(loss_value), "training: the loss became ", loss_value, " at step ",
                adam_.steps() + 1, "; the last checkpoint is intact (lower --lr, now ", config_.lr,
                ")");
    loss.backward();
    const double grad_norm = clip_grad_norm(arena_, config_.grad_clip);
    const double lr = adam_.current_lr();
    adam_.step();
    ema_.update();
    if (report) report({adam_.steps(), loss_value, grad_norm, lr});
  }
}

void ScoreTrainer::save_checkpoint(const std::string& path) {
  save_training_checkpoint(path, {arena_, adam_, ema_, noise_}, config_.to_metadata());
}

void ScoreTrainer::load_checkpoint(const std::string& path) {
  TrainingState state{arena_, adam_, ema_, noise_};
  load_training_checkpoint(load_safetensors(path), state, config_.to_metadata());
}

}  // namespace lethe
