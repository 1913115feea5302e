// A trained U-Net score model loaded from a checkpoint, as the noise-model and score callbacks the
// samplers take, with class labels and classifier-free guidance.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "lethe/diffusion/diffusion.h"
#include "lethe/io/safetensors.h"
#include "lethe/nn/unet.h"

namespace lethe {

class ScoreModel {
 public:
  // Loads the EMA weights (every key not starting "train.") and the config from the metadata.
  static std::unique_ptr<ScoreModel> load(const std::string& path);
  ScoreModel(const UNetConfig& config, const Sde& sde, std::map<std::string, std::string> metadata);

  // eps_hat(x, t) for the given labels (B) i64 (num_classes = null label), with guidance scale
  // `cfg`: eps = (1 + w) eps(x, y) - w eps(x, null). Labels must match x's batch.
  NoiseModel noise_model(const Tensor& labels, double cfg) const;
  void to(Device device) { unet_->to(device); }  // moves the weights; inputs follow x's device
  UNet& unet() { return *unet_; }
  const UNet& unet() const { return *unet_; }
  const Sde& sde() const { return sde_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  int null_label() const { return unet_->config().num_classes; }
  // A one-step generator (SFD / SiD, metadata "model.kind"): the U-Net maps latents z to images in
  // one evaluation at DDPM step generator_t_init() (lethe/sfd.h); generate() ignores the sampler.
  bool is_one_step_generator() const { return generator_t_init_ > 0; }
  int generator_t_init() const { return generator_t_init_; }
  Device device() const;

 private:
  Generator init_;
  std::unique_ptr<UNet> unet_;
  Sde sde_;
  std::map<std::string, std::string> metadata_;
  int generator_t_init_ = 0;         // 0: a score model
  mutable Generator dropout_noise_;  // unused in eval mode; the forward signature needs one
};

struct GenerationRequest {
  SamplerConfig sampler;
  std::vector<int64_t> labels;  // one sample per entry (num_classes = the null label)
  double cfg = 0;
  uint64_t seed = 0;
  int64_t batch = 128;  // samples per network call
  Tensor start;         // prior samples (N, C, H, W) to start from; drawn from `seed` if undefined
};

struct GeneratedSamples {
  Tensor samples;             // (N, C, H, W) in the data's [-1, 1] scale, on the cpu
  Tensor labels;              // (N) i64
  int64_t nfe_per_image = 0;  // network evaluations per image (guidance counts twice)
  double images_per_second = 0;
  SamplerConfig sampler;
  double cfg = 0;
  uint64_t seed = 0;
  std::map<std::string, std::string> metadata() const;  // sampler settings for the samples file
};

// Samples `request.labels.size()` images in batches; `progress(done)` after each batch. A one-step
// generator takes z ~ N(0, I) and one network call per image (sampler "one-step", no guidance).
GeneratedSamples generate(const ScoreModel& model, const GenerationRequest& request,
                          const std::function<void(int64_t)>& progress = nullptr);

// A score-model checkpoint that training starts from (unlearning, distillation): throws unless its
// metadata holds 'sde' and 'unet.*'. `role` names the file in the message ("SFD teacher").
SafetensorsFile load_score_checkpoint(const std::string& path, const std::string& role);
// Its U-Net with the checkpoint's EMA weights, on `device`, in training mode as constructed.
std::unique_ptr<UNet> load_unet(const SafetensorsFile& file, Generator& init,
                                Device device = Device::cpu);

// Parses "0,1,7" or "null" entries into labels; "null" is `null_label`.
std::vector<int64_t> parse_labels(const std::string& text, int null_label);
// The inverse, one label: "7", or "null" for `null_label` (grid row labels, reports).
std::string label_name(int64_t label, int null_label);

}  // namespace lethe
