// Raster plots written as PNG: enough to look at 2-D samples without any plotting library.
#pragma once
#include <string>

#include "lethe/core/tensor.h"

namespace lethe {

// points: (N, 2) f32. Draws them on a size x size white canvas covering [-extent, extent]^2, with
// the axes in grey and a dashed circle of `circle_radius` around the origin when > 0.
void write_scatter_png(const std::string& path, const Tensor& points, double extent, int size,
                       double circle_radius = 0);

}  // namespace lethe
