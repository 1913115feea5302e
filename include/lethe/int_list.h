// Integer lists as comma-separated text ("0,1,7"): how class lists and shapes go into
// checkpoint metadata and command lines.
#pragma once
#include <string>
#include <vector>

namespace lethe {

inline std::string join_ints(const std::vector<int>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + std::to_string(values[i]);
  return text;
}

}  // namespace lethe
