// Tensor::backward, the reverse pass of the autograd graph that lethe/core/autograd.h records.
// It is declared with the tensor but lives here, in the ops layer, because summing gradients
// runs the backends' kernels: code below the ops layer records graphs and never runs them.
#include <unordered_map>
#include <unordered_set>

#include "lethe/core/autograd.h"
#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"

namespace lethe {

static std::vector<TensorImpl*> reverse_topological_order(TensorImpl* root) {
  std::vector<TensorImpl*> post_order;
  std::unordered_set<TensorImpl*> visited;
  std::vector<std::pair<TensorImpl*, size_t>> stack{{root, 0}};
  visited.insert(root);
  while (!stack.empty()) {
    auto& [impl, next_input] = stack.back();
    const Node* node = impl->grad_fn.get();
    if (node != nullptr && next_input < node->inputs.size()) {
      TensorImpl* input = node->inputs[next_input++].impl();
      LETHE_CHECK(input == nullptr || !input->graph_released, "backward() through the graph ",
                  "of '", node->op_name, "' a second time: backward() frees the graph; build it ",
                  "again (run the forward pass) before another backward()");
      if (input != nullptr && input->requires_grad && visited.insert(input).second) {
        stack.push_back({input, 0});
      }
      continue;
    }
    post_order.push_back(impl);
    stack.pop_back();
  }
  return {post_order.rbegin(), post_order.rend()};
}

void Tensor::backward(const Tensor& seed) const {
  LETHE_CHECK(requires_grad(),
              "backward() on a tensor that does not require a gradient: ", describe(*this));
  LETHE_CHECK(!impl()->graph_released, "backward() a second time on ", describe(*this),
              ": backward() frees the graph; run the forward pass again first");
  Tensor root_grad = seed;
  if (!root_grad.defined()) {
    LETHE_CHECK(numel() == 1, "backward() without a seed needs a one-element tensor, got ",
                describe(*this));
    root_grad = Tensor::full(shape(), 1, dtype(), device());
  }
  LETHE_CHECK(root_grad.shape() == shape() && root_grad.dtype() == dtype(), "backward seed ",
              describe(root_grad), " does not match ", describe(*this));

  NoGrad no_grad;
  const std::vector<TensorImpl*> order = reverse_topological_order(impl());
  // Gradients waiting for their tensor's turn. A VJP may return the same tensor for several inputs
  // (add) or the caller's seed, so a pending gradient is only modified in place once it is a copy
  // of our own (`owned`).
  std::unordered_map<TensorImpl*, Tensor> pending{{impl(), root_grad}};
  std::unordered_set<const TensorImpl*> owned;
  for (TensorImpl* current : order) {
    auto found = pending.find(current);
    if (found == pending.end()) continue;
    Tensor grad = std::move(found->second);
    pending.erase(found);
    const bool grad_is_owned = owned.erase(grad.impl()) > 0;
    if (!current->grad_fn) {  // a leaf: accumulate into its gradient buffer
      if (current->grad.defined()) {
        accumulate_into(current->grad, grad);
      } else {
        current->grad = grad_is_owned ? grad : grad.clone();
      }
      continue;
    }
    const Node& node = *current->grad_fn;
    std::vector<Tensor> input_grads;
    {
      const profile::Scope scope(node.op_name, "backward", grad.shape(), 0, 0);
      input_grads = node.vjp(grad);
    }
    LETHE_CHECK(input_grads.size() == node.inputs.size(), "internal: VJP of ", node.op_name,
                " returned ", input_grads.size(), " gradients for ", node.inputs.size(), " inputs");
    for (size_t i = 0; i < input_grads.size(); ++i) {
      TensorImpl* input = node.inputs[i].impl();
      if (input == nullptr || !input->requires_grad || !input_grads[i].defined()) continue;
      LETHE_CHECK(input_grads[i].shape() == input->shape, "internal: VJP of ", node.op_name,
                  " gave a gradient ", describe(input_grads[i]), " for an input of shape ",
                  shape_str(input->shape));
      auto slot = pending.find(input);
      if (slot == pending.end()) {
        pending.emplace(input, std::move(input_grads[i]));
        continue;
      }
      const profile::Scope scope("autograd", "accumulate", input->shape, 0,
                                 3.0 * input_grads[i].numel() * dtype_size(input_grads[i].dtype()));
      if (owned.count(slot->second.impl()) == 0) {
        // Not ours to change: the sum goes to a new tensor in one pass (a copy and then an
        // in-place add made two; 5 -> 3 tensors' worth of memory traffic).
        slot->second = add(slot->second, input_grads[i]);
        owned.insert(slot->second.impl());
      } else {
        accumulate_into(slot->second, input_grads[i]);
      }
    }
  }
  // Free the graph. Dropping a node can free the tensors only it holds (its inputs, later in
  // `order`), so every node is detached first and all are destroyed together at the end.
  std::vector<std::shared_ptr<Node>> released;
  released.reserve(order.size());
  for (TensorImpl* current : order) {
    if (!current->grad_fn) continue;
    released.push_back(std::move(current->grad_fn));
    current->graph_released = true;
  }
}

}  // namespace lethe
