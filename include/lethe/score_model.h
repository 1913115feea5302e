// A trained U-Net score model loaded from a checkpoint, as the noise-model and score callbacks the
// samplers take, with class labels and classifier-free guidance.
#pragma once
#include <memory>
#include <string>

#include "lethe/diffusion.h"
#include "lethe/safetensors.h"
#include "lethe/unet.h"

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
  const Sde& sde() const { return sde_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  int null_label() const { return unet_->config().num_classes; }

 private:
  Generator init_;
  std::unique_ptr<UNet> unet_;
  Sde sde_;
  std::map<std::string, std::string> metadata_;
  mutable Generator dropout_noise_;  // unused in eval mode; the forward signature needs one
};

// Parses "0,1,7" or "null" entries into labels; "null" is `null_label`.
std::vector<int64_t> parse_labels(const std::string& text, int null_label);

}  // namespace lethe
