// Optimisers, clipping and EMA as single loops over a ParameterArena's flat buffers.
#pragma once
#include <cstdint>

#include "lethe/nn/module.h"

namespace lethe {

// Linear warm-up: the learning rate of update n (n = 0, 1, ...) is lr * min(1, (n + 1) / warmup).
// (score_sde scales by n / warmup, which makes its first update a no-op.)
double warmup_learning_rate(double lr, int64_t warmup_steps, int64_t step);

struct AdamConfig {
  double lr = 2e-4;
  double beta1 = 0.9;  // 0 is allowed (SFD's setting)
  double beta2 = 0.999;
  double eps = 1e-8;
  int64_t warmup_steps = 0;
};

// True when no element is nan or inf.
bool all_finite(const Tensor& values);

// step() checks its result: it throws when the parameters or the optimiser
// state became non-finite, so no run saves such a state.
class Adam {
 public:
  Adam(ParameterArena& arena, AdamConfig config);
  void step();  // one update from arena.grads; bias-corrected as in PyTorch
  int64_t steps() const { return steps_; }
  double current_lr() const {
    return warmup_learning_rate(config_.lr, config_.warmup_steps, steps_);
  }
  const AdamConfig& config() const { return config_; }
  void set_lr(double lr) { config_.lr = lr; }  // for schedules beyond the warm-up
  // Optimiser state for checkpoints: first and second moments, and the step count.
  NamedTensors state() const;
  void load_state(const NamedTensors& state);

 private:
  ParameterArena& arena_;
  AdamConfig config_;
  Tensor first_moment_, second_moment_;
  int64_t steps_ = 0;
};

class Sgd {
 public:
  Sgd(ParameterArena& arena, double lr, double momentum = 0);
  void step();  // v = momentum v + g; theta -= lr v (PyTorch's convention)
  double lr;
  double momentum;

 private:
  ParameterArena& arena_;
  Tensor velocity_;
};

// Scales all gradients so their global L2 norm is at most max_norm; returns the norm before.
double clip_grad_norm(ParameterArena& arena, double max_norm);
// Clamps every gradient element to [-limit, limit].
void clip_grad_value(ParameterArena& arena, double limit);

// Exponential moving average of the parameters, with score_sde's warm-up:
// decay = min(rate, (1 + n) / (10 + n)) for the n-th update, n = 1, 2, ...
class Ema {
 public:
  Ema(const ParameterArena& arena, double rate);
  void update();
  int64_t updates() const { return updates_; }
  const Tensor& shadow() const { return shadow_; }  // (P), same layout as the arena
  void set_state(const Tensor& shadow, int64_t updates);
  // Swaps the live parameters with the averaged ones (call twice to swap back).
  void swap_into(ParameterArena& arena);

 private:
  const ParameterArena& arena_;
  double rate_;
  Tensor shadow_;
  int64_t updates_ = 0;
};

}  // namespace lethe
