// Rows copied onto the zero-padded planes of the direct and implicit convolutions
// (cpu/conv_direct.cpp, cpu/conv_implicit.cpp), each followed by its zeros. Picked at run time:
// AVX-512 (one masked load and store per 16 outputs, so a 14- or 28-pixel row takes one or two)
// or portable C++.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// For r < rows, row r of the source (source + r * source_stride) to row r of the target
// (target + r * target_stride): target[v] = source[v] for v < n, then `pad` zeros.
void copy_padded_rows(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                      int64_t pad, float* target, int64_t target_stride);

namespace detail {
void copy_padded_rows_portable(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                               int64_t pad, float* target, int64_t target_stride);
void copy_padded_rows_avx512(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                             int64_t pad, float* target, int64_t target_stride);
}  // namespace detail
}  // namespace lethe::cpu
