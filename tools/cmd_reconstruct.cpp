// lethe reconstruct CKPT: PF-ODE reconstruction of held-out images (encode to T, perturb at
// t = 0.02, decode), with PSNR to the original and, with --classifier, the classifier's label.
#include <cstdio>

#include "commands.h"
#include "flag_values.h"
#include "lethe/core/autograd.h"
#include "lethe/diffusion/image_masks.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/eval/classifier.h"
#include "lethe/eval/image_selection.h"
#include "lethe/io/json_report.h"
#include "lethe/io/png.h"

namespace lethe::tools {
namespace {

struct ReconstructOptions {
  std::string checkpoint, data_dir = "data/mnist";
  std::vector<int> classes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::string label = "null", classifier, json, out = "reconstruct.png";
  Device device = Device::cpu;
  SamplerConfig ode;
  int64_t count = 8;
  uint64_t seed = 0;
};

void run_reconstruct(const ReconstructOptions& options) {
  const Device device = options.device;
  const auto model = ScoreModel::load(options.checkpoint);
  model->to(device);
  const int64_t label =
      with_flag("--label", [&] { return parse_labels(options.label, model->null_label()); }).at(0);
  const SelectedImages selected =
      select_test_images(options.data_dir, options.classes, options.count);
  const int64_t n = selected.images.dim(0);
  Generator noise(options.seed, 0);
  NoGrad no_grad;
  const ScoreFn score = single_label_score(*model, label, n);
  const Tensor result =
      reconstruct(score, model->sde(), options.ode, selected.images.to(device), noise)
          .to(Device::cpu);
  nlohmann::json report = report_results(selected, result, options.classifier);
  const double mean_psnr = report["mean_psnr"];
  std::printf("%s PF-ODE: mean PSNR %.2f dB over %lld images\n", options.ode.name.c_str(),
              mean_psnr, static_cast<long long>(n));
  write_image_grid(options.out, concat({selected.images, result}, 0), static_cast<int>(n),
                   {"original", "reconstructed"});
  std::printf("wrote %s (rows: original, reconstruction)\n", options.out.c_str());
  report["checkpoint"] = options.checkpoint;
  report["ode"] = {{"name", options.ode.name},
                   {"steps", options.ode.steps},
                   {"rtol", options.ode.rtol},
                   {"atol", options.ode.atol}};
  report["seed"] = options.seed;
  write_json(options.json, report);
}

}  // namespace

void register_reconstruct(CLI::App& app) {
  auto options = std::make_shared<ReconstructOptions>();
  options->ode.name = "rk45";
  CLI::App* command =
      app.add_subcommand("reconstruct", "PF-ODE reconstruction (encode, perturb, decode)");
  command->add_option("checkpoint", options->checkpoint, "Score-model checkpoint")->required();
  command->add_option("--data", options->data_dir, "IDX data directory");
  add_class_list_flag(*command, "--classes", options->classes, "Classes of the test images");
  command->add_option("--count", options->count, "Number of images")->check(positive());
  command->add_option("--label", options->label, "Class label for the model, or null");
  command->add_option("--ode", options->ode.name, "rk45 or heun");
  command->add_option("--steps", options->ode.steps, "Heun steps")->check(positive());
  command->add_option("--rtol", options->ode.rtol, "RK45 relative tolerance");
  command->add_option("--atol", options->ode.atol, "RK45 absolute tolerance");
  command->add_option("--classifier", options->classifier,
                      "Classify the results with these weights");
  command->add_option("--seed", options->seed, "Random seed");
  add_device_flag(*command, options->device);
  command->add_option("--json", options->json, "Also write the figures as JSON here");
  command->add_option("--out", options->out, "PNG grid");
  command->callback([options] { run_reconstruct(*options); });
}

}  // namespace lethe::tools
