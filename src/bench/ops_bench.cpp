// lethe::bench::run_ops_bench: the CPU GEMM and the U-Net's convolutions against the machine's
// measured FMA peak and copy bandwidth.
#include "lethe/bench/ops_bench.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "lethe/core/autograd.h"
#include "lethe/core/profile.h"
#include "lethe/cpu/conv.h"
#include "lethe/cpu/conv_direct.h"
#include "lethe/cpu/conv_implicit.h"
#include "lethe/cpu/gemm.h"
#include "lethe/cpu/isa.h"
#include "lethe/cpu/peak.h"
#include "lethe/nn/unet.h"
#include "lethe/ops/random.h"

namespace lethe::bench {
namespace {

// Best wall time of at least `repeats` calls, and of as many as fit in kTimedSeconds, after one
// warm-up call (the shared machine is noisy: the best of many calls is the kernel's own speed; a
// 0.2 ms pass timed 10 times moved by a third between runs).
double best_seconds(int repeats, const std::function<void()>& body) {
  constexpr double kTimedSeconds = 0.2;
  body();
  double best = 1e30, total = 0.0;
  for (int i = 0; i < repeats || total < kTimedSeconds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
    total += seconds;
  }
  return best;
}

struct BenchContext {
  int threads;
  double peak_gflops, bf16_peak_gflops, copy_gbs;
  bool bf16;  // also time each pass under bf16 math
};

// `bytes`: what the pass must move at the least (every operand read once, every result written
// once). A pass whose FLOPs per byte times the copy bandwidth is below the peak is bound by
// memory: "of bound" is its share of that lower figure. The peak is the FMA peak, or under bf16
// math the bf16 dot-product peak. Returns the seconds.
double print_line(const BenchContext& context, const char* what, double flops, double bytes,
                  double seconds) {
  const bool bf16 = cpu::matmul_math() == cpu::MatmulMath::bf16;
  const double peak = bf16 ? context.bf16_peak_gflops : context.peak_gflops;
  const double gflops = flops / seconds * 1e-9;
  const double bound_gflops = std::min(peak, flops / bytes * context.copy_gbs);
  std::printf("%-48s %8.2f ms %7.1f GFLOP/s %5.1f%% of peak %6.1f GB/s %5.1f%% of bound\n", what,
              seconds * 1e3, gflops, 100 * gflops / peak, bytes / seconds * 1e-9,
              100 * gflops / bound_gflops);
  return seconds;
}

// Times `body` under bf16 math (when the context asks for it) and prints its line, labelled
// "<what> bf16", then its speed-up over the fp32 time of the same run.
void time_bf16(const BenchContext& context, const char* what, double flops, double bytes,
               int repeats, double fp32_seconds, const std::function<void()>& body) {
  if (!context.bf16) return;
  cpu::set_matmul_math(cpu::MatmulMath::bf16);
  char label[112];
  std::snprintf(label, sizeof label, "%s bf16", what);
  const double seconds = print_line(context, label, flops, bytes, best_seconds(repeats, body));
  cpu::set_matmul_math(cpu::MatmulMath::fp32);
  std::printf("%-48s %8.2fx\n", "  bf16 speed-up over fp32", fp32_seconds / seconds);
}

void bench_gemm(const BenchContext& context, int64_t n) {
  Generator noise(1);
  const Tensor a = noise.normal({n, n}), b = noise.normal({n, n});
  Tensor c = Tensor::empty({n, n});
  const double flops = 2.0 * n * n * n, bytes = 3.0 * n * n * sizeof(float);
  for (auto [ta, tb, name] : {std::tuple{false, false, "NN"}, std::tuple{false, true, "NT"},
                              std::tuple{true, false, "TN"}}) {
    const bool trans_a = ta, trans_b = tb;  // a lambda cannot capture a structured binding
    const auto product = [&] {
      cpu::sgemm(trans_a, trans_b, n, n, n, 1.0f, a.data<float>(), n, b.data<float>(), n, 0.0f,
                 c.data<float>(), n);
    };
    char label[64];
    std::snprintf(label, sizeof label, "sgemm %s %lld^3", name, static_cast<long long>(n));
    const double seconds = print_line(context, label, flops, bytes, best_seconds(5, product));
    time_bf16(context, label, flops, bytes, 5, seconds, product);
  }
}

struct ConvShape {
  int64_t in_channels, out_channels, size, kernel, stride;

