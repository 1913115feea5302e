// One safetensors file per training checkpoint. Parameter names hold the EMA weights (what
// sampling uses; after dropping the "train.*" keys the file is a PyTorch state dict);
// "train.live.*" holds the live weights, "train.adam.*" the optimiser moments and step,
// "train.ema.updates" the EMA count; the noise stream's offset and `metadata` go in the header.
#pragma once
#include <map>
#include <string>

#include "lethe/io/safetensors.h"
#include "lethe/optim/optimizers.h"

namespace lethe {

struct TrainingState {
  ParameterArena& arena;
  Adam& adam;
  Ema& ema;
  Generator& noise;
};

// `extra` adds more state (names starting "train.", e.g. a second network's) to the same file.
void save_training_checkpoint(const std::string& path, const TrainingState& state,
                              std::map<std::string, std::string> metadata,
                              const NamedTensors& extra = {});

// Restores everything save_training_checkpoint wrote. `expected` lists metadata that must match
// (configuration that would make a resume meaningless otherwise).
void load_training_checkpoint(const SafetensorsFile& file, TrainingState& state,
                              const std::map<std::string, std::string>& expected);

// The EMA weights of a checkpoint under the parameter names (every key not starting "train.").
NamedTensors checkpoint_weights(const SafetensorsFile& file);

}  // namespace lethe
