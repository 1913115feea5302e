// CPU kernels for group normalisation. x: (B, C, S) with S the flattened spatial extent; groups of
// C / G consecutive channels share a mean and variance per sample.
#pragma once
#include <cstdint>

namespace lethe::cpu {

struct GroupNormGeometry {
  int64_t batch, channels, spatial, groups;
  int64_t group_channels() const { return channels / groups; }
};

// y = (x - mean) * rstd * weight[c] + bias[c]; weight/bias may be null (1 and 0).
// mean, rstd: (B, G) saved for the backward pass.
template <class T>
void group_norm_forward(const GroupNormGeometry& g, const T* x, const T* weight, const T* bias,
                        double eps, T* y, T* mean, T* rstd);
// grad_x (overwritten); grad_weight/grad_bias (C) overwritten when not null.
template <class T>
void group_norm_backward(const GroupNormGeometry& g, const T* x, const T* weight, const T* mean,
                         const T* rstd, const T* grad_y, T* grad_x, T* grad_weight, T* grad_bias);

}  // namespace lethe::cpu
