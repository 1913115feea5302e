// The CUDA resource audit (`lethe audit`): the ptxas resource report of the CUDA build (-Xptxas -v,
// kept per source file in <build>/ptxas/*.txt by src/cuda/capture_ptxas_report.sh). Prints a
// header line, then one line per sm_90 kernel: registers, spill stores/loads, static shared memory,
// threads per block (from the table in lethe/cuda/kernel_blocks.h; the report does not record
// them; "?" where the table lacks the kernel) and the theoretical occupancy on sm_90 (H100: 65536
// registers, 228 KB shared memory, 2048 threads, 32 blocks per SM) with what limits it. Needs no
// GPU, only the build's report.
#pragma once
#include <string>

namespace lethe::bench {

struct AuditOptions {
  std::string report_directory;  // the ptxas report's directory; empty: ptxas/ beside the binary
};

// Throws lethe::Error when the directory is missing or its report has no sm_90 kernels.
void run_audit(const AuditOptions& options);

}  // namespace lethe::bench
