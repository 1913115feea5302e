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

void train_classifier(DigitClassifier& model, const ImageDataset& train, const Tensor& failed,
                      const ClassifierTrainingConfig& config,
                      const std::function<void(int64_t, double)>& report) {
  ParameterArena arena = ParameterArena::pack(model);
  Adam adam(arena, AdamConfig{config.lr, 0.9, 0.999, 1e-8, 100});
  Generator noise(config.seed + 1, 0);
  EpochBatches batches(train.size(), config.batch, config.seed);
  const int64_t junk_count = static_cast<int64_t>(config.batch * config.junk_fraction);
  const int64_t digit_count = config.batch - junk_count;
  const bool with_failed = failed.defined() && failed.dim(0) > 0;
  const int64_t families = static_cast<int64_t>(config.junk_kinds.size()) + (with_failed ? 1 : 0);
  LETHE_CHECK(families > 0, "train_classifier: no junk family to train 'none' on");
  model.train(true);
  for (int64_t step = 0; step < config.steps; ++step) {
    std::vector<int64_t> indices = batches.batch(step);
    indices.resize(digit_count);
    const Tensor digits = random_shift(train.float_images(indices), 2, noise);
    const int64_t family = step % families;
    const Tensor junk = family < static_cast<int64_t>(config.junk_kinds.size())
                            ? make_junk(config.junk_kinds[family], train, junk_count, noise)
                            : embedding(failed.reshape({failed.dim(0), 28 * 28}),
                                        noise.randint({junk_count}, 0, failed.dim(0)))
                                  .reshape({junk_count, 1, 28, 28});
    const Tensor images = concat({digits, junk}, 0);
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

int64_t ClassifierConfusion::Row::total() const {
  int64_t sum = 0;
  for (int64_t count : predicted) sum += count;
  return sum;
}

int64_t ClassifierConfusion::digit_count() const {
  int64_t sum = 0;
  for (const Row& row : digits) sum += row.total();
  return sum;
}

int64_t ClassifierConfusion::junk_count() const {
  int64_t sum = 0;
  for (const Row& row : junk) sum += row.total();
  return sum;
}

double ClassifierConfusion::digit_accuracy() const {
  int64_t correct = 0;
  for (size_t digit = 0; digit < digits.size(); ++digit) correct += digits[digit].predicted[digit];
  return static_cast<double>(correct) / std::max<int64_t>(1, digit_count());
}

double ClassifierConfusion::junk_none_rate() const {
  int64_t none = 0;
  for (const Row& row : junk) none += row.predicted[kNoneClass];
  return static_cast<double>(none) / std::max<int64_t>(1, junk_count());
}

ClassifierConfusion evaluate_classifier(const DigitClassifier& model, const ImageDataset& test,
                                        const std::vector<JunkKind>& kinds,
                                        const Tensor& failed_test, int64_t junk_per_family,
                                        uint64_t seed) {
  auto row_of = [&](std::string name, const Tensor& images) {
    ClassifierConfusion::Row row{std::move(name), std::vector<int64_t>(kClassifierOutputs, 0)};
    for (int label : classify(model, images)) ++row.predicted[label];
    return row;
  };
  ClassifierConfusion confusion;
  for (int digit = 0; digit < 10; ++digit) {
    const ImageDataset subset = test.with_classes({digit});
    std::vector<int64_t> all(subset.size());
    for (int64_t i = 0; i < subset.size(); ++i) all[i] = i;
    confusion.digits.push_back(row_of(std::to_string(digit), subset.float_images(all)));
  }
  Generator noise(seed, 0);
  for (JunkKind kind : kinds) {
    confusion.junk.push_back(
        row_of(junk_kind_name(kind), make_junk(kind, test, junk_per_family, noise)));
  }
  if (failed_test.defined() && failed_test.dim(0) > 0) {
    confusion.junk.push_back(row_of("failed", failed_test));
  }
  return confusion;
}

}  // namespace lethe
