#include "lethe/core/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "lethe/core/allocator.h"
#include "lethe/core/autograd.h"

namespace lethe {

std::string shape_str(const Shape& shape) {
  std::ostringstream out;
  out << "(";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << (shape.size() == 1 ? ",)" : ")");
  return out.str();
}

int64_t shape_numel(const Shape& shape) {
  int64_t count = 1;
  for (int64_t extent : shape) {
    LETHE_CHECK(extent >= 0, "shape ", shape_str(shape), " has a negative extent");
    LETHE_CHECK(!__builtin_mul_overflow(count, extent, &count), "shape ", shape_str(shape),
                " has more than 2^63 elements");
  }
  return count;
}

std::string describe(const Tensor& tensor) {
  if (!tensor.defined()) return "undefined tensor";
  return std::string(dtype_name(tensor.dtype())) + " " + shape_str(tensor.shape()) + " on " +
         device_name(tensor.device());
}

Storage::Storage(size_t bytes, Device device) : bytes(bytes), device(device) {
  data = device_allocate(bytes, device);
}

Storage::~Storage() {
  device_release(data, bytes, device);
}

static void check_shape(const Shape& shape) {
  LETHE_CHECK(shape.size() <= static_cast<size_t>(kMaxRank), "tensor shape ", shape_str(shape),
              " has rank ", shape.size(), ", expected at most ", kMaxRank);
  for (int64_t extent : shape) {
    LETHE_CHECK(extent >= 0, "tensor shape ", shape_str(shape), " has a negative extent");
  }
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  check_shape(shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0, dtype, device);
}

// Reads element i of a buffer of any dtype as double, and writes one back.
static double load_as_double(const void* data, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::f32:
      return static_cast<const float*>(data)[i];
    case DType::f64:
      return static_cast<const double*>(data)[i];
    case DType::f16:
      return half_to_float(static_cast<const uint16_t*>(data)[i]);
    case DType::bf16:
      return bfloat16_to_float(static_cast<const uint16_t*>(data)[i]);
    case DType::i32:
      return static_cast<const int32_t*>(data)[i];
    case DType::i64:
      return static_cast<double>(static_cast<const int64_t*>(data)[i]);
    case DType::u8:
      return static_cast<const uint8_t*>(data)[i];
  }
  return 0;
}

// Integer conversions saturate (NaN becomes 0), so no input value is undefined behaviour.
template <class Int>
static Int saturate(double value) {
  if (std::isnan(value)) return 0;
  constexpr double low = static_cast<double>(std::numeric_limits<Int>::lowest());
  constexpr double high = static_cast<double>(std::numeric_limits<Int>::max());
  if (value <= low) return std::numeric_limits<Int>::lowest();
  if (value >= high) return std::numeric_limits<Int>::max();
  return static_cast<Int>(value);
}

static void store_from_double(void* data, DType dtype, int64_t i, double value) {
  switch (dtype) {
    case DType::f32:
      static_cast<float*>(data)[i] = static_cast<float>(value);
      break;
    case DType::f64:
      static_cast<double*>(data)[i] = value;
      break;
    case DType::f16:
      static_cast<uint16_t*>(data)[i] = float_to_half(float(value));
      break;
    case DType::bf16:
      static_cast<uint16_t*>(data)[i] = float_to_bfloat16(float(value));
      break;
    case DType::i32:
      static_cast<int32_t*>(data)[i] = saturate<int32_t>(value);
      break;
    case DType::i64:
      static_cast<int64_t*>(data)[i] = saturate<int64_t>(value);
      break;
    case DType::u8:
      static_cast<uint8_t*>(data)[i] = saturate<uint8_t>(value);
      break;
  }
}

