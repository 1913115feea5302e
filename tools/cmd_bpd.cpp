// lethe bpd CKPT: bits per dimension of held-out images through the PF-ODE (Hutchinson-Skilling
// trace estimator, RK45, uniform dequantisation, +7 for 8-bit data in [-1, 1]).
#include <cmath>
#include <cstdio>

#include "commands.h"
#include "flag_values.h"
#include "lethe/core/int_list.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/eval/image_selection.h"
#include "lethe/eval/likelihood_evaluation.h"
#include "lethe/io/json_report.h"

namespace lethe::tools {
namespace {

struct BpdOptions {
  std::string checkpoint, data_dir = "data/mnist";
  std::vector<int> classes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::string label = "null", json;
  Device device = Device::cpu;
  LikelihoodConfig likelihood;
  int64_t count = 16;
  int64_t batch = 16;
  uint64_t seed = 0;
};

void run_bpd(const BpdOptions& options) {
  const Device device = options.device;
  const auto model = ScoreModel::load(options.checkpoint);
  model->to(device);
  const int64_t label =
      with_flag("--label", [&] { return parse_labels(options.label, model->null_label()); }).at(0);
  const SelectedImages selected =
      select_test_images(options.data_dir, options.classes, options.count);
  const int64_t n = selected.images.dim(0);
  const ImagesBitsPerDim bpd =
      images_bits_per_dim(*model, selected.images, label, options.likelihood, options.batch,
                          options.seed, [n](int64_t done) {
                            std::fprintf(stderr, "bpd: %lld/%lld images\n",
                                         static_cast<long long>(done), static_cast<long long>(n));
                          });
  std::printf(
      "bits/dim %.4f +- %.4f (standard error) over %lld test images of classes {%s}, "
      "%lld NFE in total\n",
      bpd.mean, bpd.standard_error, static_cast<long long>(n), join_ints(options.classes).c_str(),
      static_cast<long long>(bpd.nfe));
  write_json(options.json, {{"checkpoint", options.checkpoint},
                            {"classes", join_ints(options.classes)},
                            {"images", n},
                            {"bits_per_dim", bpd.mean},
                            {"bits_per_dim_stderr", bpd.standard_error},
                            {"per_image", bpd.per_image},
                            {"nfe_total", bpd.nfe},
                            {"rtol", options.likelihood.rtol},
                            {"atol", options.likelihood.atol},
                            {"seed", options.seed}});
}

}  // namespace

void register_bpd(CLI::App& app) {
  auto options = std::make_shared<BpdOptions>();
  CLI::App* command = app.add_subcommand("bpd", "Bits per dimension of test images (PF-ODE)");
  command->add_option("checkpoint", options->checkpoint, "Score-model checkpoint")->required();
  command->add_option("--data", options->data_dir, "IDX data directory");
  add_class_list_flag(*command, "--classes", options->classes, "Classes of the test images");
  command->add_option("--count", options->count, "Number of images")->check(positive());
  command->add_option("--batch", options->batch, "Images per ODE solve")->check(positive());
  command->add_option("--label", options->label, "Class label for the model, or null");
  command->add_option("--rtol", options->likelihood.rtol, "RK45 relative tolerance");
  command->add_option("--atol", options->likelihood.atol, "RK45 absolute tolerance");
  command->add_option("--seed", options->seed, "Random seed (dequantisation, probes)");
  add_device_flag(*command, options->device);
  command->add_option("--json", options->json, "Also write the figures as JSON here");
  command->callback([options] { run_bpd(*options); });
}

}  // namespace lethe::tools
