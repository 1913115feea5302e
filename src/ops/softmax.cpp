// softmax and log_softmax along one axis, with their VJPs.
#include "lethe/ops/softmax.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/softmax.h"

namespace lethe {
namespace {

Tensor softmax_op(const Tensor& a, int axis, bool log_space) {
  const char* name = log_space ? "log_softmax" : "softmax";
  check_float(name, a, "input");
  const int ax = resolve_axis(name, axis, a.rank());
  AxisGeometry g{1, a.dim(ax), 1};
  for (int i = 0; i < ax; ++i) g.outer *= a.dim(i);
  for (int i = ax + 1; i < a.rank(); ++i) g.inner *= a.dim(i);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  {
    const profile::Scope scope(name, "forward", a.shape(), 0, 2.0 * a.nbytes());
    tt::softmax_forward(g, a, y, log_space);
  }
  const Tensor output = y.detach();
  return record(y, name, {a}, [=](const Tensor& grad) {
    Tensor grad_x = Tensor::empty(output.shape(), output.dtype(), output.device());
    const profile::Scope scope(name, "backward", output.shape(), 0, 3.0 * output.nbytes());
    tt::softmax_backward(g, output, grad, grad_x, log_space);
    return std::vector<Tensor>{grad_x};
  });
}

}  // namespace

Tensor softmax(const Tensor& a, int axis) {
  return softmax_op(a, axis, false);
}
Tensor log_softmax(const Tensor& a, int axis) {
  return softmax_op(a, axis, true);
}

}  // namespace lethe
