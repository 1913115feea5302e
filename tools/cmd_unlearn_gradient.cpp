// lethe unlearn rgd | rg | graddiff | finetune | salun | esd: gradient-based class unlearning of a
// trained U-Net score model (docs/math.md#rgd-and-the-baselines): the flags, and the run of
// lethe/run/gradient_unlearning_job.h.
//   lethe unlearn rgd --forget 4 --init weights/mnist-s-vp.safetensors --out runs/rgd-4
#include "commands.h"
#include "flag_values.h"
#include "lethe/run/gradient_unlearning_job.h"

namespace lethe::tools {

namespace {

void register_method(CLI::App& unlearn, UnlearnMethod method, const char* description) {
  auto run = std::make_shared<GradientUnlearningRun>();
  GradientUnlearningConfig& c = run->config;
  c.method = method;
  const std::string name = unlearn_method_name(method);
  run->out_dir = "runs/" + name;
  CLI::App* command = unlearn.add_subcommand(name, description);
  add_class_list_flag(*command, "--forget", c.forget, "Classes to forget (e.g. 4)")->required();
  add_checkpoint_flag(*command, "--init", run->init, "The trained score model to unlearn from");
  command->add_option("--data", run->data_dir, "IDX data directory");
  command->add_option("--steps", run->steps, "Unlearning steps")->check(positive());
  command->add_option("--optimizer", c.optimizer, "sgd or adam");
  command->add_option("--lr", c.lr, "Learning rate");
  command->add_option("--lambda", c.lambda, "Retain weight");
  command->add_option("--alpha-trunc", c.alpha_trunc, "Forget loss truncation");
  command->add_option("--forget-batch", c.forget_batch, "Forget batch size");
  command->add_option("--retain-batch", c.retain_batch,
                      "Retain minibatch (RGD: chunk of its pass over the retain set)");
  command->add_option("--retain-per-class", c.retain_per_class,
                      "Retain set: images per remaining class");
  add_class_list_flag(*command, "--retain-classes", c.retain_classes,
                      "Draw the same-size retain set from these classes only (diversity ablation)");
  command->add_option("--salun-mask-fraction", c.salun_mask_fraction,
                      "SalUn: share of parameters updated");
  command->add_option("--salun-retain-weight", c.salun_retain_weight, "SalUn: retain loss weight");
  command
      ->add_option("--salun-retain-reduction", c.salun_retain_reduction,
                   "SalUn: retain loss per image summed over pixels (sum, SalUn's code) or "
                   "averaged (mean)")
      ->check(CLI::IsMember({"sum", "mean"}));
  command->add_option("--esd-eta", c.esd_eta, "ESD: guidance strength");
  command->add_flag("--no-check", run->no_check,
                    "Skip re-evaluating both losses after each step (faster; no 'held' columns)");
  command->add_option("--seed", c.seed, "Random seed");
  add_precision_flag(*command);
  add_run_directory_flags(*command, run->out_dir, run->checkpoint_every, run->resume);
  command->callback([run] { exit_if_interrupted(run_gradient_unlearning(*run)); });
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
