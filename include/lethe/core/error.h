// lethe::Error: every misuse and every bad input ends here, with a message that names the thing
// (tensor, file, flag) and what was expected.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace lethe {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  throw Error(message.str());
}

}  // namespace lethe

// LETHE_CHECK(condition, "op: ", what, " expected ", expected): throws lethe::Error when false.
#define LETHE_CHECK(condition, ...)               \
  do {                                            \
    if (!(condition)) ::lethe::fail(__VA_ARGS__); \
  } while (0)
