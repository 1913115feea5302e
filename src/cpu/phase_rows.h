// The row moves of the direct convolutions onto their padded grids (cpu/conv_direct.cpp): rows
// copied with zeros after each (stride 1), and the rows of an image split into their even and odd
// pixels and the inverse (stride 2). Picked at run time: AVX-512 (one masked load and store, and a
// permute for the shuffles, per 16 outputs) or portable C++.
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

// For r < rows, the inverse plus a shift: with even, odd at r * phase_stride and target at
// r * target_stride, target[2 v] = even[v] + shift, target[2 v + 1] = odd[v] + shift for v < n.
void merge_row_pairs(const float* even, const float* odd, int64_t phase_stride, int64_t rows,
                     int64_t n, float shift, float* target, int64_t target_stride);

namespace detail {
void copy_padded_rows_portable(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                               int64_t pad, float* target, int64_t target_stride);
void copy_padded_rows_avx512(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                             int64_t pad, float* target, int64_t target_stride);
void split_row_pairs_portable(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                              int64_t pad, float* even, float* odd, int64_t phase_stride);
void merge_row_pairs_portable(const float* even, const float* odd, int64_t phase_stride,
                              int64_t rows, int64_t n, float shift, float* target,
                              int64_t target_stride);
void split_row_pairs_avx512(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                            int64_t pad, float* even, float* odd, int64_t phase_stride);
void merge_row_pairs_avx512(const float* even, const float* odd, int64_t phase_stride, int64_t rows,
                            int64_t n, float shift, float* target, int64_t target_stride);
}  // namespace detail
}  // namespace lethe::cpu
