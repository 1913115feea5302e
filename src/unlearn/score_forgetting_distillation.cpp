#include <algorithm>
#include <cmath>

#include "lethe/core/autograd.h"
#include "lethe/core/error.h"
#include "lethe/core/int_list.h"
#include "lethe/core/number_text.h"
#include "lethe/diffusion/one_step_generator.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/io/training_checkpoint.h"
#include "lethe/unlearn/score_forgetting_distillation.h"

namespace lethe {
namespace {

constexpr const char* kFakePrefix = "train.fake.";

bool contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

SafetensorsFile load_teacher(const std::string& path) {
  SafetensorsFile file = load_score_checkpoint(path, "SFD teacher");
  const auto kind = file.metadata.find("model.kind");
  LETHE_CHECK(kind == file.metadata.end() || kind->second != "one-step-generator", "SFD teacher ",
              path, " is a one-step generator; the teacher must be a score model");
  return file;
}

}  // namespace

Tensor sid_weight(const Tensor& teacher_x0, const Tensor& generated) {
  NoGrad no_grad;
  return maximum(mean(abs(teacher_x0 - generated), {1, 2, 3}, true), 1e-5);
}

Tensor sid_loss(const Tensor& teacher_x0, const Tensor& fake_x0, const Tensor& generated,
                const Tensor& weight, double alpha) {
  const Tensor difference = teacher_x0 - fake_x0;  // d = p - q
  const Tensor residual = teacher_x0 - generated;  // r = p - x_g
  return sum(difference * (residual - alpha * difference) / weight) / teacher_x0.dim(0);
}

void SfdConfig::validate(int num_classes) const {
  LETHE_CHECK(num_classes > 0, "SFD needs a class-conditional teacher; this one is unconditional");
  for (int c : forget)
    LETHE_CHECK(c >= 0 && c < num_classes, "SFD: forget class ", c, " is not in 0..",
                num_classes - 1);
  LETHE_CHECK(static_cast<int>(forget.size()) < num_classes,
              "SFD: every class is forgotten; nothing is left to distil");
  if (!forget.empty() && !random_override) {
    LETHE_CHECK(override_class >= 0 && override_class < num_classes, "SFD: override class ",
                override_class, " is not in 0..", num_classes - 1);
    LETHE_CHECK(!contains(forget, override_class), "SFD: override class ", override_class,
                " is also a forget class");
  }
  LETHE_CHECK(forget_weight_fake >= 0 && forget_weight_generator >= 0,
              "SFD forget weights must be non-negative");
  LETHE_CHECK(alpha >= 0, "SFD: alpha ", alpha, " is negative");
  LETHE_CHECK(t_init >= 1 && t_init <= 999, "SFD: generator input step t_init ", t_init,
              " is outside 1..999");
  LETHE_CHECK(t_min >= 1 && t_min <= t_max && t_max <= 999, "SFD: diffusion steps ", t_min, "..",
              t_max, " are not an interval inside 1..999");
  LETHE_CHECK(batch >= 1, "SFD: batch ", batch, " must be positive");
  LETHE_CHECK(lr_fake > 0 && lr_generator > 0, "SFD learning rates must be positive");
  LETHE_CHECK(clip_value > 0, "SFD: gradient clip value ", clip_value, " must be positive");
  LETHE_CHECK(ema >= 0 && ema < 1, "SFD: EMA rate ", ema, " is outside [0, 1)");
}

std::map<std::string, std::string> SfdConfig::to_metadata() const {
  return {{"sfd.forget", join_ints(forget)},
          {"sfd.override", random_override ? "random" : std::to_string(override_class)},
          {"sfd.forget_weight_fake", number_text(forget_weight_fake)},
          {"sfd.forget_weight_generator", number_text(forget_weight_generator)},
          {"sfd.alpha", number_text(alpha)},
          {"sfd.t_init", std::to_string(t_init)},
          {"sfd.t_range", std::to_string(t_min) + ".." + std::to_string(t_max)},
          {"sfd.batch", std::to_string(batch)},
          {"sfd.lr_fake", number_text(lr_fake)},
          {"sfd.lr_generator", number_text(lr_generator)},
          {"sfd.betas", number_text(beta1) + "," + number_text(beta2)},
          {"sfd.clip_value", number_text(clip_value)},
          {"sfd.ema", number_text(ema)},
          {"sfd.seed", std::to_string(seed)}};
}

SfdDistiller::SfdDistiller(const SfdConfig& config, const std::string& teacher_checkpoint)
    : SfdDistiller(config, load_teacher(teacher_checkpoint), teacher_checkpoint) {}

SfdDistiller::SfdDistiller(const SfdConfig& config, const SafetensorsFile& teacher,
                           const std::string& teacher_path)
    : config_(config),
      teacher_metadata_(teacher.metadata),
      sde_(Sde::parse(teacher.metadata.at("sde"))),
      init_(0),
      noise_(config.seed + 1, 0),
      teacher_(load_unet(teacher, init_, config.device)),
      fake_(load_unet(teacher, init_, config.device)),
      generator_(load_unet(teacher, init_, config.device)),
      fake_arena_(ParameterArena::pack(*fake_)),
      generator_arena_(ParameterArena::pack(*generator_)),
      fake_adam_(fake_arena_,
                 AdamConfig{config.lr_fake, config.beta1, config.beta2, config.adam_eps, 0}),
      generator_adam_(generator_arena_, AdamConfig{config.lr_generator, config.beta1, config.beta2,
                                                   config.adam_eps, 0}),
      generator_ema_(generator_arena_, config.ema) {
  LETHE_CHECK(sde_.kind == SdeKind::vp, "SFD teacher ", teacher_path, " uses the ", sde_.name(),
              " SDE; SFD distils an eps-prediction teacher on the VP schedule (docs/math.md#sfd)");
  config.validate(teacher_->config().num_classes);
  teacher_metadata_["sfd.teacher"] = teacher_path;
  teacher_->train(false);
  teacher_->set_requires_grad(false);
  for (int c = 0; c < teacher_->config().num_classes; ++c)
    if (!contains(config.forget, c)) retained_.push_back(c);
}

Tensor SfdDistiller::labels_tensor(const std::vector<int64_t>& values) const {
  return Tensor::from_vector(values, {static_cast<int64_t>(values.size())}).to(config_.device);
}

SfdDistiller::Draw SfdDistiller::draw_labels(const std::vector<int>& classes) {
  const UNetConfig& unet = teacher_->config();
  Draw draw;
  const Tensor picks = noise_.randint({config_.batch}, 0, static_cast<int64_t>(classes.size()));
  for (int64_t i = 0; i < config_.batch; ++i)
    draw.label_values.push_back(classes[picks.data<int64_t>()[i]]);
  draw.labels = labels_tensor(draw.label_values);
  draw.z = noise_.normal({config_.batch, unet.in_channels, unet.resolution, unet.resolution})
               .to(config_.device);
  return draw;
}

SfdDistiller::Noised SfdDistiller::noise_at_random_steps(const Tensor& generated) {
  const int64_t batch = generated.dim(0);
  const Tensor drawn = noise_.randint({batch}, config_.t_min, config_.t_max + 1);
  Noised out;
  out.steps.assign(drawn.data<int64_t>(), drawn.data<int64_t>() + batch);
  std::vector<double> a(batch), b(batch);
  std::vector<float> times(batch);
  for (int64_t i = 0; i < batch; ++i) {
    times[i] = static_cast<float>(ddpm_step_time(static_cast<int>(out.steps[i])));
    a[i] = sde_.mean_coefficient(times[i]);
    b[i] = sde_.marginal_std(times[i]);
  }
  out.e = noise_.normal(generated.shape()).to(config_.device);
  const int rank = generated.rank();
  out.x_t = per_sample(a, rank, DType::f32, config_.device) * generated +
            per_sample(b, rank, DType::f32, config_.device) * out.e;
  out.t = Tensor::from_vector(times, {batch}).to(config_.device);
  return out;
}

Tensor SfdDistiller::denoising_loss(const Tensor& generated, const Tensor& labels) {
  const Noised n = noise_at_random_steps(generated);
  const Tensor eps_hat = fake_->forward(n.x_t, n.t, labels, noise_);
  return sum(square(n.e - eps_hat)) / static_cast<double>(generated.dim(0));
}

Tensor SfdDistiller::sid_term(const Tensor& generated, const Tensor& teacher_labels,
                              const Tensor& fake_labels) {
  const Noised n = noise_at_random_steps(generated);
  const Tensor p =
      x0_from_eps(sde_, n.x_t, teacher_->forward(n.x_t, n.t, teacher_labels, noise_), n.steps);
  const Tensor q =
      x0_from_eps(sde_, n.x_t, fake_->forward(n.x_t, n.t, fake_labels, noise_), n.steps);
  return sid_loss(p, q, generated, sid_weight(p, generated), config_.alpha);
}

Tensor SfdDistiller::override_labels(int64_t count) {
  if (!config_.random_override)
    return labels_tensor(std::vector<int64_t>(count, config_.override_class));
  const Tensor picks = noise_.randint({count}, 0, static_cast<int64_t>(retained_.size()));
  std::vector<int64_t> values(count);
  for (int64_t i = 0; i < count; ++i) values[i] = retained_[picks.data<int64_t>()[i]];
  return labels_tensor(values);
}

void SfdDistiller::run_until(int64_t final_step,
                             const std::function<void(const SfdStepReport&)>& report,
                             const std::atomic<bool>* stop) {
  const bool forgetting = config_.forgets();
  while (step_ < final_step && !(stop && stop->load())) {
    SfdStepReport r{};
    r.step = step_ + 1;
    r.forget_loss = std::nan("");

    // psi: fit the generator's current distribution (x_g detached, G in eval mode).
    generator_->train(false);
    fake_->train(true);
    fake_arena_.zero_grad();
    {
      const Draw retained = draw_labels(retained_);
      Tensor generated;
      {
        NoGrad no_grad;
        generated = one_step_generate(*generator_, sde_, config_.t_init, retained.z,
                                      retained.labels, noise_);
      }
      const Tensor loss = denoising_loss(generated, retained.labels);
      r.fake_loss = loss.item();
      loss.backward();
    }
    if (forgetting && config_.forget_weight_fake > 0) {
      const Draw forget = draw_labels(config_.forget);
      Tensor generated;
      {
        NoGrad no_grad;
        generated =
            one_step_generate(*generator_, sde_, config_.t_init, forget.z, forget.labels, noise_);
      }
      const Tensor loss = denoising_loss(generated, forget.labels) * config_.forget_weight_fake;
      r.fake_loss += loss.item();
      loss.backward();
    }
    clip_grad_value(fake_arena_, config_.clip_value);
    fake_adam_.step();

    // theta: SiD through the frozen teacher and fake score (gradients reach x_g via their inputs).
    fake_->train(false);
    fake_->set_requires_grad(false);
    generator_->train(true);
    generator_arena_.zero_grad();
    {
      const Draw retained = draw_labels(retained_);
      const Tensor generated =
          one_step_generate(*generator_, sde_, config_.t_init, retained.z, retained.labels, noise_);
      {
        NoGrad no_grad;
        r.generated_abs_mean = mean(abs(generated)).item();
      }
      const Tensor loss = sid_term(generated, retained.labels, retained.labels);
      r.generator_loss = loss.item();
      loss.backward();
    }
    if (forgetting && config_.forget_weight_generator > 0) {
      const Draw forget = draw_labels(config_.forget);
      const Tensor generated =
          one_step_generate(*generator_, sde_, config_.t_init, forget.z, forget.labels, noise_);
      const Tensor loss = sid_term(generated, override_labels(config_.batch), forget.labels);
      r.forget_loss = loss.item();
      (loss * config_.forget_weight_generator).backward();
    }
    fake_->set_requires_grad(true);
    LETHE_CHECK(
        std::isfinite(r.fake_loss) && std::isfinite(r.generator_loss) &&
            (!forgetting || std::isfinite(r.forget_loss) || config_.forget_weight_generator == 0),
        "SFD: a loss became non-finite (fake ", r.fake_loss, ", generator ", r.generator_loss,
        ", forget ", r.forget_loss, "; lower the learning rates)");
    clip_grad_value(generator_arena_, config_.clip_value);
    generator_adam_.step();
    generator_ema_.update();
    ++step_;
    if (report) report(r);
  }
}

std::map<std::string, std::string> SfdDistiller::checkpoint_metadata() const {
  std::map<std::string, std::string> metadata = teacher_metadata_;
  metadata.erase("noise_offset");
  metadata.erase("step");
  for (auto it = metadata.begin(); it != metadata.end();)
    it = it->first.rfind("train.", 0) == 0 ? metadata.erase(it) : std::next(it);
  for (const auto& [key, value] : config_.to_metadata()) metadata[key] = value;
  metadata["model.kind"] = "one-step-generator";
  metadata["generator.t_init"] = std::to_string(config_.t_init);
  metadata["sfd.step"] = std::to_string(step_);
  return metadata;
}

void SfdDistiller::save_checkpoint(const std::string& path) {
  NamedTensors fake_state;
  for (const auto& [name, view] : fake_arena_.named_views(fake_arena_.values))
    fake_state.emplace_back(kFakePrefix + std::string("live.") + name, view);
  for (const auto& [name, tensor] : fake_adam_.state())
    fake_state.emplace_back(kFakePrefix + name, tensor);
  save_training_checkpoint(path, {generator_arena_, generator_adam_, generator_ema_, noise_},
                           checkpoint_metadata(), fake_state);
}

void SfdDistiller::load_checkpoint(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  TrainingState state{generator_arena_, generator_adam_, generator_ema_, noise_};
  load_training_checkpoint(file, state, config_.to_metadata());
  const std::string prefix = kFakePrefix;
  NamedTensors fake_adam;
  for (const auto& [name, tensor] : file.tensors)
    if (name.rfind(prefix + "adam.", 0) == 0)
      fake_adam.emplace_back(name.substr(prefix.size()), tensor);
  for (auto& [name, view] : fake_arena_.named_views(fake_arena_.values)) {
    LETHE_CHECK(file.contains(prefix + "live." + name), "SFD checkpoint ", path,
                " has no fake-score state for '", name, "'");
    view.copy_from(file.at(prefix + "live." + name).to(DType::f32).to(config_.device));
  }
  fake_adam_.load_state(fake_adam);
  const auto step = file.metadata.find("sfd.step");
  LETHE_CHECK(step != file.metadata.end(), "SFD checkpoint ", path,
              " has no 'sfd.step' in its metadata");
  step_ =
      parse_integer(step->second, "SFD checkpoint " + path + ": metadata 'sfd.step'", 0, INT64_MAX);
}

void SfdDistiller::save_generator(const std::string& path) {
  std::map<std::string, std::string> metadata = checkpoint_metadata();
  save_safetensors(path, generator_arena_.named_views(generator_ema_.shadow()), metadata);
}

}  // namespace lethe
