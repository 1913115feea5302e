#include "lethe/core/autograd.h"

namespace lethe {

static thread_local bool grad_mode = true;

bool grad_mode_enabled() {
  return grad_mode;
}

NoGrad::NoGrad() : previous_(grad_mode) {
  grad_mode = false;
}
NoGrad::~NoGrad() {
  grad_mode = previous_;
}

bool any_requires_grad(std::initializer_list<Tensor> tensors) {
  if (!grad_mode) return false;
  for (const Tensor& tensor : tensors) {
    if (tensor.defined() && tensor.requires_grad()) return true;
  }
  return false;
}

Tensor record(Tensor output, const char* op_name, std::vector<Tensor> inputs, VjpFn vjp) {
  if (!grad_mode) return output;
  bool needed = false;
  for (const Tensor& input : inputs) needed = needed || (input.defined() && input.requires_grad());
  if (!needed) return output;
  output.impl()->requires_grad = true;
  output.impl()->grad_fn = std::make_shared<Node>(Node{op_name, std::move(inputs), std::move(vjp)});
  return output;
}

// Reverse topological order of the tensors that need gradients, root first (iterative DFS).

}  // namespace lethe
