// lethe experiment msgm-mnist: MSGM on MNIST. For each model (the original, the retrained and
// fine-tuned baselines, the moderated ones; any checkpoints given as NAME=PATH) it samples
// unguided (null label) and class-conditional digits with one sampler and seed, and reports with
// the shipped classifier: the undesirable rate of unguided samples and of samples that ask for an
// undesirable digit, RA / cFID / precision / recall on D_g, bits/dim of held-out D_g and D_u
// test images, and zero-shot inpainting (top, right, centre masks) and PF-ODE reconstruction of
// held-out D_g and D_u images (PSNR, and the classifier's label of the results). Writes
// msgm-mnist.md (tables and grids), msgm-mnist.json and two grids per model.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lethe {

struct MsgmMnistOptions {
  std::vector<int> undesirable{7};
  std::string models = "original=weights/mnist-s-vp.safetensors";
  std::string baseline;  // the model each unguided undesirable count is tested against; "": first
  std::string classifier = "weights/mnist-classifier.safetensors";
  std::string data_dir = "data/mnist";
  std::string out_dir = "runs/experiments/msgm-mnist";
  std::string sampler = "ddim";
  int sampler_steps = 50;
  double cfg = 1;
  int64_t unguided = 200;       // null-label samples per model
  int64_t per_class = 20;       // conditional samples per class; 0: unguided only
  int64_t bpd_images = 16;      // test images per set (D_g, D_u); 0 skips bits/dim
  double bpd_tolerance = 1e-5;  // RK45 rtol = atol of the likelihood ODE
  int64_t edit_images = 8;      // test images per set for inpainting / reconstruction; 0 skips
  int edit_steps = 100;         // PC inpainting steps; Heun steps of the reconstruction ODE
  int64_t batch = 128;
  uint64_t seed = 1;
};

// "original=a.safetensors,msgm=b.safetensors" -> {name, checkpoint} pairs; each file must exist.
std::vector<std::pair<std::string, std::string>> parse_models(const std::string& text);

void run_msgm_mnist(const MsgmMnistOptions& options);

}  // namespace lethe
