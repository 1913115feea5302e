// lethe inpaint CKPT: zero-shot inpainting of held-out images (score_sde's PC inpainter): fills
// the masked part of each image and reports PSNR to the original and, with --classifier, the
// classifier's label of the result.
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

struct InpaintOptions {
  std::string checkpoint, data_dir = "data/mnist";
  std::vector<int> classes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::string mask = "top", label = "null", classifier, json, out = "inpaint.png";
  Device device = Device::cpu;
  SamplerConfig sampler;
  int64_t count = 8;
  uint64_t seed = 0;
};

void run_inpaint(const InpaintOptions& options) {
  const Device device = options.device;
  const auto model = ScoreModel::load(options.checkpoint);
  model->to(device);
  const int64_t label =
      with_flag("--label", [&] { return parse_labels(options.label, model->null_label()); }).at(0);
  check_sampler(options.sampler, model->sde());
  const SelectedImages selected =
      select_test_images(options.data_dir, options.classes, options.count);
  const int64_t n = selected.images.dim(0);
  const Tensor mask = inpainting_mask(options.mask, selected.images.dim(2), selected.images.dim(3));
  Generator noise(options.seed, 0);
  NoGrad no_grad;
  const ScoreFn score = single_label_score(*model, label, n);
  const Tensor filled =
      inpaint(score, model->sde(), options.sampler, selected.images.to(device), mask, noise)
          .to(Device::cpu);
  nlohmann::json report = report_results(selected, filled, options.classifier);
  const double mean_psnr = report["mean_psnr"];
  std::printf("mask %s, %s sampler %d steps: mean PSNR %.2f dB over %lld images\n",
              options.mask.c_str(), options.sampler.name.c_str(), options.sampler.steps, mean_psnr,
              static_cast<long long>(n));
  // Grid rows: originals, masked inputs (missing pixels grey), results.
  const Tensor masked = selected.images * mask;
  write_image_grid(options.out, concat({selected.images, masked, filled}, 0), static_cast<int>(n),
                   {"original", "masked", "inpainted"});
  std::printf("wrote %s (rows: original, masked, inpainted)\n", options.out.c_str());
  report["checkpoint"] = options.checkpoint;
  report["mask"] = options.mask;
  report["sampler"] = {{"name", options.sampler.name},
                       {"steps", options.sampler.steps},
                       {"snr", options.sampler.snr}};
  report["seed"] = options.seed;
  write_json(options.json, report);
}

}  // namespace

void register_inpaint(CLI::App& app) {
  auto options = std::make_shared<InpaintOptions>();
  options->sampler.name = "pc";
  CLI::App* command = app.add_subcommand("inpaint", "Zero-shot inpainting of held-out images");
  command->add_option("checkpoint", options->checkpoint, "Score-model checkpoint")->required();
  command->add_option("--data", options->data_dir, "IDX data directory");
  add_class_list_flag(*command, "--classes", options->classes,
                      "Classes of the test images to inpaint");
  command->add_option("--count", options->count, "Number of images")->check(positive());
  command->add_option("--mask", options->mask, "top, right or centre (the part kept/known)");
  command->add_option("--label", options->label, "Class label for the model, or null");
  command->add_option("--sampler", options->sampler.name, "em, reverse-diffusion, pc, langevin");
  command->add_option("--steps", options->sampler.steps, "Time steps")->check(positive());
  command->add_option("--snr", options->sampler.snr, "Langevin snr");
  command->add_option("--classifier", options->classifier,
                      "Classify the results with these weights");
  command->add_option("--seed", options->seed, "Random seed");
  add_device_flag(*command, options->device);
  command->add_option("--json", options->json, "Also write the figures as JSON here");
  command->add_option("--out", options->out, "PNG grid");
  command->callback([options] { run_inpaint(*options); });
}

}  // namespace lethe::tools
