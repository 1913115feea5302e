#include "cpu/norm.h"

#include <cmath>
#include <vector>

namespace lethe::cpu {

template <class T>
void group_norm_forward(const GroupNormGeometry& g, const T* x, const T* weight, const T* bias,
                        double eps, T* y, T* mean, T* rstd) {
  const int64_t group_size = g.group_channels() * g.spatial;
#pragma omp parallel for if (g.batch * g.channels * g.spatial > (1 << 14)) schedule(static)
  for (int64_t bg = 0; bg < g.batch * g.groups; ++bg) {
    const T* in = x + bg * group_size;
    double total = 0, total_squares = 0;
    for (int64_t i = 0; i < group_size; ++i) {
      total += in[i];
      total_squares += static_cast<double>(in[i]) * in[i];
    }
    const double group_mean = total / group_size;
    const double variance = std::max(total_squares / group_size - group_mean * group_mean, 0.0);
    const double inv_std = 1.0 / std::sqrt(variance + eps);
    mean[bg] = static_cast<T>(group_mean);
    rstd[bg] = static_cast<T>(inv_std);
    const int64_t first_channel = (bg % g.groups) * g.group_channels();
    T* out = y + bg * group_size;
    for (int64_t k = 0; k < g.group_channels(); ++k) {
      const int64_t c = first_channel + k;
      const T scale = static_cast<T>(inv_std) * (weight ? weight[c] : T(1));
      const T shift = (bias ? bias[c] : T(0)) - static_cast<T>(group_mean) * scale;
      for (int64_t s = 0; s < g.spatial; ++s) {
        out[k * g.spatial + s] = in[k * g.spatial + s] * scale + shift;
      }
    }
  }
}

template <class T>
void group_norm_backward(const GroupNormGeometry& g, const T* x, const T* weight, const T* mean,
                         const T* rstd, const T* grad_y, T* grad_x, T* grad_weight, T* grad_bias) {
  const int64_t group_size = g.group_channels() * g.spatial;
  // Per (b, c): sum of grad_y and of grad_y * xhat, reused for the parameter gradients.
  std::vector<double> sum_dy(g.batch * g.channels), sum_dy_xhat(g.batch * g.channels);
#pragma omp parallel for if (g.batch * g.channels * g.spatial > (1 << 14)) schedule(static)
  for (int64_t bg = 0; bg < g.batch * g.groups; ++bg) {
    const T* in = x + bg * group_size;
    const T* dy = grad_y + bg * group_size;
    const int64_t first_channel = (bg % g.groups) * g.group_channels();
    const int64_t b = bg / g.groups;
    double mean_dxhat = 0, mean_dxhat_xhat = 0;
    for (int64_t k = 0; k < g.group_channels(); ++k) {
      const int64_t c = first_channel + k;
      double channel_dy = 0, channel_dy_xhat = 0;
      for (int64_t s = 0; s < g.spatial; ++s) {
        const double xhat = (in[k * g.spatial + s] - mean[bg]) * static_cast<double>(rstd[bg]);
        channel_dy += dy[k * g.spatial + s];
        channel_dy_xhat += dy[k * g.spatial + s] * xhat;
      }
      sum_dy[b * g.channels + c] = channel_dy;
      sum_dy_xhat[b * g.channels + c] = channel_dy_xhat;
      const double w = weight ? weight[c] : 1.0;
      mean_dxhat += w * channel_dy;
      mean_dxhat_xhat += w * channel_dy_xhat;
    }
    mean_dxhat /= group_size;
    mean_dxhat_xhat /= group_size;
    T* dx = grad_x + bg * group_size;
    for (int64_t k = 0; k < g.group_channels(); ++k) {
      const int64_t c = first_channel + k;
      const double w = weight ? weight[c] : 1.0;
      for (int64_t s = 0; s < g.spatial; ++s) {
        const int64_t i = k * g.spatial + s;
        const double xhat = (in[i] - mean[bg]) * static_cast<double>(rstd[bg]);
        dx[i] = static_cast<T>(rstd[bg] * (w * dy[i] - mean_dxhat - xhat * mean_dxhat_xhat));
      }
    }
  }
  for (int64_t c = 0; c < g.channels; ++c) {
    double total_dy = 0, total_dy_xhat = 0;
    for (int64_t b = 0; b < g.batch; ++b) {
      total_dy += sum_dy[b * g.channels + c];
      total_dy_xhat += sum_dy_xhat[b * g.channels + c];
    }
    if (grad_weight) grad_weight[c] = static_cast<T>(total_dy_xhat);
    if (grad_bias) grad_bias[c] = static_cast<T>(total_dy);
  }
}

#define LETHE_INSTANTIATE(T)                                                                   \
  template void group_norm_forward<T>(const GroupNormGeometry&, const T*, const T*, const T*,  \
                                      double, T*, T*, T*);                                     \
  template void group_norm_backward<T>(const GroupNormGeometry&, const T*, const T*, const T*, \
                                       const T*, const T*, T*, T*, T*);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::cpu