// Runs `body` on a host copy of `tensor` (the tensor itself when it lives on the cpu), writing the
// host copy back afterwards when `write_back`.
template <class Body>
static void with_host_data(const Tensor& tensor, bool write_back, Body body) {
  if (tensor.device() == Device::cpu) {
    body(const_cast<void*>(tensor.raw_data()));
    return;
  }
  Tensor host = tensor.to(Device::cpu);
  body(host.raw_data());
  if (write_back) {
    device_copy(const_cast<void*>(tensor.raw_data()), tensor.device(), host.raw_data(), Device::cpu,
                tensor.nbytes());
  }
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor result = empty(shape, dtype, device);
  result.fill(value);
  return result;
}

void Tensor::fill(double value) {
  if (value == 0 && !std::signbit(value)) {  // all-zero bits in every dtype
    device_fill_zero(raw_data(), nbytes(), device());
    return;
  }
  with_host_data(*this, true, [&](void* data) {
    const int64_t n = numel();
    if (dtype() == DType::f32) {
      float* out = static_cast<float*>(data);
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(value);
      return;
    }
    for (int64_t i = 0; i < n; ++i) store_from_double(data, dtype(), i, value);
  });
}

template <class T>
static Tensor tensor_from_values(const std::vector<T>& values, const Shape& shape) {
  LETHE_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
              "from_vector: ", values.size(), " values do not fill shape ", shape_str(shape));
  Tensor result = Tensor::empty(shape, dtype_of<T>());
  if (!values.empty()) std::memcpy(result.raw_data(), values.data(), values.size() * sizeof(T));
  return result;
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape) {
  return tensor_from_values(values, shape);
}
Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape) {
  return tensor_from_values(values, shape);
}
Tensor Tensor::from_vector(const std::vector<int64_t>& values, const Shape& shape) {
  return tensor_from_values(values, shape);
}

static const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  LETHE_CHECK(impl != nullptr, "use of an undefined tensor");
  return *impl;
}

const Shape& Tensor::shape() const {
  return checked(impl_).shape;
}
int64_t Tensor::numel() const {
  return shape_numel(shape());
}
DType Tensor::dtype() const {
  return checked(impl_).dtype;
}
Device Tensor::device() const {
  return checked(impl_).storage->device;
}

int64_t Tensor::dim(int axis) const {
  const int r = rank();
  const int resolved = axis < 0 ? axis + r : axis;
  LETHE_CHECK(resolved >= 0 && resolved < r, "axis ", axis, " is out of range for ",
              describe(*this));
  return shape()[resolved];
}

void* Tensor::raw_data() {
  const TensorImpl& impl = checked(impl_);
  return static_cast<char*>(impl.storage->data) + impl.offset_bytes;
}

const void* Tensor::raw_data() const {
  return const_cast<Tensor*>(this)->raw_data();
}

template <class T>
T* Tensor::data() {
  LETHE_CHECK(dtype() == dtype_of<T>(), "tensor access as ", dtype_name(dtype_of<T>()),
              " but the tensor is ", describe(*this));
  return static_cast<T*>(raw_data());
}

template <class T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

template float* Tensor::data<float>();
template double* Tensor::data<double>();
template int32_t* Tensor::data<int32_t>();
template int64_t* Tensor::data<int64_t>();
template uint8_t* Tensor::data<uint8_t>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;
template const int32_t* Tensor::data<int32_t>() const;
template const int64_t* Tensor::data<int64_t>() const;
template const uint8_t* Tensor::data<uint8_t>() const;

static Tensor alias(const Tensor& source, const Shape& shape, size_t extra_offset_bytes) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = source.impl()->storage;
  impl->offset_bytes = source.impl()->offset_bytes + extra_offset_bytes;
  impl->shape = shape;
  impl->dtype = source.dtype();
  return Tensor(std::move(impl));
}

Tensor Tensor::reshape(const Shape& requested) const {
  Shape shape = requested;
  int inferred_axis = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      LETHE_CHECK(inferred_axis < 0, "reshape of ", describe(*this), " to ", shape_str(requested),
                  ": only one axis may be -1");
      inferred_axis = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (inferred_axis >= 0 && known > 0) shape[inferred_axis] = numel() / known;
  check_shape(shape);
  LETHE_CHECK(shape_numel(shape) == numel(), "reshape of ", describe(*this), " to ",
              shape_str(requested), ": element counts differ");
  const Shape input_shape = this->shape();
  return record(alias(*this, shape, 0), "reshape", {*this},
                [input_shape](const Tensor& grad) -> std::vector<Tensor> {
                  return {grad.reshape(input_shape)};
                });
}

