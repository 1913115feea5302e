#include "lethe/cuda/kernel_selection.h"

#include <functional>
#include <map>
#include <sstream>

#include "lethe/cuda/conv.h"
#include "lethe/cuda/gemm.h"
#include "lethe/cuda/timing.h"
#include "lethe/cuda/vendor_conv.h"
#include "lethe/cuda/vendor_gemm.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {
namespace {

constexpr int kTimedRuns = 3;

KernelSource& current_source() {
  static KernelSource source = KernelSource::automatic;
  return source;
}

Float32Math& current_math() {
  static Float32Math math = Float32Math::fp32;
  return math;
}

// The math a GEMM or convolution launches with; bf16 has no CUDA kernels yet.
Float32Math math_for_launch() {
  const Float32Math math = current_math();
  if (math == Float32Math::bf16) {
    fail(
        "bf16 GEMMs and convolutions are not implemented on CUDA yet (the CPU runs them); use "
        "--precision fp32 or tf32 with --device cuda");
  }
  return math;
}

// The automatic choices made so far: by shape, and in first-seen order for reporting.
struct ChoiceLog {
  std::map<std::string, size_t> index_of_shape;
  std::vector<AutomaticChoice> choices;
};
ChoiceLog& choice_log() {
  static ChoiceLog log;
  return log;
}

// The source to run `shape` with. Under `automatic`, the first call for a shape times
// time_hand() and time_vendor(), which must write only scratch memory or the op's own outputs
// (the real run overwrites them).
KernelSource source_for(const std::string& shape, const std::function<void()>& time_hand,
                        const std::function<void()>& time_vendor) {
  if (current_source() != KernelSource::automatic) return current_source();
  ChoiceLog& log = choice_log();
  auto found = log.index_of_shape.find(shape);
  if (found == log.index_of_shape.end()) {
    const double hand_ms = best_gpu_milliseconds(kTimedRuns, true, time_hand);
    const double vendor_ms = best_gpu_milliseconds(kTimedRuns, true, time_vendor);
    const KernelSource faster = hand_ms <= vendor_ms ? KernelSource::hand : KernelSource::vendor;
    found = log.index_of_shape.emplace(shape, log.choices.size()).first;
    log.choices.push_back({shape, hand_ms, vendor_ms, faster});
  }
  return log.choices[found->second].chosen;
}

// The same, for ops whose outputs are overwritten (never accumulated into): the timing runs are
// the real calls.
void run_selected(const std::string& shape, const std::function<void()>& hand,
                  const std::function<void()>& vendor) {
  if (source_for(shape, hand, vendor) == KernelSource::hand) {
    hand();
  } else {
    vendor();
  }
}

std::string conv_shape_name(const char* direction, const ConvGeometry& g) {
  std::ostringstream text;
  text << "conv2d " << direction << " x(" << g.batch << "," << g.in_channels << "," << g.height
       << "," << g.width << ") w(" << g.out_channels << "," << g.in_channels << "," << g.kernel_h
       << "," << g.kernel_w << ") /" << g.stride << " pad " << g.padding << " "
       << float32_math_name(current_math());
  return text.str();
}

}  // namespace

KernelSource parse_kernel_source(std::string_view name) {
  if (name == "hand") return KernelSource::hand;
  if (name == "vendor") return KernelSource::vendor;
  if (name == "auto") return KernelSource::automatic;
  fail("unknown GPU kernel source '", name, "' (expected hand, vendor or auto)");
}

const char* kernel_source_name(KernelSource source) {
  switch (source) {
    case KernelSource::hand:
      return "hand";
    case KernelSource::vendor:
      return "vendor";
    case KernelSource::automatic:
      return "auto";
  }
  return "?";
}

Float32Math parse_float32_math(std::string_view name) {
  if (name == "fp32") return Float32Math::fp32;
  if (name == "tf32") return Float32Math::tf32;
  if (name == "bf16") return Float32Math::bf16;
  fail("unknown precision '", name, "' (expected fp32, tf32 or bf16)");
}

const char* float32_math_name(Float32Math math) {
  return math == Float32Math::tf32 ? "tf32" : math == Float32Math::bf16 ? "bf16" : "fp32";
}

void set_float32_math(Float32Math math) {
  current_math() = math;
}

void set_kernel_source(KernelSource source) {
  current_source() = source;
}
KernelSource kernel_source() {
  return current_source();
}

std::vector<AutomaticChoice> automatic_choices() {
  return choice_log().choices;
}

namespace selected {

// C may be read (beta != 0), so the timing runs write a scratch matrix of C's layout; its
// contents do not matter for the timing.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  std::ostringstream shape;
  const Float32Math math = math_for_launch();
  shape << "sgemm " << (trans_a ? "T" : "N") << (trans_b ? "T" : "N") << " " << M << "x" << N << "x"
        << K << " " << float32_math_name(math);
  auto hand = [&](float* out) {
    cuda::sgemm<Target::native>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, out, ldc,
                                GemmTiling::automatic, math);
  };
  auto vendor = [&](float* out) {
    cublas_sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, out, ldc, math);
  };
  static Workspace<Target::native> scratch;
  auto scratch_c = [&] {
    return static_cast<float*>(scratch.reserve(((M - 1) * ldc + N) * sizeof(float)));
  };
  const KernelSource source = source_for(
      shape.str(), [&] { hand(scratch_c()); }, [&] { vendor(scratch_c()); });
  if (source == KernelSource::hand) {
    hand(C);
  } else {
    vendor(C);
  }
}

void conv2d_forward(const ConvGeometry& g, const float* x, const float* weight, const float* bias,
                    float* y) {
  const Float32Math math = math_for_launch();
  run_selected(
      conv_shape_name("forward", g),
      [&] { cuda::conv2d_forward<Target::native>(g, x, weight, bias, y, math); },
      [&] { cudnn_conv2d_forward(g, x, weight, bias, y, math); });
}

void conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                           float* grad_x) {
  const Float32Math math = math_for_launch();
  run_selected(
      conv_shape_name("backward-data", g),
      [&] { cuda::conv2d_backward_input<Target::native>(g, grad_y, weight, grad_x, math); },
      [&] { cudnn_conv2d_backward_input(g, grad_y, weight, grad_x, math); });
}

void conv2d_backward_weight(const ConvGeometry& g, const float* grad_y, const float* x,
                            float* grad_weight, float* grad_bias) {
  const Float32Math math = math_for_launch();
  run_selected(
      conv_shape_name("backward-weight", g),
      [&] {
        cuda::conv2d_backward_weight<Target::native>(g, grad_y, x, grad_weight, grad_bias, math);
      },
      [&] { cudnn_conv2d_backward_weight(g, grad_y, x, grad_weight, grad_bias, math); });
}

}  // namespace selected
}  // namespace lethe::cuda
