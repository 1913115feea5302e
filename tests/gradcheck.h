// Finite-difference gradient checker (rung 1 of the test ladder), for ops, nn layers and models.
//
// Given f: f64 inputs -> one output tensor, it draws a fixed random cotangent v of the output's
// shape (Philox, seeded), back-propagates the scalar s = sum(f(inputs) * v) to every input that
// requires a gradient, and compares each element of those gradients with the central difference
// (s(x + h) - s(x - h)) / 2h, h = 1e-6, in f64. The error of one element is
// |analytic - numeric| / max(1, |numeric|); a check passes when the largest error is at most the
// tolerance (1e-6 by default: the finite-difference error at h = 1e-6 is ~1e-12 from truncation
// plus ~1e-10 * |s| from rounding, far below it, while a wrong VJP is off by O(1)).
// Keep the inputs small: f runs twice per checked element.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lethe/core/autograd.h"
#include "lethe/core/tensor.h"
#include "lethe/ops/ops.h"
#include "lethe/ops/random.h"

namespace lethe::testing {

using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double step = 1e-6;
  double tolerance = 1e-6;
  uint64_t cotangent_seed = 20240611;
};

struct GradcheckResult {
  double max_error = 0;  // max over checked elements of |analytic - numeric| / max(1, |numeric|)
  int worst_input = -1;
  int64_t worst_element = -1;
  std::string worst_index;  // the worst element as a multi-index, "(1, 0, 2)"
  double worst_analytic = 0;
  double worst_numeric = 0;
  int64_t checked_elements = 0;
  std::string failure;  // a structural problem (dtype, gradient shape); empty when none

  std::string summary() const {
    std::ostringstream text;
    text.precision(10);
    if (!failure.empty()) text << "failure: " << failure << "; ";
    text << "checked " << checked_elements << " elements, max error " << max_error;
    if (worst_input >= 0) {
      text << " at input " << worst_input << " element " << worst_element << " " << worst_index
           << " (analytic " << worst_analytic << ", numeric " << worst_numeric << ")";
    }
    return text.str();
  }
};

inline std::string multi_index(const Shape& shape, int64_t flat) {
  Shape index(shape.size());
  for (size_t axis = shape.size(); axis-- > 0;) {
    index[axis] = flat % shape[axis];
    flat /= shape[axis];
  }
  return shape_str(index);
}

// sum_i output_i * cotangent_i, accumulated in double.
inline double cotangent_dot(const Tensor& output, const std::vector<double>& cotangent) {
  const std::vector<double> values = output.to_double_vector();
  double total = 0;
  for (size_t i = 0; i < values.size(); ++i) total += values[i] * cotangent[i];
  return total;
}

inline GradcheckResult gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                                 const GradcheckOptions& options = {}) {
  GradcheckResult result;
  std::vector<int> checked;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.defined() || !input.requires_grad()) continue;
    if (input.dtype() != DType::f64 || input.device() != Device::cpu) {
      result.failure =
          "input " + std::to_string(i) + " is " + describe(input) + ", expected f64 on cpu";
      return result;
    }
    Tensor(input).set_grad(Tensor());
    checked.push_back(static_cast<int>(i));
  }
  if (checked.empty()) {
    result.failure = "no input requires a gradient";
    return result;
  }

  const Tensor output = f(inputs);
  if (output.dtype() != DType::f64) {
    result.failure = "output is " + describe(output) + ", expected f64";
    return result;
  }
  Generator cotangent_generator(options.cotangent_seed);
  const Tensor cotangent = cotangent_generator.normal(output.shape(), 0, 1, DType::f64);
  if (output.requires_grad()) sum(mul(output, cotangent)).backward();
  const std::vector<double> cotangent_values = cotangent.to_double_vector();

  NoGrad no_grad;
  for (int i : checked) {
    Tensor input = inputs[static_cast<size_t>(i)];
    const Tensor grad = input.grad();
    if (grad.defined() && grad.shape() != input.shape()) {
      result.failure = "gradient of input " + std::to_string(i) + " is " + describe(grad) +
                       " but the input is " + describe(input);
      return result;
    }
    const std::vector<double> analytic =
        grad.defined() ? grad.to_double_vector() : std::vector<double>(input.numel(), 0.0);
    double* values = input.data<double>();
    for (int64_t k = 0; k < input.numel(); ++k) {
      const double saved = values[k];
      values[k] = saved + options.step;
      const double plus = cotangent_dot(f(inputs), cotangent_values);
      values[k] = saved - options.step;
      const double minus = cotangent_dot(f(inputs), cotangent_values);
      values[k] = saved;
      const double numeric = (plus - minus) / (2 * options.step);
      const double error = std::abs(analytic[k] - numeric) / std::max(1.0, std::abs(numeric));
      ++result.checked_elements;
      if (!(error <= result.max_error)) {  // also catches NaN
        result.max_error = std::isnan(error) ? HUGE_VAL : error;
        result.worst_input = i;
        result.worst_element = k;
        result.worst_index = multi_index(input.shape(), k);
        result.worst_analytic = analytic[k];
        result.worst_numeric = numeric;
      }
    }
  }
  return result;
}

// Runs gradcheck and asserts it passed (an exception counts as a failure, so later cases still
// run); `label` names the case in the doctest message.
inline void check_gradients(const std::string& label, const TensorFunction& f,
                            const std::vector<Tensor>& inputs,
                            const GradcheckOptions& options = {}) {
  GradcheckResult result;
  try {
    result = gradcheck(f, inputs, options);
  } catch (const std::exception& error) {
    result.failure = std::string("threw: ") + error.what();
    result.max_error = HUGE_VAL;
  }
  CHECK_MESSAGE(result.failure.empty(), label, ": ", result.summary());
  CHECK_MESSAGE(result.max_error <= options.tolerance, label, ": ", result.summary(),
                " (tolerance ", options.tolerance, ")");
}

// An f64 leaf of uniform values in [low, high) that requires a gradient.
inline Tensor uniform_leaf(Generator& generator, const Shape& shape, double low = -1,
                           double high = 1) {
  return generator.uniform(shape, low, high, DType::f64).set_requires_grad(true);
}

// An f64 leaf whose magnitudes lie in [low, high) with random signs (away from 0 for abs, div).
inline Tensor signed_leaf(Generator& generator, const Shape& shape, double low, double high) {
  Tensor values = generator.uniform(shape, low, high, DType::f64);
  const Tensor signs = generator.bernoulli(shape, 0.5, DType::f64);
  double* data = values.data<double>();
  const double* sign_data = signs.data<double>();
  for (int64_t i = 0; i < values.numel(); ++i) data[i] *= sign_data[i] > 0 ? 1 : -1;
  return values.set_requires_grad(true);
}

}  // namespace lethe::testing
