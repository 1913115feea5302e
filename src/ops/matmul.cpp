// Batched matrix products and the linear layer, with their VJPs.
#include "lethe/ops/matmul.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/gemm.h"

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
  tt::gemm({d.batch, d.M, d.N, d.K, trans_a, trans_b, d.a_batched, d.b_batched}, a, b, out);
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
