#include "sfd_run.h"

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lethe/device.h"
#include "lethe/error.h"
#include "lethe/progress.h"
#include "parse_digits.h"
#include "run_log.h"

namespace lethe::tools {
namespace {

std::atomic<bool> stop_requested{false};

std::string csv_number(double value) {
  if (std::isnan(value)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::vector<int64_t> parse_steps(const std::string& text) {
  std::vector<int64_t> steps;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    LETHE_CHECK(!item.empty() && item.find_first_not_of("0123456789") == std::string::npos,
                "--snapshots: '", item, "' is not a step number");
    steps.push_back(std::stoll(item));
  }
  return steps;
}

std::string snapshot_path(const std::string& out_dir, int64_t step) {
  char name[48];
  std::snprintf(name, sizeof name, "/snapshots/step-%06lld.safetensors",
                static_cast<long long>(step));
  return out_dir + name;
}

}  // namespace

void prepare_sfd_run(SfdRun& run) {
  SfdConfig& config = run.config;
  config.forget = parse_digits(run.forget, "--forget");
  config.random_override = run.override_class == "random";
  if (!config.random_override) {
    const std::vector<int> override_class = parse_digits(run.override_class, "--override");
    LETHE_CHECK(override_class.size() == 1, "--override: expected one class or 'random', got '",
                run.override_class, "'");
    config.override_class = override_class[0];
  }
  config.device = parse_device(run.device);
  parse_steps(run.snapshots);
  LETHE_CHECK(std::filesystem::is_regular_file(run.teacher), "--teacher: no checkpoint file '",
              run.teacher, "'");
}

bool run_sfd(SfdRun run) {
  prepare_sfd_run(run);
  const SfdConfig& config = run.config;
  std::filesystem::create_directories(run.out_dir + "/snapshots");
  const std::string checkpoint = run.out_dir + "/checkpoint.safetensors";
  const std::string log_path = run.out_dir + "/log.csv";
  SfdDistiller distiller(config, run.teacher);
  if (run.resume) {
    distiller.load_checkpoint(checkpoint);
    std::printf("resumed %s at step %lld\n", checkpoint.c_str(),
                static_cast<long long>(distiller.step()));
  }
  std::ofstream log = open_run_log(
      log_path, "step,fake_loss,generator_loss,forget_loss,generated_abs_mean,elapsed_s",
      run.resume, distiller.step());

  const char* what = config.forgets() ? "sfd" : "sid";
  if (config.forgets())
    std::printf("sfd: forget {%s} -> %s, teacher %s, batch %lld, lr %g / %g, %lld steps\n",
                run.forget.c_str(), run.override_class.c_str(), run.teacher.c_str(),
                static_cast<long long>(config.batch), config.lr_generator, config.lr_fake,
                static_cast<long long>(run.steps));
  else
    std::printf("sid: distil %s into a one-step generator, batch %lld, lr %g / %g, %lld steps\n",
                run.teacher.c_str(), static_cast<long long>(config.batch), config.lr_generator,
                config.lr_fake, static_cast<long long>(run.steps));
  std::fflush(stdout);

  std::vector<int64_t> snapshots = parse_steps(run.snapshots);
  auto take_snapshot = [&] {
    for (int64_t s : snapshots)
      if (s == distiller.step() && !std::filesystem::exists(snapshot_path(run.out_dir, s)))
        distiller.save_generator(snapshot_path(run.out_dir, s));
  };
  take_snapshot();
  std::signal(SIGINT, [](int) { stop_requested = true; });
  Progress progress(what, run.steps, distiller.step());
  while (distiller.step() < run.steps && !stop_requested) {
    int64_t next =
        std::min(run.steps, (distiller.step() / run.checkpoint_every + 1) * run.checkpoint_every);
    for (int64_t s : snapshots)
      if (s > distiller.step() && s < next) next = s;
    distiller.run_until(
        next,
        [&](const SfdStepReport& r) {
          log << r.step << ',' << csv_number(r.fake_loss) << ',' << csv_number(r.generator_loss)
              << ',' << csv_number(r.forget_loss) << ',' << csv_number(r.generated_abs_mean) << ','
              << progress.elapsed_seconds() << '\n';
          progress.update(r.step, r.generator_loss, "sid loss");
        },
        &stop_requested);
    log.flush();
    take_snapshot();
    distiller.save_checkpoint(checkpoint);
  }
  std::signal(SIGINT, SIG_DFL);  // Ctrl-C after the run (an experiment's evaluation) stops
  progress.finish();
  std::printf("%s at step %lld: %s\n", stop_requested ? "interrupted, saved" : "saved",
              static_cast<long long>(distiller.step()), checkpoint.c_str());
  return !stop_requested;
}

std::vector<std::pair<int64_t, std::string>> sfd_snapshots(const std::string& out_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  const std::string directory = out_dir + "/snapshots";
  if (!std::filesystem::is_directory(directory)) return found;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step-", 0) != 0 || entry.path().extension() != ".safetensors") continue;
    const std::string digits = name.substr(5, name.size() - 5 - 12);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    found.emplace_back(std::stoll(digits), entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace lethe::tools
