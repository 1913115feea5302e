#include <cmath>

#include "lethe/ops.h"
#include "lethe/toy.h"

namespace lethe {

GaussianMixture GaussianMixture::preset(const std::string& name) {
  if (name == "toy-msgm") {
    return {{{0.4, {-2, -2}, 0.5}, {0.4, {2, 2}, 0.5}, {0.2, {0, 0}, 0.5}}};
  }
  fail("unknown toy data preset '", name, "': expected toy-msgm");
}

Tensor GaussianMixture::sample(int64_t count, Generator& noise) const {
  const int dim = dimension();
  const Tensor choice = noise.uniform({count});
  const Tensor z = noise.normal({count, dim});
  Tensor out = Tensor::empty({count, dim});
  const float* u = choice.data<float>();
  const float* normal = z.data<float>();
  float* data = out.data<float>();
  for (int64_t i = 0; i < count; ++i) {
    size_t k = 0;
    double cumulative = components[0].weight;
    while (u[i] > cumulative && k + 1 < components.size()) cumulative += components[++k].weight;
    const GaussianComponent& c = components[k];
    for (int d = 0; d < dim; ++d) {
      data[i * dim + d] = static_cast<float>(c.mean[d] + c.stddev * normal[i * dim + d]);
    }
  }
  return out;
}

}  // namespace lethe

namespace lethe {

double GaussianMixture::mass_in_disc(double center_x, double center_y, double radius) const {
  LETHE_CHECK(dimension() == 2, "mass_in_disc needs a 2-D mixture, this one has dimension ",
              dimension());
  constexpr int kRadial = 400, kAngular = 720;
  double mass = 0;
  for (int i = 0; i < kRadial; ++i) {  // midpoint rule in r and theta
    const double r = radius * (i + 0.5) / kRadial;
    for (int j = 0; j < kAngular; ++j) {
      const double theta = 2 * M_PI * (j + 0.5) / kAngular;
      const double x = center_x + r * std::cos(theta), y = center_y + r * std::sin(theta);
      double density = 0;
      for (const GaussianComponent& c : components) {
        const double variance = c.stddev * c.stddev;
        const double dx = x - c.mean[0], dy = y - c.mean[1];
        density +=
            c.weight * std::exp(-(dx * dx + dy * dy) / (2 * variance)) / (2 * M_PI * variance);
      }
      mass += density * r;
    }
  }
  return mass * (radius / kRadial) * (2 * M_PI / kAngular);
}

double fraction_in_disc(const Tensor& points, double center_x, double center_y, double radius) {
  LETHE_CHECK(points.rank() == 2 && points.dim(1) == 2,
              "fraction_in_disc: points must be (N, 2), got ", describe(points));
  const std::vector<double> xy = points.to_double_vector();
  int64_t inside = 0;
  for (size_t i = 0; i + 1 < xy.size(); i += 2) {
    const double dx = xy[i] - center_x, dy = xy[i + 1] - center_y;
    if (dx * dx + dy * dy <= radius * radius) ++inside;
  }
  return points.dim(0) > 0 ? static_cast<double>(inside) / points.dim(0) : 0;
}

}  // namespace lethe
