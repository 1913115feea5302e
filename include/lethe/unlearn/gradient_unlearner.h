// Gradient-based unlearning of a class-conditional score model
// (docs/math.md#rgd-and-the-baselines): RGD, the restricted gradient over a diverse retain set (Ko
// et al. 2024), and the baselines it is compared with (RG, GradDiff, fine-tune, SalUn, ESD). Each
// step computes the forget and retain objectives' gradients over the whole parameter arena,
// combines them per method, and hands the combined direction to SGD or Adam.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lethe/diffusion/diffusion.h"
#include "lethe/io/image_dataset.h"
#include "lethe/io/safetensors.h"
#include "lethe/nn/module.h"
#include "lethe/nn/unet.h"
#include "lethe/optim/optimizers.h"

namespace lethe {

// ---- the restricted update, on flat gradients ---------------------------------------------------
struct GradientGeometry {
  double dot = 0;           // <g_f, g_r>
  double forget_norm2 = 0;  // ||g_f||^2
  double retain_norm2 = 0;  // ||g_r||^2
  double cos_phi = 0;       // dot / (||g_f|| ||g_r||), 0 when either is 0
  bool conflict = false;    // dot < 0
};

// g_f, g_r (P) f32 on one device -> direction (P), the update direction (the optimiser descends
// along it). Dot products accumulate in double.
//   restrict and conflict: d = (1 - lambda c / n_f) g_f + (lambda - c / n_r) g_r
//                          (each gradient projected on the normal plane of the other, then
//                          g_f' + lambda g_r')
//   otherwise:             d = g_f + lambda g_r (GradDiff)
GradientGeometry combine_gradients(const Tensor& forget_grad, const Tensor& retain_grad,
                                   double lambda, bool restrict, Tensor& direction);

// ---- methods ------------------------------------------------------------------------------------
enum class UnlearnMethod { rgd, rg, graddiff, finetune, salun, esd };
UnlearnMethod parse_unlearn_method(const std::string& name);
std::string unlearn_method_name(UnlearnMethod method);

struct GradientUnlearningConfig {
  UnlearnMethod method = UnlearnMethod::rgd;
  std::vector<int> forget;  // c_f: the classes to forget
  // Retain set: `retain_per_class` random training images of every class not forgotten
  // (balanced), or, when retain_classes is given, the same total drawn equally from those classes
  // only (the diversity ablation).
  int64_t retain_per_class = 50;
  std::vector<int> retain_classes;
  int64_t forget_batch = 64;
  int64_t retain_batch = 64;       // RG, GradDiff, fine-tune, SalUn: one retain minibatch per step;
                                   // RGD: the chunk size of its pass over the whole retain set
  double lambda = 5;               // retain weight
  double alpha_trunc = 0.1;        // the forget loss is mean min((eps_hat - z)^2, alpha_trunc)
  std::string optimizer = "adam";  // "sgd" or "adam"
  double lr = 1e-5;
  double salun_mask_fraction = 0.5;  // SalUn: share of parameters (largest |grad|) updated
  double salun_retain_weight = 1e-3;
  // SalUn's retain loss per image: "sum" over pixels as SalUn's public DDPM code (so the weight
  // 1e-3 means what it means there), or "mean" over pixels as Lethe's other losses (784x weaker).
  std::string salun_retain_reduction = "sum";
  double esd_eta = 1;
  bool check_predictions = true;  // re-evaluate both losses after each step (same batches, noise)
  uint64_t seed = 0;

  void validate() const;
  std::map<std::string, std::string> to_metadata() const;  // "unlearn.*" keys
};

struct UnlearningStepReport {
  int64_t step;        // 1-based
  double forget_loss;  // l_f: the truncated denoising loss on the forget batch (ascended)
  double retain_loss;  // l_r: the denoising loss on the retain batch / set
  double cos_phi;      // between g_f and g_r; NaN when a method uses one gradient only
  bool conflict;       // <g_f, g_r> < 0
  // First-order predictions <g, delta theta> of the change of L_f = -l_f and L_r = l_r, and the
  // changes measured by re-evaluating on the same batches and noise (NaN without the check).
  double predicted_forget_change, actual_forget_change;
  double predicted_retain_change, actual_retain_change;
  double method_loss;  // SalUn / ESD: the method's own objective; otherwise L_f + lambda L_r
};

// Unlearning starts from a trained score model (a checkpoint's EMA weights) and runs in eval mode
// (no dropout), so the two evaluations of a step see the same network function.
class GradientUnlearner {
 public:
  GradientUnlearner(const GradientUnlearningConfig& config, const std::string& init_checkpoint,
                    const ImageDataset& train);
  void run_until(int64_t final_step, const std::function<void(const UnlearningStepReport&)>& report,
                 const std::atomic<bool>* stop = nullptr);
  int64_t step() const { return step_; }
  // The current weights under the parameter names (a score model file that ScoreModel::load and
  // every sampling command read) plus the optimiser state, noise offset and step under "train.*"
  // and the metadata, so a run resumes bit for bit.
  void save_checkpoint(const std::string& path);
  void load_checkpoint(const std::string& path);  // the configuration must match
  UNet& model() { return *model_; }
  int64_t retain_set_size() const { return retain_.size(); }
  int64_t forget_set_size() const { return forget_.size(); }

 private:
  GradientUnlearner(const GradientUnlearningConfig& config, const SafetensorsFile& start,
                    const ImageDataset& train, const std::string& init_path);
  struct Batch {  // a perturbed labelled batch: what one loss evaluation needs
    PerturbedBatch perturbed;
    Tensor labels;
  };
  Batch draw(const ImageDataset& data, const std::vector<int64_t>& indices);
  std::vector<Batch> retain_batches(int64_t step);  // RGD: the whole retain set in chunks
  Tensor eps(const Batch& batch, const Tensor& labels) const;
  Tensor forget_loss(const Batch& batch) const;  // l_f (differentiable)
  // l_r over `batches` as one mean; with `backward_scale` != 0 each chunk's share, times the
  // scale, is back-propagated as it is computed (bounded memory for the whole retain set).
  double retain_loss(const std::vector<Batch>& batches, double backward_scale) const;
  Tensor method_loss(const Batch& forget) const;  // SalUn / ESD objectives
  void compute_salun_mask();
  std::map<std::string, std::string> checkpoint_metadata() const;

  GradientUnlearningConfig config_;
  std::map<std::string, std::string> init_metadata_;
  Sde sde_;
  Generator init_, noise_;
  mutable Generator dropout_noise_;         // unused in eval mode; the forward signature takes one
  std::unique_ptr<UNet> model_, original_;  // original_: the frozen start (ESD)
  ParameterArena arena_;
  Adam adam_;
  Sgd sgd_;
  Ema weights_;  // rate 0: the checkpoint's named weights are the live ones
  ImageDataset forget_, retain_;
  EpochBatches forget_order_, retain_order_;
  Tensor forget_grad_, retain_grad_, direction_, before_, salun_mask_;  // (P) f32 buffers
  int64_t step_ = 0;
};

}  // namespace lethe
