#include "lethe/io/training_checkpoint.h"
#include "lethe/core/number_text.h"

namespace lethe {

void save_training_checkpoint(const std::string& path, const TrainingState& state,
                              std::map<std::string, std::string> metadata,
                              const NamedTensors& extra) {
  NamedTensors tensors = state.arena.named_views(state.ema.shadow());
  for (auto& [name, view] : state.arena.named_views(state.arena.values)) {
    tensors.emplace_back("train.live." + name, view);
  }
  for (auto& [name, tensor] : state.adam.state()) tensors.emplace_back("train." + name, tensor);
  tensors.emplace_back("train.ema.updates",
                       Tensor::from_vector(std::vector<int64_t>{state.ema.updates()}, {1}));
  for (const auto& [name, tensor] : extra) {
    LETHE_CHECK(name.rfind("train.", 0) == 0, "training checkpoint: extra state '", name,
                "' must be named train.*");
    tensors.emplace_back(name, tensor);
  }
  metadata["step"] = std::to_string(state.adam.steps());
  metadata["noise_offset"] = std::to_string(state.noise.offset());
  save_safetensors(path, tensors, metadata);
}

static uint64_t metadata_count(const SafetensorsFile& file, const std::string& key) {
  auto found = file.metadata.find(key);
  LETHE_CHECK(found != file.metadata.end(), "checkpoint ", file.path, ": metadata '", key,
              "' is missing");
  return static_cast<uint64_t>(parse_integer(
      found->second, "checkpoint " + file.path + ": metadata '" + key + "'", 0, INT64_MAX));
}

void load_training_checkpoint(const SafetensorsFile& file, TrainingState& state,
                              const std::map<std::string, std::string>& expected) {
  for (const auto& [key, value] : expected) {
    auto found = file.metadata.find(key);
    LETHE_CHECK(found != file.metadata.end() && found->second == value, "checkpoint ", file.path,
                ": metadata '", key, "' is '",
                found == file.metadata.end() ? "(missing)" : found->second, "' but this run uses '",
                value, "'");
  }
  NamedTensors adam;
  for (const auto& [name, tensor] : file.tensors) {
    if (name.rfind("train.adam.", 0) == 0) adam.emplace_back(name.substr(6), tensor);
  }
  for (auto& [name, view] : state.arena.named_views(state.arena.values)) {
    LETHE_CHECK(file.contains("train.live." + name), "checkpoint ", file.path,
                " has no training state for '", name, "' (a weights-only file cannot resume)");
    view.copy_from(file.at("train.live." + name).to(DType::f32));
  }
  Tensor shadow = state.ema.shadow().clone();
  for (auto& [name, view] : state.arena.named_views(shadow)) {
    view.copy_from(file.at(name).to(DType::f32));
  }
  state.ema.set_state(shadow, static_cast<int64_t>(file.at("train.ema.updates").item()));
  state.adam.load_state(adam);
  state.noise.set_offset(metadata_count(file, "noise_offset"));
}

NamedTensors checkpoint_weights(const SafetensorsFile& file) {
  NamedTensors weights;
  for (const auto& [name, tensor] : file.tensors) {
    if (name.rfind("train.", 0) != 0) weights.emplace_back(name, tensor);
  }
  return weights;
}

}  // namespace lethe