  auto key() const { return std::tuple(-kernel, -size, stride, in_channels, out_channels); }
  bool operator<(const ConvShape& other) const { return key() < other.key(); }
  bool operator==(const ConvShape& other) const { return key() == other.key(); }
  std::string name() const {
    char text[64];
    std::snprintf(text, sizeof text, "%lldx%lld %lld->%lld %lldx%lld%s",
                  static_cast<long long>(kernel), static_cast<long long>(kernel),
                  static_cast<long long>(in_channels), static_cast<long long>(out_channels),
                  static_cast<long long>(size), static_cast<long long>(size),
                  stride == 2 ? " /2" : "");
    return text;
  }
};

// The distinct convolutions of the U-Net `config`, read from the profile of one forward pass at
// batch 1 (so the list follows the model, not a hand-kept copy of it): largest kernel, then
// largest image first.
std::vector<ConvShape> unet_conv_shapes(const std::string& config) {
  Generator init(0, 0), dropout_noise(1, 0);
  const UNet model(UNetConfig::preset(config), init);
  const UNetConfig& c = model.config();
  const Tensor x = Tensor::zeros({1, c.in_channels, c.resolution, c.resolution});
  const Tensor t = Tensor::full({1}, 0.5);
  const Tensor labels = Tensor::zeros({1}, DType::i64);
  profile::set_enabled(true);
  {
    NoGrad no_grad;
    model.forward(x, t, c.num_classes > 0 ? labels : Tensor(), dropout_noise);
  }
  profile::set_enabled(false);
  std::vector<ConvShape> shapes;
  for (const profile::OpRecord& record : profile::take_records()) {
    // The two op names of ops/conv.cpp's forward scope.
    const bool plain = record.op == "conv2d forward";
    if (!plain && record.op != "conv2d stride 2 forward") continue;
    const Shape& input = record.first_shape;    // (1, Cin, H, W)
    const Shape& weight = record.second_shape;  // (Cout, Cin, k, k)
    shapes.push_back({input[1], weight[0], input[2], weight[2], plain ? 1 : 2});
  }
  std::sort(shapes.begin(), shapes.end());
  shapes.erase(std::unique(shapes.begin(), shapes.end()), shapes.end());
  return shapes;
}

void bench_conv(const BenchContext& context, const ConvShape& shape, int64_t batch) {
  const std::string name = shape.name();
  const ConvGeometry g{batch,        shape.in_channels,  shape.size,
                       shape.size,   shape.out_channels, shape.kernel,
                       shape.kernel, shape.stride,       shape.kernel / 2};
  Generator noise(2);
  const Tensor x = noise.normal({batch, g.in_channels, g.height, g.width});
  const Tensor w = noise.normal({g.out_channels, g.in_channels, g.kernel_h, g.kernel_w});
  const Tensor bias = noise.normal({g.out_channels});
  Tensor y = Tensor::empty({batch, g.out_channels, g.out_h(), g.out_w()});
  const Tensor grad_y = noise.normal(y.shape());
  Tensor grad_x = Tensor::empty(x.shape()), grad_w = Tensor::empty(w.shape());
  Tensor grad_b = Tensor::empty(bias.shape());
  const double flops = 2.0 * batch * g.out_channels * g.patch() * g.out_h() * g.out_w();
  // Each pass reads two of (x, w, grad_y) and writes the third (with the bias or its gradient).
  const auto bytes_of = [](std::initializer_list<const Tensor*> tensors) {
    double total = 0;
    for (const Tensor* tensor : tensors) total += static_cast<double>(tensor->nbytes());
    return total;
  };
  const double forward_bytes = bytes_of({&x, &w, &bias, &y});
  const double input_bytes = bytes_of({&grad_y, &w, &grad_x});
  const double weight_bytes = bytes_of({&grad_y, &x, &grad_w, &grad_b});
  char label[96];
  // Each pass timed on the path the backend picks; where that is the direct or the implicit
  // convolution, also on the im2col + GEMM path they replaced, in the same run.
  const bool replaced = cpu::direct_conv_applies(g) || cpu::implicit_forward_applies(g);
  const auto time_pass = [&](const char* pass, double bytes, bool has_baseline,
                             const std::function<void()>& body) {
    std::snprintf(label, sizeof label, "conv %s %s", name.c_str(), pass);
    const double seconds = print_line(context, label, flops, bytes, best_seconds(10, body));
    time_bf16(context, label, flops, bytes, 10, seconds, body);
    if (!has_baseline) return;
    cpu::set_im2col_baseline(true);
    std::snprintf(label, sizeof label, "conv %s %s (im2col)", name.c_str(), pass);
    print_line(context, label, flops, bytes, best_seconds(10, body));
    cpu::set_im2col_baseline(false);
  };
  time_pass("forward", forward_bytes, replaced, [&] {
    cpu::conv2d_forward(g, x.data<float>(), w.data<float>(), bias.data<float>(), y.data<float>());
  });
  time_pass("backward-input", input_bytes, replaced, [&] {
    cpu::conv2d_backward_input(g, grad_y.data<float>(), w.data<float>(), grad_x.data<float>());
  });
  time_pass("backward-weight", weight_bytes, false, [&] {
    cpu::conv2d_backward_weight(g, grad_y.data<float>(), x.data<float>(), grad_w.data<float>(),
                                grad_b.data<float>());
  });
}

}  // namespace

void run_ops_bench(const OpsBenchOptions& options) {
  std::vector<ConvShape> shapes = unet_conv_shapes(options.config);
  shapes.erase(std::remove_if(shapes.begin(), shapes.end(),
                              [&](const ConvShape& shape) {
                                return shape.name().find(options.only) == std::string::npos;
                              }),
               shapes.end());
  if (options.list) {
    for (const ConvShape& shape : shapes) std::printf("%s\n", shape.name().c_str());
    return;
  }
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  omp_set_num_threads(threads);
  const bool has_bf16 = cpu::cpu_supports_isa("avx512bf16");
  const BenchContext context{
      threads, cpu::measure_fma_peak_gflops(threads), cpu::measure_bf16_peak_gflops(threads),
      cpu::measure_copy_bandwidth_gbs(threads), !options.fp32_only && has_bf16};
  std::printf(
      "cpu: %s kernels, %d threads, measured FMA peak %.1f GFLOP/s, bf16 dot-product peak %.1f "
      "GFLOP/s%s, copy %.1f GB/s\n",
      cpu::cpu_isa_name(), threads, context.peak_gflops, context.bf16_peak_gflops,
      has_bf16 ? "" : " (no AVX-512 BF16: no bf16 lines)", context.copy_gbs);
  bench_gemm(context, options.gemm_size);
  std::printf("convolutions of %s at batch %lld:\n", options.config.c_str(),
              static_cast<long long>(options.batch));
  for (const ConvShape& shape : shapes) bench_conv(context, shape, options.batch);
}

}  // namespace lethe::bench
