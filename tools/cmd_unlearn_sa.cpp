// lethe unlearn sa: Selective Amnesia (docs/math.md#selective-amnesia) of a trained
// class-conditional U-Net: the flags, and the run of lethe/run/selective_amnesia_job.h.
//   lethe unlearn sa --forget 0 --init weights/mnist-s-vp.safetensors --out runs/sa-0
//   lethe unlearn sa --forget 0 --lambda 100 --set runs/sa-0/amnesia-set.safetensors --out
//   runs/sa-l100
#include "commands.h"
#include "flag_values.h"
#include "lethe/run/selective_amnesia_job.h"

namespace lethe::tools {

void register_unlearn_sa(CLI::App& unlearn) {
  auto run = std::make_shared<SelectiveAmnesiaRun>();
  SelectiveAmnesiaConfig& c = run->config;
  CLI::App* command = unlearn.add_subcommand(
      "sa", "Selective Amnesia: map c_f to a surrogate with EWC and generative replay");
  add_class_list_flag(*command, "--forget", c.forget, "Classes to forget (e.g. 0)")->required();
  add_checkpoint_flag(*command, "--init", run->init, "The trained score model to unlearn from");
  command->add_option("--steps", run->steps, "Forgetting steps")->check(positive());
  command
      ->add_option("--surrogate", c.surrogate,
                   "q(x | c_f): noise (U(-1, 1) pixels) or a class whose generated images are "
                   "relabelled c_f")
      ->check(parsed_by([](const std::string& text) {
        SelectiveAmnesiaConfig parsed;
        parsed.surrogate = text;
        parsed.surrogate_class();
      }));
  command->add_option("--lambda", c.lambda, "EWC weight")->check(non_negative());
  command->add_option("--gamma", c.gamma, "Generative replay weight")->check(non_negative());
  command->add_option("--lr", c.lr, "Adam learning rate")->check(positive());
  command->add_option("--clip", c.clip, "Global gradient-norm clip (0: none)")
      ->check(non_negative());
  command->add_option("--batch", c.batch, "Surrogate and replay images per step, each")
      ->check(positive());
  command
      ->add_option("--samples-per-class", c.samples_per_class,
                   "Generated set: images per class drawn from the original (SA: 500)")
      ->check(positive());
  command->add_option("--sampler", c.sampler.name, "Generated set: sampler (SA: ancestral)");
  command
      ->add_option("--sampler-steps", c.sampler.steps,
                   "Generated set: sampler steps (dpm++: evaluations; SA: 1000)")
      ->check(positive());
  command->add_option("--guidance", c.guidance, "Generated set: classifier-free guidance w")
      ->check(non_negative());
  command
      ->add_option("--fisher-times", c.fisher_times,
                   "Fisher: diffusion times per image (1000: SA's full grid)")
      ->check(CLI::Range(1, 1000));
  command->add_flag("--fisher-as-code", c.fisher_as_code,
                    "Fisher as SA's public code: images in [0, 1], labels dropped with p = 0.1");
  command->add_option("--set", run->set_path,
                      "Generated set file: loaded when it exists (same settings), else written "
                      "(default OUT/amnesia-set.safetensors)");
  command->add_option("--seed", c.seed, "Random seed");
  add_precision_flag(*command);
  add_run_directory_flags(*command, run->out_dir, run->checkpoint_every, run->resume);
  command->callback([run] { exit_if_interrupted(run_selective_amnesia(*run)); });
}

}  // namespace lethe::tools
