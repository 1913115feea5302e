#include "lethe/score_model.h"

#include <sstream>

#include "lethe/autograd.h"
#include "lethe/training_checkpoint.h"

namespace lethe {

std::unique_ptr<ScoreModel> ScoreModel::load(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  auto sde_name = file.metadata.find("sde");
  LETHE_CHECK(sde_name != file.metadata.end(), "checkpoint ", path,
              " has no 'sde' in its metadata: not a Lethe score model");
  auto model = std::make_unique<ScoreModel>(UNetConfig::from_metadata(file.metadata),
                                            Sde::parse(sde_name->second), file.metadata);
  model->unet_->load_state_dict(checkpoint_weights(file));
  return model;
}

ScoreModel::ScoreModel(const UNetConfig& config, const Sde& sde,
                       std::map<std::string, std::string> metadata)
    : init_(0), sde_(sde), metadata_(std::move(metadata)), dropout_noise_(0) {
  unet_ = std::make_unique<UNet>(config, init_);
  unet_->train(false);
  unet_->set_requires_grad(false);
}

NoiseModel ScoreModel::noise_model(const Tensor& labels, double cfg) const {
  const UNet* unet = unet_.get();
  Generator* noise = &dropout_noise_;
  const NoiseModel conditional = [unet, noise, labels](const Tensor& x, const Tensor& t) {
    return unet->forward(x, t, labels, *noise);
  };
  if (cfg == 0) return conditional;
  const Tensor null_labels = Tensor::full(labels.shape(), null_label(), DType::i64);
  const NoiseModel unconditional = [unet, noise, null_labels](const Tensor& x, const Tensor& t) {
    return unet->forward(x, t, null_labels, *noise);
  };
  return classifier_free_guidance(conditional, unconditional, cfg);
}

std::vector<int64_t> parse_labels(const std::string& text, int null_label) {
  std::vector<int64_t> labels;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item == "null") {
      labels.push_back(null_label);
      continue;
    }
    LETHE_CHECK(!item.empty() && item.find_first_not_of("0123456789") == std::string::npos &&
                    std::stoi(item) < null_label,
                "--labels: '", item, "' is not a class in 0..", null_label - 1, " or null");
    labels.push_back(std::stoi(item));
  }
  LETHE_CHECK(!labels.empty(), "--labels: no label given");
  return labels;
}

}  // namespace lethe
