#include "flag_values.h"

#include <filesystem>

#include "lethe/core/int_list.h"
#include "lethe/tt/gpu_kernels.h"

namespace lethe::tools {

CLI::Option* add_class_list_flag(CLI::App& command, const std::string& flag,
                                 std::vector<int>& classes, const std::string& description) {
  return command
      .add_option_function<std::string>(
          flag, [flag, &classes](const std::string& text) { classes = parse_digits(text, flag); },
          description)
      ->default_str(join_ints(classes));
}

CLI::Option* add_device_flag(CLI::App& command, Device& device) {
  return command
      .add_option_function<std::string>(
          "--device",
          [&device](const std::string& text) {
            device = with_flag("--device", [&] { return parse_device(text); });
          },
          "cpu or cuda")
      ->default_str(device_name(device));
}

void add_gpu_kernel_flags(CLI::App& command) {
  command
      .add_option_function<std::string>(
          "--kernels",
          [](const std::string& text) {
            with_flag("--kernels", [&] { tt::set_gpu_kernel_source(text); });
          },
          "GPU GEMM/conv: hand, vendor or auto (the faster measured)")
      ->default_str("auto");
  command
      .add_option_function<std::string>(
          "--precision",
          [](const std::string& text) {
            with_flag("--precision", [&] { tt::set_gpu_float32_math(text); });
          },
          "GPU GEMM/conv math: fp32, or tf32 (tensor cores, operands rounded to TF32)")
      ->default_str("fp32");
}

CLI::Option* add_checkpoint_flag(CLI::App& command, const std::string& flag, std::string& path,
                                 const std::string& description) {
  const bool optional = path.empty();
  CLI::Option* option = command.add_option_function<std::string>(
      flag,
      [flag, &path](const std::string& text) {
        LETHE_CHECK(std::filesystem::is_regular_file(text), flag, ": no checkpoint file '", text,
                    "'");
        path = text;
      },
      description);
  if (optional) return option;
  return option->default_str(path)->run_callback_for_default();
}

CLI::Option* add_override_flag(CLI::App& command, SfdConfig& config,
                               const std::string& description) {
  return command
      .add_option_function<std::string>(
          "--override",
          [&config](const std::string& text) {
            config.random_override = text == "random";
            if (config.random_override) return;
            const std::vector<int> classes = parse_digits(text, "--override");
            LETHE_CHECK(classes.size() == 1, "--override: expected one class or 'random', got '",
                        text, "'");
            config.override_class = classes[0];
          },
          description)
      ->default_str(config.random_override ? "random" : std::to_string(config.override_class));
}

CLI::Option* add_step_list_flag(CLI::App& command, const std::string& flag,
                                std::vector<int64_t>& steps, const std::string& description) {
  return command
      .add_option_function<std::string>(
          flag, [flag, &steps](const std::string& text) { steps = parse_counts(text, flag); },
          description)
      ->default_str(join_ints(steps));
}

}  // namespace lethe::tools