Tensor Tensor::slice_batch(int64_t begin, int64_t end) const {
  LETHE_CHECK(rank() >= 1 && begin >= 0 && begin <= end && end <= shape()[0], "slice_batch [",
              begin, ", ", end, ") is out of range for ", describe(*this));
  Shape shape = this->shape();
  const int64_t row_elements = numel() / std::max<int64_t>(shape[0], 1);
  shape[0] = end - begin;
  const Tensor input = *this;
  const size_t offset = static_cast<size_t>(begin * row_elements) * dtype_size(dtype());
  return record(alias(*this, shape, offset), "slice_batch", {*this},
                [input, offset](const Tensor& grad) -> std::vector<Tensor> {
                  Tensor full_grad = Tensor::zeros(input.shape(), grad.dtype(), grad.device());
                  device_copy(static_cast<char*>(full_grad.raw_data()) + offset, grad.device(),
                              grad.raw_data(), grad.device(), grad.nbytes());
                  return {full_grad};
                });
}

Tensor Tensor::clone() const {
  Tensor copy = empty(shape(), dtype(), device());
  device_copy(copy.raw_data(), device(), raw_data(), device(), nbytes());
  return copy;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor result = empty(shape(), target, Device::cpu);
  const int64_t n = numel();
  with_host_data(*this, false, [&](void* source) {
    for (int64_t i = 0; i < n; ++i) {
      store_from_double(result.raw_data(), target, i, load_as_double(source, dtype(), i));
    }
  });
  return result.to(device());
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  Tensor result = empty(shape(), dtype(), target);
  device_copy(result.raw_data(), target, raw_data(), device(), nbytes());
  return result;
}

Tensor Tensor::detach() const {
  return alias(*this, shape(), 0);
}

void Tensor::copy_from(const Tensor& source) {
  LETHE_CHECK(source.shape() == shape() && source.dtype() == dtype(), "copy_from: source ",
              describe(source), " does not match destination ", describe(*this));
  device_copy(raw_data(), device(), source.raw_data(), source.device(), nbytes());
}

double Tensor::item() const {
  LETHE_CHECK(numel() == 1, "item() needs a one-element tensor, got ", describe(*this));
  double value = 0;
  with_host_data(*this, false, [&](void* data) { value = load_as_double(data, dtype(), 0); });
  return value;
}

std::vector<double> Tensor::to_double_vector() const {
  std::vector<double> values(static_cast<size_t>(numel()));
  with_host_data(*this, false, [&](void* data) {
    for (size_t i = 0; i < values.size(); ++i) values[i] = load_as_double(data, dtype(), i);
  });
  return values;
}

std::vector<float> Tensor::to_float_vector() const {
  const std::vector<double> values = to_double_vector();
  return std::vector<float>(values.begin(), values.end());
}

bool Tensor::requires_grad() const {
  return checked(impl_).requires_grad;
}

Tensor& Tensor::set_requires_grad(bool requires) {
  LETHE_CHECK(!requires || dtype() == DType::f32 || dtype() == DType::f64,
              "only f32 and f64 tensors can require gradients, got ", describe(*this));
  impl_->requires_grad = requires;
  return *this;
}

Tensor Tensor::grad() const {
  return checked(impl_).grad;
}

void Tensor::set_grad(const Tensor& grad) {
  LETHE_CHECK(!grad.defined() || (grad.shape() == shape() && grad.dtype() == dtype()),
              "set_grad: gradient ", describe(grad), " does not match tensor ", describe(*this));
  impl_->grad = grad;
}

void Tensor::zero_grad() {
  if (impl_ && impl_->grad.defined()) impl_->grad.fill(0);
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  return checked(impl_).grad_fn;
}

}  // namespace lethe
