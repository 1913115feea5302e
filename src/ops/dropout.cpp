// Inverted dropout with its VJP.
#include "lethe/ops/dropout.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/dropout.h"

namespace lethe {

Tensor dropout(const Tensor& a, double p, bool training, Generator& generator) {
  LETHE_CHECK(p >= 0 && p < 1, "dropout: probability ", p, " is outside [0, 1)");
  if (!training || p == 0) return a;
  check_float("dropout", a, "input");
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  Tensor scaled_mask = Tensor::empty(a.shape(), a.dtype(), a.device());
  {
    const profile::Scope scope("dropout", "mask", a.shape(), 0, static_cast<double>(a.nbytes()));
    const uint64_t first_block = generator.take_blocks(a.numel());
    tt::dropout_forward(a, 1 - p, generator.seed(), first_block, out, scaled_mask);
  }
  return record(out, "dropout", {a}, [scaled_mask](const Tensor& grad) {
    return std::vector<Tensor>{mul(grad, scaled_mask)};
  });
}

}  // namespace lethe
