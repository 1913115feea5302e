// The measuring instrument of every unlearning claim (docs/math.md#evaluation): a small CNN on
// 28x28 images with 11 outputs, the digits 0-9 and "none" (index 10), trained on real digits plus
// junk (lethe/eval/junk.h: generated failure families and real failed samples) so broken samples
// are not counted as digits.
#pragma once
#include <memory>
#include <string>

#include "lethe/eval/junk.h"
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

struct ClassifierTrainingConfig {
  int64_t steps = 6000;
  int64_t batch = 128;
  double lr = 1e-3;
  double junk_fraction = 0.15;  // share of each batch that is junk
  std::vector<JunkKind> junk_kinds{std::begin(kJunkKinds), std::end(kJunkKinds)};
  uint64_t seed = 0;
};

// Trains on `train` (digits) plus junk: batch k's junk is family k mod F, where the families are
// `config.junk_kinds` followed by the real failed samples when `failed` holds any (N, 1, 28, 28).
// Reports (step, loss) after each step.
void train_classifier(DigitClassifier& model, const ImageDataset& train, const Tensor& failed,
                      const ClassifierTrainingConfig& config,
                      const std::function<void(int64_t, double)>& report);

// Predictions (columns: 0-9, none) on held-out real digits, one row per true digit, and on
// held-out junk, one row per family.
struct ClassifierConfusion {
  struct Row {
    std::string name;                // "0".."9", or a junk family ("blank", ..., "failed")
    std::vector<int64_t> predicted;  // kClassifierOutputs counts
    int64_t total() const;
  };
  std::vector<Row> digits, junk;
  double digit_accuracy() const;  // share of real digits read as their own class
  double junk_none_rate() const;  // share of all junk read as none
  int64_t digit_count() const, junk_count() const;
};
// Every test digit, and `junk_per_family` junk images per family in `kinds` made from the test
// digits (seeded by `seed`), plus every held-out failed sample when `failed_test` holds any.
ClassifierConfusion evaluate_classifier(const DigitClassifier& model, const ImageDataset& test,
                                        const std::vector<JunkKind>& kinds,
                                        const Tensor& failed_test, int64_t junk_per_family,
                                        uint64_t seed);

// Loads weights written by `lethe train-classifier`; `test_accuracy` receives the held-out digit
// accuracy stored in the file's metadata ("unknown" when absent).
std::unique_ptr<DigitClassifier> load_classifier(const std::string& path,
                                                 std::string* test_accuracy = nullptr);

// Predicted class (0-10) per image, batched, without gradients.
std::vector<int> classify(const DigitClassifier& model, const Tensor& images);

}  // namespace lethe
