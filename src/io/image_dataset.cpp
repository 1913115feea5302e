#include <algorithm>
#include <cstring>

#include "lethe/io/image_dataset.h"

namespace lethe {

ImageDataset ImageDataset::take(const std::vector<int64_t>& indices) const {
  const int64_t pixels = images.numel() / std::max<int64_t>(size(), 1);
  Shape shape = images.shape();
  shape[0] = static_cast<int64_t>(indices.size());
  Tensor picked_images = Tensor::empty(shape, DType::u8);
  std::vector<int64_t> picked_labels;
  for (size_t i = 0; i < indices.size(); ++i) {
    LETHE_CHECK(indices[i] >= 0 && indices[i] < size(), "data set index ", indices[i],
                " is outside [0, ", size(), ")");
    std::memcpy(picked_images.data<uint8_t>() + i * pixels,
                images.data<uint8_t>() + indices[i] * pixels, static_cast<size_t>(pixels));
    picked_labels.push_back(labels.data<int64_t>()[indices[i]]);
  }
  return {picked_images, Tensor::from_vector(picked_labels, {shape[0]})};
}

ImageDataset ImageDataset::with_classes(const std::vector<int>& classes) const {
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < size(); ++i) {
    const int64_t label = labels.data<int64_t>()[i];
    if (std::find(classes.begin(), classes.end(), label) != classes.end()) indices.push_back(i);
  }
  return take(indices);
}

Tensor ImageDataset::float_images(const std::vector<int64_t>& indices) const {
  const ImageDataset picked = take(indices);
  Tensor out = Tensor::empty(picked.images.shape());
  const uint8_t* source = picked.images.data<uint8_t>();
  float* target = out.data<float>();
  for (int64_t i = 0; i < out.numel(); ++i) target[i] = source[i] * (2.0f / 255.0f) - 1.0f;
  return out;
}

Tensor ImageDataset::labels_of(const std::vector<int64_t>& indices) const {
  return take(indices).labels;
}

EpochBatches::EpochBatches(int64_t dataset_size, int64_t batch_size, uint64_t seed)
    : size_(dataset_size), batch_(batch_size), seed_(seed) {
  LETHE_CHECK(batch_size >= 1 && dataset_size >= batch_size, "batch size ", batch_size,
              " needs a data set of at least that many examples, this one has ", dataset_size);
}

std::vector<int64_t> EpochBatches::batch(int64_t step) {
  const int64_t per_epoch = size_ / batch_;
  const int64_t epoch = step / per_epoch;
  if (epoch != cached_epoch_) {  // Fisher-Yates from the Philox stream of (seed, epoch)
    permutation_.resize(size_);
    for (int64_t i = 0; i < size_; ++i) permutation_[i] = i;
    Generator shuffle(seed_ ^ 0x5eed5eed5eedULL, static_cast<uint64_t>(epoch) << 32);
    for (int64_t i = size_ - 1; i > 0; --i) {
      const int64_t j = shuffle.randint({1}, 0, i + 1).data<int64_t>()[0];
      std::swap(permutation_[i], permutation_[j]);
    }
    cached_epoch_ = epoch;
  }
  const int64_t first = (step % per_epoch) * batch_;
  return {permutation_.begin() + first, permutation_.begin() + first + batch_};
}

}  // namespace lethe
