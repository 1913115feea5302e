// Selective Amnesia (Heng & Soh 2023; docs/math.md#selective-amnesia): forgetting as continual
// learning run backwards. A new task maps the forget classes c_f to a harmless surrogate
// distribution (uniform noise, or another class's images) while elastic weight consolidation (a
// diagonal-Fisher pull towards the original weights theta*) and generative replay (the original
// model's own samples of the other classes) protect the rest. No real training data is touched:
// the Fisher and replay images are drawn from the original model once, before forgetting.
//
//   L(theta) = l(theta; x_s, c_f) + gamma l(theta; x_r, c_r) + lambda sum_j F_j (theta_j -
//   theta*_j)^2
//
// with l the eps-prediction denoising loss summed over pixels and averaged over the batch (SA's
// reduction, so lambda and the gradient-norm clip mean what they mean in its public code).
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lethe/diffusion/diffusion.h"
#include "lethe/io/image_dataset.h"
#include "lethe/io/safetensors.h"
#include "lethe/nn/unet.h"
#include "lethe/optim/optimizers.h"

namespace lethe {

struct SelectiveAmnesiaConfig {
  std::vector<int> forget;  // c_f
  // The generated set: samples_per_class images of every class, c_f included (they enter the
  // Fisher; the replay set is the rest), drawn from the original with guidance `guidance` and
  // stored in 8 bits (SA keeps them as PNGs). SA: 500 per class, 1000-step ancestral sampling.
  int64_t samples_per_class = 100;
  SamplerConfig sampler = fast_sampler();
  double guidance = 2;
  // Fisher: per generated image, the gradient of sum over `fisher_times` diffusion times of the
  // pixel-summed denoising loss, scaled by 1000 / fisher_times, squared; averaged over images.
  // 1000: SA's grid t_i = max(i / 999, 1e-5); fewer: t ~ U(1e-5, 1) per time.
  int64_t fisher_times = 20;
  // SA's public code: the Fisher's images in [0, 1] instead of [-1, 1], and labels dropped to the
  // null label with p = 0.1 inside the Fisher loss.
  bool fisher_as_code = false;
  // The surrogate q(x | c_f): "noise" (pixels i.i.d. U(-1, 1), SA's DDPM setting) or a digit k:
  // the original's generated images of class k, labelled c_f (the override of SFD and SalUn).
  std::string surrogate = "noise";
  double lambda = 10;  // EWC weight
  double gamma = 1;    // replay weight
  int64_t batch = 64;  // surrogate and replay images per step, each
  double lr = 1e-4;    // Adam (0.9, 0.999, 1e-8)
  double clip = 1;     // global gradient-norm clip; 0: none
  uint64_t seed = 0;

