#include "image_selection.h"

#include <cstdio>

#include "lethe/classifier.h"
#include "lethe/image_masks.h"

namespace lethe::tools {

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

}  // namespace lethe::tools
