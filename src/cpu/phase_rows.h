// The row moves onto the padded planes of the direct and implicit convolutions
// (cpu/conv_direct.cpp, cpu/conv_implicit.cpp): rows copied with zeros after each, and the rows
// of an image split into their even and odd pixels (the stride-2 phases). Picked at run time:
// AVX-512 (one masked load and store, and a permute for the split, per 16 outputs) or portable
// C++.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// For r < rows, row r of the source (source + r * source_stride) to row r of the target
// (target + r * target_stride): target[v] = source[v] for v < n, then `pad` zeros.
void copy_padded_rows(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                      int64_t pad, float* target, int64_t target_stride);

// For r < rows, row r of the source (source + r * source_stride) to row r of each phase
// (even / odd + r * phase_stride): even[v] = source[2 v], odd[v] = source[2 v + 1] for v < n, then
// `pad` zeros after each.
void split_row_pairs(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                     int64_t pad, float* even, float* odd, int64_t phase_stride);

namespace detail {
void copy_padded_rows_portable(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                               int64_t pad, float* target, int64_t target_stride);
void copy_padded_rows_avx512(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                             int64_t pad, float* target, int64_t target_stride);
void split_row_pairs_portable(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                              int64_t pad, float* even, float* odd, int64_t phase_stride);
void split_row_pairs_avx512(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                            int64_t pad, float* even, float* odd, int64_t phase_stride);
}  // namespace detail
}  // namespace lethe::cpu
