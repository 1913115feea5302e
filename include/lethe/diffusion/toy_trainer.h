// Training the toy score MLP on a Gaussian mixture, and loading what it trained.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lethe/diffusion/diffusion.h"
#include "lethe/diffusion/gaussian_mixture.h"
#include "lethe/diffusion/moderation_term.h"
#include "lethe/nn/toy_score_mlp.h"
#include "lethe/optim/optimizers.h"

namespace lethe {

struct ToyTrainingConfig {
  std::string preset = "toy-msgm";  // a preset name or an explicit spec (GaussianMixture::parse)
  std::vector<int> components;      // train on these components only (empty: all)
  // These of the trained components are undesirable: DSM runs on the others (a batch from their
  // renormalised mixture) and `moderation` on a batch from these (MSGM: lethe/unlearn/msgm.h).
  std::vector<int> undesirable;
  ModerationTerm moderation;
  std::string init_checkpoint;  // fine-tuning: start from this toy checkpoint's EMA weights
  std::string sde = "vp";
  int64_t steps = 3000;
  int64_t batch = 256;
  double lr = 2e-3;
  int64_t warmup_steps = 100;
  double grad_clip = 1.0;
  double ema_rate = 0.999;
  int hidden = 128;
  int depth = 3;
  int time_features = 32;
  uint64_t seed = 0;
};

// Trains a ToyScoreMlp on a Gaussian-mixture preset with the DSM loss, Adam, clipping and EMA.
class ToyScoreTrainer {
 public:
  explicit ToyScoreTrainer(const ToyTrainingConfig& config);
  // Trains until `final_step` updates are done, or until *stop becomes true (checked between
  // steps); calls report(step, loss) after each (the whole objective). Returns the last loss.
  // Throws when the loss is not finite, naming the step.
  double train_until(int64_t final_step, const std::function<void(int64_t, double)>& report,
                     const std::atomic<bool>* stop = nullptr);
  // Samples with the EMA weights (Euler-Maruyama, `sampler_steps` steps) -> (count, D).
  Tensor sample(int64_t count, int sampler_steps, uint64_t seed);
  // One safetensors file: parameter names hold the EMA weights (what sampling uses, loadable as
  // a PyTorch state dict after dropping the "train." keys); "train.*" holds the live weights, Adam
  // state and EMA count; metadata holds the config and the noise stream's offset.
  void save_checkpoint(const std::string& path);
  void load_checkpoint(const std::string& path);  // same config required
  int64_t step() const { return adam_.steps(); }
  const GaussianMixture& data() const { return data_; }  // all trained components
  const Sde& sde() const { return sde_; }

 private:
  ToyTrainingConfig config_;
  GaussianMixture data_;
  GaussianMixture desirable_, undesirable_;  // MSGM's split of data_ (desirable_ = data_ without)
  Sde sde_;
  Generator init_, noise_;
  ToyScoreMlp model_;
  ParameterArena arena_;
  Adam adam_;
  Ema ema_;
};

// A trained toy score model loaded from a ToyScoreTrainer checkpoint (EMA weights).
class ToyScoreModel {
 public:
  static std::unique_ptr<ToyScoreModel> load(const std::string& path);
  NoiseModel noise_model() const;
  const Sde& sde() const { return sde_; }
  const GaussianMixture& trained_data() const { return trained_; }  // what it was trained on
  const GaussianMixture& full_data() const { return full_; }        // before any component subset

 private:
  ToyScoreModel(std::unique_ptr<ToyScoreMlp> mlp, Sde sde, GaussianMixture trained,
                GaussianMixture full);
  std::unique_ptr<ToyScoreMlp> mlp_;
  Sde sde_;
  GaussianMixture trained_, full_;
};

}  // namespace lethe
