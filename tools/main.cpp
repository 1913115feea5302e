// lethe: one binary, git-style subcommands. Each subcommand lives in its own tools/cmd_*.cpp and
// registers itself through tools/commands.h. Every failure ends here as one "lethe: error: ..."
// line on standard error and an exit status of tools::ExitStatus.
#include <cstdio>
#include <exception>
#include <new>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "flag_values.h"
#include "lethe/core/build_info.h"
#include "lethe/core/error.h"

namespace {

int report(const char* message, int status) {
  std::fprintf(stderr, "lethe: error: %s\n", message);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lethe::tools;
  CLI::App app{"Lethe: score-based generative models that can forget"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       std::string("lethe 0.1.0 (commit ") + lethe::build_commit() + ")");
  register_all_commands(app);
  check_number_flags(app);
  const auto known = [&app](const char* name) {
    try {
      return app.get_subcommand(name) != nullptr;
    } catch (const CLI::OptionNotFound&) {
      return false;
    }
  };
  if (argc > 1 && argv[1][0] != '-' && !known(argv[1])) {
    std::fprintf(stderr, "lethe: error: unknown command '%s' (lethe --help lists the commands)\n",
                 argv[1]);
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {  // --help, --version
    return app.exit(done);
  } catch (const CLI::ParseError& error) {
    return report(error.what(), kExitUsage);
  } catch (const RunInterrupted&) {
    return kExitInterrupted;
  } catch (const lethe::Error& error) {
    return report(error.what(), kExitError);
  } catch (const std::bad_alloc&) {
    return report("out of memory (an allocation failed; try a smaller batch or count)", kExitError);
  } catch (const std::exception& error) {
    return report(error.what(), kExitError);
  }
  return kExitSuccess;
}
