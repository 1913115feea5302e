// lethe::bench::run_audit: parses the ptxas report (-Xptxas -v) of the CUDA build and prints each
// sm_90 kernel's resources and theoretical occupancy.
#include "lethe/bench/audit.h"

#include <cxxabi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include "lethe/core/error.h"
#include "lethe/cuda/kernel_blocks.h"

namespace lethe::bench {
namespace {

namespace fs = std::filesystem;

struct KernelResources {
  int registers = 0;
  long long spill_stores = 0, spill_loads = 0, shared_bytes = 0;
};

// sm_90 limits per SM, and the allocation rules of the CUDA occupancy calculator.
constexpr int kRegistersPerSm = 65536, kRegisterAllocationUnit = 256;  // registers, per warp
constexpr int kSharedPerSm = 228 * 1024, kSharedReservedPerBlock = 1024, kSharedUnit = 128;
constexpr int kWarpsPerSm = 64, kBlocksPerSm = 32, kWarpSize = 32;

struct Occupancy {
  int blocks_per_sm;
  double fraction;
  const char* limiter;
};

Occupancy occupancy_sm90(const KernelResources& k, int threads) {
  const int warps = (threads + kWarpSize - 1) / kWarpSize;
  const int registers_per_warp = (k.registers * kWarpSize + kRegisterAllocationUnit - 1) /
                                 kRegisterAllocationUnit * kRegisterAllocationUnit;
  const int by_registers =
      registers_per_warp == 0 ? kBlocksPerSm : kRegistersPerSm / registers_per_warp / warps;
  const long long shared_per_block =
      (k.shared_bytes + kSharedReservedPerBlock + kSharedUnit - 1) / kSharedUnit * kSharedUnit;
  const int by_shared = static_cast<int>(kSharedPerSm / shared_per_block);
  const int by_threads = kWarpsPerSm / warps;
  const int blocks = std::min({kBlocksPerSm, by_registers, by_shared, by_threads});
  const char* limiter = blocks == by_registers ? "registers"
                        : blocks == by_shared  ? "shared memory"
                        : blocks == by_threads ? "threads"
                                               : "blocks";
  return {blocks, static_cast<double>(blocks * warps) / kWarpsPerSm, limiter};
}

// "void lethe::kernels::native::f<lethe::kernels::native::T<1>, true>(args)" -> "f<T<1>, true>".
std::string readable_name(const std::string& mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), std::free);
  std::string name = status == 0 ? demangled.get() : mangled;
  if (name.rfind("void ", 0) == 0) name.erase(0, 5);
  int depth = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    if (name[i] == '>') --depth;
    if (name[i] == '(' && depth == 0) {
      name.resize(i);
      break;
    }
  }
  for (const std::string prefix : {"lethe::kernels::native::", "lethe::kernels::"}) {
    for (size_t at; (at = name.find(prefix)) != std::string::npos;) name.erase(at, prefix.size());
  }
  return name;
}

// Kernels of `arch` in every report file, by mangled name.
std::map<std::string, KernelResources> parse_reports(const fs::path& directory,
                                                     const std::string& arch) {
  LETHE_CHECK(fs::is_directory(directory), "audit: no ptxas report at ", directory.string(),
              " (it is written by a CUDA build: configure with nvcc present and build; or give "
              "the directory of another report)");
  const std::regex entry(R"(Compiling entry function '([^']+)' for '([^']+)')");
  const std::regex spills(R"((\d+) bytes spill stores, (\d+) bytes spill loads)");
  const std::regex used(R"(Used (\d+) registers)");
  const std::regex shared(R"((\d+) bytes smem)");
  std::map<std::string, KernelResources> kernels;
  for (const fs::directory_entry& file : fs::directory_iterator(directory)) {
    if (file.path().extension() != ".txt") continue;
    std::ifstream in(file.path());
    std::string line;
    KernelResources* current = nullptr;
    for (std::smatch match; std::getline(in, line);) {
      if (std::regex_search(line, match, entry)) {
        current = match[2] == arch ? &kernels[match[1]] : nullptr;
      } else if (current != nullptr && std::regex_search(line, match, spills)) {
        current->spill_stores = std::stoll(match[1]), current->spill_loads = std::stoll(match[2]);
      } else if (current != nullptr && std::regex_search(line, match, used)) {
        current->registers = std::stoi(match[1]);
        if (std::regex_search(line, match, shared)) current->shared_bytes = std::stoll(match[1]);
      }
    }
  }
  LETHE_CHECK(!kernels.empty(), "audit: the ptxas report in ", directory.string(), " has no ", arch,
              " kernels (was the CUDA build compiled for ", arch, "?)");
  return kernels;
}

fs::path default_report_directory() {
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path("ptxas") : executable.parent_path() / "ptxas";
}

}  // namespace

void run_audit(const AuditOptions& options) {
  const fs::path directory = options.report_directory.empty() ? default_report_directory()
                                                              : fs::path(options.report_directory);
  const auto kernels = parse_reports(directory, "sm_90");
  std::printf("ptxas report %s, sm_90 (occupancy: H100 limits per SM)\n", directory.c_str());
  std::printf("%-62s %5s %13s %8s %7s %7s %10s\n", "kernel", "regs", "spill st/ld B", "smem B",
              "threads", "blk/SM", "occupancy");
  for (const auto& [mangled, resources] : kernels) {
    const std::string name = readable_name(mangled);
    const int threads = cuda::block_threads_of(name.substr(0, name.find('<')));
    std::printf("%-62s %5d %6lld/%-6lld %8lld ", name.c_str(), resources.registers,
                resources.spill_stores, resources.spill_loads, resources.shared_bytes);
    if (threads == 0) {
      std::printf("%7s %7s %10s\n", "?", "?", "?");
      continue;
    }
    const Occupancy occupancy = occupancy_sm90(resources, threads);
    std::printf("%7d %7d %9.0f%% (%s)\n", threads, occupancy.blocks_per_sm,
                100 * occupancy.fraction, occupancy.limiter);
  }
}

}  // namespace lethe::bench
