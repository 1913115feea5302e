// lethe experiment: each subcommand runs one experiment end to end and writes its figures, a
// markdown table and a JSON (results are generated, never typed). The experiments themselves are
// library code in src/experiments/; this file holds their flags.
#include "commands.h"
#include "flag_values.h"
#include "lethe/experiments/msgm_mnist.h"
#include "lethe/experiments/msgm_toy.h"
#include "lethe/experiments/rgd_mnist.h"
#include "lethe/experiments/sfd_mnist.h"

namespace lethe::tools {

void register_experiment_msgm_mnist(CLI::App& experiment) {
  auto options = std::make_shared<MsgmMnistOptions>();
  CLI::App* command = experiment.add_subcommand(
      "msgm-mnist", "Undesirable rates, quality and bits/dim of MNIST models (MSGM vs baselines)");
  add_class_list_flag(*command, "--undesirable", options->undesirable,
                      "Undesirable digits (e.g. 7 or 1,7)");
  command->add_option("--models", options->models, "Models to compare: NAME=CHECKPOINT,...")
      ->check(parsed_by(parse_models));
  command->add_option("--baseline", options->baseline,
                      "Model the unguided undesirable counts are tested against (Fisher exact; "
                      "default: the first)");
  command->add_option("--classifier", options->classifier, "Classifier weights");
  command->add_option("--data", options->data_dir, "IDX data directory");
  command->add_option("--out", options->out_dir, "Output directory");
  command->add_option("--sampler", options->sampler, "Sampler");
  command->add_option("--steps", options->sampler_steps, "Sampler steps")->check(positive());
  command->add_option("--cfg", options->cfg, "Guidance scale of the class-conditional samples");
  command->add_option("--unguided", options->unguided, "Null-label samples per model")
      ->check(positive());
  command
      ->add_option("--per-class", options->per_class,
                   "Conditional samples per digit (0: none, for unconditional models; quality on "
                   "D_g then comes from the unguided samples)")
      ->check(non_negative());
  command
      ->add_option("--bpd-images", options->bpd_images,
                   "Test images per set for bits/dim (0: skip)")
      ->check(non_negative());
  command
      ->add_option("--bpd-tolerance", options->bpd_tolerance,
                   "RK45 rtol and atol of the bits/dim ODE")
      ->check(positive());
  command
      ->add_option("--edit-images", options->edit_images,
                   "Test images per set for inpainting and reconstruction (0: skip)")
      ->check(non_negative());
  command->add_option("--edit-steps", options->edit_steps, "PC inpainting / Heun ODE steps")
      ->check(positive());
  command->add_option("--batch", options->batch, "Samples per network call")->check(positive());
  command->add_option("--seed", options->seed, "Sampling seed");
  command->callback([options] { run_msgm_mnist(*options); });
}

void register_experiment_msgm_toy(CLI::App& experiment) {
  auto options = std::make_shared<MsgmToyOptions>();
  CLI::App* command = experiment.add_subcommand(
      "msgm-toy", "MSGM variants vs original and retrained models on the 2-D moderation toy");
  command->add_option("--out", options->out_dir, "Output directory");
  command->add_option("--sde", options->sde, "vp, subvp or ve");
  command->add_option("--steps", options->steps, "Training steps per model")->check(positive());
  command->add_option("--samples", options->samples, "Samples per model")->check(positive());
  command->add_option("--sampler-steps", options->sampler_steps, "Euler-Maruyama steps")
      ->check(positive());
  command->add_option("--seeds", options->seeds, "Training seeds per model (0, 1, ...)")
      ->check(positive());
  command->add_option("--variants", options->variants, "MSGM variants to train")
      ->check(parsed_by(parse_msgm_variant_list));
  command
      ->add_option("--schedules", options->schedules,
                   "Moderation schedules WEIGHT@EVERY (undesirable weight, period)")
      ->check(parsed_by(parse_moderation_schedules));
  command->callback([options] { run_msgm_toy(*options); });
}

void register_experiment_rgd_mnist(CLI::App& experiment) {
  auto options = std::make_shared<RgdMnistOptions>();
  CLI::App* command = experiment.add_subcommand(
      "rgd-mnist", "RGD vs RG, GradDiff, fine-tune, SalUn and ESD on MNIST, with the ablation");
  command->add_option("--forget", options->forget, "The digit to forget")->check(in_range(0, 9));
  add_class_list_flag(*command, "--narrow-classes", options->narrow_classes,
                      "rgd-narrow: the two digits its retain set is drawn from");
  command
      ->add_option("--methods", options->methods,
                   "Runs: a method name, NAME-sgd (plain SGD) or rgd-narrow")
      ->check(parsed_by(parse_rgd_mnist_runs));
  add_checkpoint_flag(*command, "--init", options->init, "The trained model");
  command->add_option("--classifier", options->classifier, "Classifier weights");
  command->add_option("--data", options->data_dir, "IDX data directory");
  command->add_option("--out", options->out_dir, "Output directory (tables, plots, grids)");
  command->add_option("--runs", options->runs,
                      "Where the runs train and resume (default OUT/runs)");
  command->add_option("--steps", options->steps, "Unlearning steps per method")->check(positive());
  command->add_option("--lr", options->lr, "Adam learning rate");
  command->add_option("--sgd-lr", options->sgd_lr, "SGD learning rate");
  GradientUnlearningConfig& c = options->shared;
  command->add_option("--lambda", c.lambda, "Retain weight");
  command->add_option("--alpha-trunc", c.alpha_trunc, "Forget loss truncation")->check(positive());
  command->add_option("--forget-batch", c.forget_batch, "Forget batch size");
  command->add_option("--retain-batch", c.retain_batch, "Retain minibatch / RGD chunk");
  command->add_option("--retain-per-class", c.retain_per_class,
                      "Retain set: images per remaining class");
  command
      ->add_option("--forget-samples", options->forget_samples,
                   "Samples asked for the forget digit")
      ->check(positive());
  command->add_option("--per-class", options->per_class, "Samples per retained digit")
      ->check(positive());
  command->add_option("--sampler", options->sampler, "Sampler");
  command->add_option("--sampler-steps", options->sampler_steps, "Sampler steps")
      ->check(positive());
  command->add_option("--cfg", options->cfg, "Guidance scale");
  command->add_option("--seed", options->seed, "Sampling seed");
  command->callback([options] { exit_if_interrupted(run_rgd_mnist(*options)); });
}

void register_experiment_sfd_mnist(CLI::App& experiment) {
  auto options = std::make_shared<SfdMnistOptions>();
  SfdRun& run = options->run;
  run.config.forget = {0};
  // MNIST-sized defaults, measured (docs/results/sfd.md): a larger rate and a smaller batch than
  // the CIFAR code's 1e-5 and 128 reach a good generator within the 2-hour CPU budget.
  run.steps = 800;
  run.config.batch = 32;
  run.config.lr_generator = run.config.lr_fake = 1e-4;
  run.snapshots = {0, 25, 50, 100, 200, 400, 800};
  CLI::App* command = experiment.add_subcommand(
      "sfd-mnist", "Teacher vs SiD vs SFD one-step generators on MNIST, with the forgetting curve");
  add_class_list_flag(*command, "--forget", run.config.forget, "The digit to forget");
  add_override_flag(*command, run.config, "The digit it should become");
  add_checkpoint_flag(*command, "--teacher", run.teacher, "The teacher score model");
  command->add_option("--steps", run.steps, "Iterations of each distillation")->check(positive());
  command->add_option("--batch", run.config.batch, "Generated images per update");
  command->add_option("--lr", run.config.lr_generator, "Generator learning rate");
  command->add_option("--lr-fake", run.config.lr_fake, "Fake-score learning rate");
  command->add_option("--ema", run.config.ema, "Generator EMA rate");
  command->add_option("--forget-weight", run.config.forget_weight_generator,
                      "SFD: weight of the forgetting term in the generator loss");
  command->add_option("--forget-weight-fake", run.config.forget_weight_fake,
                      "SFD: weight of the forget batch in the fake-score loss");
  add_step_list_flag(*command, "--snapshots", run.snapshots, "Snapshot iterations (the curve)");
  add_device_flag(*command, run.config.device);
  command->add_flag("--skip-sid", options->skip_sid, "Run and evaluate SFD only");
  command->add_option("--classifier", options->classifier, "Classifier weights");
  command->add_option("--data", options->data_dir, "IDX data directory");
  command->add_option("--out", options->out_dir, "Output directory (tables, plots, grids)");
  command->add_option("--runs", options->runs,
                      "Where the runs train and resume (default OUT/runs)");
  command
      ->add_option("--forget-samples", options->forget_samples,
                   "Samples asked for the forget digit")
      ->check(positive());
  command->add_option("--per-class", options->per_class, "Samples per retained digit")
      ->check(positive());
  command
      ->add_option("--curve-samples", options->curve_samples, "Forget-digit samples per snapshot")
      ->check(positive());
  command->add_option("--sampler", options->sampler, "Teacher sampler");
  command->add_option("--sampler-steps", options->sampler_steps, "Teacher sampler steps")
      ->check(positive());
  command->add_option("--cfg", options->cfg, "Teacher guidance scale");
  command->add_option("--seed", options->seed, "Sampling seed");
  command->add_option("--speed-sampler", options->speed_sampler, "Teacher sampler timed only");
  command->add_option("--speed-sampler-steps", options->speed_sampler_steps, "Its steps")
      ->check(positive());
  command->add_option("--speed-samples", options->speed_samples, "Images it is timed on (0: none)")
      ->check(non_negative());
  command->callback([options] { exit_if_interrupted(run_sfd_mnist(*options)); });
}

void register_experiment(CLI::App& app) {
  CLI::App* experiment =
      app.add_subcommand("experiment", "Run an experiment and write its figures, table and JSON");
  experiment->require_subcommand(1);
  register_experiment_msgm_toy(*experiment);
  register_experiment_msgm_mnist(*experiment);
  register_experiment_rgd_mnist(*experiment);
  register_experiment_sfd_mnist(*experiment);
  for (CLI::App* command : experiment->get_subcommands({})) add_precision_flag(*command);
}

}  // namespace lethe::tools
