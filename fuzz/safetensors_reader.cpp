// libFuzzer target: the safetensors reader (header length, JSON header, dtypes, shapes, offsets,
// coverage, metadata, non-finite values) on arbitrary bytes.
#include "fuzz_input.h"
#include "lethe/core/error.h"
#include "lethe/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = lethe::fuzz::scratch_path("input.safetensors");
  lethe::fuzz::write_file(path, data, size);
  try {
    const lethe::SafetensorsFile file = lethe::load_safetensors(path);
    for (const auto& [name, tensor] : file.tensors) (void)tensor.nbytes();
  } catch (const lethe::Error&) {
  }
  return 0;
}
