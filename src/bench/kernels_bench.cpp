// lethe::bench::run_kernels_bench: the CUDA kernels against cuBLAS / cuDNN and the device's
// measured peaks. Without the CUDA backend, only the function that says so.
#include "lethe/bench/kernels_bench.h"

#include "lethe/core/error.h"

#ifdef LETHE_WITH_CUDA
#include <cstdio>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "lethe/core/cuda_runtime.h"
#include "lethe/cuda/attention.h"
#include "lethe/cuda/conv.h"
#include "lethe/cuda/device_peak.h"
#include "lethe/cuda/elementwise.h"
#include "lethe/cuda/gemm.h"
#include "lethe/cuda/group_norm.h"
#include "lethe/cuda/kernel_selection.h"
#include "lethe/cuda/optimizer.h"
#include "lethe/cuda/softmax.h"
#include "lethe/cuda/timing.h"
#include "lethe/cuda/vendor_conv.h"
#include "lethe/cuda/vendor_gemm.h"
#endif

namespace lethe::bench {

#ifdef LETHE_WITH_CUDA

namespace {

using cuda::Target;

// Uniform random floats in device memory, freed on scope exit.
class DeviceFloats {
 public:
  explicit DeviceFloats(int64_t count, uint32_t seed = 1) : count_(count) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> values(count);
    for (float& value : values) value = uniform(rng);
    data_ = static_cast<float*>(cuda::raw_allocate(count * sizeof(float)));
    cuda::copy(data_, values.data(), count * sizeof(float), cuda::CopyKind::host_to_device);
  }
  ~DeviceFloats() { cuda::raw_release_ignoring_errors(data_); }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  float* get() const { return data_; }

