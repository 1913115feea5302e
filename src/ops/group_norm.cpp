// group_norm, alone and fused with the SiLU after it, with their VJPs.
#include "lethe/ops/group_norm.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/group_norm.h"

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
  {
    const profile::Scope scope(name, "forward", x.shape(), 0, 2.0 * x.nbytes());
    tt::group_norm_forward(g, x, weight, bias, eps, y, mean, rstd, then_silu);
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
    tt::group_norm_backward(g, x, weight, bias, mean, rstd, grad, grad_x, grad_weight, grad_bias,
                            then_silu);
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

}  // namespace lethe
