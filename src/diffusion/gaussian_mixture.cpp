#include <cmath>
#include <sstream>

#include "lethe/diffusion/gaussian_mixture.h"
#include "lethe/ops/ops.h"

namespace lethe {

GaussianMixture GaussianMixture::preset(const std::string& name) {
  if (name == "toy-msgm") {
    return {{{0.4, {-2, -2}, 0.5}, {0.4, {2, 2}, 0.5}, {0.2, {0, 0}, 0.5}}};
  }
  GaussianMixture mixture;
  if (name == "rings") {
    for (int k = 0; k < 8; ++k) {
      const double angle = 2 * M_PI * k / 8;
      mixture.components.push_back({1.0 / 8, {2.5 * std::cos(angle), 2.5 * std::sin(angle)}, 0.3});
    }
    return mixture;
  }
  if (name == "grid") {
    for (int row = -1; row <= 1; ++row) {
      for (int col = -1; col <= 1; ++col) {
        mixture.components.push_back({1.0 / 9, {2.0 * col, 2.0 * row}, 0.3});
      }
    }
    return mixture;
  }
  fail("unknown toy data preset '", name, "': expected toy-msgm, rings, grid or a spec ",
       "w@x,y@s;...");
}

GaussianMixture GaussianMixture::parse(const std::string& text) {
  if (text.find('@') == std::string::npos) return preset(text);
  GaussianMixture mixture;
  double total = 0;
  std::stringstream components(text);
  std::string item;
  while (std::getline(components, item, ';')) {
    double weight, x, y, stddev;
    char at1, comma, at2;
    std::stringstream fields(item);
    LETHE_CHECK((fields >> weight >> at1 >> x >> comma >> y >> at2 >> stddev) && at1 == '@' &&
                    comma == ',' && at2 == '@' && weight > 0 && stddev > 0 &&
                    (fields >> std::ws).eof(),
                "toy mixture component '", item, "' is not w@x,y@s with w > 0 and s > 0");
    mixture.components.push_back({weight, {x, y}, stddev});
    total += weight;
  }
  LETHE_CHECK(!mixture.components.empty(), "toy mixture spec '", text, "' has no component");
  for (GaussianComponent& c : mixture.components) c.weight /= total;
  return mixture;
}

std::string GaussianMixture::spec() const {
  std::ostringstream out;
  out.precision(17);
  for (size_t k = 0; k < components.size(); ++k) {
    const GaussianComponent& c = components[k];
    out << (k ? ";" : "") << c.weight << "@" << c.mean[0] << "," << c.mean[1] << "@" << c.stddev;
  }
  return out.str();
}

GaussianMixtureModel to_mixture_model(const GaussianMixture& mixture) {
  GaussianMixtureModel model;
  const int dimension = mixture.dimension();
  for (const GaussianComponent& c : mixture.components) {
    model.weights.push_back(c.weight);
    model.means.insert(model.means.end(), c.mean.begin(), c.mean.end());
    for (int row = 0; row < dimension; ++row)
      for (int column = 0; column < dimension; ++column)
        model.covariances.push_back(row == column ? c.stddev * c.stddev : 0.0);
  }
  model.check();
  return model;
}

GaussianMixture GaussianMixture::with_components(const std::vector<int>& indices) const {
  GaussianMixture subset;
  double total = 0;
  for (int index : indices) {
    LETHE_CHECK(index >= 0 && index < static_cast<int>(components.size()), "toy component ", index,
                " does not exist: the mixture has ", components.size());
    subset.components.push_back(components[index]);
    total += components[index].weight;
  }
  LETHE_CHECK(!subset.components.empty(), "no toy component selected");
  for (GaussianComponent& c : subset.components) c.weight /= total;
  return subset;
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
