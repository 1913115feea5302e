#include "lethe/tt/attention.h"

#include "dispatch.h"
#include "lethe/cuda/attention.h"
#include "lethe/cuda/kernel_selection.h"

namespace lethe::tt {
namespace {

cuda::AttentionGeometry attention_geometry(const Tensor& q, double scale) {
  return {q.dim(0), q.dim(1), q.dim(2), static_cast<float>(scale)};
}

}  // namespace

bool has_fused_attention(const Tensor& q) {
  if constexpr (kCudaBuild) {
    return on_cuda(q) && q.dim(2) <= cuda::kMaxFusedAttentionPositions &&
           cuda::kernel_source() != cuda::KernelSource::vendor;
  }
  return false;
}

void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, double scale,
                       Tensor& weights, Tensor& out) {
  LETHE_CHECK(has_fused_attention(q), "attention: no fused kernel for ", describe(q));
  if constexpr (kCudaBuild) {
    cuda::attention_forward<kNative>(attention_geometry(q, scale), q.data<float>(), k.data<float>(),
                                     v.data<float>(), weights.data<float>(), out.data<float>());
  }
}

void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, double scale,
                        const Tensor& weights, const Tensor& grad_out, Tensor& grad_q,
                        Tensor& grad_k, Tensor& grad_v) {
  LETHE_CHECK(has_fused_attention(q), "attention backward: no fused kernel for ", describe(q));
  if constexpr (kCudaBuild) {
    cuda::attention_backward<kNative>(attention_geometry(q, scale), q.data<float>(),
                                      k.data<float>(), v.data<float>(), weights.data<float>(),
                                      grad_out.data<float>(), grad_q.data<float>(),
                                      grad_k.data<float>(), grad_v.data<float>());
  }
}

}  // namespace lethe::tt