  void validate() const;
  int surrogate_class() const;  // -1 for noise
  // "sa.*" keys: every field; set_metadata() only those the generated set depends on.
  std::map<std::string, std::string> to_metadata() const;
  std::map<std::string, std::string> set_metadata() const;
};

// What SA works from, drawn once from the original model.
struct AmnesiaSet {
  ImageDataset samples;                         // u8 (N, 1, H, W) and labels, every class
  Tensor fisher;                                // (P) f32 in the parameter arena's layout
  std::map<std::string, std::string> metadata;  // set_metadata() plus "sa.init"
};

// F_j = mean over images of (d/d theta_j of fisher_loss)^2 for `model` at its current weights
// (eval mode). Per image (x, c): t (times) drawn from `noise` (none on the 1000-point grid), then
// z (times, ...), then, with as_code, one uniform per time for the label drop; the gradient is
// taken once for the sum over the times: (sum of step gradients)^2, not the sum of their squares.
// images: f32 (N, 1, H, W) in [-1, 1]; labels (N) i64. `progress(done)` after each image.
Tensor diagonal_fisher(UNet& model, const Sde& sde, const Tensor& images, const Tensor& labels,
                       int64_t times, bool as_code, Generator& noise,
                       const std::function<void(int64_t)>& progress = nullptr);

// Draws the generated set from `init_checkpoint` (its EMA weights: theta*) and computes its
// Fisher there; prints progress on stdout.
AmnesiaSet make_amnesia_set(const SelectiveAmnesiaConfig& config,
                            const std::string& init_checkpoint);
void save_amnesia_set(const std::string& path, const AmnesiaSet& set);  // atomic
// Loads a set and checks that it was made with `config` from `init_checkpoint`.
AmnesiaSet load_amnesia_set(const std::string& path, const SelectiveAmnesiaConfig& config,
                            const std::string& init_checkpoint);

// The Fisher's statistics: its total, largest, median and 99th-percentile entry, the share of
// exact zeros, and each block's share of the total (block: a parameter name's first two
// components, e.g. "down.1" or "class_embed.weight"), largest first.
struct FisherSummary {
  double total = 0, max = 0, median = 0, p99 = 0, zero_share = 0;
  std::vector<std::pair<std::string, double>> share_by_block;
};
// fisher (P) f32 in the layout of `parameters` (an arena's named views).
FisherSummary summarize_fisher(const Tensor& fisher, const NamedTensors& parameters);

// The EWC term lambda sum_j F_j (theta_j - anchor_j)^2 (returned, in double) and its gradient
// 2 lambda F (theta - anchor), added to `grads`. All (P) f32.
double add_ewc_gradient(const Tensor& fisher, const Tensor& anchor, const Tensor& theta,
                        double lambda, Tensor& grads);

struct AmnesiaStepReport {
  int64_t step;           // 1-based
  double surrogate_loss;  // l(theta; x_s, c_f), pixel-summed
  double replay_loss;     // l(theta; x_r, c_r); NaN when gamma = 0
  double ewc;             // lambda sum F (theta - theta*)^2 before the step
  double loss;            // surrogate + gamma replay + ewc
  double grad_norm;       // of the whole gradient, before clipping
};

// One step's batches: B surrogate images labelled c_f and B replay images of the other classes,
// one antithetic time vector (t_1..t_{B/2}, 1 + 1e-5 - t_1, ...) shared by both halves.
struct AmnesiaBatches {
  Tensor surrogate, surrogate_labels, replay, replay_labels;  // (B, 1, H, W) f32, (B) i64
  Tensor t;                                                   // (B) f32 on the host
};

// Starts from the checkpoint's EMA weights (theta*), runs in eval mode, keeps no EMA: the named
// weights of a saved checkpoint are the live ones.
class SelectiveAmnesia {
 public:
  SelectiveAmnesia(const SelectiveAmnesiaConfig& config, const std::string& init_checkpoint,
                   AmnesiaSet set);
  // The batches of step `step` (0-based); draws from the run's noise stream, as run_until does.
  AmnesiaBatches draw(int64_t step);
  void run_until(int64_t final_step, const std::function<void(const AmnesiaStepReport&)>& report,
                 const std::atomic<bool>* stop = nullptr);
  int64_t step() const { return step_; }
  int64_t replay_set_size() const { return replay_.size(); }
  void save_checkpoint(const std::string& path);  // a score model file that resumes bit for bit
  void load_checkpoint(const std::string& path);  // the configuration must match
  UNet& model() { return *model_; }
  FisherSummary fisher_summary() const { return summarize_fisher(fisher_, arena_.parameters); }

 private:
  SelectiveAmnesia(const SelectiveAmnesiaConfig& config, const SafetensorsFile& start,
                   const std::string& init_path, AmnesiaSet set);

  SelectiveAmnesiaConfig config_;
  std::map<std::string, std::string> init_metadata_;
  Sde sde_;
  Generator init_, noise_;
  mutable Generator dropout_noise_;  // unused in eval mode; the forward signature takes one
  std::unique_ptr<UNet> model_;
  ParameterArena arena_;
  Adam adam_;
  Ema weights_;                      // rate 0
  Tensor fisher_, anchor_;           // (P): F and theta*
  ImageDataset replay_, surrogate_;  // surrogate_: the class-k images (empty for noise)
  EpochBatches replay_order_;
  std::optional<EpochBatches> surrogate_order_;
  int64_t step_ = 0;
};

}  // namespace lethe
