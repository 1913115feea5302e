// lethe: one binary, git-style subcommands. Each subcommand lives in its own tools/cmd_*.cpp and
// registers itself through tools/commands.h.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "lethe/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"Lethe: score-based generative models that can forget"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lethe 0.1.0");
  lethe::tools::register_all_commands(app);
  const auto known = [&app](const char* name) {
    try {
      return app.get_subcommand(name) != nullptr;
    } catch (const CLI::OptionNotFound&) {
      return false;
    }
  };
  if (argc > 1 && argv[1][0] != '-' && !known(argv[1])) {
    std::fprintf(stderr, "lethe: unknown command '%s' (lethe --help lists the commands)\n",
                 argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  } catch (const lethe::Error& error) {
    std::fprintf(stderr, "lethe: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
