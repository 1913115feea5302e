// The CPU backend's op benchmark (`lethe bench ops`): GFLOP/s of the GEMM and of the U-Net's
// convolutions (forward and both backward passes), as a share of this machine's measured FMA peak
// and of the roofline bound (the lower of that peak and the pass's FLOPs per byte times the
// measured copy bandwidth). Prints one header line (ISA, threads, peak, copy bandwidth), then one
// line per timed pass: ms, GFLOP/s, % of peak, GB/s, % of bound. Figures are printed, never
// asserted.
#pragma once
#include <cstdint>
#include <string>

namespace lethe::bench {

struct OpsBenchOptions {
  int threads = 0;                 // OpenMP threads; 0: all
  int64_t gemm_size = 512;         // n of the square (n, n) x (n, n) GEMMs, NN, NT and TN
  std::string config = "mnist-s";  // the U-Net preset whose convolutions are timed
  int64_t batch = 128;             // N of the convolutions' (N, Cin, H, W) input
  std::string only;                // convolution shapes whose name contains this; all when empty
  bool list = false;               // print the convolution shapes, one per line, and time nothing
  bool fp32_only = false;          // without it, each pass is also timed under bf16 math (where
                                   // the CPU has AVX-512 BF16)
};

// The convolutions are the distinct ones of one forward pass of `config` (read from its profile),
// named "<k>x<k> <Cin>-><Cout> <H>x<W>[ /2]", largest kernel, then largest image first. Each is
// timed on the path the backend picks and, where that is the direct or implicit convolution, also
// on the im2col + GEMM path it replaced, and under bf16 math (cpu/gemm.h: MatmulMath) against the
// bf16 dot-product peak, with its speed-up over fp32. Sets the OpenMP thread count.
void run_ops_bench(const OpsBenchOptions& options);

}  // namespace lethe::bench
