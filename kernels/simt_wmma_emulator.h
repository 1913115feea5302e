// The warp matrix (tensor core) API of <mma.h>, nvcuda::wmma, for the SIMT emulator: the TF32
// shape m16n16k8 with fp32 accumulators, which is what kernels/tensor_core_tile.cuh uses.
//
// On a GPU a fragment is spread over the 32 lanes of a warp in an unspecified order, and kernels
// may only touch its elements uniformly (for every i < num_elements). Here every lane holds the
// whole matrix, row-major, so such uniform code means the same thing, and each lane computes the
// whole product itself. Every collective call first meets the rest of its warp (__syncwarp), so a
// fragment operation that only part of a warp reaches deadlocks, as it may on a GPU.
//
// mma_sync rounds nothing: operands must already be TF32 (kernels round them with
// __float_to_tf32, as the API asks); products of TF32 values are exact in fp32, and the sums
// run in fp32 in depth order. Loads and stores check what a GPU requires of their memory: a
// 32-byte aligned pointer and a leading dimension that is a multiple of 4 floats (16 bytes).
#pragma once
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace nvcuda::wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

// The logical matrix of a fragment: M x K for matrix_a, K x N for matrix_b, M x N otherwise.
template <class Use, int M, int N, int K>
struct FragmentExtent {
  static constexpr int rows = std::is_same_v<Use, matrix_b> ? K : M;
  static constexpr int cols = std::is_same_v<Use, matrix_a> ? K : N;
};

template <class Use, int M, int N, int K, class T, class Layout = void>
class fragment {
 public:
  using element_type = std::conditional_t<std::is_same_v<T, precision::tf32>, float, T>;
  static constexpr int rows = FragmentExtent<Use, M, N, K>::rows;
  static constexpr int cols = FragmentExtent<Use, M, N, K>::cols;
  static constexpr int num_elements = rows * cols;
  element_type x[num_elements];  // x[r * cols + c] = element (r, c)
};

// Round to nearest, ties away from zero, keeping 10 of fp32's 23 mantissa bits (cvt.rna.tf32.f32);
// infinities and NaN pass through.
inline float __float_to_tf32(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7F800000u) != 0x7F800000u) bits = (bits + 0x1000u) & 0xFFFFE000u;
  std::memcpy(&value, &bits, sizeof bits);
  return value;
}

namespace detail {

inline void check_fragment_memory(const float* memory, unsigned ldm) {
  if (reinterpret_cast<uintptr_t>(memory) % 32 != 0 || ldm % 4 != 0) {
    throw std::runtime_error(
        "simt emulator: a wmma load or store needs a 32-byte aligned pointer and a leading "
        "dimension that is a multiple of 4 floats");
  }
}

template <class Fragment>
void load(Fragment& fragment, const float* source, unsigned ldm, bool row_major_memory) {
  check_fragment_memory(source, ldm);
  __syncwarp();
  for (int r = 0; r < Fragment::rows; ++r) {
    for (int c = 0; c < Fragment::cols; ++c) {
      fragment.x[r * Fragment::cols + c] =
          row_major_memory ? source[r * ldm + c] : source[c * ldm + r];
    }
  }
}

}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout>
void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& fragment, const float* source,
                      unsigned ldm) {
  static_assert(!std::is_same_v<Layout, void>, "operand fragments carry their layout");
  detail::load(fragment, source, ldm, std::is_same_v<Layout, row_major>);
}

template <int M, int N, int K>
void load_matrix_sync(fragment<accumulator, M, N, K, float>& fragment, const float* source,
                      unsigned ldm, layout_t layout) {
  detail::load(fragment, source, ldm, layout == mem_row_major);
}

template <int M, int N, int K>
void store_matrix_sync(float* destination, const fragment<accumulator, M, N, K, float>& fragment,
                       unsigned ldm, layout_t layout) {
  detail::check_fragment_memory(destination, ldm);
  __syncwarp();
  for (int r = 0; r < M; ++r) {
    for (int c = 0; c < N; ++c) {
      float& slot = layout == mem_row_major ? destination[r * ldm + c] : destination[c * ldm + r];
      slot = fragment.x[r * N + c];
    }
  }
}

template <class Use, int M, int N, int K, class T, class Layout>
void fill_fragment(fragment<Use, M, N, K, T, Layout>& target,
                   typename fragment<Use, M, N, K, T, Layout>::element_type value) {
  for (auto& element : target.x) element = value;
}

// d = a b + c; d may be c.
template <int M, int N, int K, class T, class LayoutA, class LayoutB>
void mma_sync(fragment<accumulator, M, N, K, float>& d,
              const fragment<matrix_a, M, N, K, T, LayoutA>& a,
              const fragment<matrix_b, M, N, K, T, LayoutB>& b,
              const fragment<accumulator, M, N, K, float>& c) {
  __syncwarp();
  for (int r = 0; r < M; ++r) {
    for (int col = 0; col < N; ++col) {
      float sum = c.x[r * N + col];
      for (int k = 0; k < K; ++k) sum += a.x[r * K + k] * b.x[k * N + col];
      d.x[r * N + col] = sum;
    }
  }
}

}  // namespace nvcuda::wmma
