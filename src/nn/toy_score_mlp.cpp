#include "lethe/nn/toy_score_mlp.h"
#include "lethe/nn/sinusoidal_embedding.h"

namespace lethe {

ToyScoreMlp::ToyScoreMlp(int dimension, int hidden, int depth, int time_features, Generator& init)
    : time_features_(time_features) {
  LETHE_CHECK(depth >= 1 && hidden >= 1, "ToyScoreMlp: depth ", depth, " and hidden ", hidden,
              " must be >= 1");
  int width = dimension + time_features;
  for (int i = 0; i <= depth; ++i) {
    const int out = i == depth ? dimension : hidden;
    layers_.push_back(std::make_shared<Linear>(width, out, init));
    add_module("layers." + std::to_string(i), layers_.back());
    width = out;
  }
}

Tensor ToyScoreMlp::forward(const Tensor& x, const Tensor& t) const {
  Tensor h = concat({x, sinusoidal_embedding(t * 999.0, time_features_)}, 1);
  for (size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i]->forward(h);
    if (i + 1 < layers_.size()) h = silu(h);
  }
  return h;
}

}  // namespace lethe
