// lethe unlearn msgm: moderated score training (docs/math.md#msgm) of the U-Net on MNIST (from
// scratch on D, or fine-tuning with --init) or, with --toy PRESET, of the 2-D MLP on a Gaussian
// mixture.
//   lethe unlearn msgm --undesirable 7 --init weights/mnist-s-vp.safetensors --out runs/msgm-7
//   lethe unlearn msgm --toy toy-msgm --undesirable 2 --variant obtuse --out runs/msgm-toy
#include "commands.h"
#include "flag_values.h"
#include "lethe/run/toy_training_job.h"
#include "lethe/unlearn/msgm.h"
#include "score_training_run.h"

namespace lethe::tools {
namespace {

struct MsgmRun {
  ScoreTrainingRun training;
  MsgmConfig msgm;
  std::string variant = "orthogonal";
  std::string toy_preset;
  std::vector<int> toy_components;
  double undesirable_p_uncond = 0.1;
};

// The toy run takes the shared flags the user gave and the toy trainer's defaults for the rest.
void run_toy_msgm(const MsgmRun& run, const CLI::App& command) {
  const ScoreTrainingConfig& given = run.training.config;
  ToyTrainingRun toy;
  ToyTrainingConfig& config = toy.config;
  config.preset = run.toy_preset;
  config.components = run.toy_components;
  config.undesirable = given.undesirable;
  config.moderation = given.moderation;
  config.sde = given.sde;
  config.init_checkpoint = given.init_checkpoint;
  config.seed = given.seed;
  if (command.count("--steps")) config.steps = run.training.steps;
  if (command.count("--batch")) config.batch = given.batch;
  if (command.count("--lr")) config.lr = given.lr;
  if (command.count("--warmup")) config.warmup_steps = given.warmup_steps;
  if (command.count("--clip")) config.grad_clip = given.grad_clip;
  if (command.count("--ema")) config.ema_rate = given.ema_rate;
  for (const char* unet_only :
       {"--config", "--data", "--classes", "--p-uncond", "--device", "--kernels", "--precision",
        "--likelihood-weighting", "--undesirable-p-uncond"})
    LETHE_CHECK(command.count(unet_only) == 0, unet_only, " applies to the U-Net, not to --toy");
  toy.out_dir = run.training.out_dir;
  toy.checkpoint_every = run.training.checkpoint_every;
  toy.resume = run.training.resume;
  exit_if_interrupted(run_toy_training(toy));
}

void run_msgm(MsgmRun run, const CLI::App& command) {
  ScoreTrainingConfig& config = run.training.config;
  LETHE_CHECK(!config.undesirable.empty(), "--undesirable: no class given");
  run.msgm.variant = parse_msgm_variant(run.variant);
  config.moderation = msgm_moderation(run.msgm);
  if (!run.toy_preset.empty()) return run_toy_msgm(run, command);
  LETHE_CHECK(command.count("--components") == 0, "--components applies to --toy only");
  if (command.count("--undesirable-p-uncond"))
    config.undesirable_p_uncond = run.undesirable_p_uncond;
  exit_if_interrupted(run_score_training(run.training));
}

}  // namespace

void register_unlearn_msgm(CLI::App& unlearn) {
  auto run = std::make_shared<MsgmRun>();
  run->training.out_dir = "runs/msgm";
  CLI::App* msgm = unlearn.add_subcommand(
      "msgm", "Moderated score training (MSGM): DSM on desirable data, moderation on undesirable");
  add_score_training_flags(*msgm, run->training);
  MsgmConfig& m = run->msgm;
  add_class_list_flag(*msgm, "--undesirable", run->training.config.undesirable,
                      "Undesirable classes (digits, e.g. 7 or 1,7; toy: component indices)")
      ->required();
  msgm->add_option("--variant", run->variant,
                   "orthogonal, orthogonal-inner, obtuse or obtuse-as-coded");
  msgm->add_option("--desirable-weight", m.desirable_weight, "Weight of the DSM loss on D_g");
  msgm->add_option("--undesirable-weight", m.undesirable_weight, "Weight of the moderation term");
  msgm->add_option("--every", m.every, "Apply the moderation term every N-th step");
  msgm->add_option("--obtuse-floor", m.obtuse_floor,
                   "Floor (negated) of each sample's obtuse term <eps_hat, z>/D");
  msgm->add_option(
      "--moderation-t-max", m.t_max,
      "The moderation term's diffusion times t ~ U(t_min, this); 1: every noise level");
  msgm->add_option("--undesirable-p-uncond", run->undesirable_p_uncond,
                   "Label dropout on the undesirable batches, the share of the moderation term "
                   "that reaches the unguided score (default: --p-uncond)")
      ->check(in_range(0.0, 1.0));
  msgm->add_option("--toy", run->toy_preset,
                   "Train the 2-D MLP on this Gaussian-mixture preset instead of the U-Net");
  add_class_list_flag(*msgm, "--components", run->toy_components,
                      "--toy: train on these components only (default: all)");
  msgm->callback([run, msgm] { run_msgm(*run, *msgm); });
}

}  // namespace lethe::tools
