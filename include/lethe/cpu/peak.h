// Machine ceilings for judging kernel speed: the fp32 FMA peak the cores reach with independent
// register-resident FMA chains (~0.2 s), and STREAM-copy memory bandwidth (~0.5 s, 512 MiB).
#pragma once
#include <cstdint>

namespace lethe::cpu {

// fp32 GFLOP/s of independent FMA chains on `threads` OpenMP threads with the best instruction
// set, counting one FMA as 2 flops per vector lane: each thread's best of several short runs, so
// that another process taking the core for a moment does not lower it.
double measure_fma_peak_gflops(int threads);

// The same for bf16 dot products with fp32 accumulation (AVX-512 BF16 vdpbf16ps, two
// multiply-adds per fp32 lane and instruction); 0 on CPUs without AVX-512 BF16.
double measure_bf16_peak_gflops(int threads);

// GB/s (1e9 bytes) of dst[i] = src[i] over 256 MiB buffers on `threads` OpenMP threads, counting
// the bytes read plus the bytes written; best of a few passes.
double measure_copy_bandwidth_gbs(int threads);

namespace detail {

// Each runs `rounds` rounds of independent FMA chains held in registers and returns a value that
// depends on every chain; one round is the given number of multiply-adds.
constexpr int64_t kAvx512MultiplyAddsPerRound = 16 * 16;  // 16 zmm chains x 16 lanes
constexpr int64_t kAvx2MultiplyAddsPerRound = 12 * 8;     // 12 ymm chains x 8 lanes
float fma_chains_avx512(int64_t rounds);                  // peak_avx512.cpp
float fma_chains_avx2(int64_t rounds);                    // peak_avx2.cpp
constexpr int64_t kBf16MultiplyAddsPerRound = 16 * 32;    // 16 zmm chains x 16 lanes x 2
float dpbf16_chains_avx512(int64_t rounds);               // peak_avx512bf16.cpp

}  // namespace detail
}  // namespace lethe::cpu