 private:
  int64_t count_;
  float* data_ = nullptr;
};

struct Bench {
  cuda::DevicePeaks peaks;
  int repeats;
  cuda::Float32Math math;
  // The GEMM and convolution lines' peak: fp32 FMA, or TF32 tensor cores.
  double compute_peak_tflops() const {
    return math == cuda::Float32Math::tf32 ? peaks.tf32_tflops : peaks.fma_tflops;
  }
  std::string math_suffix() const { return math == cuda::Float32Math::tf32 ? " tf32" : ""; }
  double milliseconds(const std::function<void()>& body) const {
    return cuda::best_gpu_milliseconds(repeats, true, body);
  }
};

// One compute-bound line: hand-written against the vendor library.
void print_compute(const Bench& bench, const std::string& what, double flops, double hand_ms,
                   double vendor_ms, const char* vendor) {
  auto tflops = [&](double ms) { return flops / (ms * 1e-3) * 1e-12; };
  std::printf(
      "%-34s hand %8.3f ms %6.2f TFLOP/s %5.1f%% | %-6s %8.3f ms %6.2f TFLOP/s %5.1f%% | "
      "hand/%s %5.2fx\n",
      (what + bench.math_suffix()).c_str(), hand_ms, tflops(hand_ms),
      100 * tflops(hand_ms) / bench.compute_peak_tflops(), vendor, vendor_ms, tflops(vendor_ms),
      100 * tflops(vendor_ms) / bench.compute_peak_tflops(), vendor, hand_ms / vendor_ms);
}

void bench_gemm(const Bench& bench, int64_t n) {
  DeviceFloats a(n * n, 1), b(n * n, 2), c(n * n, 3);
  const double hand = bench.milliseconds([&] {
    cuda::sgemm<Target::native>(false, false, n, n, n, 1.0f, a.get(), n, b.get(), n, 0.0f, c.get(),
                                n, cuda::GemmTiling::automatic, bench.math);
  });
  const double vendor = bench.milliseconds([&] {
    cuda::cublas_sgemm(false, false, n, n, n, 1.0f, a.get(), n, b.get(), n, 0.0f, c.get(), n,
                       bench.math);
  });
  print_compute(bench, "sgemm NN " + std::to_string(n) + "^3", 2.0 * n * n * n, hand, vendor,
                "cuBLAS");
}

struct ConvCase {
  const char* name;
  int64_t in_channels, out_channels, size, kernel, stride;
};

void bench_conv(const Bench& bench, const ConvCase& shape, int64_t batch) {
  const ConvGeometry g{batch,        shape.in_channels,  shape.size,
                       shape.size,   shape.out_channels, shape.kernel,
                       shape.kernel, shape.stride,       shape.kernel / 2};
  DeviceFloats x(batch * g.in_channels * g.height * g.width, 1),
      weight(g.out_channels * g.patch(), 2), bias(g.out_channels, 3),
      y(batch * g.out_channels * g.out_h() * g.out_w(), 4),
      grad_x(batch * g.in_channels * g.height * g.width, 5), grad_w(g.out_channels * g.patch(), 6),
      grad_b(g.out_channels, 7);
  const double flops = 2.0 * batch * g.out_channels * g.patch() * g.out_h() * g.out_w();
  const std::string name = std::string("conv ") + shape.name;
  print_compute(bench, name + " fwd", flops, bench.milliseconds([&] {
    cuda::conv2d_forward<Target::native>(g, x.get(), weight.get(), bias.get(), y.get(), bench.math);
  }),
                bench.milliseconds([&] {
                  cuda::cudnn_conv2d_forward(g, x.get(), weight.get(), bias.get(), y.get(),
                                             bench.math);
                }),
                "cuDNN");
  print_compute(bench, name + " bwd-data", flops, bench.milliseconds([&] {
    cuda::conv2d_backward_input<Target::native>(g, y.get(), weight.get(), grad_x.get(), bench.math);
  }),
                bench.milliseconds([&] {
                  cuda::cudnn_conv2d_backward_input(g, y.get(), weight.get(), grad_x.get(),
                                                    bench.math);
                }),
                "cuDNN");
  print_compute(bench, name + " bwd-weight", flops, bench.milliseconds([&] {
    cuda::conv2d_backward_weight<Target::native>(g, y.get(), x.get(), grad_w.get(), grad_b.get(),
                                                 bench.math);
  }),
                bench.milliseconds([&] {
                  cuda::cudnn_conv2d_backward_weight(g, y.get(), x.get(), grad_w.get(),
                                                     grad_b.get(), bench.math);
                }),
                "cuDNN");
}

// One memory-bound line: `bytes` is the least traffic the op needs (each input read once, each
// output written once).
void print_memory(const Bench& bench, const char* what, double bytes, double ms) {
  const double gbs = bytes / (ms * 1e-3) * 1e-9;
  std::printf("%-34s hand %8.3f ms %8.1f GB/s %5.1f%% of copy bandwidth\n", what, ms, gbs,
              100 * gbs / bench.peaks.copy_gbs);
}

void bench_memory_bound(const Bench& bench, int64_t batch) {
  const int64_t channels = 32, spatial = 28 * 28, n = batch * channels * spatial;
  DeviceFloats a(n, 1), b(n, 2), out(n, 3), bias(channels, 4), mean(batch * 8, 5),
      rstd(batch * 8, 6), grad(n, 7);
  const Shape shape{batch, channels, 28, 28};
  print_memory(bench, "add (B,32,28,28)", 3.0 * n * 4, bench.milliseconds([&] {
    cuda::binary_broadcast<Target::native>(BinaryOp::add, a.get(), shape, b.get(), shape, out.get(),
                                           shape);
  }));
  print_memory(bench, "bias + SiLU (B,32,28,28)", 2.0 * n * 4, bench.milliseconds([&] {
    cuda::bias_silu<Target::native>(a.get(), bias.get(), out.get(), batch, channels, spatial);
  }));
  const GroupNormGeometry groups{batch, channels, spatial, 8};
  print_memory(bench, "group norm fwd (B,32,784) G=8", 2.0 * n * 4, bench.milliseconds([&] {
    cuda::group_norm_forward<Target::native>(groups, a.get(), bias.get(), bias.get(), 1e-5,
                                             out.get(), mean.get(), rstd.get());
  }));
  print_memory(bench, "group norm bwd (B,32,784) G=8", 3.0 * n * 4, bench.milliseconds([&] {
    cuda::group_norm_backward<Target::native>(groups, a.get(), bias.get(), mean.get(), rstd.get(),
                                              b.get(), out.get(), grad.get(), grad.get() + 64);
  }));
  print_memory(bench, "group norm + SiLU fwd (B,32,784)", 2.0 * n * 4, bench.milliseconds([&] {
    cuda::group_norm_forward<Target::native>(groups, a.get(), bias.get(), bias.get(), 1e-5,
                                             out.get(), mean.get(), rstd.get(), true);
  }));
  print_memory(bench, "group norm + SiLU bwd (B,32,784)", 3.0 * n * 4, bench.milliseconds([&] {
    cuda::group_norm_backward<Target::native>(groups, a.get(), bias.get(), mean.get(), rstd.get(),
                                              b.get(), out.get(), grad.get(), grad.get() + 64, true,
                                              bias.get());
  }));
  const AxisGeometry rows{batch * 4 * 49, 49, 1};  // 7x7 attention scores, 4 heads
  print_memory(bench, "softmax fwd (B*4*49, 49)", 2.0 * rows.outer * 49 * 4,
               bench.milliseconds([&] {
                 cuda::softmax_forward<Target::native>(rows, a.get(), out.get(), false);
               }));
  const int64_t params = int64_t{1} << 22;
  DeviceFloats weights(params, 8), grads(params, 9), m(params, 10), v(params, 11);
  print_memory(bench, "adam (4M parameters)", 7.0 * params * 4, bench.milliseconds([&] {
    cuda::adam_update<Target::native>(weights.get(), grads.get(), m.get(), v.get(), params, 1e-4,
                                      0.9, 0.999, 1e-8, 10);
  }));
}

// C(M,N) = alpha * op(A) op(B): the hand-written SGEMM or cuBLAS, in the bench's math.
using Sgemm = std::function<void(bool, bool, int64_t, int64_t, int64_t, float, const float*,
                                 int64_t, const float*, int64_t, float*)>;

// The U-Net's 7x7 attention (64 channels, N = 49), forward then forward + backward: the fused
// kernels against what ops/attention.cpp otherwise runs, per image matmul, softmax, matmul (and
// their VJPs), with the hand-written SGEMM or cuBLAS.
void bench_attention(const Bench& bench, int64_t batch) {
  const int64_t channels = 64, n = 49, image = channels * n, square = n * n;
  const float scale = 0.125f;  // 1 / sqrt(64)
  DeviceFloats q(batch * image, 1), k(batch * image, 2), v(batch * image, 3),
      grad_out(batch * image, 4), out(batch * image, 5), grad_q(batch * image, 6),
      grad_k(batch * image, 7), grad_v(batch * image, 8), weights(batch * square, 9),
      logits(batch * square, 10), grad_weights(batch * square, 11), grad_logits(batch * square, 12);
  const cuda::AttentionGeometry g{batch, channels, n, scale};
  const AxisGeometry rows{batch * n, n, 1};
  auto fused_forward = [&] {
    cuda::attention_forward<Target::native>(g, q.get(), k.get(), v.get(), weights.get(), out.get());
  };
  auto fused_backward = [&] {
    cuda::attention_backward<Target::native>(g, q.get(), k.get(), v.get(), weights.get(),
                                             grad_out.get(), grad_q.get(), grad_k.get(),
                                             grad_v.get());
  };
  // weights_b = softmax(scale q_b^T k_b); out_b = v_b weights_b^T.
  auto composite_forward = [&](const Sgemm& sgemm) {
    for (int64_t b = 0; b < batch; ++b) {
      sgemm(true, false, n, n, channels, scale, q.get() + b * image, n, k.get() + b * image, n,
            logits.get() + b * square);
    }
    cuda::softmax_forward<Target::native>(rows, logits.get(), weights.get(), false);
    for (int64_t b = 0; b < batch; ++b) {
      sgemm(false, true, channels, n, n, 1.0f, v.get() + b * image, n, weights.get() + b * square,
            n, out.get() + b * image);
    }
  };
  // dW_b = dO_b^T v_b, dv_b = dO_b W_b, dlogits = softmax VJP, dq_b = scale k_b dlogits_b^T,
  // dk_b = scale q_b dlogits_b.
  auto composite_backward = [&](const Sgemm& sgemm) {
    for (int64_t b = 0; b < batch; ++b) {
      sgemm(true, false, n, n, channels, 1.0f, grad_out.get() + b * image, n, v.get() + b * image,
            n, grad_weights.get() + b * square);
      sgemm(false, false, channels, n, n, 1.0f, grad_out.get() + b * image, n,
            weights.get() + b * square, n, grad_v.get() + b * image);
    }
    cuda::softmax_backward<Target::native>(rows, weights.get(), grad_weights.get(),
                                           grad_logits.get(), false);
    for (int64_t b = 0; b < batch; ++b) {
      sgemm(false, true, channels, n, n, scale, k.get() + b * image, n,
            grad_logits.get() + b * square, n, grad_q.get() + b * image);
      sgemm(false, false, channels, n, n, scale, q.get() + b * image, n,
            grad_logits.get() + b * square, n, grad_k.get() + b * image);
    }
  };
  const Sgemm hand = [&](bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                         const float* A, int64_t lda, const float* B, int64_t ldb, float* C) {
    cuda::sgemm<Target::native>(ta, tb, M, N, K, alpha, A, lda, B, ldb, 0.0f, C, N,
                                cuda::GemmTiling::automatic, bench.math);
  };
  const Sgemm vendor = [&](bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                           const float* A, int64_t lda, const float* B, int64_t ldb, float* C) {
    cuda::cublas_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, 0.0f, C, N, bench.math);
  };
  const double fused[2] = {bench.milliseconds(fused_forward), bench.milliseconds([&] {
                             fused_forward();
                             fused_backward();
                           })};
  const std::pair<const char*, const Sgemm*> baselines[] = {{"hand SGEMM", &hand},
                                                            {"cuBLAS", &vendor}};
  for (const auto& [name, sgemm] : baselines) {
    const double composite[2] = {bench.milliseconds([&] { composite_forward(*sgemm); }),
                                 bench.milliseconds([&] {
                                   composite_forward(*sgemm);
                                   composite_backward(*sgemm);
                                 })};
    for (int pass = 0; pass < 2; ++pass) {
      std::printf(
          "attention 64ch N=49 %-9s fused %8.3f ms | matmul+softmax (%s) %8.3f ms | "
          "fused/unfused %5.2fx\n",
          pass == 0 ? "fwd" : "fwd+bwd", fused[pass], name, composite[pass],
          fused[pass] / composite[pass]);
    }
  }
}

