// Training a class-conditional U-Net score model on an image data set with the DSM loss of
// docs/math.md#sdes-losses-and-samplers: Adam with warm-up, global-norm clipping, EMA, label
// dropout for classifier-free guidance, checkpoints that resume bit for bit.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lethe/diffusion/diffusion.h"
#include "lethe/diffusion/moderation_term.h"
#include "lethe/io/image_dataset.h"
#include "lethe/nn/unet.h"
#include "lethe/optim/optimizers.h"

namespace lethe {

struct ScoreTrainingConfig {
  std::string unet = "mnist-s";
  std::string sde = "vp";
  std::vector<int> classes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};  // the classes trained on
  // These of `classes` are undesirable: DSM runs on the others and `moderation` on these (MSGM:
  // lethe/unlearn/msgm.h). Empty: ordinary DSM on all of `classes`.
  std::vector<int> undesirable;
  ModerationTerm moderation;
  // Fine-tuning: the model starts from this checkpoint's (EMA) weights, with a fresh optimiser.
  std::string init_checkpoint;
  int64_t batch = 128;
  double lr = 2e-4;
  int64_t warmup_steps = 5000;
  double grad_clip = 1.0;
  double ema_rate = 0.9999;
  double p_uncond = 0.1;  // probability of replacing a label by the null label
  // MSGM: the same probability on the undesirable batches; unset, p_uncond. The moderation term
  // reaches the unguided (null-label) score only through these dropped labels.
  std::optional<double> undesirable_p_uncond;
  double undesirable_label_dropout() const { return undesirable_p_uncond.value_or(p_uncond); }
  // The DSM weight g^2 instead of std^2 (docs/math.md#sdes-losses-and-samplers).
  bool likelihood_weighting = false;
  uint64_t seed = 0;
  Device device = Device::cpu;  // where the model, optimiser and batches live; not in checkpoints

  std::map<std::string, std::string> to_metadata() const;  // everything a resume must match
};

struct TrainingStepReport {
  int64_t step;             // 1-based count of updates done
  double loss;              // the objective minimised this step
  double desirable_loss;    // DSM on the desirable batch (= loss without MSGM)
  double undesirable_loss;  // the moderation term this step; NaN on steps without it
  double grad_norm;         // before clipping
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
  const UNet& model() const { return model_; }
  const Sde& sde() const { return sde_; }

 private:
  struct StepLoss {
    Tensor total;
    double desirable, undesirable;
  };
  StepLoss step_loss(int64_t step);
  // A minibatch of `data` in [-1, 1] on the training device, with labels dropped to the null
  // label with probability `p_uncond`.
  std::pair<Tensor, Tensor> labelled_batch(const ImageDataset& data, EpochBatches& batches,
                                           int64_t step, double p_uncond);

  ScoreTrainingConfig config_;
  ImageDataset data_;              // D_g: the desirable classes (all of them without MSGM)
  ImageDataset undesirable_data_;  // D_u: MSGM's undesirable classes (empty without MSGM)
  Sde sde_;
  Generator init_, noise_;
  UNet model_;
  ParameterArena arena_;
  Adam adam_;
  Ema ema_;
  EpochBatches batches_;
  std::optional<EpochBatches> undesirable_batches_;
};

}  // namespace lethe
