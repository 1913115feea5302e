// The GPU's own peaks, measured (native only): what `lethe bench kernels` reports kernels against.
#pragma once
#include <string>

namespace lethe::cuda {

struct DevicePeaks {
  std::string name;
  int multiprocessors;
  double fma_tflops;       // fp32 FMA throughput of kernels/peak.cu's micro-kernel
  double tf32_tflops;      // TF32 tensor-core (m16n16k8) throughput of its micro-kernel
  double copy_gbs;         // bytes read + written per second by a 1 GiB device-to-device copy
  double theoretical_gbs;  // 2 * memory clock * bus width, from the device attributes
};

DevicePeaks measure_device_peaks();

}  // namespace lethe::cuda
