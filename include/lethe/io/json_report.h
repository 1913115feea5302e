// Reports as files (JSON figures, markdown tables, SVG plots), written atomically (temporary
// file, then rename).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace lethe {

// Writes `text` to `path` and prints "wrote PATH"; does nothing for an empty path.
void write_text(const std::string& path, const std::string& text);
// Writes `report` (indented) to `path` and prints "wrote PATH"; does nothing for an empty path.
void write_json(const std::string& path, const nlohmann::json& report);

// A number of a report printed with a printf `format` (e.g. "%.3f"), or "-" when it is null.
std::string format_number(const nlohmann::json& value, const char* format);
// A rate of a report ({"rate", "ci95": [low, high], ...}, see lethe/eval/evaluation.h) as
// "0.988 [0.980, 0.993]" with three decimals, or "-" when it is null.
std::string format_rate(const nlohmann::json& rate);

}  // namespace lethe
