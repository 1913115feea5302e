// Vectorised float kernels for the exp-based activations (exp, sigmoid, SiLU and their gradients)
// with runtime ISA dispatch: AVX-512 or AVX2+FMA through a Cephes-style polynomial exp (relative
// error ~2e-7 on [-87, 88], inputs clamped there), std::exp otherwise. Each kernel runs on the
// calling thread; callers split large arrays over threads. Arrays are n floats, unaligned.
#pragma once
#include <cstdint>

namespace lethe::cpu {

enum class Activation { exp, sigmoid, silu };

// y[i] = f(x[i]).
void activation_forward(Activation f, const float* x, float* y, int64_t n);
// gx[i] = gy[i] * f'(x[i]).
void activation_backward(Activation f, const float* x, const float* gy, float* gx, int64_t n);

namespace detail {

using ActivationForward = void (*)(Activation, const float*, float*, int64_t);
using ActivationBackward = void (*)(Activation, const float*, const float*, float*, int64_t);
// Defined in activation_avx512.cpp / activation_avx2.cpp; call only where the CPU has the ISA.
void activation_forward_avx512(Activation f, const float* x, float* y, int64_t n);
void activation_backward_avx512(Activation f, const float* x, const float* gy, float* gx,
                                int64_t n);
void activation_forward_avx2(Activation f, const float* x, float* y, int64_t n);
void activation_backward_avx2(Activation f, const float* x, const float* gy, float* gx, int64_t n);

}  // namespace detail
}  // namespace lethe::cpu
