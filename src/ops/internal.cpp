#include "lethe/ops/internal.h"

#include <algorithm>

#include "lethe/tt/elementwise.h"

namespace lethe {

void check_float(const char* op, const Tensor& tensor, const char* role) {
  LETHE_CHECK(tensor.defined(), op, ": ", role, " is an undefined tensor");
  LETHE_CHECK(tensor.dtype() == DType::f32 || tensor.dtype() == DType::f64, op, ": ", role,
              " must be f32 or f64, got ", describe(tensor));
  LETHE_CHECK(tensor.device() != Device::cuda || tensor.dtype() == DType::f32, op, ": ", role, " ",
              describe(tensor), ": the CUDA kernels compute in f32 only");
}

void check_compatible(const char* op, const Tensor& a, const Tensor& b) {
  LETHE_CHECK(a.dtype() == b.dtype() && a.device() == b.device(), op, ": operands ", describe(a),
              " and ", describe(b), " must share dtype and device");
}

Shape broadcast_shape(const char* op, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    LETHE_CHECK(ea == eb || ea == 1 || eb == 1, op, ": shapes ", shape_str(a), " and ",
                shape_str(b), " do not broadcast");
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

int resolve_axis(const char* op, int axis, int rank) {
  const int resolved = axis < 0 ? axis + rank : axis;
  LETHE_CHECK(resolved >= 0 && resolved < rank, op, ": axis ", axis,
              " is out of range for a tensor of rank ", rank);
  return resolved;
}

void accumulate_into(Tensor& accumulator, const Tensor& increment) {
  check_compatible("gradient accumulation", accumulator, increment);
  LETHE_CHECK(accumulator.shape() == increment.shape(), "gradient accumulation: shapes ",
              shape_str(accumulator.shape()), " and ", shape_str(increment.shape()), " differ");
  check_float("gradient accumulation", accumulator, "gradient");
  tt::add_inplace(accumulator, increment);
}

}  // namespace lethe
