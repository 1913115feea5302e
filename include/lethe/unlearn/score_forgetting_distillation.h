// Score forgetting distillation (docs/math.md#sfd): a pretrained class-conditional eps-prediction
// U-Net (the teacher, phi) is distilled with Score identity Distillation into a one-step
// generator G_theta, while the generator's score for the forget classes is pulled towards the
// teacher's score for an override class. A second U-Net, psi, tracks the generator's own
// distribution ("fake score"). All three start from the teacher's weights. Data-free: only labels
// and noise are drawn. With both forget weights 0 it is plain SiD distillation.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lethe/diffusion/diffusion.h"
#include "lethe/diffusion/one_step_generator.h"
#include "lethe/io/safetensors.h"
#include "lethe/nn/module.h"
#include "lethe/nn/unet.h"
#include "lethe/optim/optimizers.h"

namespace lethe {

// ---- the SiD generator loss ---------------------------------------------------------------------
// w = stopgrad(mean_pixels |p - x_g|) per sample, clamped at >= 1e-5: (B, 1, 1, 1).
Tensor sid_weight(const Tensor& teacher_x0, const Tensor& generated);
// mean_b sum_pixels (p - q) * ((p - x_g) - alpha (p - q)) / w, with p = x0_hat_phi(x_t),
// q = x0_hat_psi(x_t), x_g the generator's output and w from sid_weight (held fixed).
// Rank 0; gradients flow into p, q and x_g.
Tensor sid_loss(const Tensor& teacher_x0, const Tensor& fake_x0, const Tensor& generated,
                const Tensor& weight, double alpha);

// ---- the distiller
// -------------------------------------------------------------------------------
struct SfdConfig {
  std::vector<int> forget;       // c_f; empty (or both weights 0): plain SiD
  int override_class = 1;        // c_o: the teacher's class for the forget labels
  bool random_override = false;  // instead a random class other than the forget ones, per sample
  double forget_weight_fake = 0.01;       // lambda_psi: forget batch in the fake-score loss
  double forget_weight_generator = 0.01;  // the forgetting term of the generator loss
  double alpha = 1.2;
  int t_init = 440;             // the generator's input step (sigma = b / a = 2.50)
  int t_min = 38, t_max = 711;  // the diffusion steps drawn for both losses (inclusive)
  int64_t batch = 128;          // retained labels per step; the forget batch has the same size
  double lr_fake = 1e-5, lr_generator = 1e-5;
  double beta1 = 0, beta2 = 0.999, adam_eps = 1e-8;
  double clip_value = 1;  // gradients are clamped element-wise before each Adam step
  double ema = 0.9999;    // of the generator (score_sde's warm-up applies)
  Device device = Device::cpu;
  uint64_t seed = 0;

  bool forgets() const {
    return !forget.empty() && (forget_weight_fake > 0 || forget_weight_generator > 0);
  }
  void validate(int num_classes) const;
  std::map<std::string, std::string> to_metadata() const;  // "sfd.*" keys
};

struct SfdStepReport {
  int64_t step;               // 1-based
  double fake_loss;           // L_psi (retained part plus its weighted forget part)
  double generator_loss;      // SiD on retained labels
  double forget_loss;         // SiD of the forget term (NaN when not forgetting)
  double generated_abs_mean;  // mean |x_g| of the retained batch: a collapse / blow-up monitor
};

class SfdDistiller {
 public:
  SfdDistiller(const SfdConfig& config, const std::string& teacher_checkpoint);
  void run_until(int64_t final_step, const std::function<void(const SfdStepReport&)>& report,
                 const std::atomic<bool>* stop = nullptr);
  int64_t step() const { return step_; }
  // The generator's EMA weights under the parameter names with the teacher's U-Net metadata and
  // "model.kind" = "one-step-generator": ScoreModel::load reads it, so `lethe sample` and
  // `lethe eval` take it. The training state (live generator, fake score, both optimisers, noise
  // offset) goes under "train.*" so a run resumes bit for bit.
  void save_checkpoint(const std::string& path);
  void load_checkpoint(const std::string& path);  // the configuration must match
  // The generator's EMA weights alone (an early snapshot for the forgetting-speed curve).
  void save_generator(const std::string& path);
  const UNet& generator() const { return *generator_; }
  const std::vector<int>& retained_classes() const { return retained_; }

 private:
  SfdDistiller(const SfdConfig& config, const SafetensorsFile& teacher,
               const std::string& teacher_path);
  struct Draw {  // generator inputs: latents z (B, C, H, W) and labels (B)
    Tensor z, labels;
    std::vector<int64_t> label_values;
  };
  struct Noised {  // x_t = a_t x + b_t e at random integer steps
    std::vector<int64_t> steps;
    Tensor t, e, x_t;
  };
  Draw draw_labels(const std::vector<int>& classes);  // batch labels uniform over `classes`
  Tensor labels_tensor(const std::vector<int64_t>& values) const;
  Noised noise_at_random_steps(const Tensor& generated);
  Tensor denoising_loss(const Tensor& generated, const Tensor& labels);  // L_psi's term
  Tensor sid_term(const Tensor& generated, const Tensor& teacher_labels, const Tensor& fake_labels);
  Tensor override_labels(int64_t count);  // c_o, fixed or random per sample
  std::map<std::string, std::string> checkpoint_metadata() const;

  SfdConfig config_;
  std::map<std::string, std::string> teacher_metadata_;
  Sde sde_;
  Generator init_, noise_;
  std::unique_ptr<UNet> teacher_, fake_, generator_;
  ParameterArena fake_arena_, generator_arena_;
  Adam fake_adam_, generator_adam_;
  Ema generator_ema_;
  std::vector<int> retained_;
  int64_t step_ = 0;
};

}  // namespace lethe
