// A small U-Net for tests that need a network function with non-trivial gradients.
#pragma once
#include <memory>

#include "lethe/core/autograd.h"
#include "lethe/nn/unet.h"

namespace lethe::testing {

// mnist-xs in eval mode with every weight jittered by N(0, 0.05^2): a fresh U-Net has a zero output
// convolution (the spec's init), which would make every eps_hat 0 and many gradients vanish.
inline std::unique_ptr<UNet> jittered_unet(uint64_t seed) {
  Generator init(seed);
  auto unet = std::make_unique<UNet>(UNetConfig::preset("mnist-xs"), init);
  unet->train(false);
  NoGrad no_grad;
  for (auto& [name, parameter] : unet->named_parameters())
    parameter.copy_from(parameter + init.normal(parameter.shape(), 0, 0.05));
  return unet;
}

}  // namespace lethe::testing
