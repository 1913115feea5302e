// One-step generators (SiD, SFD: lethe/unlearn/score_forgetting_distillation.h): a U-Net that maps
// noise to an image in one evaluation, read through the DDPM-step view of a continuous VP SDE.
#pragma once
#include <cstdint>
#include <vector>

#include "lethe/diffusion/diffusion.h"
#include "lethe/nn/unet.h"

namespace lethe {

// Integer DDPM step i of 1000 is SDE time t = i / 999; a_t = m(t), b_t = std(t).
double ddpm_step_time(int step);

// x0_hat = (x_t - b_t eps_hat) / a_t per sample. x_t, eps_hat (B, C, H, W); steps (B) host i64.
Tensor x0_from_eps(const Sde& sde, const Tensor& x_t, const Tensor& eps_hat,
                   const std::vector<int64_t>& steps);

// The one-step generator: x_g = x0_hat_theta(b z, t_init, c) with z (B, C, H, W) ~ N(0, I),
// labels (B) i64 on z's device. Differentiable in the generator's weights.
Tensor one_step_generate(const UNet& generator, const Sde& sde, int t_init_step, const Tensor& z,
                         const Tensor& labels, Generator& dropout_noise);

}  // namespace lethe
