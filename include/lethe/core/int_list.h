// Integer lists as comma-separated text ("0,1,7"): how class lists and shapes go into
// checkpoint metadata and command lines.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lethe {

// "a,b,,c" -> {"a", "b", "c"}: the items of a comma-separated list, empty ones dropped.
std::vector<std::string> split_list(const std::string& text);
// {0, 1, 7} -> "0,1,7".
std::string join_ints(const std::vector<int>& values);
std::string join_ints(const std::vector<int64_t>& values);
// "0,1,7" -> {0, 1, 7}; "" -> {}. Each entry must be one digit (a class of a ten-class data set);
// `what` names the list in errors.
std::vector<int> parse_digits(const std::string& text, const std::string& what);
// "0,25,800" -> {0, 25, 800}; "" -> {}. Each entry a non-negative integer (step numbers, counts).
std::vector<int64_t> parse_counts(const std::string& text, const std::string& what);

}  // namespace lethe
