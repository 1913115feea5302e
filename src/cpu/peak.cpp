// The FMA-peak and copy-bandwidth micro-benchmarks.
#include "lethe/cpu/peak.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string_view>

#include "lethe/cpu/isa.h"

namespace lethe::cpu {
namespace {

constexpr double kRunSeconds = 0.05;
constexpr int kRuns = 5;  // the peak is the best of these, as the benchmarks take their best
constexpr double kWarmupSeconds = 0.02;

// Scalar multiply-add chains for CPUs without FMA; the compiler spreads them over SIMD lanes.
constexpr int kPortableChains = 32;

float multiply_add_chains_portable(int64_t rounds) {
  float chain[kPortableChains];
  for (int i = 0; i < kPortableChains; ++i) chain[i] = 0.5f + 0.01f * i;
  for (int64_t round = 0; round < rounds; ++round) {
    for (int i = 0; i < kPortableChains; ++i) chain[i] = chain[i] * 0.999999f + 1e-6f;
  }
  float sum = 0.0f;
  for (float value : chain) sum += value;
  return sum;
}

struct FmaChains {
  float (*run)(int64_t rounds);
  int64_t multiply_adds_per_round;
};

FmaChains best_fma_chains() {
  const std::string_view isa = cpu_isa_name();
  if (isa == "avx512") return {&detail::fma_chains_avx512, detail::kAvx512MultiplyAddsPerRound};
  if (isa == "avx2") return {&detail::fma_chains_avx2, detail::kAvx2MultiplyAddsPerRound};
  return {&multiply_add_chains_portable, kPortableChains};
}

// Keeps benchmark results alive so the compiler cannot drop the work behind them.
std::atomic<float> benchmark_sink{0.0f};

// Runs chains on this thread for `seconds`; returns the multiply-adds done per second.
double multiply_adds_per_second(const FmaChains& chains, double seconds) {
  constexpr int64_t kRoundsPerTimeCheck = 1 << 14;
  float sink = 0.0f;
  int64_t rounds = 0;
  const double start = omp_get_wtime();
  double elapsed = 0.0;
  while (elapsed < seconds) {
    sink += chains.run(kRoundsPerTimeCheck);
    rounds += kRoundsPerTimeCheck;
    elapsed = omp_get_wtime() - start;
  }
  benchmark_sink.store(sink, std::memory_order_relaxed);
  return static_cast<double>(rounds * chains.multiply_adds_per_round) / elapsed;
}

// GFLOP/s of `chains` on `threads` threads: each thread's best of kRuns, summed.
double chains_gflops(const FmaChains& chains, int threads) {
  double total_multiply_adds_per_second = 0.0;
#pragma omp parallel num_threads(std::max(threads, 1)) reduction(+ : total_multiply_adds_per_second)
  {
    multiply_adds_per_second(chains, kWarmupSeconds);
#pragma omp barrier
    double best = 0.0;
    for (int run = 0; run < kRuns; ++run) {
      best = std::max(best, multiply_adds_per_second(chains, kRunSeconds));
    }
    total_multiply_adds_per_second += best;
  }
  return 2.0 * total_multiply_adds_per_second / 1e9;
}

struct FreeDeleter {
  void operator()(float* data) const { std::free(data); }
};

using FloatBuffer = std::unique_ptr<float, FreeDeleter>;

FloatBuffer allocate_floats(int64_t count) {
  float* data = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(count) * 4));
  if (data == nullptr) throw std::bad_alloc();
  return FloatBuffer(data);
}

}  // namespace

double measure_fma_peak_gflops(int threads) {
  return chains_gflops(best_fma_chains(), threads);
}

double measure_bf16_peak_gflops(int threads) {
  if (!cpu_supports_isa("avx512bf16")) return 0;
  return chains_gflops({&detail::dpbf16_chains_avx512, detail::kBf16MultiplyAddsPerRound}, threads);
}

double measure_copy_bandwidth_gbs(int threads) {
  constexpr int64_t kBufferBytes = int64_t{256} << 20;
  constexpr int64_t kFloats = kBufferBytes / 4;
  constexpr int kPasses = 5;
  const FloatBuffer src_buffer = allocate_floats(kFloats);
  const FloatBuffer dst_buffer = allocate_floats(kFloats);
  float* src = src_buffer.get();
  float* dst = dst_buffer.get();
  threads = std::max(threads, 1);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < kFloats; ++i) {
    src[i] = static_cast<float>(i & 1023);
    dst[i] = 0.0f;
  }
  double best_seconds = 1e30;
  for (int pass = 0; pass < kPasses; ++pass) {
    const double start = omp_get_wtime();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < kFloats; ++i) dst[i] = src[i];
    best_seconds = std::min(best_seconds, omp_get_wtime() - start);
  }
  benchmark_sink.store(dst[kFloats / 2], std::memory_order_relaxed);
  return 2.0 * static_cast<double>(kBufferBytes) / best_seconds / 1e9;
}

}  // namespace lethe::cpu
