#include "lethe/cpu/group_norm.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "lethe/cpu/activation.h"
#include "lethe/cpu/isa.h"
#include "lethe/cpu/scratch.h"

namespace lethe::cpu {
namespace {

constexpr int kLanes = 16;
// Elements below which a norm stays on one thread: on a busy machine every OpenMP fork/join can
// wait a scheduler time slice for its second thread.
constexpr int64_t kParallelThreshold =
    1 << 19;  // interleaved partial sums: a fixed order the compiler vectorises

// Sum and sum of squares of n values, accumulated in double.
template <class T>
void sum_and_squares(const T* values, int64_t n, double& total, double& total_squares) {
  double sums[kLanes] = {}, squares[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const double v = values[i + lane];
      sums[lane] += v;
      squares[lane] += v * v;
    }
  }
  total = 0;
  total_squares = 0;
  for (; i < n; ++i) {
    total += values[i];
    total_squares += static_cast<double>(values[i]) * values[i];
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    total += sums[lane];
    total_squares += squares[lane];
  }
}

// Sum of dy and of dy * (x - mean) * rstd over n values, accumulated in double.
template <class T>
void sum_dy_and_dy_xhat(const T* x, const T* dy, int64_t n, double mean, double rstd,
                        double& total_dy, double& total_dy_xhat) {
  double dys[kLanes] = {}, dy_xhats[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const double d = dy[i + lane];
      dys[lane] += d;
      dy_xhats[lane] += d * (x[i + lane] - mean);
    }
  }
  double tail_dy = 0, tail_dy_x = 0;
  for (; i < n; ++i) {
    tail_dy += dy[i];
    tail_dy_x += dy[i] * (x[i] - mean);
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    tail_dy += dys[lane];
    tail_dy_x += dy_xhats[lane];
  }
  total_dy = tail_dy;
  total_dy_xhat = tail_dy_x * rstd;
}

// values[i] = silu(values[i]).
template <class T>
void silu_in_place(T* values, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    activation_forward(Activation::silu, values, values, n);
  } else {
    for (int64_t i = 0; i < n; ++i) values[i] = values[i] / (T(1) + std::exp(-values[i]));
  }
}

// grad[i] = grad_y[i] * silu'(z[i]), z overwritten by the result.
template <class T>
void silu_backward_in_place(T* z, const T* grad_y, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    activation_backward(Activation::silu, z, grad_y, z, n);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const T s = T(1) / (T(1) + std::exp(-z[i]));
      z[i] = grad_y[i] * s * (T(1) + z[i] * (T(1) - s));
    }
  }
}

// Whether the float kernels run on group_norm_avx512.cpp (the double ones never do).
template <class T>
bool uses_avx512() {
  return std::is_same_v<T, float> && cpu_runs_avx512();
}

// Group bg (sample bg / G, group bg % G) with its slices of weight and bias.
detail::NormGroup group_slice(const GroupNormGeometry& g, int64_t bg, const float* weight,
                              const float* bias) {
  const int64_t first_channel = (bg % g.groups) * g.group_channels();
  return {g.group_channels(), g.spatial, weight ? weight + first_channel : nullptr,
          bias ? bias + first_channel : nullptr};
}

}  // namespace

template <class T>
void group_norm_forward(const GroupNormGeometry& g, const T* x, const T* weight, const T* bias,
                        double eps, T* y, T* mean, T* rstd, bool then_silu) {
  const int64_t group_size = g.group_channels() * g.spatial;
  const bool on_avx512 = uses_avx512<T>();
#pragma omp parallel for if (g.batch * g.channels * g.spatial > kParallelThreshold) schedule(static)
  for (int64_t bg = 0; bg < g.batch * g.groups; ++bg) {
    if constexpr (std::is_same_v<T, float>) {
      if (on_avx512) {
        detail::group_norm_forward_group_avx512(group_slice(g, bg, weight, bias),
                                                x + bg * group_size, eps, then_silu,
                                                y + bg * group_size, mean + bg, rstd + bg);
        continue;
      }
    }
    const T* in = x + bg * group_size;
    double total, total_squares;
    sum_and_squares(in, group_size, total, total_squares);
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
    if (then_silu) silu_in_place(out, group_size);
  }
}

