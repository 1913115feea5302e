#include "flag_values.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/tt/float32_math.h"
#include "lethe/tt/gpu_kernels.h"

namespace lethe::tools {

namespace {

// Adds `flag`, whose text `read` parses into its destination while the command line is read. A
// lethe::Error from `read` is a malformed command line: it leaves as CLI11's ValidationError
// (exit kExitUsage), its message already naming the flag.
CLI::Option* add_parsed_flag(CLI::App& command, const std::string& flag,
                             const std::string& description,
                             std::function<void(const std::string&)> read) {
  return command.add_option_function<std::string>(
      flag,
      [read = std::move(read)](const std::string& text) {
        try {
          read(text);
        } catch (const Error& error) {
          throw CLI::ValidationError(error.what());
        }
      },
      description);
}

// The value of `text` when all of it is a finite number.
bool finite_number(const std::string& text, double& value) {
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && std::isfinite(value);
}

CLI::Validator bound(const std::string& expected, std::function<bool(double)> holds) {
  return CLI::Validator(
      [expected, holds](std::string& text) -> std::string {
        double value = 0;
        if (finite_number(text, value) && holds(value)) return "";
        return "expected " + expected + ", got '" + text + "'";
      },
      "");
}

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

const CLI::Validator kFinite = bound("a finite number", [](double) { return true; });

const CLI::Validator kInteger(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      errno = 0;
      std::strtoll(text.c_str(), &end, 10);
      if (!text.empty() && end == text.c_str() + text.size() && errno == 0) return "";
      return "expected an integer between -2^63 and 2^63 - 1, got '" + text + "'";
    },
    "");

const CLI::Validator kUnsigned(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      errno = 0;
      std::strtoull(text.c_str(), &end, 10);
      if (!text.empty() && text[0] >= '0' && text[0] <= '9' && end == text.c_str() + text.size() &&
          errno == 0)
        return "";
      return "expected an integer between 0 and 2^64 - 1, got '" + text + "'";
    },
    "");

}  // namespace

CLI::Option* add_class_list_flag(CLI::App& command, const std::string& flag,
                                 std::vector<int>& classes, const std::string& description) {
  return add_parsed_flag(
             command, flag, description,
             [flag, &classes](const std::string& text) { classes = parse_digits(text, flag); })
      ->default_str(join_ints(classes));
}

CLI::Option* add_device_flag(CLI::App& command, Device& device) {
  return add_parsed_flag(command, "--device", "cpu or cuda",
                         [&device](const std::string& text) {
                           device = with_flag("--device", [&] { return parse_device(text); });
                         })
      ->default_str(device_name(device));
}

void add_run_directory_flags(CLI::App& command, std::string& out_dir, int64_t& checkpoint_every,
                             bool& resume) {
  command.add_option("--out", out_dir, "Run directory");
  command.add_option("--checkpoint-every", checkpoint_every, "Steps between checkpoints")
      ->check(positive());
  command.add_flag("--resume", resume, "Continue from OUT/checkpoint.safetensors");
}

void add_precision_flag(CLI::App& command) {
  add_parsed_flag(command, "--precision",
                  "GEMM/conv math: fp32; bf16 (CPU: AVX-512 BF16 dot products, fp32 sums); tf32 "
                  "(GPU tensor cores)",
                  [](const std::string& text) {
                    const bool honoured =
                        with_flag("--precision", [&] { return tt::set_float32_math(text); });
                    if (!honoured) {
                      std::fprintf(stderr,
                                   "lethe: note: this CPU lacks AVX-512 BF16; --precision bf16 "
                                   "runs the CPU in fp32\n");
                    }
                  })
      ->default_str("fp32");
}

void add_gpu_kernel_flags(CLI::App& command) {
  add_parsed_flag(command, "--kernels", "GPU GEMM/conv: hand, vendor or auto (the faster measured)",
                  [](const std::string& text) {
                    with_flag("--kernels", [&] { tt::set_gpu_kernel_source(text); });
                  })
      ->default_str("auto");
  add_precision_flag(command);
}

CLI::Option* add_checkpoint_flag(CLI::App& command, const std::string& flag, std::string& path,
                                 const std::string& description) {
  const bool optional = path.empty();
  CLI::Option* option =
      add_parsed_flag(command, flag, description, [flag, &path](const std::string& text) {
        LETHE_CHECK(std::filesystem::is_regular_file(text), flag, ": no checkpoint file '", text,
                    "'");
        path = text;
      });
  if (optional) return option;
  return option->default_str(path)->run_callback_for_default();
}

CLI::Option* add_override_flag(CLI::App& command, SfdConfig& config,
                               const std::string& description) {
  return add_parsed_flag(command, "--override", description,
                         [&config](const std::string& text) {
                           config.random_override = text == "random";
                           if (config.random_override) return;
                           const std::vector<int> classes = parse_digits(text, "--override");
                           LETHE_CHECK(classes.size() == 1,
                                       "--override: expected one class or 'random', got '", text,
                                       "'");
                           config.override_class = classes[0];
                         })
      ->default_str(config.random_override ? "random" : std::to_string(config.override_class));
}

CLI::Option* add_step_list_flag(CLI::App& command, const std::string& flag,
                                std::vector<int64_t>& steps, const std::string& description) {
  return add_parsed_flag(
             command, flag, description,
             [flag, &steps](const std::string& text) { steps = parse_counts(text, flag); })
      ->default_str(join_ints(steps));
}

void check_number_flags(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    const std::string type = option->get_type_name();
    if (type.rfind("FLOAT", 0) == 0) {
      option->check(kFinite);
    } else if (type.rfind("UINT", 0) == 0) {
      option->check(kUnsigned);
    } else if (type.rfind("INT", 0) == 0) {
      option->check(kInteger);
    }
  }
  for (CLI::App* subcommand : app.get_subcommands([](CLI::App*) { return true; }))
    check_number_flags(*subcommand);
}

CLI::Validator parsed_by(std::function<void(const std::string&)> parse) {
  return CLI::Validator(
      [parse = std::move(parse)](std::string& text) -> std::string {
        try {
          parse(text);
          return "";
        } catch (const Error& error) {
          return error.what();
        }
      },
      "");
}

CLI::Validator positive() {
  return bound("a number > 0", [](double value) { return value > 0; });
}

CLI::Validator non_negative() {
  return bound("a number >= 0", [](double value) { return value >= 0; });
}

CLI::Validator in_range(double low, double high) {
  return bound("a number in [" + number_text(low) + ", " + number_text(high) + "]",
               [low, high](double value) { return value >= low && value <= high; });
}

}  // namespace lethe::tools
