#include "parse_digits.h"

#include <sstream>

#include "lethe/error.h"

namespace lethe::tools {

std::vector<int> parse_digits(const std::string& text, const char* flag) {
  std::vector<int> digits;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    LETHE_CHECK(item.size() == 1 && item[0] >= '0' && item[0] <= '9', flag, ": '", item,
                "' is not a digit (expected a list such as 0,1,2)");
    digits.push_back(item[0] - '0');
  }
  return digits;
}

}  // namespace lethe::tools
