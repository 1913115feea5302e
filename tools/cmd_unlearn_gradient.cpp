// lethe unlearn rgd | rg | graddiff | finetune | salun | esd: gradient-based class unlearning of a
// trained U-Net score model (spec/rgd.md), with a per-step CSV log (l_f, l_r, cos phi, the
// first-order predictions and what happened), checkpoints every N steps and on Ctrl-C, --resume.
//   lethe unlearn rgd --forget 4 --init weights/mnist-s-vp.safetensors --out runs/rgd-4
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "gradient_unlearning_run.h"
#include "lethe/progress.h"
#include "parse_digits.h"
#include "run_log.h"

namespace lethe::tools {
namespace {

std::atomic<bool> stop_requested{false};

// "held": the measured change has the sign the first-order prediction gave (0 counts as <= 0).
const char* held(double predicted, double actual) {
  if (std::isnan(predicted) || std::isnan(actual)) return "";
  return (predicted <= 0) == (actual <= 0) ? "1" : "0";
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

bool run_gradient_unlearning(GradientUnlearningRun run) {
  GradientUnlearningConfig& config = run.config;
  config.forget = parse_digits(run.forget, "--forget");
  config.retain_classes = parse_digits(run.retain_classes, "--retain-classes");
  config.check_predictions = !run.no_check;
  config.validate();
  LETHE_CHECK(std::filesystem::is_regular_file(run.init), "--init: no checkpoint file '", run.init,
              "'");
  std::filesystem::create_directories(run.out_dir);
  const std::string checkpoint = run.out_dir + "/checkpoint.safetensors";
  const std::string log_path = run.out_dir + "/log.csv";
  GradientUnlearner unlearner(config, run.init, load_idx_dataset(run.data_dir, "train"));
  if (run.resume) {
    unlearner.load_checkpoint(checkpoint);
    std::printf("resumed %s at step %lld\n", checkpoint.c_str(),
                static_cast<long long>(unlearner.step()));
  }
  std::ofstream log =
      open_run_log(log_path,
                   "step,forget_loss,retain_loss,cos_phi,conflict,predicted_forget_change,"
                   "actual_forget_change,forget_held,predicted_retain_change,actual_retain_change,"
                   "retain_held,method_loss,elapsed_s",
                   run.resume, unlearner.step());

  const std::string method = unlearn_method_name(config.method);
  std::printf(
      "%s: forget {%s} from %s, %lld steps, %s lr %g, lambda %g, forget batch %lld, retain set "
      "%lld images%s\n",
      method.c_str(), run.forget.c_str(), run.init.c_str(), static_cast<long long>(run.steps),
      config.optimizer.c_str(), config.lr, config.lambda,
      static_cast<long long>(config.forget_batch),
      static_cast<long long>(unlearner.retain_set_size()),
      run.retain_classes.empty() ? " (balanced)" : (" from {" + run.retain_classes + "}").c_str());
  std::fflush(stdout);
  std::signal(SIGINT, [](int) { stop_requested = true; });
  Progress progress(method, run.steps, unlearner.step());
  int64_t checked = 0, forget_held = 0, retain_held = 0, conflicts = 0;
  while (unlearner.step() < run.steps && !stop_requested) {
    const int64_t next =
        std::min(run.steps, (unlearner.step() / run.checkpoint_every + 1) * run.checkpoint_every);
    unlearner.run_until(
        next,
        [&](const UnlearningStepReport& r) {
          const char* f_held = held(r.predicted_forget_change, r.actual_forget_change);
          const char* r_held = held(r.predicted_retain_change, r.actual_retain_change);
          if (*f_held) {
            ++checked;
            forget_held += f_held[0] == '1';
            retain_held += r_held[0] == '1';
          }
          conflicts += r.conflict;
          log << r.step << ',' << csv_number(r.forget_loss) << ',' << csv_number(r.retain_loss)
              << ',' << csv_number(r.cos_phi) << ',' << (r.conflict ? 1 : 0) << ','
              << csv_number(r.predicted_forget_change) << ',' << csv_number(r.actual_forget_change)
              << ',' << f_held << ',' << csv_number(r.predicted_retain_change) << ','
              << csv_number(r.actual_retain_change) << ',' << r_held << ','
              << csv_number(r.method_loss) << ',' << progress.elapsed_seconds() << '\n';
          progress.update(r.step, r.forget_loss, "l_f");
        },
        &stop_requested);
    log.flush();
    unlearner.save_checkpoint(checkpoint);
  }
  std::signal(SIGINT, SIG_DFL);  // Ctrl-C after the run (an experiment's evaluation) stops
  progress.finish();
  if (checked > 0)
    std::printf(
        "gradients conflicted on %lld of %lld steps; first-order predictions held for L_f on "
        "%lld, for L_r on %lld of %lld checked steps\n",
        static_cast<long long>(conflicts), static_cast<long long>(checked),
        static_cast<long long>(forget_held), static_cast<long long>(retain_held),
        static_cast<long long>(checked));
  std::printf("%s at step %lld: %s\n", stop_requested ? "interrupted, saved" : "saved",
              static_cast<long long>(unlearner.step()), checkpoint.c_str());
  return !stop_requested;
}

namespace {

void register_method(CLI::App& unlearn, UnlearnMethod method, const char* description) {
  auto run = std::make_shared<GradientUnlearningRun>();
  GradientUnlearningConfig& c = run->config;
  c.method = method;
  const std::string name = unlearn_method_name(method);
  run->out_dir = "runs/" + name;
  CLI::App* command = unlearn.add_subcommand(name, description);
  command->add_option("--forget", run->forget, "Classes to forget (e.g. 4)")->required();
  command->add_option("--init", run->init, "The trained score model to unlearn from")
      ->capture_default_str();
  command->add_option("--data", run->data_dir, "IDX data directory")->capture_default_str();
  command->add_option("--steps", run->steps, "Unlearning steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--optimizer", c.optimizer, "sgd or adam")->capture_default_str();
  command->add_option("--lr", c.lr, "Learning rate")->capture_default_str();
  command->add_option("--lambda", c.lambda, "Retain weight")->capture_default_str();
  command->add_option("--alpha-trunc", c.alpha_trunc, "Forget loss truncation")
      ->capture_default_str();
  command->add_option("--forget-batch", c.forget_batch, "Forget batch size")->capture_default_str();
  command
      ->add_option("--retain-batch", c.retain_batch,
                   "Retain minibatch (RGD: chunk of its pass over the retain set)")
      ->capture_default_str();
  command
      ->add_option("--retain-per-class", c.retain_per_class,
                   "Retain set: images per remaining class")
      ->capture_default_str();
  command->add_option("--retain-classes", run->retain_classes,
                      "Draw the same-size retain set from these classes only (diversity ablation)");
  command
      ->add_option("--salun-mask-fraction", c.salun_mask_fraction,
                   "SalUn: share of parameters updated")
      ->capture_default_str();
  command->add_option("--salun-retain-weight", c.salun_retain_weight, "SalUn: retain loss weight")
      ->capture_default_str();
  command->add_option("--esd-eta", c.esd_eta, "ESD: guidance strength")->capture_default_str();
  command->add_flag("--no-check", run->no_check,
                    "Skip re-evaluating both losses after each step (faster; no 'held' columns)");
  command->add_option("--seed", c.seed, "Random seed")->capture_default_str();
  command->add_option("--out", run->out_dir, "Run directory")->capture_default_str();
  command->add_option("--checkpoint-every", run->checkpoint_every, "Steps between checkpoints")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_flag("--resume", run->resume, "Continue from OUT/checkpoint.safetensors");
  command->callback([run] { run_gradient_unlearning(*run); });
}

}  // namespace

void register_unlearn_gradient(CLI::App& unlearn) {
  register_method(unlearn, UnlearnMethod::rgd,
                  "Restricted gradient over the whole (diverse) retain set each step");
  register_method(unlearn, UnlearnMethod::rg, "Restricted gradient with one retain minibatch");
  register_method(unlearn, UnlearnMethod::graddiff,
                  "Gradient difference: ascent on forget + lambda * descent on retain");
  register_method(unlearn, UnlearnMethod::finetune, "Fine-tune on the retain set only");
  register_method(unlearn, UnlearnMethod::salun,
                  "SalUn: relabel forget data to another class, on the salient weights only");
  register_method(unlearn, UnlearnMethod::esd,
                  "ESD: steer eps(c_f) away from the class with the frozen original model");
}

}  // namespace lethe::tools
