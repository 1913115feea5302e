#include "lethe/core/int_list.h"

#include <sstream>

#include "lethe/core/error.h"

namespace lethe {

std::string join_ints(const std::vector<int>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + std::to_string(values[i]);
  return text;
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

}  // namespace lethe
