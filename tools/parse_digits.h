// Parsing of class lists given on the command line.
#pragma once
#include <string>
#include <vector>

namespace lethe::tools {

// "0,1,7" -> {0, 1, 7}; "" -> {}. Each entry must be one digit; `flag` names the option in errors.
std::vector<int> parse_digits(const std::string& text, const char* flag);

}  // namespace lethe::tools
