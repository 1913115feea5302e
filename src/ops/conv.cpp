// conv2d and nearest upsampling, with their VJPs.
#include "cpu/conv.h"
#include "lethe/ops.h"
#include "ops/internal.h"

namespace lethe {
namespace {

cpu::ConvGeometry conv_geometry(const Tensor& x, const Tensor& weight, int stride, int padding) {
  LETHE_CHECK(x.rank() == 4, "conv2d: input must be (B, Cin, H, W), got ", describe(x));
  LETHE_CHECK(weight.rank() == 4 && weight.dim(1) == x.dim(1), "conv2d: weight ", describe(weight),
              " does not match input ", describe(x),
              " (expected (Cout, Cin, KH, KW) with Cin = ", x.dim(1), ")");
  LETHE_CHECK(stride >= 1 && padding >= 0, "conv2d: stride ", stride, " and padding ", padding,
              " must be >= 1 and >= 0");
  cpu::ConvGeometry g{x.dim(0),      x.dim(1),      x.dim(2), x.dim(3), weight.dim(0),
                      weight.dim(2), weight.dim(3), stride,   padding};
  LETHE_CHECK(g.height + 2 * padding >= g.kernel_h && g.width + 2 * padding >= g.kernel_w,
              "conv2d: kernel ", describe(weight), " is larger than the padded input ",
              describe(x));
  return g;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding) {
  check_float("conv2d", x, "input");
  check_float("conv2d", weight, "weight");
  check_compatible("conv2d", x, weight);
  const cpu::ConvGeometry g = conv_geometry(x, weight, stride, padding);
  if (bias.defined()) {
    check_compatible("conv2d", x, bias);
    LETHE_CHECK(bias.rank() == 1 && bias.dim(0) == g.out_channels, "conv2d: bias ", describe(bias),
                " does not match ", g.out_channels, " output channels");
  }
  Tensor y = Tensor::empty({g.batch, g.out_channels, g.out_h(), g.out_w()}, x.dtype(), x.device());
  dispatch_float("conv2d", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::conv2d_forward(g, x.data<T>(), weight.data<T>(), bias.defined() ? bias.data<T>() : nullptr,
                        y.data<T>());
  });
  return record(y, "conv2d", {x, weight, bias}, [g, x, weight, bias](const Tensor& grad) {
    Tensor grad_x, grad_weight, grad_bias;
    dispatch_float("conv2d backward", grad.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if (x.requires_grad()) {
        grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
        cpu::conv2d_backward_input(g, grad.data<T>(), weight.data<T>(), grad_x.data<T>());
      }
      const bool want_bias = bias.defined() && bias.requires_grad();
      if (weight.requires_grad() || want_bias) {
        grad_weight = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
        if (want_bias) grad_bias = Tensor::empty(bias.shape(), bias.dtype(), bias.device());
        cpu::conv2d_backward_weight(g, grad.data<T>(), x.data<T>(), grad_weight.data<T>(),
                                    want_bias ? grad_bias.data<T>() : nullptr);
        if (!weight.requires_grad()) grad_weight = Tensor();
      }
    });
    return std::vector<Tensor>{grad_x, grad_weight, grad_bias};
  });
}

Tensor upsample_nearest2x(const Tensor& x) {
  check_float("upsample_nearest2x", x, "input");
  LETHE_CHECK(x.rank() == 4, "upsample_nearest2x: input must be (B, C, H, W), got ", describe(x));
  const int64_t planes = x.dim(0) * x.dim(1), height = x.dim(2), width = x.dim(3);
  Tensor y = Tensor::empty({x.dim(0), x.dim(1), 2 * height, 2 * width}, x.dtype(), x.device());
  dispatch_float("upsample_nearest2x", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::upsample_nearest2x_forward(x.data<T>(), y.data<T>(), planes, height, width);
  });
  const Shape input_shape = x.shape();
  return record(y, "upsample_nearest2x", {x}, [=](const Tensor& grad) {
    Tensor grad_x = Tensor::empty(input_shape, grad.dtype(), grad.device());
    dispatch_float("upsample_nearest2x backward", grad.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::upsample_nearest2x_backward(grad.data<T>(), grad_x.data<T>(), planes, height, width);
    });
    return std::vector<Tensor>{grad_x};
  });
}

}  // namespace lethe
