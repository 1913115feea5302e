#include <cmath>

#include "lethe/nn/layers.h"

namespace lethe {

Tensor uniform_init(const Shape& shape, double bound, Generator& init) {
  return init.uniform(shape, -bound, bound);
}

Linear::Linear(int64_t in_features, int64_t out_features, Generator& init, bool with_bias) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = add_parameter("weight", uniform_init({out_features, in_features}, bound, init));
  if (with_bias) bias = add_parameter("bias", uniform_init({out_features}, bound, init));
}

Tensor Linear::forward(const Tensor& x) const {
  return linear(x, weight, bias);
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int kernel, Generator& init, int stride,
               int padding, bool with_bias)
    : stride(stride), padding(padding) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_channels * kernel * kernel));
  weight = add_parameter("weight",
                         uniform_init({out_channels, in_channels, kernel, kernel}, bound, init));
  if (with_bias) bias = add_parameter("bias", uniform_init({out_channels}, bound, init));
}

Tensor Conv2d::forward(const Tensor& x) const {
  return conv2d(x, weight, bias, stride, padding);
}

GroupNorm::GroupNorm(int groups, int64_t channels, double eps) : groups(groups), eps(eps) {
  weight = add_parameter("weight", Tensor::ones({channels}));
  bias = add_parameter("bias", Tensor::zeros({channels}));
}

Tensor GroupNorm::forward(const Tensor& x) const {
  return group_norm(x, groups, weight, bias, eps);
}

Tensor GroupNorm::forward_silu(const Tensor& x) const {
  return group_norm_silu(x, groups, weight, bias, eps);
}

Embedding::Embedding(int64_t count, int64_t width, Generator& init) {
  weight = add_parameter("weight", init.normal({count, width}));
}

Tensor Embedding::forward(const Tensor& indices) const {
  return embedding(weight, indices);
}

}  // namespace lethe
