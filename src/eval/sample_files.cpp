#include "lethe/eval/sample_files.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/ops/ops.h"

namespace lethe {

SafetensorsFile load_samples(const std::string& path) {
  if (!std::filesystem::is_directory(path)) return load_safetensors(path);
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() == ".safetensors") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  LETHE_CHECK(!paths.empty(), "samples directory '", path, "' holds no .safetensors file");
  std::vector<Tensor> images;
  std::vector<int64_t> labels;
  SafetensorsFile merged;
  for (const std::string& file_path : paths) {
    const SafetensorsFile file = load_safetensors(file_path);
    LETHE_CHECK(file.contains("samples") && file.contains("labels"), "samples file '", file_path,
                "' needs tensors 'samples' and 'labels'");
    images.push_back(file.at("samples").to(DType::f32));
    const Tensor file_labels = file.at("labels").to(DType::i64);
    labels.insert(labels.end(), file_labels.data<int64_t>(),
                  file_labels.data<int64_t>() + file_labels.numel());
    if (merged.metadata.empty()) merged.metadata = file.metadata;
  }
  merged.path = path;
  const int64_t count = static_cast<int64_t>(labels.size());
  merged.tensors = {{"samples", concat(images, 0)},
                    {"labels", Tensor::from_vector(labels, {count})}};
  merged.metadata["files"] = std::to_string(paths.size());
  return merged;
}

}  // namespace lethe