const ConvCase kUnetConvs[] = {
    {"3x3 32->32 @28", 32, 32, 28, 3, 1},    {"3x3 64->64 @14", 64, 64, 14, 3, 1},
    {"3x3 128->64 @14", 128, 64, 14, 3, 1},  {"3x3 64->64 @7", 64, 64, 7, 3, 1},
    {"3x3 32->32 @28 /2", 32, 32, 28, 3, 2}, {"1x1 96->64 @14", 96, 64, 14, 1, 1},
};

// Runs the GEMMs and convolutions through cuda::selected under --kernels and, for auto, prints
// what it measured and picked per shape.
void bench_selected(const Bench& bench, const KernelsBenchOptions& options) {
  cuda::set_kernel_source(cuda::parse_kernel_source(options.kernels));
  cuda::set_float32_math(bench.math);
  std::printf("selected implementations (--kernels %s --precision %s):\n", options.kernels.c_str(),
              options.precision.c_str());
  for (int64_t n : {512, 1024, 4096}) {
    DeviceFloats a(n * n, 1), b(n * n, 2), c(n * n, 3);
    const double ms = bench.milliseconds([&] {
      cuda::selected::sgemm(false, false, n, n, n, 1.0f, a.get(), n, b.get(), n, 0.0f, c.get(), n);
    });
    std::printf("  sgemm NN %lld^3: %.3f ms\n", static_cast<long long>(n), ms);
  }
  for (const ConvCase& shape : kUnetConvs) {
    const ConvGeometry g{options.batch, shape.in_channels,  shape.size,
                         shape.size,    shape.out_channels, shape.kernel,
                         shape.kernel,  shape.stride,       shape.kernel / 2};
    DeviceFloats x(g.batch * g.in_channels * g.height * g.width, 1),
        weight(g.out_channels * g.patch(), 2),
        y(g.batch * g.out_channels * g.out_h() * g.out_w(), 3),
        grad_x(g.batch * g.in_channels * g.height * g.width, 4),
        grad_w(g.out_channels * g.patch(), 5);
    const double ms = bench.milliseconds([&] {
      cuda::selected::conv2d_forward(g, x.get(), weight.get(), nullptr, y.get());
      cuda::selected::conv2d_backward_input(g, y.get(), weight.get(), grad_x.get());
      cuda::selected::conv2d_backward_weight(g, y.get(), x.get(), grad_w.get(), nullptr);
    });
    std::printf("  conv %s fwd + bwd-data + bwd-weight: %.3f ms\n", shape.name, ms);
  }
  for (const cuda::AutomaticChoice& choice : cuda::automatic_choices()) {
    std::printf("  auto: %-62s hand %.3f ms, vendor %.3f ms -> %s\n", choice.shape.c_str(),
                choice.hand_ms, choice.vendor_ms, cuda::kernel_source_name(choice.chosen));
  }
}

}  // namespace

