// AVX-512 activation kernels (see activation_vector.h). Compiled with -mavx512f.
#include "lethe/cpu/activation_vector.h"
#include "lethe/cpu/vector_avx512.h"

namespace lethe::cpu::detail {

void activation_forward_avx512(Activation f, const float* x, float* y, int64_t n) {
  forward_all<Avx512>(f, x, y, n);
}

void activation_backward_avx512(Activation f, const float* x, const float* gy, float* gx,
                                int64_t n) {
  backward_all<Avx512>(f, x, gy, gx, n);
}

}  // namespace lethe::cpu::detail
