#include "lethe/ops/internal.h"

#include "lethe/cpu/elementwise.h"
#include "lethe/cuda/elementwise.h"

namespace lethe {

void check_float(const char* op, const Tensor& tensor, const char* role) {
  LETHE_CHECK(tensor.defined(), op, ": ", role, " is an undefined tensor");
  LETHE_CHECK(tensor.dtype() == DType::f32 || tensor.dtype() == DType::f64, op, ": ", role,
              " must be f32 or f64, got ", describe(tensor));
  LETHE_CHECK(!on_cuda(tensor) || tensor.dtype() == DType::f32, op, ": ", role, " ",
              describe(tensor), ": the CUDA kernels compute in f32 only");
}

void check_compatible(const char* op, const Tensor& a, const Tensor& b) {
  LETHE_CHECK(a.dtype() == b.dtype() && a.device() == b.device(), op, ": operands ", describe(a),
              " and ", describe(b), " must share dtype and device");
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
  if (on_cuda(accumulator)) {
    check_float("gradient accumulation", accumulator, "gradient");
    float* sum = accumulator.data<float>();
    if constexpr (kCudaBuild) {
      cuda::binary_broadcast<kNative>(BinaryOp::add, sum, accumulator.shape(),
                                      increment.data<float>(), increment.shape(), sum,
                                      accumulator.shape());
    }
    return;
  }
  dispatch_float("gradient accumulation", accumulator.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::add_inplace(accumulator.data<T>(), increment.data<T>(), accumulator.numel());
  });
}

}  // namespace lethe
