// Where a result came from: the commit the binary was configured from and the CPU it runs on,
// for the headers of reports and `lethe --version`.
#pragma once
#include <string>

namespace lethe {

// `git describe --always --dirty` of the source tree when CMake last configured the build
// ("unknown" outside a git checkout).
const char* build_commit();

// The CPU's brand string from CPUID (e.g. "AMD EPYC 9R45 96-Core Processor"), "unknown CPU" where
// CPUID has none.
std::string cpu_model_name();

}  // namespace lethe
