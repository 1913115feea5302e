// sum_to, the reduction of a tensor to a shape that broadcasts to it, and the sums and means over
// all elements or over axes built on it. sum_to's VJP broadcasts the gradient back.
#include "lethe/ops/reduce.h"

#include <algorithm>

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/reduce.h"

namespace lethe {

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  check_float("sum_to", a, "input");
  broadcast_shape("sum_to", shape, a.shape());
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  {
    const profile::Scope scope("sum_to", "forward", a.shape(), 0,
                               static_cast<double>(a.nbytes() + out.nbytes()), shape);
    tt::sum_to_shape(a, out);
  }
  const Shape input_shape = a.shape();
  return record(out, "sum_to", {a}, [input_shape](const Tensor& grad) {
    const Tensor ones = Tensor::full(input_shape, 1, grad.dtype(), grad.device());
    return std::vector<Tensor>{mul(grad, ones)};
  });
}

Tensor sum(const Tensor& a) {
  return sum_to(a.reshape({a.numel()}), {1}).reshape({});
}

Tensor mean(const Tensor& a) {
  LETHE_CHECK(a.numel() > 0, "mean of an empty tensor ", describe(a));
  return mul(sum(a), 1.0 / static_cast<double>(a.numel()));
}

// The shape of `a` with each reduced axis set to 1, and the shape without them.
static std::pair<Shape, Shape> reduced_shapes(const char* op, const Tensor& a,
                                              const std::vector<int>& axes) {
  Shape kept = a.shape();
  std::vector<bool> reduced(kept.size(), false);
  for (int axis : axes) reduced[resolve_axis(op, axis, a.rank())] = true;
  Shape squeezed;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (reduced[i]) {
      kept[i] = 1;
    } else {
      squeezed.push_back(kept[i]);
    }
  }
  return {kept, squeezed};
}

Tensor sum(const Tensor& a, const std::vector<int>& axes, bool keepdim) {
  const auto [kept, squeezed] = reduced_shapes("sum", a, axes);
  Tensor out = sum_to(a, kept);
  return keepdim ? out : out.reshape(squeezed);
}

Tensor mean(const Tensor& a, const std::vector<int>& axes, bool keepdim) {
  const auto [kept, squeezed] = reduced_shapes("mean", a, axes);
  const int64_t count = a.numel() / std::max<int64_t>(shape_numel(kept), 1);
  return mul(sum(a, axes, keepdim), 1.0 / static_cast<double>(std::max<int64_t>(count, 1)));
}

}  // namespace lethe
