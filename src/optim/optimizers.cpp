#include <algorithm>
#include <cmath>

#include "lethe/cpu/optimizer_kernels.h"
#include "lethe/cuda/optimizer.h"
#include "lethe/ops/internal.h"
#include "lethe/optim/optimizers.h"

namespace lethe {

double warmup_learning_rate(double lr, int64_t warmup_steps, int64_t step) {
  if (warmup_steps <= 0) return lr;
  return lr * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(warmup_steps));
}

// Each loop runs where the arena lives: the CPU kernels or their CUDA twins (cuda/optimizer.h).
static void check_arena(const char* who, const ParameterArena& arena) {
  LETHE_CHECK(arena.values.defined(), who, ": needs a packed parameter arena");
}

Adam::Adam(ParameterArena& arena, AdamConfig config) : arena_(arena), config_(config) {
  check_arena("Adam", arena);
  LETHE_CHECK(config.lr > 0 && config.beta1 >= 0 && config.beta1 < 1 && config.beta2 >= 0 &&
                  config.beta2 < 1 && config.eps >= 0,
              "Adam: invalid hyper-parameters lr ", config.lr, ", betas (", config.beta1, ", ",
              config.beta2, "), eps ", config.eps);
  first_moment_ = Tensor::zeros(arena.values.shape(), DType::f32, arena.values.device());
  second_moment_ = Tensor::zeros(arena.values.shape(), DType::f32, arena.values.device());
}

void Adam::step() {
  const double lr = current_lr();
  ++steps_;
  float* params = arena_.values.data<float>();
  const float* grads = arena_.grads.data<float>();
  float* m = first_moment_.data<float>();
  float* v = second_moment_.data<float>();
  if (on_cuda(arena_.values)) {
    if constexpr (kCudaBuild) {
      cuda::adam_update<kNative>(params, grads, m, v, arena_.size(), lr, config_.beta1,
                                 config_.beta2, config_.eps, steps_);
    }
    return;
  }
  cpu::adam_update(params, grads, m, v, arena_.size(), lr, config_.beta1, config_.beta2,
                   config_.eps, steps_);
}

NamedTensors Adam::state() const {
  return {{"adam.first_moment", first_moment_},
          {"adam.second_moment", second_moment_},
          {"adam.steps", Tensor::from_vector(std::vector<int64_t>{steps_}, {1})}};
}

void Adam::load_state(const NamedTensors& state) {
  bool found_m = false, found_v = false, found_steps = false;
  for (const auto& [name, tensor] : state) {
    if (name == "adam.first_moment") {
      first_moment_.copy_from(tensor);
      found_m = true;
    } else if (name == "adam.second_moment") {
      second_moment_.copy_from(tensor);
      found_v = true;
    } else if (name == "adam.steps") {
      steps_ = static_cast<int64_t>(tensor.item());
      found_steps = true;
    }
  }
  LETHE_CHECK(found_m && found_v && found_steps,
              "Adam state is incomplete: expected adam.first_moment, adam.second_moment and "
              "adam.steps");
}

Sgd::Sgd(ParameterArena& arena, double lr, double momentum)
    : lr(lr), momentum(momentum), arena_(arena) {
  check_arena("SGD", arena);
  LETHE_CHECK(lr > 0 && momentum >= 0, "SGD: invalid lr ", lr, " or momentum ", momentum);
  velocity_ = Tensor::zeros(arena.values.shape(), DType::f32, arena.values.device());
}

void Sgd::step() {
  float* params = arena_.values.data<float>();
  const float* grads = arena_.grads.data<float>();
  float* velocity = velocity_.data<float>();
  if (on_cuda(arena_.values)) {
    if constexpr (kCudaBuild) {
      cuda::sgd_update<kNative>(params, grads, velocity, arena_.size(), lr, momentum);
    }
    return;
  }
  cpu::sgd_update(params, grads, velocity, arena_.size(), lr, momentum);
}

double clip_grad_norm(ParameterArena& arena, double max_norm) {
  check_arena("clip_grad_norm", arena);
  float* grads = arena.grads.data<float>();
  const bool gpu = on_cuda(arena.grads);
  double squared = 0;
  if (!gpu) {
    squared = cpu::squared_norm(grads, arena.size());
  } else if constexpr (kCudaBuild) {
    squared = cuda::squared_norm<kNative>(grads, arena.size());
  }
  const double norm = std::sqrt(squared);
  if (norm <= max_norm) return norm;
  const float factor = static_cast<float>(max_norm / norm);
  if (!gpu) {
    cpu::scale(grads, arena.size(), factor);
  } else if constexpr (kCudaBuild) {
    cuda::scale<kNative>(grads, arena.size(), factor);
  }
  return norm;
}

void clip_grad_value(ParameterArena& arena, double limit) {
  check_arena("clip_grad_value", arena);
  float* grads = arena.grads.data<float>();
  if (on_cuda(arena.grads)) {
    if constexpr (kCudaBuild) {
      cuda::clamp_values<kNative>(grads, arena.size(), static_cast<float>(limit));
    }
    return;
  }
  cpu::clamp_values(grads, arena.size(), static_cast<float>(limit));
}

Ema::Ema(const ParameterArena& arena, double rate) : arena_(arena), rate_(rate) {
  check_arena("EMA", arena);
  LETHE_CHECK(rate >= 0 && rate <= 1, "EMA: rate ", rate, " is outside [0, 1]");
  shadow_ = arena.values.clone();
}

void Ema::update() {
  ++updates_;  // score_sde counts this update before computing its decay
  const double warm = (1.0 + updates_) / (10.0 + updates_);
  const double decay = std::min(rate_, warm);
  if (on_cuda(shadow_)) {
    if constexpr (kCudaBuild) {
      cuda::ema_update<kNative>(shadow_.data<float>(), arena_.values.data<float>(), arena_.size(),
                                decay);
    }
    return;
  }
  cpu::ema_update(shadow_.data<float>(), arena_.values.data<float>(), arena_.size(), decay);
}

void Ema::set_state(const Tensor& shadow, int64_t updates) {
  shadow_.copy_from(shadow);
  updates_ = updates;
}

void Ema::swap_into(ParameterArena& arena) {
  LETHE_CHECK(arena.values.numel() == shadow_.numel(), "EMA: arena size differs from the EMA's");
  Tensor live = arena.values.clone();
  arena.values.copy_from(shadow_);
  shadow_.copy_from(live);
}

}  // namespace lethe
