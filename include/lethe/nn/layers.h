// The standard layers as modules, with PyTorch's parameter names, shapes and default
// initialisation: Linear, Conv2d, GroupNorm, Embedding, Dropout.
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"
#include "lethe/nn/module.h"
#include "lethe/ops/ops.h"
#include "lethe/ops/random.h"

namespace lethe {

// y = x W^T + b. weight (out, in), bias (out). PyTorch's default init: U(+-1/sqrt(in)).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, Generator& init, bool bias = true);
  Tensor forward(const Tensor& x) const;  // (B, in) -> (B, out)
  Tensor weight, bias;
};

// weight (out, in, k, k), bias (out). PyTorch's default init: U(+-1/sqrt(in k k)).
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int kernel, Generator& init, int stride = 1,
         int padding = 0, bool bias = true);
  Tensor forward(const Tensor& x) const;  // (B, in, H, W) -> (B, out, H', W')
  Tensor weight, bias;
  int stride, padding;
};

// weight = 1, bias = 0, shape (C).
class GroupNorm : public Module {
 public:
  GroupNorm(int groups, int64_t channels, double eps = 1e-5);
  Tensor forward(const Tensor& x) const;       // (B, C, ...) -> same
  Tensor forward_silu(const Tensor& x) const;  // silu(forward(x)), fused
  Tensor weight, bias;
  int groups;
  double eps;
};

// weight (N, D) ~ N(0, 1), as PyTorch.
class Embedding : public Module {
 public:
  Embedding(int64_t count, int64_t width, Generator& init);
  Tensor forward(const Tensor& indices) const;  // S -> S + (D)
  Tensor weight;
};

class Dropout : public Module {
 public:
  explicit Dropout(double p) : p(p) {}
  Tensor forward(const Tensor& x, Generator& noise) const {
    return dropout(x, p, training(), noise);
  }
  double p;
};

// Uniform(-bound, bound) initialisation helper shared by the layers.
Tensor uniform_init(const Shape& shape, double bound, Generator& init);

}  // namespace lethe
