// GPU timing for benchmarks and for `--kernels auto` (native only).
#pragma once
#include <functional>

namespace lethe::cuda {

// Milliseconds of GPU time that `body` takes (CUDA events around it on the default stream): the
// fastest of `repeats` runs after one warm-up run. With flush_l2, a 64 MB buffer (more than any
// current GPU's L2) is overwritten before every run, so no run finds its operands in cache.
double best_gpu_milliseconds(int repeats, bool flush_l2, const std::function<void()>& body);

}  // namespace lethe::cuda
