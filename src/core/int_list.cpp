#include "lethe/core/int_list.h"

#include <sstream>

#include "lethe/core/error.h"

namespace lethe {

namespace {

template <class Int>
std::string join(const std::vector<Int>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + std::to_string(values[i]);
  return text;
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

std::string join_ints(const std::vector<int>& values) {
  return join(values);
}

std::string join_ints(const std::vector<int64_t>& values) {
  return join(values);
}

std::vector<int> parse_digits(const std::string& text, const std::string& what) {
  std::vector<int> digits;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    LETHE_CHECK(item.size() == 1 && item[0] >= '0' && item[0] <= '9', what, ": '", item,
                "' is not a digit (expected a list such as 0,1,2)");
    digits.push_back(item[0] - '0');
  }
  return digits;
}

std::vector<int64_t> parse_counts(const std::string& text, const std::string& what) {
  std::vector<int64_t> counts;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    LETHE_CHECK(!item.empty() && item.size() <= 18 &&
                    item.find_first_not_of("0123456789") == std::string::npos,
                what, ": '", item,
                "' is not a non-negative integer (expected a list such as 0,25,50)");
    counts.push_back(std::stoll(item));
  }
  return counts;
}

}  // namespace lethe
