// The measuring instrument of every unlearning claim (docs/math.md#evaluation): a small CNN on
// 28x28 images with 11 outputs, the digits 0-9 and "none" (index 10), trained on real digits plus
// generated junk (noise, blends of two digits, heavy blur, large erasures) so broken samples are
// not counted as digits.
#pragma once
#include <memory>
#include <string>

#include "lethe/io/image_dataset.h"
#include "lethe/nn/layers.h"

namespace lethe {

constexpr int kNoneClass = 10;
constexpr int kClassifierOutputs = 11;

// conv3x3(1->32) SiLU, conv3x3/2(32->64) SiLU, conv3x3(64->64) SiLU, conv3x3/2(64->128) SiLU,
// conv3x3/2(128->128) SiLU to 4x4, flattened, dropout 0.3 in training -> Linear(2048, 128) SiLU
// (the feature layer) -> Linear(128, 11).
class DigitClassifier : public Module {
 public:
  explicit DigitClassifier(Generator& init);
  Tensor features(const Tensor& images) const;  // (B, 1, 28, 28) in [-1, 1] -> (B, 128)
  Tensor logits(const Tensor& images) const;    // -> (B, 11)
  static constexpr int kFeatureWidth = 128;

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_, conv3_, conv4_, conv5_;
  std::shared_ptr<Linear> feature_, head_;
  mutable Generator dropout_noise_{7, 0};
};

enum class JunkKind { noise, blend, blur, erase };
constexpr JunkKind kJunkKinds[] = {JunkKind::noise, JunkKind::blend, JunkKind::blur,
                                   JunkKind::erase};
// `count` junk images (count, 1, 28, 28) in [-1, 1] of one kind, made from random digits of
// `source` (blends always mix two different classes).
Tensor make_junk(JunkKind kind, const ImageDataset& source, int64_t count, Generator& noise);

// Shifts each image by an integer offset in [-max_shift, max_shift]^2 (zero/background fill).
Tensor random_shift(const Tensor& images, int max_shift, Generator& noise);

struct ClassifierTrainingConfig {
  int64_t steps = 6000;
  int64_t batch = 128;
  double lr = 1e-3;
  double junk_fraction = 0.15;  // share of each batch that is junk
  uint64_t seed = 0;
};

struct ClassifierAccuracy {
  double digits;  // accuracy on real digits (label = digit)
  double junk;    // fraction of junk classified "none"
  int64_t digit_count, junk_count;
};

// Trains on `train` (digits) plus junk, reporting (step, loss) after each step.
void train_classifier(DigitClassifier& model, const ImageDataset& train,
                      const ClassifierTrainingConfig& config,
                      const std::function<void(int64_t, double)>& report);
// Accuracy on real digits and on junk made from them (junk seeded by `seed`).
ClassifierAccuracy evaluate_classifier(const DigitClassifier& model, const ImageDataset& test,
                                       uint64_t seed);
// Loads weights written by `lethe train-classifier`; `test_accuracy` receives the held-out digit
// accuracy stored in the file's metadata ("unknown" when absent).
std::unique_ptr<DigitClassifier> load_classifier(const std::string& path,
                                                 std::string* test_accuracy = nullptr);

// Predicted class (0-10) per image, batched, without gradients.
std::vector<int> classify(const DigitClassifier& model, const Tensor& images);

}  // namespace lethe
