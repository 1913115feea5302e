#include "lethe/core/number_text.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "lethe/core/error.h"

namespace lethe {

int64_t parse_integer(const std::string& text, const std::string& what, int64_t low, int64_t high) {
  const size_t digits_from = !text.empty() && text[0] == '-' ? 1 : 0;
  const bool digits = text.size() > digits_from &&
                      text.find_first_not_of("0123456789", digits_from) == std::string::npos;
  errno = 0;
  const long long value = digits ? std::strtoll(text.c_str(), nullptr, 10) : 0;
  LETHE_CHECK(digits && errno == 0 && value >= low && value <= high, what, ": '", text,
              "' is not an integer in ", low, "..", high);
  return value;
}

double parse_real(const std::string& text, const std::string& what, double low, double high) {
  char* end = nullptr;
  errno = 0;
  const double value = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  LETHE_CHECK(!text.empty() && end == text.c_str() + text.size() && std::isfinite(value) &&
                  value >= low && value <= high,
              what, ": '", text, "' is not a number in [", low, ", ", high, "]");
  return value;
}

}  // namespace lethe
