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

// The first `count` test images of `classes`, in data-set order.
SelectedImages select_test_images(const std::string& data_dir, const std::vector<int>& classes,
                                  int64_t count);

// The score of `model` for a batch of `count` images all conditioned on `label` (a class, or the
// model's null label for the unguided score).
ScoreFn single_label_score(const ScoreModel& model, int64_t label, int64_t count);

// Prints, per image, its PSNR to the original and (with a classifier path) the classifier's label
// of the result; returns the same as JSON: {"images": [{"digit", "psnr", "classified"}...],
// "mean_psnr"}.
nlohmann::json report_results(const SelectedImages& originals, const Tensor& results,
                              const std::string& classifier_path);

}  // namespace lethe
