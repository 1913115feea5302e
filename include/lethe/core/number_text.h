// Numbers read from text that a user or a file supplies (checkpoint metadata, file names, lists):
// the whole text must be the number and lie in [low, high], or a lethe::Error names `what`, the
// text and the range. No std::stoi: nothing here throws anything but lethe::Error.
#pragma once
#include <cstdint>
#include <string>

namespace lethe {

// Decimal digits with an optional leading '-'.
int64_t parse_integer(const std::string& text, const std::string& what, int64_t low, int64_t high);
// A finite decimal number (strtod syntax; no nan, no inf).
double parse_real(const std::string& text, const std::string& what, double low, double high);

}  // namespace lethe
