// Checkpoints in the safetensors format, readable by PyTorch's `safetensors` package and back:
//
//   [8 bytes]  N, the header length, unsigned little-endian
//   [N bytes]  JSON header, padded with spaces to a multiple of 8 bytes:
//              {"__metadata__": {"key": "value", ...},
//               "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//   [rest]     the data buffer: each tensor's bytes, row-major, little-endian, at [begin, end)
//              relative to the buffer's start; the tensors cover the buffer exactly, no holes.
//
// Dtypes: F32, F64, F16, BF16, I32, I64, U8 (Lethe's f32, f64, f16, bf16, i32, i64, u8).
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lethe/core/tensor.h"

namespace lethe {

struct SafetensorsFile {
  std::string path;                                     // where it was loaded from
  std::vector<std::pair<std::string, Tensor>> tensors;  // on the cpu, in the file's data order
  std::map<std::string, std::string> metadata;          // the header's "__metadata__"

  bool contains(const std::string& name) const;
  const Tensor& at(const std::string& name) const;  // throws naming the file and the tensor
};

// Reads and validates a whole file; any malformed, truncated or inconsistent file throws a
// lethe::Error that names the file and the problem.
SafetensorsFile load_safetensors(const std::string& path);

// Writes `tensors` in the given order (tensors on cuda are copied to the host first). Atomic: the
// file appears complete under `path` or not at all, and a failed overwrite keeps the old file.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace lethe
