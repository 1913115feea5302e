// Tensor: a shape (rank 0..5), a dtype, a device and contiguous storage shared between views.
// A tensor is a cheap handle (shared_ptr to its TensorImpl); copies alias the same data.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "lethe/core/dtype.h"
#include "lethe/core/error.h"

namespace lethe {

constexpr int kMaxRank = 5;
using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& shape);  // "(2, 3, 4)"
int64_t shape_numel(const Shape& shape);

// One allocation from a device's caching allocator; returned to the cache when the last view dies.
struct Storage {
  void* data = nullptr;
  size_t bytes = 0;
  Device device = Device::cpu;
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;

  // Factories. Contents of empty() are unspecified.
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32,
                     Device device = Device::cpu);
  static Tensor ones(const Shape& shape, DType dtype = DType::f32) { return full(shape, 1, dtype); }
  static Tensor scalar(double value, DType dtype = DType::f32) { return full({}, value, dtype); }
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int rank() const { return static_cast<int>(shape().size()); }
  int64_t dim(int axis) const;  // negative axes count from the end
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Typed access to the first element; throws when T does not match the dtype.
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  void* raw_data();
  const void* raw_data() const;

  // Views share storage. reshape and slice_batch are recorded by autograd.
  Tensor reshape(const Shape& shape) const;              // one axis may be -1
  Tensor slice_batch(int64_t begin, int64_t end) const;  // rows [begin, end) of axis 0
  Tensor view_as_flat() const { return reshape({numel()}); }

  Tensor clone() const;                  // deep copy, not recorded
  Tensor to(DType dtype) const;          // conversion copy (or self when equal), not recorded
  Tensor to(Device device) const;        // transfer copy (or self when equal)
  Tensor detach() const;                 // same data, cut from the graph (stop-gradient)
  void copy_from(const Tensor& source);  // same shape and dtype, overwrites in place
  void fill(double value);

  double item() const;  // the value of a one-element tensor, as double
  std::vector<float> to_float_vector() const;
  std::vector<double> to_double_vector() const;

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool requires);
  Tensor grad() const;                // accumulated gradient of a leaf (undefined if none)
  void set_grad(const Tensor& grad);  // e.g. a view into a gradient arena
  void zero_grad();
  const std::shared_ptr<Node>& grad_fn() const;
  // Defined by the ops layer (src/ops/backward.cpp). seed defaults to ones for a scalar.
  void backward(const Tensor& seed = Tensor()) const;

  TensorImpl* impl() const { return impl_.get(); }
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  size_t offset_bytes = 0;
  Shape shape;
  DType dtype = DType::f32;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  bool graph_released = false;  // an op output whose graph a backward() pass has freed
};

// Describes a tensor for error messages: "f32 (2, 3) on cpu".
std::string describe(const Tensor& tensor);

}  // namespace lethe