void run_kernels_bench(const KernelsBenchOptions& options) {
  cuda::parse_kernel_source(options.kernels);
  const cuda::Float32Math math = cuda::parse_float32_math(options.precision);
  LETHE_CHECK(cuda::device_count() > 0,
              "kernels bench: no CUDA device is visible (driver missing or no GPU); the "
              "kernels can only be timed on a GPU");
  const Bench bench{cuda::measure_device_peaks(), options.repeats, math};
  std::printf(
      "device: %s, %d SMs; measured fp32 FMA peak %.1f TFLOP/s, TF32 tensor-core peak %.1f "
      "TFLOP/s, copy %.0f GB/s (theoretical %.0f GB/s); times: best of %d, L2 flushed\n",
      bench.peaks.name.c_str(), bench.peaks.multiprocessors, bench.peaks.fma_tflops,
      bench.peaks.tf32_tflops, bench.peaks.copy_gbs, bench.peaks.theoretical_gbs, bench.repeats);
  for (int64_t n : {512, 1024, 4096}) bench_gemm(bench, n);
  std::printf("convolutions at batch %lld (FLOPs of the direct convolution):\n",
              static_cast<long long>(options.batch));
  for (const ConvCase& shape : kUnetConvs) bench_conv(bench, shape, options.batch);
  std::printf("memory-bound kernels at batch %lld:\n", static_cast<long long>(options.batch));
  bench_memory_bound(bench, options.batch);
  std::printf("attention at batch %lld:\n", static_cast<long long>(options.batch));
  bench_attention(bench, options.batch);
  bench_selected(bench, options);
}

#else

void run_kernels_bench(const KernelsBenchOptions&) {
  fail(
      "kernels bench: this build has no CUDA backend (no CUDA toolkit was found at "
      "configure time, or it was configured with -DLETHE_CUDA=OFF)");
}

#endif

}  // namespace lethe::bench
