#include <algorithm>
#include <cmath>
#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/diffusion/score_trainer.h"
#include "lethe/io/safetensors.h"
#include "lethe/io/training_checkpoint.h"

namespace lethe {

namespace {

std::string exact_text(double value) {
  std::ostringstream text;
  text.precision(17);
  text << value;
  return text.str();
}

}  // namespace

// Every setting that shapes the trajectory is in the metadata, so that --resume refuses a run
// whose settings changed (load_training_checkpoint compares each key).
std::map<std::string, std::string> ScoreTrainingConfig::to_metadata() const {
  auto metadata = UNetConfig::preset(unet).to_metadata();
  metadata["model"] = "unet";
  metadata["sde"] = sde;
  metadata["data_scale"] = "[-1,1]";
  metadata["train.classes"] = join_ints(classes);
  metadata["train.batch"] = std::to_string(batch);
  metadata["train.seed"] = std::to_string(seed);
  metadata["train.p_uncond"] = std::to_string(p_uncond);
  metadata["train.likelihood_weighting"] = likelihood_weighting ? "yes" : "no";
  metadata["train.init"] = init_checkpoint;
  metadata["train.lr"] = exact_text(lr);
  metadata["train.warmup"] = std::to_string(warmup_steps);
  metadata["train.grad_clip"] = exact_text(grad_clip);
  metadata["train.ema_rate"] = exact_text(ema_rate);
  if (!undesirable.empty()) {
    metadata["train.undesirable"] = join_ints(undesirable);
    for (const auto& [key, value] : moderation.metadata) metadata["train." + key] = value;
    if (undesirable_p_uncond)
      metadata["train.undesirable_p_uncond"] = std::to_string(*undesirable_p_uncond);
  }
  return metadata;
}

static ImageDataset restricted(const ImageDataset& data, const std::vector<int>& classes) {
  LETHE_CHECK(!classes.empty(), "training needs at least one class");
  const ImageDataset subset = data.with_classes(classes);
  LETHE_CHECK(subset.size() > 0, "the data set has no images of the requested classes");
  return subset;
}

static std::vector<int> desirable_classes(const ScoreTrainingConfig& config) {
  for (int c : config.undesirable)
    LETHE_CHECK(std::find(config.classes.begin(), config.classes.end(), c) != config.classes.end(),
                "undesirable class ", c, " is not among the trained classes");
  std::vector<int> desirable;
  for (int c : config.classes)
    if (std::find(config.undesirable.begin(), config.undesirable.end(), c) ==
        config.undesirable.end())
      desirable.push_back(c);
  LETHE_CHECK(!desirable.empty(), "every trained class is undesirable: nothing is left to learn");
  return desirable;
}

// Loads the fine-tuning start (if any) into the freshly initialised model, moves it to `device`
// and packs its arena there.
static ParameterArena prepare(Module& model, const ScoreTrainingConfig& config) {
  if (!config.init_checkpoint.empty()) {
    const SafetensorsFile init = load_safetensors(config.init_checkpoint);
    const auto sde = init.metadata.find("sde");
    LETHE_CHECK(sde == init.metadata.end() || sde->second == config.sde, "initial checkpoint ",
                config.init_checkpoint, " was trained with the ", sde->second,
                " SDE, this run uses ", config.sde);
    model.load_state_dict(checkpoint_weights(init));
  }
  model.to(config.device);
  return ParameterArena::pack(model);
}

ScoreTrainer::ScoreTrainer(const ScoreTrainingConfig& config, ImageDataset data)
    : config_(config),
      data_(restricted(data, desirable_classes(config))),
      undesirable_data_(data.with_classes(config.undesirable)),
      sde_(Sde::parse(config.sde)),
      init_(config.seed, 0),
      noise_(config.seed + 1, 0),
      model_(UNetConfig::preset(config.unet), init_),
      arena_(prepare(model_, config)),
      adam_(arena_, AdamConfig{config.lr, 0.9, 0.999, 1e-8, config.warmup_steps}),
      ema_(arena_, config.ema_rate),
      batches_(data_.size(), config.batch, config.seed) {
  LETHE_CHECK(config.p_uncond >= 0 && config.p_uncond <= 1, "p_uncond ", config.p_uncond,
              " is outside [0, 1]");
  const double undesirable_dropout = config.undesirable_label_dropout();
  LETHE_CHECK(undesirable_dropout >= 0 && undesirable_dropout <= 1, "undesirable p_uncond ",
              undesirable_dropout, " is outside [0, 1]");
  LETHE_CHECK(!config.undesirable_p_uncond || !config.undesirable.empty(),
              "undesirable p_uncond is set but no class is undesirable");
  if (!config.undesirable.empty()) {
    LETHE_CHECK(config.moderation.defined(),
                "undesirable classes were given without a moderation term");
    LETHE_CHECK(undesirable_data_.size() > 0,
                "the data set has no images of the undesirable classes");
    undesirable_batches_.emplace(undesirable_data_.size(), config.batch, config.seed + 1);
  }
}

std::pair<Tensor, Tensor> ScoreTrainer::labelled_batch(const ImageDataset& data,
                                                       EpochBatches& batches, int64_t step,
                                                       double p_uncond) {
  const std::vector<int64_t> indices = batches.batch(step);
  Tensor labels = data.labels_of(indices);
  const int64_t null_label = model_.config().num_classes;
  const Tensor drop = noise_.bernoulli({config_.batch}, p_uncond);
  for (int64_t i = 0; i < config_.batch; ++i) {
    if (drop.data<float>()[i] > 0) labels.data<int64_t>()[i] = null_label;
  }
  return {data.float_images(indices).to(config_.device), labels};
}

ScoreTrainer::StepLoss ScoreTrainer::step_loss(int64_t step) {
  const auto [x0, labels] = labelled_batch(data_, batches_, step, config_.p_uncond);
  const NoiseModel model = [&, &labels = labels](const Tensor& x, const Tensor& t) {
    return model_.forward(x, t, labels, noise_);
  };
  const Tensor desirable = dsm_loss(model, sde_, x0, noise_, config_.likelihood_weighting);
  if (!undesirable_batches_) return {desirable, desirable.item(), std::nan("")};
  const ModerationTerm& moderation = config_.moderation;
  Tensor total = moderation.desirable_weight * desirable;
  double undesirable_value = std::nan("");
  if (moderation.applies(step + 1)) {
    const auto [x0_u, labels_u] = labelled_batch(undesirable_data_, *undesirable_batches_, step,
                                                 config_.undesirable_label_dropout());
    const NoiseModel model_u = [&, &labels_u = labels_u](const Tensor& x, const Tensor& t) {
      return model_.forward(x, t, labels_u, noise_);
    };
    const Tensor undesirable = moderation.loss(model_u, sde_, x0_u, noise_);
    undesirable_value = undesirable.item();
    total = total + moderation.undesirable_weight * undesirable;
  }
  return {total, desirable.item(), undesirable_value};
}

void ScoreTrainer::train_until(int64_t final_step,
                               const std::function<void(const TrainingStepReport&)>& report,
                               const std::atomic<bool>* stop) {
  model_.train(true);
  while (adam_.steps() < final_step && !(stop && stop->load())) {
    arena_.zero_grad();
    const StepLoss loss = step_loss(adam_.steps());
    const double loss_value = loss.total.item();
    LETHE_CHECK(std::isfinite(loss_value), "training: the loss became ", loss_value,
                " (lower the learning rate, now ", config_.lr, ")");
    loss.total.backward();
    const double grad_norm = clip_grad_norm(arena_, config_.grad_clip);
    const double lr = adam_.current_lr();
    adam_.step();
    ema_.update();
    if (report)
      report({adam_.steps(), loss_value, loss.desirable, loss.undesirable, grad_norm, lr});
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
