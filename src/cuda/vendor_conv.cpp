#include "lethe/cuda/vendor_conv.h"

#include <cudnn.h>

#include <climits>
#include <map>
#include <memory>
#include <tuple>

#include "lethe/core/cuda_check.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {

inline void check_status(cudnnStatus_t status, const char* call, const char* meaning,
                         const char* file, int line) {
  if (status != CUDNN_STATUS_SUCCESS) {
    fail(file, ":", line, ": cuDNN error in ", call, " (", meaning,
         "): ", cudnnGetErrorString(status));
  }
}

namespace {

constexpr int kAlgorithmsToTime = 16;

// One handle per process, on the default stream, created at first use.
cudnnHandle_t cudnn_handle() {
  static const cudnnHandle_t handle = [] {
    cudnnHandle_t created = nullptr;
    LETHE_CUDA_CHECK(cudnnCreate(&created), "creating the cuDNN handle");
    return created;
  }();
  return handle;
}

int narrow(int64_t value) {
  LETHE_CHECK(value < INT_MAX, "cudnn conv2d: extent ", value, " exceeds 32-bit indexing");
  return static_cast<int>(value);
}

cudnnTensorDescriptor_t nchw_descriptor(int64_t batch, int64_t channels, int64_t height,
                                        int64_t width) {
  cudnnTensorDescriptor_t descriptor = nullptr;
  LETHE_CUDA_CHECK(cudnnCreateTensorDescriptor(&descriptor), "creating a tensor descriptor");
  LETHE_CUDA_CHECK(
      cudnnSetTensor4dDescriptor(descriptor, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, narrow(batch),
                                 narrow(channels), narrow(height), narrow(width)),
      "describing an NCHW fp32 tensor");
  return descriptor;
}

// The first successful entry of a cudnnFind* result list (sorted fastest first).
template <class Performance>
Performance fastest(const Performance* results, int count, const char* direction) {
  for (int i = 0; i < count; ++i) {
    if (results[i].status == CUDNN_STATUS_SUCCESS) return results[i];
  }
  fail("cudnn conv2d: no ", direction, " algorithm runs this geometry");
}

// Descriptors and the chosen algorithms of one convolution geometry.
class ConvPlan {
 public:
  ConvPlan(const ConvGeometry& g, Float32Math math);
  ~ConvPlan();
  ConvPlan(const ConvPlan&) = delete;
  ConvPlan& operator=(const ConvPlan&) = delete;

