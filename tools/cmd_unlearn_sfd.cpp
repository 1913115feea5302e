// lethe unlearn sfd: score forgetting distillation of a class-conditional teacher into a one-step
// generator that no longer makes the forget classes (docs/math.md#sfd); lethe distill sid: the same
// with the forget weights at 0 (plain Score identity Distillation, the sanity check).
//   lethe unlearn sfd --teacher weights/mnist-s-vp.safetensors --forget 0 --override 1
//   lethe distill sid --teacher weights/mnist-s-vp.safetensors --out runs/sid
#include "commands.h"
#include "flag_values.h"
#include "lethe/run/sfd_job.h"

namespace lethe::tools {
namespace {

// Flags shared by both commands: teacher, schedule, optimiser, run directory.
void add_distillation_flags(CLI::App* command, SfdRun& run) {
  SfdConfig& c = run.config;
  add_checkpoint_flag(*command, "--teacher", run.teacher,
                      "The class-conditional VP score model to distil");
  command->add_option("--steps", run.steps, "Iterations (one psi and one generator update each)")
      ->check(positive());
  command->add_option("--batch", c.batch, "Generated images per update (and per forget batch)");
  command->add_option("--lr", c.lr_generator, "Generator learning rate");
  command->add_option("--lr-fake", c.lr_fake, "Fake-score (psi) learning rate");
  command->add_option("--alpha", c.alpha, "SiD alpha");
  command->add_option("--t-init", c.t_init, "The generator's input DDPM step");
  command->add_option("--t-min", c.t_min, "Smallest DDPM step drawn for the losses");
  command->add_option("--t-max", c.t_max, "Largest DDPM step drawn for the losses");
  command->add_option("--beta1", c.beta1, "Adam beta1 (SiD: 0)");
  command->add_option("--clip", c.clip_value, "Gradient value clipping");
  command->add_option("--ema", c.ema, "Generator EMA rate");
  command->add_option("--seed", c.seed, "Random seed");
  add_device_flag(*command, c.device);
  add_gpu_kernel_flags(*command);
  add_run_directory_flags(*command, run.out_dir, run.checkpoint_every, run.resume);
  add_step_list_flag(*command, "--snapshots", run.snapshots,
                     "Steps at which the generator's EMA weights are kept (forgetting speed)");
}

}  // namespace

void register_unlearn_sfd(CLI::App& unlearn) {
  auto run = std::make_shared<SfdRun>();
  run->out_dir = "runs/sfd";
  CLI::App* command = unlearn.add_subcommand(
      "sfd", "Score forgetting distillation into a one-step generator (data-free)");
  add_class_list_flag(*command, "--forget", run->config.forget, "Classes to forget (e.g. 0)")
      ->required();
  add_override_flag(
      *command, run->config,
      "The teacher's class for forget labels, or 'random' (another class per sample)");
  command->add_option("--forget-weight", run->config.forget_weight_generator,
                      "Weight of the forgetting term in the generator loss");
  command->add_option("--forget-weight-fake", run->config.forget_weight_fake,
                      "Weight of the forget batch in the fake-score loss");
  add_distillation_flags(command, *run);
  command->callback([run] {
    LETHE_CHECK(run->config.forget_weight_generator > 0,
                "--forget-weight 0 is plain SiD: use `lethe distill sid`");
    exit_if_interrupted(run_sfd(*run));
  });
}

void register_distill(CLI::App& app) {
  CLI::App* distill = app.add_subcommand("distill", "Distil a score model into a faster one");
  distill->require_subcommand(1);
  auto run = std::make_shared<SfdRun>();
  run->out_dir = "runs/sid";
  run->config.forget_weight_fake = run->config.forget_weight_generator = 0;
  CLI::App* command = distill->add_subcommand(
      "sid", "Score identity Distillation into a one-step generator (SFD without forgetting)");
  add_distillation_flags(command, *run);
  command->callback([run] { exit_if_interrupted(run_sfd(*run)); });
}

}  // namespace lethe::tools
