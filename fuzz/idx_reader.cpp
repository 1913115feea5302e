// libFuzzer target: the IDX image and label readers (magic, extents, sizes against the file) on
// arbitrary bytes.
#include "fuzz_input.h"
#include "lethe/core/error.h"
#include "lethe/io/image_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = lethe::fuzz::scratch_path("input.idx");
  lethe::fuzz::write_file(path, data, size);
  try {
    (void)lethe::read_idx_images(path);
  } catch (const lethe::Error&) {
  }
  try {
    (void)lethe::read_idx_labels(path);
  } catch (const lethe::Error&) {
  }
  return 0;
}
