// Flags whose text a library parser reads. Each helper adds the option, parses its text when the
// command line is read (before any work) and stores the typed value; an error from the parser
// reaches the user as "<flag>: <the library's message>". The library names the thing and what it
// expected; the CLI adds the flag.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lethe/core/device.h"
#include "lethe/core/error.h"
#include "lethe/unlearn/score_forgetting_distillation.h"

namespace lethe::tools {

// Runs parse(); a lethe::Error from it is rethrown with `flag` in front.
template <class Parse>
auto with_flag(const std::string& flag, Parse&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const Error& error) {
    throw Error(flag + ": " + error.what());
  }
}

// A comma-separated list of classes ("0,1,7"); `classes` keeps its value when the flag is absent
// and shows it as the default.
CLI::Option* add_class_list_flag(CLI::App& command, const std::string& flag,
                                 std::vector<int>& classes, const std::string& description);
// --device cpu|cuda (cuda only where a GPU is visible).
CLI::Option* add_device_flag(CLI::App& command, Device& device);
// --precision fp32|bf16|tf32: the process-wide GEMM/conv math (tt/float32_math.h); bf16 on a CPU
// without AVX-512 BF16 prints a note and runs fp32.
void add_precision_flag(CLI::App& command);
// --kernels hand|vendor|auto (the process-wide GPU GEMM/conv choice) and --precision.
void add_gpu_kernel_flags(CLI::App& command);
// A checkpoint path that must name an existing file, checked for the default too unless the
// default is empty (an optional checkpoint).
CLI::Option* add_checkpoint_flag(CLI::App& command, const std::string& flag, std::string& path,
                                 const std::string& description);
// SFD's --override: the class the forget labels become, or "random" (another class per sample).
CLI::Option* add_override_flag(CLI::App& command, SfdConfig& config,
                               const std::string& description);
// The run-directory flags of every command that trains: --out DIR, --checkpoint-every N (> 0) and
// --resume (continue from OUT/checkpoint.safetensors).
void add_run_directory_flags(CLI::App& command, std::string& out_dir, int64_t& checkpoint_every,
                             bool& resume);
// Comma-separated step numbers ("0,25,50").
CLI::Option* add_step_list_flag(CLI::App& command, const std::string& flag,
                                std::vector<int64_t>& steps, const std::string& description);

// A check that runs a library parser on the flag's text when the command line is read; its
// lethe::Error is the message ("--schedules: schedule 'x' is not WEIGHT@EVERY").
CLI::Validator parsed_by(std::function<void(const std::string&)> parse);

// Bounds for numeric options, each failing with one line that names the bound
// ("--steps: expected a number > 0, got '0'").
CLI::Validator positive();                         // > 0
CLI::Validator non_negative();                     // >= 0
CLI::Validator in_range(double low, double high);  // in [low, high]
// Adds to every option of `app` and of its subcommands that takes numbers: a float must be
// finite (no nan, no inf), an integer must fit 64 bits, and an unsigned one must carry no sign.
void check_number_flags(CLI::App& app);

}  // namespace lethe::tools
