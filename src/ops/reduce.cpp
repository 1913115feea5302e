// Sums and means over all elements or over axes. Both reduce through sum_to, whose VJP broadcasts
// the gradient back.
#include <algorithm>

#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"

namespace lethe {

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
