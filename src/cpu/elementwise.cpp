#include "lethe/cpu/elementwise.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "lethe/cpu/activation.h"
#include "lethe/cpu/broadcast_layout.h"

namespace lethe::cpu {
namespace {

template <class T>
T apply_unary(UnaryOp op, T x, T p0, T p1) {
  switch (op) {
    case UnaryOp::neg:
      return -x;
    case UnaryOp::exp:
      return std::exp(x);
    case UnaryOp::log:
      return std::log(x);
    case UnaryOp::sqrt:
      return std::sqrt(x);
    case UnaryOp::rsqrt:
      return T(1) / std::sqrt(x);
    case UnaryOp::abs:
      return std::abs(x);
    case UnaryOp::square:
      return x * x;
    case UnaryOp::sigmoid:
      return T(1) / (T(1) + std::exp(-x));
    case UnaryOp::silu:
      return x / (T(1) + std::exp(-x));
    case UnaryOp::tanh:
      return std::tanh(x);
    case UnaryOp::pow:
      return std::pow(x, p0);
    case UnaryOp::clamp:
      return x < p0 ? p0 : (x > p1 ? p1 : x);
    case UnaryOp::add_scalar:
      return x + p0;
    case UnaryOp::mul_scalar:
      return x * p0;
    case UnaryOp::rsub_scalar:
      return p0 - x;
    case UnaryOp::rdiv_scalar:
      return p0 / x;
  }
  return x;
}

// d op(x) / dx, given x and y = op(x).
template <class T>
T unary_derivative(UnaryOp op, T x, T y, T p0, T p1) {
  switch (op) {
    case UnaryOp::neg:
      return T(-1);
    case UnaryOp::exp:
      return y;
    case UnaryOp::log:
      return T(1) / x;
    case UnaryOp::sqrt:
      return T(0.5) / y;
    case UnaryOp::rsqrt:
      return T(-0.5) * y * y * y;
    case UnaryOp::abs:
      return x > 0 ? T(1) : (x < 0 ? T(-1) : T(0));
    case UnaryOp::square:
      return T(2) * x;
    case UnaryOp::sigmoid:
      return y * (T(1) - y);
    case UnaryOp::silu: {
      const T s = T(1) / (T(1) + std::exp(-x));
      return s * (T(1) + x * (T(1) - s));
    }
    case UnaryOp::tanh:
      return T(1) - y * y;
    case UnaryOp::pow:
      return p0 * std::pow(x, p0 - T(1));
    case UnaryOp::clamp:
      return (x >= p0 && x <= p1) ? T(1) : T(0);
    case UnaryOp::add_scalar:
      return T(1);
    case UnaryOp::mul_scalar:
      return p0;
    case UnaryOp::rsub_scalar:
      return T(-1);
    case UnaryOp::rdiv_scalar:
      return -y / x;
  }
  return T(0);
}

template <class T>
T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::add:
      return a + b;
    case BinaryOp::sub:
      return a - b;
    case BinaryOp::mul:
      return a * b;
    case BinaryOp::div:
      return a / b;
  }
  return a;
}

// Calls row(out_offset, a_offset, b_offset) for every innermost row of out_shape (the last axis
// is the row), with the operands' broadcast offsets. Rows are independent.
template <class RowFn>
void for_each_broadcast_row(const Shape& a_shape, const Shape& b_shape, const Shape& out_shape,
                            RowFn row) {
  const auto extents = padded_extents(out_shape);
  const auto a_strides = broadcast_strides(a_shape, out_shape);
  const auto b_strides = broadcast_strides(b_shape, out_shape);
  const int64_t rows = extents[0] * extents[1] * extents[2] * extents[3];
  const int64_t row_length = extents[4];
#pragma omp parallel for if (rows * row_length > kParallelThreshold) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rest = r;
    int64_t a_offset = 0, b_offset = 0;
    for (int axis = 3; axis >= 0; --axis) {
      const int64_t index = rest % extents[axis];
      rest /= extents[axis];
      a_offset += index * a_strides[axis];
      b_offset += index * b_strides[axis];
    }
    row(r * row_length, a_offset, b_offset, a_strides[4], b_strides[4], row_length);
  }
}

// The vectorised float kernel of the exp-based ops, if op is one.
std::optional<Activation> vector_activation(UnaryOp op) {
  switch (op) {
    case UnaryOp::exp:
      return Activation::exp;
    case UnaryOp::sigmoid:
      return Activation::sigmoid;
    case UnaryOp::silu:
      return Activation::silu;
    default:
      return std::nullopt;
  }
}

// Calls chunk(first, count) over [0, n) in one contiguous, 16-aligned chunk per thread.
template <class ChunkFn>
void parallel_chunks(int64_t n, ChunkFn chunk) {
#pragma omp parallel if (n > kParallelThreshold)
  {
    const int64_t threads = omp_get_num_threads(), thread = omp_get_thread_num();
    const int64_t per_thread = (n / threads + 15) / 16 * 16;
    const int64_t first = std::min(n, thread * per_thread);
    const int64_t last = thread + 1 == threads ? n : std::min(n, first + per_thread);
    if (last > first) chunk(first, last - first);
  }
}

