// Batched matrix products and the linear layer, with their VJPs.
#include "lethe/core/profile.h"
#include "lethe/cpu/blas.h"
#include "lethe/cuda/kernel_selection.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"

namespace lethe {
namespace {

struct MatmulDims {
  int64_t batch, M, N, K;
  bool a_batched, b_batched;
  Shape batch_shape;
};

MatmulDims matmul_dims(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  LETHE_CHECK(a.rank() >= 2 && b.rank() >= 2, "matmul: operands need rank >= 2, got ", describe(a),
              " and ", describe(b));
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  LETHE_CHECK(batch_a.empty() || batch_b.empty() || batch_a == batch_b, "matmul: batch dims of ",
              describe(a), " and ", describe(b), " differ (one may be 2-D and broadcast)");
  MatmulDims dims;
  dims.batch_shape = batch_a.empty() ? batch_b : batch_a;
  dims.batch = shape_numel(dims.batch_shape);
  dims.a_batched = !batch_a.empty();
  dims.M = trans_a ? a.dim(-1) : a.dim(-2);
  const int64_t k_a = trans_a ? a.dim(-2) : a.dim(-1);
  dims.K = trans_b ? b.dim(-1) : b.dim(-2);
  dims.N = trans_b ? b.dim(-2) : b.dim(-1);
  dims.b_batched = !batch_b.empty();
  LETHE_CHECK(k_a == dims.K, "matmul: inner dimensions differ: ", describe(a),
              trans_a ? " (transposed)" : "", " times ", describe(b),
              trans_b ? " (transposed)" : "");
  return dims;
}

// The product on the GPU (f32): one SGEMM per batch entry through the hand|vendor|auto selection,
// or one SGEMM with the batch folded into M when only `a` is batched and not transposed.
void matmul_on_gpu(const MatmulDims& d, const Tensor& a, const Tensor& b, bool trans_a,
                   bool trans_b, Tensor& out) {
  if constexpr (kCudaBuild) {
    const float* A = a.data<float>();
    const float* B = b.data<float>();
    float* C = out.data<float>();
    const int64_t lda = trans_a ? d.M : d.K, ldb = trans_b ? d.K : d.N;
    if (d.a_batched && !d.b_batched && !trans_a) {
      cuda::selected::sgemm(false, trans_b, d.batch * d.M, d.N, d.K, 1.0f, A, lda, B, ldb, 0.0f, C,
                            d.N);
      return;
    }
    for (int64_t i = 0; i < d.batch; ++i) {
      cuda::selected::sgemm(
          trans_a, trans_b, d.M, d.N, d.K, 1.0f, A + (d.a_batched ? i * d.M * d.K : 0), lda,
          B + (d.b_batched ? i * d.K * d.N : 0), ldb, 0.0f, C + i * d.M * d.N, d.N);
    }
  }
}

Tensor matmul_kernel(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  check_float("matmul", a, "left operand");
  check_float("matmul", b, "right operand");
  check_compatible("matmul", a, b);
  const MatmulDims d = matmul_dims(a, b, trans_a, trans_b);
  Shape out_shape = d.batch_shape;
  out_shape.push_back(d.M);
  out_shape.push_back(d.N);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  const profile::Scope scope("matmul", trans_a ? (trans_b ? "TT" : "TN") : (trans_b ? "NT" : "NN"),
                             a.shape(), 2.0 * d.batch * d.M * d.N * d.K, 0, b.shape());
  if (on_cuda(a)) {
    matmul_on_gpu(d, a, b, trans_a, trans_b, out);
    return out;
  }
  dispatch_float("matmul", a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* A = a.data<T>();
    const T* B = b.data<T>();
    T* C = out.data<T>();
    const int64_t lda = trans_a ? d.M : d.K, ldb = trans_b ? d.K : d.N;
    if (d.a_batched && !d.b_batched && !trans_a) {  // fold the batch into M: one large product
      cpu::gemm(false, trans_b, d.batch * d.M, d.N, d.K, T(1), A, lda, B, ldb, T(0), C, d.N);
      return;
    }
    for (int64_t i = 0; i < d.batch; ++i) {
      cpu::gemm(trans_a, trans_b, d.M, d.N, d.K, T(1), A + (d.a_batched ? i * d.M * d.K : 0), lda,
                B + (d.b_batched ? i * d.K * d.N : 0), ldb, T(0), C + i * d.M * d.N, d.N);
    }
  });
  return out;
}

// Sums a gradient computed with broadcast batch dims back to the operand's 2-D shape.
Tensor unbroadcast_batch(const Tensor& grad, const Tensor& operand) {
  if (grad.rank() == operand.rank()) return grad;
  return sum(grad.reshape({-1, grad.dim(-2), grad.dim(-1)}), {0});
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  Tensor out = matmul_kernel(a, b, trans_a, trans_b);
  return record(out, "matmul", {a, b}, [a, b, trans_a, trans_b](const Tensor& grad) {
    Tensor grad_a, grad_b;
    const Tensor A = a.detach(), B = b.detach();
    if (a.requires_grad()) {
      grad_a = trans_a ? matmul(B, grad, trans_b, true) : matmul(grad, B, false, !trans_b);
      grad_a = unbroadcast_batch(grad_a, a);
    }
    if (b.requires_grad()) {
      grad_b = trans_b ? matmul(grad, A, true, trans_a) : matmul(A, grad, !trans_a, false);
      grad_b = unbroadcast_batch(grad_b, b);
    }
    return std::vector<Tensor>{grad_a, grad_b};
  });
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  LETHE_CHECK(x.rank() == 2 && weight.rank() == 2 && x.dim(1) == weight.dim(1), "linear: input ",
              describe(x), " does not match weight ", describe(weight),
              " (expected input (B, in) and weight (out, in))");
  Tensor out = matmul(x, weight, false, true);
  if (!bias.defined()) return out;
  LETHE_CHECK(bias.rank() == 1 && bias.dim(0) == weight.dim(0), "linear: bias ", describe(bias),
              " does not match weight ", describe(weight));
  return add(out, bias);
}

}  // namespace lethe
