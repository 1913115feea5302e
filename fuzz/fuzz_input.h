// The fuzz targets' shared plumbing: libFuzzer hands bytes, the readers take paths, so each input
// is written to one scratch file per process first. Every target treats lethe::Error as the
// expected outcome of a bad input; anything else (another exception, a crash, a sanitizer report,
// a hang, an allocation past libFuzzer's limit) is a finding.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

namespace lethe::fuzz {

// A scratch path in the temporary directory, the same for every call of this process.
inline std::string scratch_path(const std::string& name) {
  return "/tmp/lethe_fuzz_" + std::to_string(::getpid()) + "_" + name;
}

inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace lethe::fuzz
