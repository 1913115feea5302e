// Reports as files (JSON figures, markdown tables, SVG plots), written atomically (temporary
// file, then rename).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace lethe::tools {

// Writes `text` to `path` and prints "wrote PATH"; does nothing for an empty path.
void write_text(const std::string& path, const std::string& text);
// Writes `report` (indented) to `path` and prints "wrote PATH"; does nothing for an empty path.
void write_json(const std::string& path, const nlohmann::json& report);

}  // namespace lethe::tools