template <class T>
void group_norm_backward(const GroupNormGeometry& g, const T* x, const T* weight, const T* mean,
                         const T* rstd, const T* grad_y, T* grad_x, T* grad_weight, T* grad_bias,
                         bool then_silu, const T* bias) {
  const int64_t group_size = g.group_channels() * g.spatial;
  // Per (b, c): sum of grad_y and of grad_y * xhat, reused for the parameter gradients.
  std::vector<double> sum_dy(g.batch * g.channels), sum_dy_xhat(g.batch * g.channels);
  const bool on_avx512 = uses_avx512<T>();
#pragma omp parallel for if (g.batch * g.channels * g.spatial > kParallelThreshold) schedule(static)
  for (int64_t bg = 0; bg < g.batch * g.groups; ++bg) {
    const T* in = x + bg * group_size;
    const T* dy = grad_y + bg * group_size;
    const int64_t first_channel = (bg % g.groups) * g.group_channels();
    const int64_t b = bg / g.groups;
    if constexpr (std::is_same_v<T, float>) {
      if (on_avx512) {
        const int64_t sums = b * g.channels + first_channel;
        detail::group_norm_backward_group_avx512(group_slice(g, bg, weight, bias), in, mean[bg],
                                                 rstd[bg], dy, then_silu, grad_x + bg * group_size,
                                                 sum_dy.data() + sums, sum_dy_xhat.data() + sums);
        continue;
      }
    }
    const T group_mean = mean[bg], group_rstd = rstd[bg];
    if (then_silu) {  // dy = grad_y * silu'(normalised x), the normalisation recomputed
      T* grad_norm = thread_scratch<T, 0>(group_size);
      for (int64_t k = 0; k < g.group_channels(); ++k) {
        const int64_t c = first_channel + k;
        const T scale = group_rstd * (weight ? weight[c] : T(1));
        const T shift = (bias ? bias[c] : T(0)) - group_mean * scale;
        for (int64_t s = 0; s < g.spatial; ++s) {
          grad_norm[k * g.spatial + s] = in[k * g.spatial + s] * scale + shift;
        }
      }
      silu_backward_in_place(grad_norm, dy, group_size);
      dy = grad_norm;
    }
    double mean_dxhat = 0, mean_dxhat_xhat = 0;
    for (int64_t k = 0; k < g.group_channels(); ++k) {
      const int64_t c = first_channel + k;
      double channel_dy, channel_dy_xhat;
      sum_dy_and_dy_xhat(in + k * g.spatial, dy + k * g.spatial, g.spatial,
                         static_cast<double>(group_mean), static_cast<double>(group_rstd),
                         channel_dy, channel_dy_xhat);
      sum_dy[b * g.channels + c] = channel_dy;
      sum_dy_xhat[b * g.channels + c] = channel_dy_xhat;
      const double w = weight ? weight[c] : 1.0;
      mean_dxhat += w * channel_dy;
      mean_dxhat_xhat += w * channel_dy_xhat;
    }
    mean_dxhat /= group_size;
    mean_dxhat_xhat /= group_size;
    // dx = rstd (w dy - mean_dxhat - xhat mean_dxhat_xhat), xhat = (x - mean) rstd, in T.
    T* dx = grad_x + bg * group_size;
    const T offset_term = static_cast<T>(group_rstd * mean_dxhat);
    const T xhat_term = static_cast<T>(group_rstd * mean_dxhat_xhat * group_rstd);
    for (int64_t k = 0; k < g.group_channels(); ++k) {
      const int64_t c = first_channel + k;
      const T w_rstd = group_rstd * static_cast<T>(weight ? weight[c] : 1.0);
      for (int64_t s = 0; s < g.spatial; ++s) {
        const int64_t i = k * g.spatial + s;
        dx[i] = w_rstd * dy[i] - offset_term - (in[i] - group_mean) * xhat_term;
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
                                      double, T*, T*, T*, bool);                               \
  template void group_norm_backward<T>(const GroupNormGeometry&, const T*, const T*, const T*, \
                                       const T*, const T*, T*, T*, T*, bool, const T*);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::cpu
