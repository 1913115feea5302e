// Tiny MNIST-shaped fixtures: random 28x28 images with labels cycling over 0..9, as IDX files.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "lethe/io/image_dataset.h"

namespace lethe::testing {

// Writes DIR/PREFIX-images-idx3-ubyte and DIR/PREFIX-labels-idx1-ubyte (prefix "train" or "t10k")
// with `count` images drawn from Philox `seed`.
inline void write_digit_fixture(const std::filesystem::path& dir, int64_t count,
                                const std::string& prefix = "train", uint64_t seed = 9) {
  Generator noise(seed);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < count; ++i) labels.push_back(i % 10);
  write_idx_images((dir / (prefix + "-images-idx3-ubyte")).string(),
                   noise.uniform({count, 28, 28}, 0, 255).to(DType::u8));
  write_idx_labels((dir / (prefix + "-labels-idx1-ubyte")).string(),
                   Tensor::from_vector(labels, {count}));
}

}  // namespace lethe::testing
