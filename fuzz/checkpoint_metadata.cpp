// libFuzzer target: checkpoint metadata to configuration, the path a checkpoint's header takes
// before any model is built: the U-Net config, the SDE and the sampler checks, and the
// one-step generator's t_init, from "key=value" lines.
#include <map>
#include <sstream>
#include <string>

#include "lethe/core/error.h"
#include "lethe/core/int_list.h"
#include "lethe/core/number_text.h"
#include "lethe/diffusion/sampler.h"
#include "lethe/diffusion/sde.h"
#include "lethe/nn/unet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> metadata;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) metadata[line.substr(0, eq)] = line.substr(eq + 1);
  }
  try {
    (void)lethe::UNetConfig::from_metadata(metadata);
  } catch (const lethe::Error&) {
  }
  try {
    const lethe::Sde sde = lethe::Sde::parse(metadata.count("sde") ? metadata["sde"] : text);
    lethe::SamplerConfig sampler;
    sampler.name = metadata.count("sampler") ? metadata["sampler"] : "pc";
    lethe::check_sampler(sampler, sde);
  } catch (const lethe::Error&) {
  }
  for (const char* key : {"generator.t_init", "train.classes", "noise_offset"}) {
    if (!metadata.count(key)) continue;
    try {
      (void)lethe::parse_integer(metadata[key], key, 0, INT64_MAX);
      (void)lethe::parse_digits(metadata[key], key);
      (void)lethe::parse_counts(metadata[key], key);
    } catch (const lethe::Error&) {
    }
  }
  return 0;
}
