// The time-conditioned MLP that learns the score of 2-D toy data.
#pragma once
#include <memory>
#include <vector>

#include "lethe/nn/layers.h"
#include "lethe/ops/random.h"

namespace lethe {

// eps_hat = MLP([x, sinusoid(999 t)]): Linear -> SiLU repeated `depth` times, then Linear to D.
class ToyScoreMlp : public Module {
 public:
  ToyScoreMlp(int dimension, int hidden, int depth, int time_features, Generator& init);
  Tensor forward(const Tensor& x, const Tensor& t) const;  // x (B, D), t (B) -> (B, D)

 private:
  std::vector<std::shared_ptr<Linear>> layers_;
  int time_features_;
};

}  // namespace lethe
