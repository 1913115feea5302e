// Single-head attention: the fused CUDA kernels with their own VJP, or the composition of matmul
// and softmax (CPU, f64, long sequences, --kernels vendor), whose VJPs autograd chains.
#include "lethe/ops/attention.h"

#include <cmath>

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/attention.h"

namespace lethe {
namespace {

Tensor fused_attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale) {
  const int64_t batch = q.dim(0), channels = q.dim(1), positions = q.dim(2);
  Tensor out = Tensor::empty(q.shape(), q.dtype(), q.device());
  Tensor weights = Tensor::empty({batch, positions, positions}, q.dtype(), q.device());
  const double flops = 4.0 * batch * channels * positions * positions;
  {
    const profile::Scope scope("attention", "forward", q.shape(), flops,
                               4.0 * q.nbytes() + weights.nbytes());
    tt::attention_forward(q, k, v, scale, weights, out);
  }
  const Tensor Q = q.detach(), K = k.detach(), V = v.detach();
  return record(out, "attention", {q, k, v}, [=](const Tensor& grad) {
    Tensor grad_q = Tensor::empty(Q.shape(), Q.dtype(), Q.device());
    Tensor grad_k = Tensor::empty(Q.shape(), Q.dtype(), Q.device());
    Tensor grad_v = Tensor::empty(Q.shape(), Q.dtype(), Q.device());
    const profile::Scope scope("attention", "backward", Q.shape(), 2 * flops,
                               7.0 * Q.nbytes() + 3.0 * weights.nbytes());
    tt::attention_backward(Q, K, V, scale, weights, grad, grad_q, grad_k, grad_v);
    return std::vector<Tensor>{grad_q, grad_k, grad_v};
  });
}

}  // namespace

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  check_float("attention", q, "query");
  check_compatible("attention", q, k);
  check_compatible("attention", q, v);
  LETHE_CHECK(q.rank() == 3 && k.shape() == q.shape() && v.shape() == q.shape(),
              "attention: query ", describe(q), ", key ", describe(k), " and value ", describe(v),
              " must share one shape (B, C, N)");
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.dim(1)));
  if (tt::has_fused_attention(q)) return fused_attention(q, k, v, scale);
  // weights (B, N, N) = softmax over keys of q^T k * scale; out (B, C, N) = v weights^T
  const Tensor logits = matmul(q, k, true, false) * scale;
  return matmul(v, softmax(logits, -1), false, true);
}

}  // namespace lethe
