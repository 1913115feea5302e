#include "lethe/ops/random.h"

#include "lethe/core/error.h"
#include "lethe/tt/random.h"

namespace lethe {

uint64_t Generator::take_blocks(int64_t n_values) {
  const uint64_t first = offset_;
  offset_ += static_cast<uint64_t>((n_values + 3) / 4);
  return first;
}

static Tensor float_draw_as(Tensor values, DType dtype) {
  LETHE_CHECK(is_floating(dtype), "random draw: dtype ", dtype_name(dtype), " is not floating");
  return values.to(dtype);
}

Tensor Generator::uniform(const Shape& shape, double low, double high, DType dtype, Device device) {
  Tensor values = Tensor::empty(shape, DType::f32, device);
  tt::uniform_fill(values, seed_, take_blocks(values.numel()), low, high);
  return float_draw_as(values, dtype);
}

Tensor Generator::normal(const Shape& shape, double mean, double stddev, DType dtype,
                         Device device) {
  Tensor values = Tensor::empty(shape);
  tt::normal_fill(values, seed_, take_blocks(values.numel()));
  if (mean != 0 || stddev != 1) {
    float* data = values.data<float>();
    for (int64_t i = 0; i < values.numel(); ++i) {
      data[i] = static_cast<float>(mean + stddev * data[i]);
    }
  }
  return float_draw_as(values, dtype).to(device);
}

Tensor Generator::randint(const Shape& shape, int64_t low, int64_t high, Device device) {
  LETHE_CHECK(low < high, "randint: empty range [", low, ", ", high, ")");
  const uint64_t range = static_cast<uint64_t>(high - low);
  LETHE_CHECK(range <= (uint64_t{1} << 32), "randint: range ", range, " exceeds 2^32");
  Tensor values = Tensor::empty(shape, DType::i64, device);
  tt::randint_fill(values, seed_, take_blocks(values.numel()), low, high);
  return values;
}

Tensor Generator::bernoulli(const Shape& shape, double p, DType dtype, Device device) {
  LETHE_CHECK(p >= 0 && p <= 1, "bernoulli: probability ", p, " is outside [0, 1]");
  Tensor values = Tensor::empty(shape, DType::f32, device);
  tt::bernoulli_fill(values, seed_, take_blocks(values.numel()), p);
  return float_draw_as(values, dtype);
}

}  // namespace lethe
