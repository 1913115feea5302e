// The layout in which the direct convolutions (cpu/conv_direct.cpp) and the implicit weight
// gradient (cpu/conv_weight_gradient.cpp) stack a block of images: rows of cols + pad positions
// (the pad zeros after each row are also the zeros before the next one), each image's rows
// followed by pad zero rows, and a lead of pad zero rows plus pad zeros before the first image.
// Pixel (u, v) of image i is entry lead + position(i, u, v), and its neighbour (u + dh, v + dw),
// |dh|, |dw| <= pad, is position(i, u, v) + dh * row_width + dw further: one offset per tap.
#pragma once
#include <cstdint>

#include "lethe/cpu/conv.h"

namespace lethe::cpu {

struct PaddedGrid {
  int64_t rows, cols, pad;
  int64_t row_width() const { return cols + pad; }
  int64_t image_rows() const { return rows + pad; }
  int64_t lead() const { return pad * row_width() + pad; }
  int64_t positions(int64_t images) const { return images * image_rows() * row_width(); }
  int64_t position(int64_t image, int64_t u, int64_t v) const {
    return (image * image_rows() + u) * row_width() + v;
  }
  // Entries a stacked block of `images` spans: the lead, the positions and the reach of the last
  // positions' taps (another lead).
  int64_t entries(int64_t images) const { return 2 * lead() + positions(images); }
};

// The output positions of a same-size stride-1 or a phase-shiftable convolution (conv.h), padded
// by the largest shift of its taps (phase_tap): the padding, or 1 for a stride.
inline PaddedGrid output_grid(const ConvGeometry& g) {
  return {g.out_h(), g.out_w(), g.stride == 1 ? g.padding : 1};
}

}  // namespace lethe::cpu
