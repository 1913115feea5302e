// PNG output for samples: single images and grids of a batch, written atomically (stb_image_write).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lethe/core/tensor.h"

namespace lethe {

// pixels: (height, width, channels) row-major bytes; channels 1 (gray), 2 (gray + alpha),
// 3 (RGB) or 4 (RGBA).
void write_png(const std::string& path, const uint8_t* pixels, int width, int height, int channels);

// images: f32 (N, C, H, W) with C = 1 or 3, on any device. Maps [low, high] to [0, 255] (clamped,
// NaN to 0) and tiles the images row by row into a grid of min(columns, N) columns and
// ceil(N / columns) rows, with `padding` black pixels between and around them:
//   width  = margin + grid_columns * (W + padding) + padding  (margin 0 without labels)
//   height = grid_rows * (H + padding) + padding
// The PNG is gray for C = 1 and RGB for C = 3.
// `row_labels` (empty, or one per grid row) are written left of the rows in white ASCII
// (stb_easy_font glyphs, 7 px capitals), in a margin as wide as the longest label.
void write_image_grid(const std::string& path, const Tensor& images, int columns, float low = -1,
                      float high = 1, int padding = 2,
                      const std::vector<std::string>& row_labels = {});
// The same with the default range [-1, 1] and padding 2.
void write_image_grid(const std::string& path, const Tensor& images, int columns,
                      const std::vector<std::string>& row_labels);

}  // namespace lethe
