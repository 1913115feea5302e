// Training a class-conditional U-Net score model on an image data set with the DSM loss of
// spec/diffusion.md: Adam with warm-up, global-norm clipping, EMA, label dropout for
// classifier-free guidance, checkpoints that resume bit for bit.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lethe/dataset.h"
#include "lethe/diffusion.h"
#include "lethe/optim.h"
#include "lethe/unet.h"

namespace lethe {

struct ScoreTrainingConfig {
  std::string unet = "mnist-s";
  std::string sde = "vp";
  std::vector<int> classes;  // the classes trained on (all ten by default)
  int64_t batch = 128;
  double lr = 2e-4;
  int64_t warmup_steps = 5000;
  double grad_clip = 1.0;
  double ema_rate = 0.9999;
  double p_uncond = 0.1;              // probability of replacing a label by the null label
  bool likelihood_weighting = false;  // DSM weight g^2 instead of std^2 (spec/diffusion.md)
  uint64_t seed = 0;
  Device device = Device::cpu;  // where the model, optimiser and batches live; not in checkpoints

  std::map<std::string, std::string> to_metadata() const;  // everything a resume must match
};

struct TrainingStepReport {
  int64_t step;  // 1-based count of updates done
  double loss;
  double grad_norm;  // before clipping
  double lr;
};

class ScoreTrainer {
 public:
  ScoreTrainer(const ScoreTrainingConfig& config, ImageDataset data);
  // Trains until `final_step` updates are done, or until *stop becomes true (checked between
  // steps). Throws when the loss is not finite, naming the step.
  void train_until(int64_t final_step, const std::function<void(const TrainingStepReport&)>& report,
                   const std::atomic<bool>* stop = nullptr);
  void save_checkpoint(const std::string& path);
  void load_checkpoint(const std::string& path);  // resumes: config must match
  int64_t step() const { return adam_.steps(); }
  UNet& model() { return model_; }
  const Sde& sde() const { return sde_; }

 private:
  Tensor step_loss(int64_t step);

  ScoreTrainingConfig config_;
  ImageDataset data_;
  Sde sde_;
  Generator init_, noise_;
  UNet model_;
  ParameterArena arena_;
  Adam adam_;
  Ema ema_;
  EpochBatches batches_;
};

}  // namespace lethe
