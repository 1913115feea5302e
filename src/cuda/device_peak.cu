#include "lethe/cuda/device_peak.h"

#include "kernels/peak.cu"
#include "lethe/core/cuda_check.h"
#include "lethe/cuda/kernel_blocks.h"
#include "lethe/cuda/timing.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {
namespace {

constexpr int kBlockThreads = 256;
constexpr int kFmaIterations = 1 << 14;
constexpr int kMmaIterations = 1 << 12;
constexpr long long kCopyBytes = 1LL << 30;  // per direction

static_assert(block_threads_of("fma_peak_kernel") == kBlockThreads);
static_assert(block_threads_of("copy_bandwidth_kernel") == kBlockThreads);
static_assert(block_threads_of("tf32_peak_kernel") == kBlockThreads);

int device_attribute(cudaDeviceAttr attribute, const char* meaning) {
  int device = 0, value = 0;
  LETHE_CUDA_CHECK(cudaGetDevice(&device), "finding the current device");
  LETHE_CUDA_CHECK(cudaDeviceGetAttribute(&value, attribute, device), meaning);
  return value;
}

double measure_fma_tflops(int multiprocessors) {
  Workspace<Target::native> sink;
  float* out = static_cast<float*>(sink.reserve(sizeof(float)));
  const unsigned blocks = static_cast<unsigned>(multiprocessors) * 8;
  const double milliseconds = best_gpu_milliseconds(3, false, [&] {
    simt::launch(kernels::fma_peak_kernel, blocks, kBlockThreads, 0, out, kFmaIterations, 0.999f);
  });
  const double flops = 2.0 * kernels::kFmaChains * kFmaIterations * blocks * kBlockThreads;
  return flops / (milliseconds * 1e-3) * 1e-12;
}

double measure_tf32_tflops(int multiprocessors) {
  Workspace<Target::native> sink;
  float* out = static_cast<float*>(sink.reserve(sizeof(float)));
  const unsigned blocks = static_cast<unsigned>(multiprocessors) * 8;
  const double milliseconds = best_gpu_milliseconds(3, false, [&] {
    simt::launch(kernels::tf32_peak_kernel, blocks, kBlockThreads, 0, out, kMmaIterations);
  });
  const double warps = static_cast<double>(blocks) * kBlockThreads / kernels::kThreadsPerWarp;
  const double flops =
      static_cast<double>(kernels::kMmaFlops) * kernels::kMmaChains * kMmaIterations * warps;
  return flops / (milliseconds * 1e-3) * 1e-12;
}

double measure_copy_gbs(int multiprocessors) {
  Workspace<Target::native> source, destination;
  const auto* src = static_cast<const float4*>(source.reserve(kCopyBytes));
  auto* dst = static_cast<float4*>(destination.reserve(kCopyBytes));
  LETHE_CUDA_CHECK(cudaMemset(const_cast<float4*>(src), 0, kCopyBytes),
                   "filling the copy benchmark's source");
  const unsigned blocks = static_cast<unsigned>(multiprocessors) * 16;
  const double milliseconds = best_gpu_milliseconds(3, false, [&] {
    simt::launch(kernels::copy_bandwidth_kernel, blocks, kBlockThreads, 0, src, dst,
                 kCopyBytes / static_cast<long long>(sizeof(float4)));
  });
  return 2.0 * kCopyBytes / (milliseconds * 1e-3) * 1e-9;
}

}  // namespace

DevicePeaks measure_device_peaks() {
  int device = 0;
  LETHE_CUDA_CHECK(cudaGetDevice(&device), "finding the current device");
  cudaDeviceProp properties{};
  LETHE_CUDA_CHECK(cudaGetDeviceProperties(&properties, device), "reading the device properties");
  const int multiprocessors = properties.multiProcessorCount;
  const double memory_khz =
      device_attribute(cudaDevAttrMemoryClockRate, "reading the memory clock");
  const double bus_bits =
      device_attribute(cudaDevAttrGlobalMemoryBusWidth, "reading the memory bus width");
  return {properties.name,
          multiprocessors,
          measure_fma_tflops(multiprocessors),
          measure_tf32_tflops(multiprocessors),
          measure_copy_gbs(multiprocessors),
          2.0 * memory_khz * 1e3 * bus_bits / 8 * 1e-9};
}

}  // namespace lethe::cuda
