// conv2d with its VJP.
#include "lethe/ops/conv.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/conv.h"

namespace lethe {
namespace {

ConvGeometry conv_geometry(const Tensor& x, const Tensor& weight, int stride, int padding) {
  LETHE_CHECK(x.rank() == 4, "conv2d: input must be (B, Cin, H, W), got ", describe(x));
  LETHE_CHECK(weight.rank() == 4 && weight.dim(1) == x.dim(1), "conv2d: weight ", describe(weight),
              " does not match input ", describe(x),
              " (expected (Cout, Cin, KH, KW) with Cin = ", x.dim(1), ")");
  LETHE_CHECK(stride >= 1 && padding >= 0, "conv2d: stride ", stride, " and padding ", padding,
              " must be >= 1 and >= 0");
  ConvGeometry g{x.dim(0),      x.dim(1),      x.dim(2), x.dim(3), weight.dim(0),
                 weight.dim(2), weight.dim(3), stride,   padding};
  LETHE_CHECK(g.height + 2 * padding >= g.kernel_h && g.width + 2 * padding >= g.kernel_w,
              "conv2d: kernel ", describe(weight), " is larger than the padded input ",
              describe(x));
  return g;
}

// Multiply-adds x 2 of each of the convolution's three passes.
double conv_flops(const ConvGeometry& g) {
  return 2.0 * g.batch * g.out_channels * g.patch() * g.out_h() * g.out_w();
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding) {
  check_float("conv2d", x, "input");
  check_float("conv2d", weight, "weight");
  check_compatible("conv2d", x, weight);
  const ConvGeometry g = conv_geometry(x, weight, stride, padding);
  if (bias.defined()) {
    check_compatible("conv2d", x, bias);
    LETHE_CHECK(bias.rank() == 1 && bias.dim(0) == g.out_channels, "conv2d: bias ", describe(bias),
                " does not match ", g.out_channels, " output channels");
  }
  Tensor y = Tensor::empty({g.batch, g.out_channels, g.out_h(), g.out_w()}, x.dtype(), x.device());
  const char* conv_name = g.stride == 1 ? "conv2d" : "conv2d stride 2";
  {
    const profile::Scope scope(conv_name, "forward", x.shape(), conv_flops(g), 0, weight.shape());
    tt::conv2d_forward(g, x, weight, bias, y);
  }
  return record(y, "conv2d", {x, weight, bias},
                [g, x, weight, bias, conv_name](const Tensor& grad) {
                  Tensor grad_x, grad_weight, grad_bias;
                  if (x.requires_grad()) grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
                  const bool want_bias = bias.defined() && bias.requires_grad();
                  if (weight.requires_grad() || want_bias) {
                    grad_weight = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
                    if (want_bias)
                      grad_bias = Tensor::empty(bias.shape(), bias.dtype(), bias.device());
                  }
                  if (grad_x.defined()) {
                    const profile::Scope scope(conv_name, "backward-input", x.shape(),
                                               conv_flops(g), 0, weight.shape());
                    tt::conv2d_backward_input(g, grad, weight, grad_x);
                  }
                  if (grad_weight.defined()) {
                    const profile::Scope scope(conv_name, "backward-weight", x.shape(),
                                               conv_flops(g), 0, weight.shape());
                    tt::conv2d_backward_weight(g, grad, x, grad_weight, grad_bias);
                  }
                  if (!weight.requires_grad()) grad_weight = Tensor();
                  return std::vector<Tensor>{grad_x, grad_weight, grad_bias};
                });
}

}  // namespace lethe
