// Define-by-run reverse-mode autograd. Each differentiable op calls record() on its output with
// the inputs and a VJP closure; Tensor::backward() (src/ops/backward.cpp, in the ops layer, since
// summing gradients runs kernels) walks the graph once in reverse topological order, accumulates
// leaf gradients (in place when a leaf already has a gradient buffer) and then frees the graph.
#pragma once
#include <functional>
#include <vector>

#include "lethe/core/tensor.h"

namespace lethe {

// Maps the gradient of an op's output to the gradients of its inputs, in input order. An
// undefined tensor means "no gradient for this input".
using VjpFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  const char* op_name;
  std::vector<Tensor> inputs;
  VjpFn vjp;
};

bool grad_mode_enabled();

// Disables graph recording for its lifetime (inference, optimiser updates, VJPs themselves).
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

// Attaches a node to `output` when grad mode is on and some input requires a gradient.
// Returns `output` for chaining.
Tensor record(Tensor output, const char* op_name, std::vector<Tensor> inputs, VjpFn vjp);

// True when any of the tensors requires a gradient and grad mode is on.
bool any_requires_grad(std::initializer_list<Tensor> tensors);

}  // namespace lethe