// out[i] = a[i] op b[i], with the op chosen outside the loop so that it vectorises.
template <class T>
void binary_same_shape(BinaryOp op, const T* a, const T* b, T* out, int64_t n) {
  auto map = [&](auto f) {
    parallel_chunks(n, [&](int64_t first, int64_t count) {
      for (int64_t i = first; i < first + count; ++i) out[i] = f(a[i], b[i]);
    });
  };
  switch (op) {
    case BinaryOp::add:
      return map([](T u, T v) { return u + v; });
    case BinaryOp::sub:
      return map([](T u, T v) { return u - v; });
    case BinaryOp::mul:
      return map([](T u, T v) { return u * v; });
    case BinaryOp::div:
      return map([](T u, T v) { return u / v; });
  }
}

}  // namespace

template <class T>
void unary_forward(UnaryOp op, const T* x, T* y, int64_t n, double p0, double p1) {
  if constexpr (std::is_same_v<T, float>) {
    if (const auto f = vector_activation(op)) {
      parallel_chunks(n, [&](int64_t first, int64_t count) {
        activation_forward(*f, x + first, y + first, count);
      });
      return;
    }
  }
  const T q0 = static_cast<T>(p0), q1 = static_cast<T>(p1);
#pragma omp parallel for if (n > kParallelThreshold) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = apply_unary(op, x[i], q0, q1);
}

template <class T>
void unary_backward(UnaryOp op, const T* x, const T* y, const T* gy, T* gx, int64_t n, double p0,
                    double p1) {
  if constexpr (std::is_same_v<T, float>) {
    if (op == UnaryOp::silu) {
      parallel_chunks(n, [&](int64_t first, int64_t count) {
        activation_backward(Activation::silu, x + first, gy + first, gx + first, count);
      });
      return;
    }
  }
  const T q0 = static_cast<T>(p0), q1 = static_cast<T>(p1);
#pragma omp parallel for if (n > kParallelThreshold) schedule(static)
  for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] * unary_derivative(op, x[i], y[i], q0, q1);
}

// When b (of the same rank as a) matches a on its leading axes and is 1 on all the others, the
// extent of those trailing axes of a (each b element then covers one contiguous block of a);
// 0 otherwise. A bias (B, C, 1, 1) against (B, C, H, W) gives H * W.
int64_t trailing_block(const Shape& a_shape, const Shape& b_shape) {
  if (a_shape.size() != b_shape.size()) return 0;
  size_t leading = 0;
  while (leading < a_shape.size() && a_shape[leading] == b_shape[leading]) ++leading;
  int64_t block = 1;
  for (size_t axis = leading; axis < a_shape.size(); ++axis) {
    if (b_shape[axis] != 1) return 0;
    block *= a_shape[axis];
  }
  return block;
}

template <class T>
void binary_broadcast(BinaryOp op, const T* a, const Shape& a_shape, const T* b,
                      const Shape& b_shape, T* out, const Shape& out_shape) {
  if (a_shape == b_shape) {
    binary_same_shape(op, a, b, out, shape_numel(out_shape));
    return;
  }
  const int64_t block = a_shape == out_shape ? trailing_block(a_shape, b_shape) : 0;
  if (block > 1) {  // out[j, i] = a[j, i] op b[j]: one scalar per contiguous block
    const int64_t blocks = shape_numel(b_shape);
#pragma omp parallel for if (blocks * block > kParallelThreshold) schedule(static)
    for (int64_t j = 0; j < blocks; ++j) {
      const T value = b[j];
      const T* in = a + j * block;
      T* result = out + j * block;
      for (int64_t i = 0; i < block; ++i) result[i] = apply_binary(op, in[i], value);
    }
    return;
  }
  for_each_broadcast_row(
      a_shape, b_shape, out_shape,
      [&](int64_t o, int64_t ao, int64_t bo, int64_t as, int64_t bs, int64_t length) {
        for (int64_t i = 0; i < length; ++i) {
          out[o + i] = apply_binary(op, a[ao + i * as], b[bo + i * bs]);
        }
      });
}

template <class T>
void add_inplace(T* acc, const T* inc, int64_t n) {
  parallel_chunks(n, [&](int64_t first, int64_t count) {
    for (int64_t i = first; i < first + count; ++i) acc[i] += inc[i];
  });
}

#define LETHE_INSTANTIATE(T)                                                                      \
  template void unary_forward<T>(UnaryOp, const T*, T*, int64_t, double, double);                 \
  template void unary_backward<T>(UnaryOp, const T*, const T*, const T*, T*, int64_t, double,     \
                                  double);                                                        \
  template void binary_broadcast<T>(BinaryOp, const T*, const Shape&, const T*, const Shape&, T*, \
                                    const Shape&);                                                \
  template void add_inplace<T>(T*, const T*, int64_t);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::cpu
