// Runs the lethe binary built beside the tests and captures its output and exit code.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
  bool contains(const std::string& text) const { return output.find(text) != std::string::npos; }
};

inline CommandResult run_lethe(const std::string& arguments) {
  const std::string command = std::string(LETHE_BINARY) + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 4096> buffer;
  size_t count;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    output.append(buffer.data(), count);
  }
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}
