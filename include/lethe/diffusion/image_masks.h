// Inpainting masks for (B, C, H, W) images: 1 marks a known pixel, 0 one to fill in.
#pragma once
#include <string>

#include "lethe/core/tensor.h"

namespace lethe {

// "top": the bottom half is missing (the top half is known); "right": the right half is missing;
// "centre": a centred square of half the side is missing. Returns (1, 1, H, W), broadcastable.
Tensor inpainting_mask(const std::string& name, int64_t height, int64_t width);

// Peak signal-to-noise ratio per image of a vs b (B, ...) for values spanning `range`
// (2 for the [-1, 1] scale): 10 log10(range^2 / mean squared error) -> (B) f64 values.
std::vector<double> psnr(const Tensor& a, const Tensor& b, double range = 2);

}  // namespace lethe
