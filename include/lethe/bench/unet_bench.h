// The U-Net step benchmark (`lethe bench unet`): images per second of a U-Net training step
// (forward, backward, Adam on an MSE loss) or sampling step (one forward without gradients) on the
// CPU. Prints the configuration and the machine's measured FMA peak and copy bandwidth, the step
// time (min, median, max), img/s, GFLOP per step, GFLOP/s and % of peak, peak resident memory and,
// with `layers`, a per-op and a per-layer-shape table of one profiled step (lethe::profile).
#pragma once
#include <cstdint>
#include <string>

namespace lethe::bench {

struct UnetBenchOptions {
  std::string config = "mnist-s";  // U-Net preset (mnist-s, mnist-xs)
  int64_t batch = 128;             // images per step: x (batch, C, R, R), t (batch), labels (batch)
  std::string mode = "train";      // train (forward, backward, Adam) or sample (forward)
  int steps = 5;                   // timed steps after the two warm-up steps and the profiled one
  int threads = 0;                 // OpenMP threads; 0: all
  bool layers = false;             // print the per-op tables of the profiled step
  int top = 40;                    // rows of the per-layer-shape table
  bool im2col = false;  // forward and input-gradient convolutions on im2col + GEMM (the direct
                        // and implicit kernels' baseline)
};

// Fixed inputs drawn from Philox (seed 2), model initialised from seed 0. Sets the OpenMP thread
// count and the CPU backend's im2col switch (left as `im2col` says).
void run_unet_bench(const UnetBenchOptions& options);

}  // namespace lethe::bench
