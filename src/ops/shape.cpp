// concat, split and narrow along any axis: block copies of a tensor viewed as
// (outer, extent along the axis, inner).
#include "lethe/ops/shape.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/copy.h"

namespace lethe {
namespace {

// Bytes of one slice of `shape` at `axis` (the product of the extents after it, times the size).
int64_t inner_bytes(const Shape& shape, int axis, DType dtype) {
  int64_t inner = 1;
  for (size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  return inner * static_cast<int64_t>(dtype_size(dtype));
}

int64_t outer_count(const Shape& shape, int axis) {
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= shape[i];
  return outer;
}

}  // namespace

Tensor narrow(const Tensor& a, int axis, int64_t start, int64_t length) {
  check_float("narrow", a, "input");
  const int ax = resolve_axis("narrow", axis, a.rank());
  LETHE_CHECK(start >= 0 && length >= 0 && start + length <= a.dim(ax), "narrow: [", start, ", ",
              start + length, ") is out of range for axis ", axis, " of ", describe(a));
  Shape shape = a.shape();
  shape[ax] = length;
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  const profile::Scope scope("narrow", "forward", a.shape(), 0, 2.0 * out.nbytes());
  const int64_t slice = inner_bytes(a.shape(), ax, a.dtype());
  tt::copy_blocks(out, 0, length * slice, a, start * slice, a.dim(ax) * slice, length * slice,
                  outer_count(a.shape(), ax));
  const Shape input_shape = a.shape();
  return record(out, "narrow", {a}, [=](const Tensor& grad) {
    Tensor grad_input = Tensor::zeros(input_shape, grad.dtype(), grad.device());
    tt::copy_blocks(grad_input, start * slice, input_shape[ax] * slice, grad, 0, length * slice,
                    length * slice, outer_count(input_shape, ax));
    return std::vector<Tensor>{grad_input};
  });
}

Tensor concat(const std::vector<Tensor>& parts, int axis) {
  LETHE_CHECK(!parts.empty(), "concat: no tensors given");
  const Tensor& first = parts[0];
  check_float("concat", first, "part 0");
  const int ax = resolve_axis("concat", axis, first.rank());
  Shape shape = first.shape();
  shape[ax] = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    check_float("concat", parts[i], "part");
    check_compatible("concat", first, parts[i]);
    Shape expected = first.shape(), got = parts[i].shape();
    LETHE_CHECK(got.size() == expected.size(), "concat: part ", i, " ", describe(parts[i]),
                " has a different rank from ", describe(first));
    expected[ax] = got[ax];
    LETHE_CHECK(got == expected, "concat: part ", i, " ", describe(parts[i]), " does not match ",
                describe(first), " outside axis ", axis);
    shape[ax] += got[ax];
  }
  Tensor out = Tensor::empty(shape, first.dtype(), first.device());
  const profile::Scope scope("concat", "forward", shape, 0, 2.0 * out.nbytes());
  const int64_t slice = inner_bytes(shape, ax, first.dtype());
  const int64_t outer = outer_count(shape, ax);
  int64_t start = 0;
  std::vector<int64_t> sizes;
  for (const Tensor& part : parts) {
    const int64_t extent = part.dim(ax);
    tt::copy_blocks(out, start * slice, shape[ax] * slice, part, 0, extent * slice, extent * slice,
                    outer);
    start += extent;
    sizes.push_back(extent);
  }
  return record(out, "concat", parts,
                [sizes, ax](const Tensor& grad) { return split(grad, sizes, ax); });
}

std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int axis) {
  const int ax = resolve_axis("split", axis, a.rank());
  int64_t total = 0;
  for (int64_t size : sizes) total += size;
  LETHE_CHECK(total == a.dim(ax), "split: sizes add up to ", total, " but axis ", axis, " of ",
              describe(a), " has ", a.dim(ax));
  std::vector<Tensor> parts;
  int64_t start = 0;
  for (int64_t size : sizes) {
    parts.push_back(narrow(a, ax, start, size));
    start += size;
  }
  return parts;
}

}  // namespace lethe
