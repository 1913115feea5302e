#include "lethe/eval/image_selection.h"

#include <algorithm>
#include <cstdio>

#include "lethe/core/int_list.h"
#include "lethe/diffusion/image_masks.h"
#include "lethe/eval/classifier.h"

namespace lethe {

SelectedImages select_test_images(const std::string& data_dir, const std::vector<int>& classes,
                                  int64_t count) {
  const ImageDataset subset = load_idx_dataset(data_dir, "test").with_classes(classes);
  LETHE_CHECK(subset.size() > 0, "no test images of classes {", join_ints(classes), "} in ",
              data_dir);
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < std::min(count, subset.size()); ++i) indices.push_back(i);
  return {subset.float_images(indices), subset.labels_of(indices)};
}

ScoreFn single_label_score(const ScoreModel& model, int64_t label, int64_t count) {
  const Tensor labels =
      Tensor::full({count}, static_cast<double>(label), DType::i64).to(model.device());
  return score_from_noise_model(model.noise_model(labels, 0), model.sde());
}

nlohmann::json report_results(const SelectedImages& originals, const Tensor& results,
                              const std::string& classifier_path) {
  const std::vector<double> quality = psnr(results, originals.images);
  std::vector<int> predicted;
  if (!classifier_path.empty()) predicted = classify(*load_classifier(classifier_path), results);
  const int64_t n = results.dim(0);
  double mean_psnr = 0;
  nlohmann::json images = nlohmann::json::array();
  for (int64_t i = 0; i < n; ++i) {
    mean_psnr += quality[i] / n;
    nlohmann::json image = {{"digit", originals.labels.data<int64_t>()[i]}, {"psnr", quality[i]}};
    if (!predicted.empty()) image["classified"] = predicted[i];
    images.push_back(image);
    std::printf("image %lld (digit %lld): PSNR %.2f dB", static_cast<long long>(i),
                static_cast<long long>(originals.labels.data<int64_t>()[i]), quality[i]);
    if (!predicted.empty()) std::printf(", classified %d", predicted[i]);
    std::printf("\n");
  }
  return {{"images", images}, {"mean_psnr", mean_psnr}};
}

}  // namespace lethe