  cudnnTensorDescriptor_t x, y, bias;
  cudnnFilterDescriptor_t weight = nullptr;
  cudnnConvolutionDescriptor_t convolution = nullptr;
  cudnnConvolutionFwdAlgoPerf_t forward;
  cudnnConvolutionBwdDataAlgoPerf_t backward_data;
  cudnnConvolutionBwdFilterAlgoPerf_t backward_filter;
};

ConvPlan::ConvPlan(const ConvGeometry& g, Float32Math math)
    : x(nchw_descriptor(g.batch, g.in_channels, g.height, g.width)),
      y(nchw_descriptor(g.batch, g.out_channels, g.out_h(), g.out_w())),
      bias(nchw_descriptor(1, g.out_channels, 1, 1)) {
  LETHE_CUDA_CHECK(cudnnCreateFilterDescriptor(&weight), "creating a filter descriptor");
  LETHE_CUDA_CHECK(cudnnSetFilter4dDescriptor(weight, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                              narrow(g.out_channels), narrow(g.in_channels),
                                              narrow(g.kernel_h), narrow(g.kernel_w)),
                   "describing the (Cout, Cin, KH, KW) fp32 weight");
  LETHE_CUDA_CHECK(cudnnCreateConvolutionDescriptor(&convolution),
                   "creating a convolution descriptor");
  const int padding = narrow(g.padding), stride = narrow(g.stride);
  LETHE_CUDA_CHECK(cudnnSetConvolution2dDescriptor(convolution, padding, padding, stride, stride, 1,
                                                   1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                   "describing a zero-padded cross-correlation in fp32");
  if (math == Float32Math::tf32) {
    LETHE_CUDA_CHECK(cudnnSetConvolutionMathType(convolution, CUDNN_TENSOR_OP_MATH),
                     "letting cuDNN use TF32 tensor cores on fp32 data");
  } else {
    LETHE_CUDA_CHECK(cudnnSetConvolutionMathType(convolution, CUDNN_FMA_MATH),
                     "restricting cuDNN to fp32 FMA math (no TF32)");
  }
  const cudnnHandle_t handle = cudnn_handle();
  int count = 0;
  cudnnConvolutionFwdAlgoPerf_t forward_results[kAlgorithmsToTime];
  LETHE_CUDA_CHECK(cudnnFindConvolutionForwardAlgorithm(handle, x, weight, convolution, y,
                                                        kAlgorithmsToTime, &count, forward_results),
                   "timing the forward convolution algorithms");
  forward = fastest(forward_results, count, "forward");
  cudnnConvolutionBwdDataAlgoPerf_t data_results[kAlgorithmsToTime];
  LETHE_CUDA_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(
                       handle, weight, y, convolution, x, kAlgorithmsToTime, &count, data_results),
                   "timing the backward-data convolution algorithms");
  backward_data = fastest(data_results, count, "backward-data");
  cudnnConvolutionBwdFilterAlgoPerf_t filter_results[kAlgorithmsToTime];
  LETHE_CUDA_CHECK(
      cudnnFindConvolutionBackwardFilterAlgorithm(handle, x, y, convolution, weight,
                                                  kAlgorithmsToTime, &count, filter_results),
      "timing the backward-filter convolution algorithms");
  backward_filter = fastest(filter_results, count, "backward-filter");
}

ConvPlan::~ConvPlan() {
  cudnnDestroyConvolutionDescriptor(convolution);
  cudnnDestroyFilterDescriptor(weight);
  cudnnDestroyTensorDescriptor(bias);
  cudnnDestroyTensorDescriptor(y);
  cudnnDestroyTensorDescriptor(x);
}

using PlanKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                           int64_t, Float32Math>;

const ConvPlan& plan_for(const ConvGeometry& g, Float32Math math) {
  static std::map<PlanKey, std::unique_ptr<ConvPlan>> plans;
  const PlanKey key{g.batch,    g.in_channels, g.height, g.width,   g.out_channels,
                    g.kernel_h, g.kernel_w,    g.stride, g.padding, math};
  std::unique_ptr<ConvPlan>& plan = plans[key];
  if (plan == nullptr) plan = std::make_unique<ConvPlan>(g, math);
  return *plan;
}

void* workspace(size_t bytes) {
  static Workspace<Target::native> buffer;
  return buffer.reserve(bytes);
}

}  // namespace

void cudnn_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                          const float* bias, float* y, Float32Math math) {
  const ConvPlan& plan = plan_for(g, math);
  const float one = 1.0f, zero = 0.0f;
  LETHE_CUDA_CHECK(
      cudnnConvolutionForward(cudnn_handle(), &one, plan.x, x, plan.weight, weight,
                              plan.convolution, plan.forward.algo, workspace(plan.forward.memory),
                              plan.forward.memory, &zero, plan.y, y),
      "running the cuDNN forward convolution");
  if (bias == nullptr) return;
  LETHE_CUDA_CHECK(cudnnAddTensor(cudnn_handle(), &one, plan.bias, bias, &one, plan.y, y),
                   "adding the bias to the cuDNN convolution's output");
}

void cudnn_conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                                 float* grad_x, Float32Math math) {
  const ConvPlan& plan = plan_for(g, math);
  const float one = 1.0f, zero = 0.0f;
  LETHE_CUDA_CHECK(cudnnConvolutionBackwardData(cudnn_handle(), &one, plan.weight, weight, plan.y,
                                                grad_y, plan.convolution, plan.backward_data.algo,
                                                workspace(plan.backward_data.memory),
                                                plan.backward_data.memory, &zero, plan.x, grad_x),
                   "running the cuDNN backward-data convolution");
}

void cudnn_conv2d_backward_weight(const ConvGeometry& g, const float* grad_y, const float* x,
                                  float* grad_weight, float* grad_bias, Float32Math math) {
  const ConvPlan& plan = plan_for(g, math);
  const float one = 1.0f, zero = 0.0f;
  LETHE_CUDA_CHECK(cudnnConvolutionBackwardFilter(
                       cudnn_handle(), &one, plan.x, x, plan.y, grad_y, plan.convolution,
                       plan.backward_filter.algo, workspace(plan.backward_filter.memory),
                       plan.backward_filter.memory, &zero, plan.weight, grad_weight),
                   "running the cuDNN backward-filter convolution");
  if (grad_bias == nullptr) return;
  LETHE_CUDA_CHECK(cudnnConvolutionBackwardBias(cudnn_handle(), &one, plan.y, grad_y, &zero,
                                                plan.bias, grad_bias),
                   "summing the bias gradient with cuDNN");
}

}  // namespace lethe::cuda
