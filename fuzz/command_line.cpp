// libFuzzer target: the command-line layer. The input's lines are the arguments of one `lethe`
// command line, parsed by the real application (every subcommand, every flag and the parsers
// behind them). The root's parse-complete callback, which runs after every flag is read and
// checked and before any subcommand's action, ends the parse, so no command runs.
#include <CLI/CLI.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "flag_values.h"
#include "lethe/core/error.h"

namespace {

struct FlagsRead {};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments;
  std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
  for (std::string line; std::getline(lines, line);) arguments.push_back(line);
  if (arguments.size() > 64) return 0;
  CLI::App app{"lethe"};
  app.require_subcommand(1);
  lethe::tools::register_all_commands(app);
  lethe::tools::check_number_flags(app);
  app.parse_complete_callback([] { throw FlagsRead{}; });
  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());  // CLI11's order
  try {
    app.parse(reversed);
  } catch (const FlagsRead&) {
  } catch (const CLI::Error&) {
  } catch (const lethe::Error&) {
  }
  return 0;
}
