// group_norm (alone and fused with SiLU), softmax and log_softmax, with their VJPs.
#include "lethe/core/profile.h"
#include "lethe/cpu/norm.h"
#include "lethe/cpu/softmax.h"
#include "lethe/cuda/group_norm.h"
#include "lethe/cuda/softmax.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"

namespace lethe {

namespace {

// group_norm, followed by SiLU in the same pass when then_silu.
Tensor group_norm_op(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias,
                     double eps, bool then_silu) {
  const char* name = then_silu ? "group_norm_silu" : "group_norm";
  check_float("group_norm", x, "input");
  LETHE_CHECK(x.rank() >= 2, "group_norm: input must be (B, C, ...), got ", describe(x));
  const int64_t channels = x.dim(1);
  LETHE_CHECK(groups >= 1 && channels % groups == 0, "group_norm: ", channels, " channels of ",
              describe(x), " do not split into ", groups, " groups");
  for (const Tensor* affine : {&weight, &bias}) {
    if (!affine->defined()) continue;
    check_compatible("group_norm", x, *affine);
    LETHE_CHECK(affine->rank() == 1 && affine->dim(0) == channels, "group_norm: affine ",
                describe(*affine), " does not match ", channels, " channels");
  }
  const GroupNormGeometry g{x.dim(0), channels,
                            x.numel() / std::max<int64_t>(x.dim(0) * channels, 1), groups};
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty({g.batch, groups}, x.dtype(), x.device());
  Tensor rstd = Tensor::empty({g.batch, groups}, x.dtype(), x.device());
  const profile::Scope scope(name, "forward", x.shape(), 0, 2.0 * x.nbytes());
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::group_norm_forward<kNative>(g, x.data<float>(), optional_data<float>(weight),
                                        optional_data<float>(bias), eps, y.data<float>(),
                                        mean.data<float>(), rstd.data<float>(), then_silu);
    }
  } else {
    dispatch_float("group_norm", x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::group_norm_forward(g, x.data<T>(), optional_data<T>(weight), optional_data<T>(bias), eps,
                              y.data<T>(), mean.data<T>(), rstd.data<T>(), then_silu);
    });
  }
  return record(y, name, {x, weight, bias}, [=](const Tensor& grad) {
    Tensor grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
    Tensor grad_weight, grad_bias;
    if (weight.defined() && weight.requires_grad()) {
      grad_weight = Tensor::empty(weight.shape(), x.dtype(), x.device());
    }
    if (bias.defined() && bias.requires_grad()) {
      grad_bias = Tensor::empty(bias.shape(), x.dtype(), x.device());
    }
    const profile::Scope scope(name, "backward", x.shape(), 0, 3.0 * x.nbytes());
    if (on_cuda(x)) {
      if constexpr (kCudaBuild) {
        cuda::group_norm_backward<kNative>(
            g, x.data<float>(), optional_data<float>(weight), mean.data<float>(),
            rstd.data<float>(), grad.data<float>(), grad_x.data<float>(),
            optional_data<float>(grad_weight), optional_data<float>(grad_bias), then_silu,
            optional_data<float>(bias));
      }
    } else {
      dispatch_float("group_norm backward", x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        cpu::group_norm_backward(g, x.data<T>(), optional_data<T>(weight), mean.data<T>(),
                                 rstd.data<T>(), grad.data<T>(), grad_x.data<T>(),
                                 optional_data<T>(grad_weight), optional_data<T>(grad_bias),
                                 then_silu, optional_data<T>(bias));
      });
    }
    return std::vector<Tensor>{grad_x, grad_weight, grad_bias};
  });
}

}  // namespace

Tensor group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  return group_norm_op(x, groups, weight, bias, eps, false);
}

Tensor group_norm_silu(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias,
                       double eps) {
  return group_norm_op(x, groups, weight, bias, eps, true);
}

static Tensor softmax_op(const Tensor& a, int axis, bool log_space) {
  const char* name = log_space ? "log_softmax" : "softmax";
  check_float(name, a, "input");
  const int ax = resolve_axis(name, axis, a.rank());
  AxisGeometry g{1, a.dim(ax), 1};
  for (int i = 0; i < ax; ++i) g.outer *= a.dim(i);
  for (int i = ax + 1; i < a.rank(); ++i) g.inner *= a.dim(i);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  const profile::Scope scope(name, "forward", a.shape(), 0, 2.0 * a.nbytes());
  if (on_cuda(a)) {
    if constexpr (kCudaBuild) {
      cuda::softmax_forward<kNative>(g, a.data<float>(), y.data<float>(), log_space);
    }
  } else {
    dispatch_float(name, a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::softmax_forward(g, a.data<T>(), y.data<T>(), log_space);
    });
  }
  const Tensor output = y.detach();
  return record(y, name, {a}, [=](const Tensor& grad) {
    Tensor grad_x = Tensor::empty(output.shape(), output.dtype(), output.device());
    const profile::Scope scope(name, "backward", output.shape(), 0, 3.0 * output.nbytes());
    if (on_cuda(output)) {
      if constexpr (kCudaBuild) {
        cuda::softmax_backward<kNative>(g, output.data<float>(), grad.data<float>(),
                                        grad_x.data<float>(), log_space);
      }
    } else {
      dispatch_float(name, output.dtype(), [&](auto tag) {
        using T = decltype(tag);
        cpu::softmax_backward(g, output.data<T>(), grad.data<T>(), grad_x.data<T>(), log_space);
      });
    }
    return std::vector<Tensor>{grad_x};
  });
}

Tensor softmax(const Tensor& a, int axis) {
  return softmax_op(a, axis, false);
}
Tensor log_softmax(const Tensor& a, int axis) {
  return softmax_op(a, axis, true);
}

}  // namespace lethe
