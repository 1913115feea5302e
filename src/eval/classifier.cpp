#include "lethe/eval/classifier.h"

#include <algorithm>
#include <cmath>

#include "lethe/core/autograd.h"
#include "lethe/io/safetensors.h"
#include "lethe/optim/optimizers.h"

namespace lethe {

DigitClassifier::DigitClassifier(Generator& init) {
  conv1_ = std::make_shared<Conv2d>(1, 32, 3, init, 1, 1);
  add_module("conv1", conv1_);
  conv2_ = std::make_shared<Conv2d>(32, 64, 3, init, 2, 1);
  add_module("conv2", conv2_);
  conv3_ = std::make_shared<Conv2d>(64, 64, 3, init, 1, 1);
  add_module("conv3", conv3_);
  conv4_ = std::make_shared<Conv2d>(64, 128, 3, init, 2, 1);
  add_module("conv4", conv4_);
  conv5_ = std::make_shared<Conv2d>(128, 128, 3, init, 2, 1);
  add_module("conv5", conv5_);
  feature_ = std::make_shared<Linear>(128 * 4 * 4, kFeatureWidth, init);
  add_module("feature", feature_);
  head_ = std::make_shared<Linear>(kFeatureWidth, kClassifierOutputs, init);
  add_module("head", head_);
}

Tensor DigitClassifier::features(const Tensor& images) const {
  LETHE_CHECK(
      images.rank() == 4 && images.dim(1) == 1 && images.dim(2) == 28 && images.dim(3) == 28,
      "classifier: images must be (B, 1, 28, 28), got ", describe(images));
  Tensor h = silu(conv1_->forward(images));
  h = silu(conv2_->forward(h));
  h = silu(conv3_->forward(h));
  h = silu(conv4_->forward(h));  // (B, 128, 7, 7)
  h = silu(conv5_->forward(h));  // (B, 128, 4, 4)
  const Tensor flat = dropout(h.reshape({h.dim(0), 128 * 4 * 4}), 0.3, training(), dropout_noise_);
  return silu(feature_->forward(flat));
}

Tensor DigitClassifier::logits(const Tensor& images) const {
  return head_->forward(features(images));
}

void train_classifier(DigitClassifier& model, const ImageDataset& train,
                      const ClassifierTrainingConfig& config,
                      const std::function<void(int64_t, double)>& report) {
  ParameterArena arena = ParameterArena::pack(model);
  Adam adam(arena, AdamConfig{config.lr, 0.9, 0.999, 1e-8, 100});
  Generator noise(config.seed + 1, 0);
  EpochBatches batches(train.size(), config.batch, config.seed);
  const int64_t junk_count = static_cast<int64_t>(config.batch * config.junk_fraction);
  const int64_t digit_count = config.batch - junk_count;
  model.train(true);
  for (int64_t step = 0; step < config.steps; ++step) {
    std::vector<int64_t> indices = batches.batch(step);
    indices.resize(digit_count);
    const Tensor digits = random_shift(train.float_images(indices), 2, noise);
    const JunkKind kind = kJunkKinds[step % 4];
    const Tensor images = concat({digits, make_junk(kind, train, junk_count, noise)}, 0);
    const Tensor digit_labels = train.labels_of(indices);
    std::vector<int64_t> labels(digit_labels.data<int64_t>(),
                                digit_labels.data<int64_t>() + digit_count);
    labels.insert(labels.end(), junk_count, kNoneClass);
    // Cosine decay to zero after the warm-up: the last steps refine at a small learning rate.
    adam.set_lr(0.5 * config.lr * (1 + std::cos(M_PI * step / config.steps)));
    arena.zero_grad();
    const Tensor loss =
        cross_entropy(model.logits(images), Tensor::from_vector(labels, {config.batch}));
    loss.backward();
    adam.step();
    if (report) report(step + 1, loss.item());
  }
  model.train(false);
}

std::unique_ptr<DigitClassifier> load_classifier(const std::string& path,
                                                 std::string* test_accuracy) {
  const SafetensorsFile file = load_safetensors(path);
  Generator init(0);
  auto model = std::make_unique<DigitClassifier>(init);
  model->load_state_dict(file.tensors);
  model->train(false);
  if (test_accuracy) {
    auto found = file.metadata.find("test_digit_accuracy");
    *test_accuracy = found == file.metadata.end() ? "unknown" : found->second;
  }
  return model;
}

std::vector<int> classify(const DigitClassifier& model, const Tensor& images) {
  NoGrad no_grad;
  std::vector<int> predictions;
  constexpr int64_t kChunk = 256;
  for (int64_t begin = 0; begin < images.dim(0); begin += kChunk) {
    const int64_t end = std::min(images.dim(0), begin + kChunk);
    const Tensor logits = model.logits(images.slice_batch(begin, end));
    const float* values = logits.data<float>();
    for (int64_t i = 0; i < end - begin; ++i) {
      const float* row = values + i * kClassifierOutputs;
      predictions.push_back(
          static_cast<int>(std::max_element(row, row + kClassifierOutputs) - row));
    }
  }
  return predictions;
}

ClassifierAccuracy evaluate_classifier(const DigitClassifier& model, const ImageDataset& test,
                                       uint64_t seed) {
  std::vector<int64_t> all(test.size());
  for (int64_t i = 0; i < test.size(); ++i) all[i] = i;
  const std::vector<int> predicted = classify(model, test.float_images(all));
  int64_t correct = 0;
  for (int64_t i = 0; i < test.size(); ++i) {
    correct += predicted[i] == test.labels.data<int64_t>()[i];
  }
  Generator noise(seed, 0);
  int64_t junk_total = 0, junk_none = 0;
  for (JunkKind kind : kJunkKinds) {
    const Tensor junk = make_junk(kind, test, 250, noise);
    for (int label : classify(model, junk)) junk_none += label == kNoneClass;
    junk_total += 250;
  }
  return {static_cast<double>(correct) / test.size(), static_cast<double>(junk_none) / junk_total,
          test.size(), junk_total};
}

}  // namespace lethe
