// Shared pieces of the CUDA kernel tests: buffers that live on a kernel target (host memory for the
// emulator, device memory for a GPU), random inputs, the normalised-MSE parity measure, and a macro
// that registers one parity check twice: emulated (always) and native (CUDA builds; skipped with a
// message when no GPU is visible). Run them all with `lethe_tests -tc="cuda*"`.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "lethe/cuda/target.h"
#ifdef LETHE_WITH_CUDA
#include "lethe/core/cuda_runtime.h"
#endif

namespace lethe::cuda::testing {

constexpr double kParityTolerance = 1e-7;  // normalised MSE bound for fp32 kernels

// Values of type T (floats by default) on a kernel target. Uploads a host vector or starts as NaN
// (zero for integers); download() copies back.
template <Target target, class T = float>
class TargetBuffer {
 public:
  explicit TargetBuffer(const std::vector<T>& values) : count_(values.size()) {
    if constexpr (target == Target::emulated) {
      host_ = values;
    } else {
      upload(values);
    }
  }
  explicit TargetBuffer(size_t count)
      : TargetBuffer(std::vector<T>(count, std::numeric_limits<T>::quiet_NaN())) {}
  ~TargetBuffer() {
#ifdef LETHE_WITH_CUDA
    if constexpr (target == Target::native) raw_release(device_);
#endif
  }
  TargetBuffer(const TargetBuffer&) = delete;
  TargetBuffer& operator=(const TargetBuffer&) = delete;

  T* data() {
    return target == Target::emulated ? host_.data() : device_;
  }
  std::vector<T> download() const {
    if constexpr (target == Target::emulated) return host_;
    std::vector<T> values(count_);
#ifdef LETHE_WITH_CUDA
    copy(values.data(), device_, count_ * sizeof(T), CopyKind::device_to_host);
#endif
    return values;
  }

 private:
  void upload(const std::vector<T>& values) {
#ifdef LETHE_WITH_CUDA
    device_ = static_cast<T*>(raw_allocate(std::max<size_t>(count_, 1) * sizeof(T)));
    copy(device_, values.data(), count_ * sizeof(T), CopyKind::host_to_device);
#endif
  }

  size_t count_;
  std::vector<T> host_;
  T* device_ = nullptr;
};

inline std::vector<float> random_values(size_t count, std::mt19937& rng, float low = -1.0f,
                                        float high = 1.0f) {
  std::uniform_real_distribution<float> uniform(low, high);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(rng);
  return values;
}

// sum (actual - expected)^2 / sum expected^2 in double; infinite on a size mismatch or NaN.
inline double normalised_mse(const std::vector<float>& actual, const std::vector<float>& expected) {
  if (actual.size() != expected.size()) return std::numeric_limits<double>::infinity();
  double error = 0, reference = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double difference = static_cast<double>(actual[i]) - expected[i];
    error += difference * difference;
    reference += static_cast<double>(expected[i]) * expected[i];
  }
  if (error != error) return std::numeric_limits<double>::infinity();
  return reference == 0 ? error : error / reference;
}

inline bool native_gpu_available() {
#ifdef LETHE_WITH_CUDA
  return device_count() > 0;
#else
  return false;
#endif
}

}  // namespace lethe::cuda::testing

// LETHE_CUDA_PARITY_TEST("elementwise", check_elementwise) registers check_elementwise<emulated>
// as "cuda emulated: elementwise" and, in CUDA builds, check_elementwise<native> as
// "cuda native: elementwise".
#define LETHE_CUDA_EMULATED_TEST(name, check) \
  TEST_CASE("cuda emulated: " name) {         \
    check<::lethe::cuda::Target::emulated>(); \
  }
#ifdef LETHE_WITH_CUDA
#define LETHE_CUDA_PARITY_TEST(name, check)                \
  LETHE_CUDA_EMULATED_TEST(name, check)                    \
  TEST_CASE("cuda native: " name) {                        \
    if (!::lethe::cuda::testing::native_gpu_available()) { \
      MESSAGE("skipped: no CUDA device visible");          \
      return;                                              \
    }                                                      \
    check<::lethe::cuda::Target::native>();                \
  }
#else
#define LETHE_CUDA_PARITY_TEST(name, check) LETHE_CUDA_EMULATED_TEST(name, check)
#endif
