// Modules with named parameters (PyTorch state-dict names), packed into one arena per model.
//
// A model is built from modules whose constructors call add_parameter / add_module. Once built,
// ParameterArena::pack(model) moves every parameter into one flat f32 buffer and points every
// parameter's gradient at the matching view of a second buffer of the same layout, so optimisers,
// EMA, clipping and gradient dot products are single loops over flat memory.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lethe/core/tensor.h"
#include "lethe/ops/ops.h"
#include "lethe/ops/random.h"

namespace lethe {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  void train(bool on = true);  // recursive; eval mode is train(false)
  bool training() const { return training_; }

  NamedTensors named_parameters() const;  // "child.sub.weight" in registration order
  int64_t parameter_count() const;
  // Copies values from `state` (names and shapes must match exactly; extra or missing names are
  // errors that list the first offenders).
  void load_state_dict(const NamedTensors& state);
  void set_requires_grad(bool requires);  // freeze (false) or unfreeze every parameter
  // Moves every parameter to `device` in place (every handle to a parameter sees the move; their
  // gradients are dropped). Pack the arena afterwards: ParameterArena::pack packs on the device
  // the parameters live on.
  void to(Device device);

 protected:
  Tensor& add_parameter(const std::string& name, Tensor value);
  template <class M>
  M& add_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return *module;
  }

 private:
  void collect(const std::string& prefix, NamedTensors& out) const;
  NamedTensors parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

struct ParameterArena {
  Tensor values;            // (P) f32: every parameter, contiguous, in named_parameters() order
  Tensor grads;             // (P) f32: gradients, same layout
  NamedTensors parameters;  // views into `values`, with their names

  // Relocates every parameter of `model` into a new arena (values are kept).
  static ParameterArena pack(Module& model);
  void zero_grad();
  // Named views of a flat buffer with the arena's layout (the EMA shadow, a moment buffer), under
  // the parameters' names: how such buffers are saved and loaded by name.
  NamedTensors named_views(const Tensor& flat) const;
  int64_t size() const { return values.numel(); }
};

}  // namespace lethe
