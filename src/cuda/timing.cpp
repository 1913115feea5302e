#include "lethe/cuda/timing.h"

#include <algorithm>

#include "lethe/core/cuda_check.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {
namespace {

constexpr size_t kL2FlushBytes = size_t{64} << 20;

void flush_l2() {
  static Workspace<Target::native> buffer;
  LETHE_CUDA_CHECK(cudaMemsetAsync(buffer.reserve(kL2FlushBytes), 0, kL2FlushBytes),
                   "overwriting the L2 flush buffer");
}

// Destroys its events even when a check throws.
struct EventPair {
  cudaEvent_t start = nullptr, stop = nullptr;
  EventPair() {
    LETHE_CUDA_CHECK(cudaEventCreate(&start), "creating a timing event");
    LETHE_CUDA_CHECK(cudaEventCreate(&stop), "creating a timing event");
  }
  ~EventPair() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
};

}  // namespace

double best_gpu_milliseconds(int repeats, bool flush_l2_first, const std::function<void()>& body) {
  EventPair events;
  body();
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    if (flush_l2_first) flush_l2();
    LETHE_CUDA_CHECK(cudaEventRecord(events.start), "recording the start of a timed run");
    body();
    LETHE_CUDA_CHECK(cudaEventRecord(events.stop), "recording the end of a timed run");
    LETHE_CUDA_CHECK(cudaEventSynchronize(events.stop), "waiting for a timed run");
    float milliseconds = 0;
    LETHE_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, events.start, events.stop),
                     "reading a run's GPU time");
    best = std::min(best, static_cast<double>(milliseconds));
  }
  return best;
}

}  // namespace lethe::cuda
