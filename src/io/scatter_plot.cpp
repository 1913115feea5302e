#include <cmath>
#include <vector>

#include "lethe/io/png.h"
#include "lethe/io/scatter_plot.h"

namespace lethe {
namespace {

struct Canvas {
  int size;
  std::vector<uint8_t> rgb;
  explicit Canvas(int size) : size(size), rgb(static_cast<size_t>(size) * size * 3, 255) {}
  void put(int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    uint8_t* pixel = &rgb[(static_cast<size_t>(y) * size + x) * 3];
    pixel[0] = r;
    pixel[1] = g;
    pixel[2] = b;
  }
};

}  // namespace

void write_scatter_png(const std::string& path, const Tensor& points, double extent, int size,
                       double circle_radius) {
  LETHE_CHECK(points.rank() == 2 && points.dim(1) == 2, "scatter plot: points must be (N, 2), got ",
              describe(points));
  LETHE_CHECK(extent > 0 && size >= 16, "scatter plot: extent ", extent, " and size ", size,
              " must be positive (size >= 16)");
  Canvas canvas(size);
  const double scale = size / (2 * extent);
  auto to_pixel = [&](double value) {
    return static_cast<int>(std::floor((value + extent) * scale));
  };
  for (int i = 0; i < size; ++i) {
    canvas.put(i, size / 2, 200, 200, 200);
    canvas.put(size / 2, i, 200, 200, 200);
  }
  if (circle_radius > 0) {
    for (int k = 0; k < 720; k += 2) {
      const double angle = k * M_PI / 360;
      canvas.put(to_pixel(circle_radius * std::cos(angle)),
                 size - 1 - to_pixel(circle_radius * std::sin(angle)), 220, 40, 40);
    }
  }
  const std::vector<float> xy = points.to_float_vector();
  for (size_t i = 0; i + 1 < xy.size(); i += 2) {
    const int px = to_pixel(xy[i]), py = size - 1 - to_pixel(xy[i + 1]);
    for (int dy = 0; dy < 2; ++dy) {
      for (int dx = 0; dx < 2; ++dx) canvas.put(px + dx, py + dy, 30, 60, 160);
    }
  }
  write_png(path, canvas.rgb.data(), size, size, 3);
}

}  // namespace lethe
