#include <set>
#include <sstream>

#include "lethe/core/allocator.h"
#include "lethe/nn/module.h"

namespace lethe {

Tensor& Module::add_parameter(const std::string& name, Tensor value) {
  LETHE_CHECK(value.dtype() == DType::f32, "parameter ", name, " must be f32, got ",
              describe(value));
  value.set_requires_grad(true);
  parameters_.emplace_back(name, value);
  return parameters_.back().second;
}

void Module::collect(const std::string& prefix, NamedTensors& out) const {
  for (const auto& [name, tensor] : parameters_) out.emplace_back(prefix + name, tensor);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t count = 0;
  for (const auto& [name, tensor] : named_parameters()) count += tensor.numel();
  return count;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::set_requires_grad(bool requires) {
  for (auto& [name, tensor] : named_parameters()) tensor.set_requires_grad(requires);
}

void Module::to(Device device) {
  for (auto& [name, parameter] : named_parameters()) {
    if (parameter.device() == device) continue;
    const Tensor moved = parameter.detach().to(device);
    TensorImpl* impl = parameter.impl();
    impl->storage = moved.impl()->storage;
    impl->offset_bytes = moved.impl()->offset_bytes;
    impl->grad = Tensor();
  }
}

void Module::load_state_dict(const NamedTensors& state) {
  std::map<std::string, Tensor> given(state.begin(), state.end());
  std::vector<std::string> missing;
  for (auto& [name, parameter] : named_parameters()) {
    auto found = given.find(name);
    if (found == given.end()) {
      missing.push_back(name);
      continue;
    }
    LETHE_CHECK(found->second.shape() == parameter.shape(), "load_state_dict: tensor ", name,
                " has shape ", shape_str(found->second.shape()), ", the model expects ",
                shape_str(parameter.shape()));
    parameter.copy_from(found->second.to(DType::f32).to(parameter.device()));
    given.erase(found);
  }
  LETHE_CHECK(missing.empty(), "load_state_dict: ", missing.size(),
              " parameters are missing, the first is ", missing.empty() ? "" : missing[0]);
  LETHE_CHECK(given.empty(), "load_state_dict: ", given.size(),
              " tensors are not parameters of this model, the first is ",
              given.empty() ? "" : given.begin()->first);
}

ParameterArena ParameterArena::pack(Module& model) {
  ParameterArena arena;
  arena.parameters = model.named_parameters();
  std::set<TensorImpl*> seen;
  int64_t total = 0;
  for (const auto& [name, tensor] : arena.parameters) {
    LETHE_CHECK(seen.insert(tensor.impl()).second, "parameter ", name, " is registered twice");
    total += tensor.numel();
  }
  const Device device =
      arena.parameters.empty() ? Device::cpu : arena.parameters[0].second.device();
  arena.values = Tensor::empty({total}, DType::f32, device);
  arena.grads = Tensor::zeros({total}, DType::f32, device);
  int64_t offset = 0;
  for (auto& [name, tensor] : arena.parameters) {
    const int64_t count = tensor.numel();
    const size_t offset_bytes = static_cast<size_t>(offset) * sizeof(float);
    device_copy(static_cast<char*>(arena.values.raw_data()) + offset_bytes, device,
                tensor.raw_data(), tensor.device(), tensor.nbytes());
    // Re-point the parameter (every handle shares this impl) at its slice of the arena.
    TensorImpl* impl = tensor.impl();
    impl->storage = arena.values.impl()->storage;
    impl->offset_bytes = offset_bytes;
    auto grad_impl = std::make_shared<TensorImpl>();
    grad_impl->storage = arena.grads.impl()->storage;
    grad_impl->offset_bytes = offset_bytes;
    grad_impl->shape = impl->shape;
    grad_impl->dtype = DType::f32;
    impl->grad = Tensor(grad_impl);
    offset += count;
  }
  return arena;
}

void ParameterArena::zero_grad() {
  grads.fill(0);
}

NamedTensors ParameterArena::named_views(const Tensor& flat) const {
  LETHE_CHECK(flat.numel() == values.numel() && flat.dtype() == DType::f32, "named_views: buffer ",
              describe(flat), " does not have the arena's layout (", values.numel(),
              " f32 values)");
  NamedTensors views;
  int64_t offset = 0;
  for (const auto& [name, parameter] : parameters) {
    const int64_t count = parameter.numel();
    views.emplace_back(
        name, flat.detach().slice_batch(offset, offset + count).reshape(parameter.shape()));
    offset += count;
  }
  return views;
}

}  // namespace lethe
