// Held-out images picked by class for the commands that transform real images (inpaint,
// reconstruct, bpd): the first `count` images of the requested classes, in data-set order.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lethe/diffusion/score_model.h"
#include "lethe/io/image_dataset.h"

namespace lethe {

struct SelectedImages {
  Tensor images;  // f32 (N, 1, H, W) in [-1, 1]
  Tensor labels;  // i64 (N)
};

inline SelectedImages select_images(const std::string& data_dir, const std::string& split,
                                    const std::vector<int>& classes, int64_t count) {
  const ImageDataset subset = load_idx_dataset(data_dir, split).with_classes(classes);
  LETHE_CHECK(subset.size() > 0, "no ", split, " images of the requested classes in ", data_dir);
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < std::min(count, subset.size()); ++i) indices.push_back(i);
  return {subset.float_images(indices), subset.labels_of(indices)};
}

// select_images over the test split with a --classes list such as "0,1,7".
SelectedImages select_test_images(const std::string& data_dir, const std::string& classes,
                                  int64_t count);

// The score of `model` for a batch of `count` images all conditioned on one --label ("null" or a
// class).
ScoreFn single_label_score(const ScoreModel& model, const std::string& label, int64_t count);

// Prints, per image, its PSNR to the original and (with a classifier path) the classifier's label
// of the result; returns the same as JSON: {"images": [{"digit", "psnr", "classified"}...],
// "mean_psnr"}.
nlohmann::json report_results(const SelectedImages& originals, const Tensor& results,
                              const std::string& classifier_path);

}  // namespace lethe
