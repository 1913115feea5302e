// lethe info CKPT: what a checkpoint holds: its configuration, training step, parameter count.
#include <cstdio>

#include "commands.h"
#include "lethe/io/safetensors.h"
#include "lethe/io/training_checkpoint.h"

namespace lethe::tools {
namespace {

void run_info(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  int64_t parameters = 0, tensors = 0;
  for (const auto& [name, tensor] : checkpoint_weights(file)) {
    parameters += tensor.numel();
    ++tensors;
  }
  std::printf("%s\n", path.c_str());
  for (const auto& [key, value] : file.metadata)
    std::printf("  %-22s %s\n", key.c_str(), value.c_str());
  std::printf("  %-22s %lld in %lld tensors\n", "parameters", static_cast<long long>(parameters),
              static_cast<long long>(tensors));
  std::printf("  %-22s %s\n", "training state",
              file.contains("train.adam.steps") ? "yes (can resume)" : "no (weights only)");
}

}  // namespace

void register_info(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* info = app.add_subcommand("info", "Print a checkpoint's configuration, step and size");
  info->add_option("checkpoint", *path, "A .safetensors checkpoint")->required();
  info->callback([path] { run_info(*path); });
}

}  // namespace lethe::tools
