// conv2d and nearest upsampling, with their VJPs.
#include "lethe/cpu/conv.h"
#include "lethe/core/profile.h"
#include "lethe/cuda/kernel_selection.h"
#include "lethe/cuda/upsample.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"

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

// The convolution's three passes on the GPU (f32) through the hand|vendor|auto selection. Empty in
// a CPU-only build, which never holds a cuda tensor.
void conv2d_forward_on_gpu(const ConvGeometry& g, const Tensor& x, const Tensor& weight,
                           const Tensor& bias, Tensor& y) {
  if constexpr (kCudaBuild) {
    cuda::selected::conv2d_forward(g, x.data<float>(), weight.data<float>(),
                                   optional_data<float>(bias), y.data<float>());
  }
}

void conv2d_backward_on_gpu(const ConvGeometry& g, const Tensor& grad, const Tensor& x,
                            const Tensor& weight, Tensor& grad_x, Tensor& grad_weight,
                            Tensor& grad_bias) {
  if constexpr (kCudaBuild) {
    if (grad_x.defined()) {
      cuda::selected::conv2d_backward_input(g, grad.data<float>(), weight.data<float>(),
                                            grad_x.data<float>());
    }
    if (grad_weight.defined()) {
      cuda::selected::conv2d_backward_weight(g, grad.data<float>(), x.data<float>(),
                                             grad_weight.data<float>(),
                                             optional_data<float>(grad_bias));
    }
  }
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
  const profile::Scope scope(conv_name, "forward", x.shape(), conv_flops(g), 0, weight.shape());
  if (on_cuda(x)) {
    conv2d_forward_on_gpu(g, x, weight, bias, y);
  } else {
    dispatch_float("conv2d", x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::conv2d_forward(g, x.data<T>(), weight.data<T>(), optional_data<T>(bias), y.data<T>());
    });
  }
  return record(
      y, "conv2d", {x, weight, bias}, [g, x, weight, bias, conv_name](const Tensor& grad) {
        Tensor grad_x, grad_weight, grad_bias;
        if (x.requires_grad()) grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
        const bool want_bias = bias.defined() && bias.requires_grad();
        if (weight.requires_grad() || want_bias) {
          grad_weight = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
          if (want_bias) grad_bias = Tensor::empty(bias.shape(), bias.dtype(), bias.device());
        }
        if (on_cuda(grad)) {
          conv2d_backward_on_gpu(g, grad, x, weight, grad_x, grad_weight, grad_bias);
        } else {
          dispatch_float("conv2d backward", grad.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if (grad_x.defined()) {
              const profile::Scope scope(conv_name, "backward-input", x.shape(), conv_flops(g), 0,
                                         weight.shape());
              cpu::conv2d_backward_input(g, grad.data<T>(), weight.data<T>(), grad_x.data<T>());
            }
            if (grad_weight.defined()) {
              const profile::Scope scope(conv_name, "backward-weight", x.shape(), conv_flops(g), 0,
                                         weight.shape());
              cpu::conv2d_backward_weight(g, grad.data<T>(), x.data<T>(), grad_weight.data<T>(),
                                          optional_data<T>(grad_bias));
            }
          });
        }
        if (!weight.requires_grad()) grad_weight = Tensor();
        return std::vector<Tensor>{grad_x, grad_weight, grad_bias};
      });
}

Tensor upsample_nearest2x(const Tensor& x) {
  check_float("upsample_nearest2x", x, "input");
  LETHE_CHECK(x.rank() == 4, "upsample_nearest2x: input must be (B, C, H, W), got ", describe(x));
  const int64_t planes = x.dim(0) * x.dim(1), height = x.dim(2), width = x.dim(3);
  Tensor y = Tensor::empty({x.dim(0), x.dim(1), 2 * height, 2 * width}, x.dtype(), x.device());
  const profile::Scope scope("upsample_nearest2x", "forward", x.shape(), 0,
                             5.0 * x.numel() * dtype_size(x.dtype()));
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::upsample_nearest2x_forward<kNative>(x.data<float>(), y.data<float>(), planes, height,
                                                width);
    }
  } else {
    dispatch_float("upsample_nearest2x", x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::upsample_nearest2x_forward(x.data<T>(), y.data<T>(), planes, height, width);
    });
  }
  const Shape input_shape = x.shape();
  return record(y, "upsample_nearest2x", {x}, [=](const Tensor& grad) {
    Tensor grad_x = Tensor::empty(input_shape, grad.dtype(), grad.device());
    if (on_cuda(grad)) {
      if constexpr (kCudaBuild) {
        cuda::upsample_nearest2x_backward<kNative>(grad.data<float>(), grad_x.data<float>(), planes,
                                                   height, width);
      }
      return std::vector<Tensor>{grad_x};
    }
    dispatch_float("upsample_nearest2x backward", grad.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::upsample_nearest2x_backward(grad.data<T>(), grad_x.data<T>(), planes, height, width);
    });
    return std::vector<Tensor>{grad_x};
  });
}

}  // namespace lethe
