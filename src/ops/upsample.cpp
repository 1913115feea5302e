// Nearest-neighbour 2x upsampling with its VJP.
#include "lethe/ops/upsample.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/upsample.h"

namespace lethe {

Tensor upsample_nearest2x(const Tensor& x) {
  check_float("upsample_nearest2x", x, "input");
  LETHE_CHECK(x.rank() == 4, "upsample_nearest2x: input must be (B, C, H, W), got ", describe(x));
  Tensor y = Tensor::empty({x.dim(0), x.dim(1), 2 * x.dim(2), 2 * x.dim(3)}, x.dtype(), x.device());
  {
    const profile::Scope scope("upsample_nearest2x", "forward", x.shape(), 0,
                               5.0 * x.numel() * dtype_size(x.dtype()));
    tt::upsample_nearest2x_forward(x, y);
  }
  const Shape input_shape = x.shape();
  return record(y, "upsample_nearest2x", {x}, [=](const Tensor& grad) {
    Tensor grad_x = Tensor::empty(input_shape, grad.dtype(), grad.device());
    tt::upsample_nearest2x_backward(grad, grad_x);
    return std::vector<Tensor>{grad_x};
  });
}

}  // namespace lethe
