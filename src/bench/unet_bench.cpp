// lethe::bench::run_unet_bench: one U-Net training or sampling step on the CPU, timed, counted
// (FLOPs from lethe::profile) and set against the machine's measured FMA peak.
#include "lethe/bench/unet_bench.h"

#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "lethe/core/allocator.h"
#include "lethe/core/autograd.h"
#include "lethe/core/error.h"
#include "lethe/core/profile.h"
#include "lethe/cpu/conv.h"
#include "lethe/cpu/gemm.h"
#include "lethe/cpu/isa.h"
#include "lethe/cpu/peak.h"
#include "lethe/nn/unet.h"
#include "lethe/optim/optimizers.h"

namespace lethe::bench {
namespace {

double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // KiB on Linux
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// One step of the workload of docs/math.md#the-u-net on fixed inputs.
class UnetStep {
 public:
  UnetStep(const UnetBenchOptions& options)
      : init_(0, 0),
        noise_(1, 0),
        model_(UNetConfig::preset(options.config), init_),
        arena_(ParameterArena::pack(model_)),
        adam_(arena_, AdamConfig{}),
        training_(options.mode == "train") {
    const UNetConfig& c = model_.config();
    Generator data(2, 0);
    x_ = data.normal({options.batch, c.in_channels, c.resolution, c.resolution});
    target_ = data.normal(x_.shape());
    t_ = data.uniform({options.batch}, 1e-3, 1);
    labels_ = Tensor::empty({options.batch}, DType::i64);
    for (int64_t i = 0; i < options.batch; ++i)
      labels_.data<int64_t>()[i] = i % (c.num_classes + 1);
    model_.train(training_);
  }

  void run() {
    if (!training_) {
      NoGrad no_grad;
      model_.forward(x_, t_, labels_, noise_);
      return;
    }
    arena_.zero_grad();
    const Tensor loss = mse_loss(model_.forward(x_, t_, labels_, noise_), target_);
    loss.backward();
    const profile::Scope scope("adam", "step", arena_.values.shape(), 0,
                               7.0 * arena_.values.nbytes());
    adam_.step();
  }

 private:
  Generator init_, noise_;
  UNet model_;
  ParameterArena arena_;
  Adam adam_;
  bool training_;
  Tensor x_, target_, t_, labels_;
};

struct Machine {
  double peak_gflops, copy_gbs;
};

void print_layer_table(const std::vector<profile::OpRecord>& records, double step_seconds,
                       const Machine& machine, int top) {
  double profiled = 0;
  std::map<std::string, double> by_op;
  for (const auto& r : records) {
    profiled += r.seconds;
    by_op[r.op] += r.seconds;
  }
  std::vector<std::pair<double, std::string>> ops;
  for (const auto& [op, seconds] : by_op) ops.push_back({seconds, op});
  std::sort(ops.rbegin(), ops.rend());
  std::printf("\ntime per op (one step, %.1f ms):\n", step_seconds * 1e3);
  for (const auto& [seconds, op] : ops) {
    std::printf("  %-34s %8.2f ms %5.1f%%\n", op.c_str(), seconds * 1e3,
                100 * seconds / step_seconds);
  }
  std::printf("  %-34s %8.2f ms %5.1f%%\n", "(outside op scopes)", (step_seconds - profiled) * 1e3,
              100 * (step_seconds - profiled) / step_seconds);

  std::vector<profile::OpRecord> sorted = records;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
  std::printf("\nper layer shape (top %d by time):\n", top);
  std::printf("  %-26s %-36s %5s %8s %6s %10s %7s\n", "op", "input shape [w weight/operand]",
              "calls", "ms", "share", "rate", "% peak");
  for (size_t i = 0; i < sorted.size() && static_cast<int>(i) < top; ++i) {
    const auto& r = sorted[i];
    char rate[32] = "", share_of_peak[16] = "";
    if (r.flops > 0) {
      const double gflops = r.flops / r.seconds * 1e-9;
      std::snprintf(rate, sizeof rate, "%.1f GF/s", gflops);
      std::snprintf(share_of_peak, sizeof share_of_peak, "%.1f%%",
                    100 * gflops / machine.peak_gflops);
    } else if (r.bytes > 0) {
      const double gbs = r.bytes / r.seconds * 1e-9;
      std::snprintf(rate, sizeof rate, "%.1f GB/s", gbs);
      std::snprintf(share_of_peak, sizeof share_of_peak, "%.1f%%c", 100 * gbs / machine.copy_gbs);
    }
    std::printf("  %-26s %-36s %5lld %8.2f %5.1f%% %10s %7s\n", r.op.c_str(), r.shape.c_str(),
                static_cast<long long>(r.calls), r.seconds * 1e3, 100 * r.seconds / step_seconds,
                rate, share_of_peak);
  }
  std::printf("  (%% peak: of the FMA peak for GF/s, of copy bandwidth (c) for GB/s)\n");
}

}  // namespace

void run_unet_bench(const UnetBenchOptions& options) {
  LETHE_CHECK(options.mode == "train" || options.mode == "sample", "U-Net bench: mode '",
              options.mode, "': expected train or sample");
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  omp_set_num_threads(threads);
  cpu::set_im2col_baseline(options.im2col);
  UnetStep step(options);
  const double resident_before = peak_resident_mib();
  // Two warm-up steps: the first fills the allocator's free lists, packing buffers and Adam's
  // moments, the second the blocks its different timing still asks for (first-touch page faults).
  step.run();
  step.run();

  // One profiled step counts the FLOPs (and, with --layers, gives the table).
  profile::set_enabled(true);
  const auto profiled_start = std::chrono::steady_clock::now();
  step.run();
  const double profiled_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - profiled_start).count();
  profile::set_enabled(false);
  const std::vector<profile::OpRecord> records = profile::take_records();
  double flops = 0;
  for (const auto& r : records) flops += r.flops;

  std::vector<double> seconds;
  for (int i = 0; i < options.steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step.run();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double resident_peak = peak_resident_mib();
  // The machine's ceilings last, so that their 256 MiB buffers stay out of the memory peak.
  const Machine machine{cpu::measure_fma_peak_gflops(threads),
                        cpu::measure_copy_bandwidth_gbs(threads)};
  std::printf(
      "bench unet: %s, batch %lld, %s step, %d threads, %s GEMM kernels%s, FMA peak %.1f GFLOP/s, "
      "copy %.1f GB/s\n",
      options.config.c_str(), static_cast<long long>(options.batch), options.mode.c_str(), threads,
      cpu::gemm_isa_name(), options.im2col ? " (conv forward / input gradient on im2col)" : "",
      machine.peak_gflops, machine.copy_gbs);
  const double typical = median(seconds);
  const double gflops = flops / typical * 1e-9;
  std::printf("step: min %.1f ms, median %.1f ms, max %.1f ms over %d steps\n",
              *std::min_element(seconds.begin(), seconds.end()) * 1e3, typical * 1e3,
              *std::max_element(seconds.begin(), seconds.end()) * 1e3, options.steps);
  std::printf("%.1f img/s, %.2f GFLOP per step, %.1f GFLOP/s, %.1f%% of peak\n",
              options.batch / typical, flops * 1e-9, gflops, 100 * gflops / machine.peak_gflops);
  std::printf("peak resident memory %.0f MiB (%.0f MiB before the first step), tensors %.0f MiB\n",
              resident_peak, resident_before,
              allocator_stats(Device::cpu).peak_bytes_in_use / 1048576.0);
  if (options.layers) print_layer_table(records, profiled_seconds, machine, options.top);
}

}  // namespace lethe::bench
