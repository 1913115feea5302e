#include <algorithm>
#include <cmath>

#include "lethe/optim/optimizers.h"
#include "lethe/tt/optimizer.h"

namespace lethe {

double warmup_learning_rate(double lr, int64_t warmup_steps, int64_t step) {
  if (warmup_steps <= 0) return lr;
  return lr * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(warmup_steps));
}

// Each loop runs where the arena lives (lethe/tt/optimizer.h).
static void check_arena(const char* who, const ParameterArena& arena) {
  LETHE_CHECK(arena.values.defined(), who, ": needs a packed parameter arena");
}

// The sum of squares is accumulated in double: a finite float squared is below 1.2e77, so the
// sum is finite exactly when every element is (no double sum of < 1e231 such terms overflows).
bool all_finite(const Tensor& values) {
  return std::isfinite(tt::squared_norm(values));
}

// After an update: a finite loss does not make a finite update (a learning rate of 1e39, a moment
// that overflowed), and without this check the last update before a save would go unseen.
static void check_update(const char* who, double lr, bool finite) {
  LETHE_CHECK(finite, who, ": the update made a parameter or the optimiser state non-finite",
              " (learning rate ", lr, "); lower the learning rate or clip the gradients");
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
  const int64_t update = steps_ + 1;  // counted once the update is known to be finite
  tt::adam_update(arena_.values, arena_.grads, first_moment_, second_moment_, lr, config_.beta1,
                  config_.beta2, config_.eps, update);
  check_update(
      "Adam", lr,
      all_finite(arena_.values) && all_finite(first_moment_) && all_finite(second_moment_));
  steps_ = update;
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
  tt::sgd_update(arena_.values, arena_.grads, velocity_, lr, momentum);
  check_update("SGD", lr, all_finite(arena_.values) && all_finite(velocity_));
}

double clip_grad_norm(ParameterArena& arena, double max_norm) {
  check_arena("clip_grad_norm", arena);
  const double norm = std::sqrt(tt::squared_norm(arena.grads));
  if (norm <= max_norm) return norm;
  tt::scale(arena.grads, static_cast<float>(max_norm / norm));
  return norm;
}

void clip_grad_value(ParameterArena& arena, double limit) {
  check_arena("clip_grad_value", arena);
  tt::clamp_values(arena.grads, static_cast<float>(limit));
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
  tt::ema_update(shadow_, arena_.values, decay);
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
