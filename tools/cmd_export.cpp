// lethe export CKPT OUT: writes the weights a sampler uses (the EMA weights, every key not
// starting "train.") with the checkpoint's metadata: the file to ship, and a PyTorch state dict.
#include <cstdio>

#include "commands.h"
#include "lethe/io/safetensors.h"
#include "lethe/io/training_checkpoint.h"

namespace lethe::tools {

void register_export(CLI::App& app) {
  auto paths = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* command =
      app.add_subcommand("export", "Write a checkpoint's EMA weights and metadata only");
  command->add_option("checkpoint", paths->first, "Training checkpoint")->required();
  command->add_option("out", paths->second, "Weights file to write (.safetensors)")->required();
  command->callback([paths] {
    const SafetensorsFile file = load_safetensors(paths->first);
    std::map<std::string, std::string> metadata = file.metadata;
    metadata.erase("noise_offset");
    save_safetensors(paths->second, checkpoint_weights(file), metadata);
    std::printf("wrote %s\n", paths->second.c_str());
  });
}

}  // namespace lethe::tools
