// Per-op wall-time profile for `lethe bench unet`: ops open a Scope around their kernels, and while
// profiling is on each scope adds its exclusive time (nested scopes' time is theirs, not its own),
// FLOPs and bytes to a record keyed by op and shape. Off (the default), a Scope costs one branch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lethe/core/tensor.h"

namespace lethe::profile {

struct OpRecord {
  std::string op;     // "conv2d forward", "group_norm backward", ...
  std::string shape;  // the shape that decides the work, e.g. "(128, 32, 28, 28) w (32, 32, 3, 3)"
  Shape first_shape, second_shape;  // the same shapes as numbers (second empty when the op has one)
  int64_t calls = 0;
  double seconds = 0;
  double flops = 0;  // counted arithmetic (multiply-add = 2), 0 for memory-bound ops
  double bytes = 0;  // bytes read + written by the kernel at least once
};

void set_enabled(bool on);
bool enabled();
// The records since the last call, then forgets them.
std::vector<OpRecord> take_records();

class Scope {
 public:
  // op "conv2d", direction "forward", "backward", "backward-input", ...; the record's key is
  // "op direction" and the shapes, formatted only while profiling is on. A scope nested in one of
  // the same key (an op's generic VJP scope around its kernel's) adds its figures but no call.
  Scope(const char* op, const char* direction, const Shape& shape, double flops, double bytes,
        const Shape& second_shape = {});
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  bool active_;
  std::string op_, shape_;
  Shape first_shape_, second_shape_;
  double flops_, bytes_;
  double start_;
  double nested_seconds_ = 0;  // time spent in scopes opened inside this one
  Scope* parent_ = nullptr;
};

}  // namespace lethe::profile
