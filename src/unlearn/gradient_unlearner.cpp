#include <algorithm>
#include <cmath>
#include <set>

#include "lethe/core/autograd.h"
#include "lethe/core/error.h"
#include "lethe/core/int_list.h"
#include "lethe/core/number_text.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/io/safetensors.h"
#include "lethe/io/training_checkpoint.h"
#include "lethe/unlearn/gradient_unlearner.h"

namespace lethe {

namespace {

const std::vector<std::pair<UnlearnMethod, std::string>> kMethodNames = {
    {UnlearnMethod::rgd, "rgd"},           {UnlearnMethod::rg, "rg"},
    {UnlearnMethod::graddiff, "graddiff"}, {UnlearnMethod::finetune, "finetune"},
    {UnlearnMethod::salun, "salun"},       {UnlearnMethod::esd, "esd"},
};

bool contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// `count` distinct random indices of the images of `label` in `data` (Fisher-Yates on the Philox
// stream of (seed, label)).
std::vector<int64_t> random_images_of(const ImageDataset& data, int label, int64_t count,
                                      uint64_t seed) {
  std::vector<int64_t> of_label;
  const int64_t* labels = data.labels.data<int64_t>();
  for (int64_t i = 0; i < data.size(); ++i)
    if (labels[i] == label) of_label.push_back(i);
  LETHE_CHECK(static_cast<int64_t>(of_label.size()) >= count, "retain set: class ", label, " has ",
              of_label.size(), " training images, ", count, " are needed");
  Generator shuffle(seed ^ 0x2e7a1115e7ULL, static_cast<uint64_t>(label) << 32);
  const Tensor draws = shuffle.uniform({static_cast<int64_t>(of_label.size())}, 0, 1);
  for (int64_t i = static_cast<int64_t>(of_label.size()) - 1; i > 0; --i) {
    const int64_t j = std::min<int64_t>(i, static_cast<int64_t>(draws.data<float>()[i] * (i + 1)));
    std::swap(of_label[i], of_label[j]);
  }
  of_label.resize(count);
  return of_label;
}

// The retain set of docs/math.md#rgd-and-the-baselines: balanced over every class that is not
// forgotten, or the same total from the named classes only.
ImageDataset build_retain_set(const ImageDataset& train, const GradientUnlearningConfig& config,
                              int num_classes) {
  std::vector<int> remaining;
  for (int c = 0; c < num_classes; ++c)
    if (!contains(config.forget, c)) remaining.push_back(c);
  const int64_t total = config.retain_per_class * static_cast<int64_t>(remaining.size());
  const std::vector<int>& source =
      config.retain_classes.empty() ? remaining : config.retain_classes;
  std::vector<int64_t> indices;
  for (size_t k = 0; k < source.size(); ++k) {
    const int64_t share = total / static_cast<int64_t>(source.size()) +
                          (static_cast<int64_t>(k) < total % static_cast<int64_t>(source.size()));
    const std::vector<int64_t> picked = random_images_of(train, source[k], share, config.seed);
    indices.insert(indices.end(), picked.begin(), picked.end());
  }
  return train.take(indices);
}

// <g, after - before> in double: the first-order change of an objective with gradient g.
double first_order_change(const Tensor& g, const Tensor& after, const Tensor& before) {
  const float* grad = g.data<float>();
  const float* a = after.data<float>();
  const float* b = before.data<float>();
  double sum = 0;
  const int64_t n = g.numel();
#pragma omp parallel for reduction(+ : sum) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(grad[i]) * (a[i] - b[i]);
  return sum;
}

std::unique_ptr<UNet> load_eval_unet(const SafetensorsFile& file, Generator& init) {
  std::unique_ptr<UNet> unet = load_unet(file, init);
  unet->train(false);
  return unet;
}

}  // namespace

UnlearnMethod parse_unlearn_method(const std::string& name) {
  for (const auto& [method, method_name] : kMethodNames)
    if (method_name == name) return method;
  fail("unknown unlearning method '", name,
       "' (expected rgd, rg, graddiff, finetune, salun or esd)");
}

std::string unlearn_method_name(UnlearnMethod method) {
  for (const auto& [m, name] : kMethodNames)
    if (m == method) return name;
  fail("unknown unlearning method");
}

void GradientUnlearningConfig::validate() const {
  LETHE_CHECK(!forget.empty(), "unlearning: no class to forget");
  for (int c : retain_classes)
    LETHE_CHECK(!contains(forget, c), "retain class ", c, " is also a forget class");
  LETHE_CHECK(retain_per_class >= 1, "retain set: ", retain_per_class,
              " images per class, at least 1 is needed");
  LETHE_CHECK(forget_batch >= 1 && retain_batch >= 1, "unlearning batch sizes must be positive");
  LETHE_CHECK(lambda >= 0, "lambda ", lambda, " is negative");
  LETHE_CHECK(alpha_trunc > 0, "alpha_trunc ", alpha_trunc, " must be positive");
  LETHE_CHECK(optimizer == "sgd" || optimizer == "adam", "unknown optimizer '", optimizer,
              "' (expected sgd or adam)");
  LETHE_CHECK(lr > 0, "learning rate ", lr, " must be positive");
  LETHE_CHECK(salun_mask_fraction > 0 && salun_mask_fraction <= 1, "SalUn mask fraction ",
              salun_mask_fraction, " is outside (0, 1]");
  LETHE_CHECK(salun_retain_reduction == "sum" || salun_retain_reduction == "mean",
              "unknown SalUn retain reduction '", salun_retain_reduction,
              "' (expected sum or mean)");
}

std::map<std::string, std::string> GradientUnlearningConfig::to_metadata() const {
  return {{"unlearn.method", unlearn_method_name(method)},
          {"unlearn.forget", join_ints(forget)},
          {"unlearn.retain_per_class", std::to_string(retain_per_class)},
          {"unlearn.retain_classes", join_ints(retain_classes)},
          {"unlearn.forget_batch", std::to_string(forget_batch)},
          {"unlearn.retain_batch", std::to_string(retain_batch)},
          {"unlearn.lambda", std::to_string(lambda)},
          {"unlearn.alpha_trunc", std::to_string(alpha_trunc)},
          {"unlearn.optimizer", optimizer},
          {"unlearn.lr", std::to_string(lr)},
          {"unlearn.salun_mask_fraction", std::to_string(salun_mask_fraction)},
          {"unlearn.salun_retain_weight", std::to_string(salun_retain_weight)},
          {"unlearn.salun_retain_reduction", salun_retain_reduction},
          {"unlearn.esd_eta", std::to_string(esd_eta)},
          {"unlearn.seed", std::to_string(seed)}};
}

static ImageDataset forget_set(const ImageDataset& train, const GradientUnlearningConfig& config) {
  config.validate();
  const ImageDataset forget = train.with_classes(config.forget);
  LETHE_CHECK(forget.size() >= config.forget_batch, "forget set: ", forget.size(),
              " training images of classes {", join_ints(config.forget), "}, a batch needs ",
              config.forget_batch);
  return forget;
}

GradientUnlearner::GradientUnlearner(const GradientUnlearningConfig& config,
                                     const std::string& init_checkpoint, const ImageDataset& train)
    : GradientUnlearner(config, load_score_checkpoint(init_checkpoint, "starting checkpoint"),
                        train, init_checkpoint) {}

GradientUnlearner::GradientUnlearner(const GradientUnlearningConfig& config,
                                     const SafetensorsFile& start, const ImageDataset& train,
                                     const std::string& init_path)
    : config_(config),
      init_metadata_(start.metadata),
      sde_(Sde::parse(start.metadata.at("sde"))),
      init_(0),
      noise_(config.seed + 1, 0),
      model_(load_eval_unet(start, init_)),
      arena_(ParameterArena::pack(*model_)),
      adam_(arena_, AdamConfig{config.lr, 0.9, 0.999, 1e-8, 0}),
      sgd_(arena_, config.lr),
      weights_(arena_, 0.0),
      forget_(forget_set(train, config)),
      retain_(build_retain_set(train, config, model_->config().num_classes)),
      forget_order_(forget_.size(), config.forget_batch, config.seed),
      retain_order_(retain_.size(), std::min(config.retain_batch, retain_.size()),
                    config.seed + 7) {
  LETHE_CHECK(model_->config().num_classes > 0, "starting checkpoint ", init_path,
              " is an unconditional model: class unlearning needs labels");
  for (int c : config.forget)
    LETHE_CHECK(c >= 0 && c < model_->config().num_classes, "forget class ", c,
                " is not a class of the model");
  init_metadata_["unlearn.init"] = init_path;
  for (Tensor* buffer : {&forget_grad_, &retain_grad_, &direction_, &before_})
    *buffer = Tensor::empty({arena_.size()});
  if (config.method == UnlearnMethod::esd) {
    Generator original_init(0);
    original_ = load_eval_unet(start, original_init);
    original_->set_requires_grad(false);
  }
  if (config.method == UnlearnMethod::salun) compute_salun_mask();
}

GradientUnlearner::Batch GradientUnlearner::draw(const ImageDataset& data,
                                                 const std::vector<int64_t>& indices) {
  return {perturb(sde_, data.float_images(indices), noise_), data.labels_of(indices)};
}

std::vector<GradientUnlearner::Batch> GradientUnlearner::retain_batches(int64_t step) {
  if (config_.method != UnlearnMethod::rgd) return {draw(retain_, retain_order_.batch(step))};
  std::vector<Batch> chunks;
  for (int64_t begin = 0; begin < retain_.size(); begin += config_.retain_batch) {
    std::vector<int64_t> indices;
    for (int64_t i = begin; i < std::min(retain_.size(), begin + config_.retain_batch); ++i)
      indices.push_back(i);
    chunks.push_back(draw(retain_, indices));
  }
  return chunks;
}

Tensor GradientUnlearner::eps(const Batch& batch, const Tensor& labels) const {
  return model_->forward(batch.perturbed.x_t, batch.perturbed.t, labels, dropout_noise_);
}

Tensor GradientUnlearner::forget_loss(const Batch& batch) const {
  return mean(minimum(square(eps(batch, batch.labels) - batch.perturbed.z), config_.alpha_trunc));
}

double GradientUnlearner::retain_loss(const std::vector<Batch>& batches,
                                      double backward_scale) const {
  int64_t total = 0;
  for (const Batch& b : batches) total += b.labels.numel();
  double value = 0;
  for (const Batch& b : batches) {
    const double share = static_cast<double>(b.labels.numel()) / total;
    const Tensor loss = mse_loss(eps(b, b.labels), b.perturbed.z);
    value += share * loss.item();
    if (backward_scale != 0) (loss * (share * backward_scale)).backward();
  }
  return value;
}

Tensor GradientUnlearner::method_loss(const Batch& forget) const {
  const int64_t n = forget.labels.numel();
  if (config_.method == UnlearnMethod::salun) {
    // eps(x_t, t, c_f) -> stopgrad eps(x_t, t, c'), c' = (c_f + 1) mod K
    Tensor other = forget.labels.clone();
    for (int64_t i = 0; i < n; ++i)
      other.data<int64_t>()[i] = (other.data<int64_t>()[i] + 1) % model_->config().num_classes;
    Tensor target;
    {
      NoGrad no_grad;
      target = eps(forget, other);
    }
    return mse_loss(eps(forget, forget.labels), target);
  }
  // ESD: eps(x_t, t, c_f) -> stopgrad(eps0(null) - eta (eps0(c_f) - eps0(null)))
  Tensor target;
  {
    NoGrad no_grad;
    const Tensor null_labels = Tensor::full({n}, model_->config().num_classes, DType::i64);
    const Tensor unconditional =
        original_->forward(forget.perturbed.x_t, forget.perturbed.t, null_labels, dropout_noise_);
    const Tensor conditional =
        original_->forward(forget.perturbed.x_t, forget.perturbed.t, forget.labels, dropout_noise_);
    target = unconditional - config_.esd_eta * (conditional - unconditional);
  }
  return mse_loss(eps(forget, forget.labels), target);
}

void GradientUnlearner::compute_salun_mask() {
  // |grad| of the plain denoising loss on forget data, over 4 forget batches (drawn from a
  // separate stream so the run's own batches are unchanged), thresholded globally.
  Generator mask_noise(config_.seed + 99, 0);
  arena_.zero_grad();
  for (int64_t k = 0; k < 4; ++k) {
    const std::vector<int64_t> indices = forget_order_.batch(k);
    const PerturbedBatch p = perturb(sde_, forget_.float_images(indices), mask_noise);
    const Tensor loss =
        mse_loss(model_->forward(p.x_t, p.t, forget_.labels_of(indices), dropout_noise_), p.z);
    loss.backward();
  }
  const int64_t n = arena_.size();
  std::vector<float> magnitude(n);
  const float* g = arena_.grads.data<float>();
  for (int64_t i = 0; i < n; ++i) magnitude[i] = std::abs(g[i]);
  std::vector<float> sorted = magnitude;
  const int64_t keep = std::max<int64_t>(1, std::llround(config_.salun_mask_fraction * n));
  std::nth_element(sorted.begin(), sorted.begin() + (n - keep), sorted.end());
  const float threshold = sorted[n - keep];
  salun_mask_ = Tensor::empty({n});
  float* mask = salun_mask_.data<float>();
  for (int64_t i = 0; i < n; ++i) mask[i] = magnitude[i] >= threshold ? 1.0f : 0.0f;
  arena_.zero_grad();
}

void GradientUnlearner::run_until(int64_t final_step,
                                  const std::function<void(const UnlearningStepReport&)>& report,
                                  const std::atomic<bool>* stop) {
  const UnlearnMethod method = config_.method;
  const bool two_gradients = method == UnlearnMethod::rgd || method == UnlearnMethod::rg ||
                             method == UnlearnMethod::graddiff;
  while (step_ < final_step && !(stop && stop->load())) {
    const Batch forget = draw(forget_, forget_order_.batch(step_));
    const std::vector<Batch> retain = retain_batches(step_);
    UnlearningStepReport r{};
    r.step = step_ + 1;
    r.cos_phi = r.predicted_forget_change = r.actual_forget_change = std::nan("");
    r.predicted_retain_change = r.actual_retain_change = std::nan("");

    arena_.zero_grad();
    if (two_gradients) {
      const Tensor l_f = forget_loss(forget);
      r.forget_loss = l_f.item();
      (-l_f).backward();  // L_f = -l_f: ascent on the forget data
      forget_grad_.copy_from(arena_.grads);
      arena_.zero_grad();
      r.retain_loss = retain_loss(retain, 1.0);
      retain_grad_.copy_from(arena_.grads);
      const GradientGeometry geometry =
          combine_gradients(forget_grad_, retain_grad_, config_.lambda,
                            method != UnlearnMethod::graddiff, direction_);
      r.cos_phi = geometry.cos_phi;
      r.conflict = geometry.conflict;
      r.method_loss = -r.forget_loss + config_.lambda * r.retain_loss;
      arena_.grads.copy_from(direction_);
    } else {
      {
        NoGrad no_grad;
        r.forget_loss = forget_loss(forget).item();
      }
      if (method == UnlearnMethod::finetune) {
        r.retain_loss = retain_loss(retain, 1.0);
        r.method_loss = r.retain_loss;
      } else {
        const Tensor loss = method_loss(forget);
        r.method_loss = loss.item();
        loss.backward();
        if (method == UnlearnMethod::salun) {
          // retain_loss is a per-pixel mean; the pixel sum is that times C * H * W.
          const double weight =
              config_.salun_retain_weight *
              (config_.salun_retain_reduction == "sum"
                   ? static_cast<double>(retain[0].perturbed.z.numel() / retain[0].labels.numel())
                   : 1.0);
          r.retain_loss = retain_loss(retain, weight);
          r.method_loss += weight * r.retain_loss;
          arena_.grads.copy_from(arena_.grads * salun_mask_);
        } else {
          NoGrad no_grad;
          r.retain_loss = retain_loss(retain, 0);
        }
      }
    }
    LETHE_CHECK(std::isfinite(r.method_loss) && std::isfinite(r.forget_loss) &&
                    std::isfinite(r.retain_loss),
                "unlearning: a loss became non-finite (l_f ", r.forget_loss, ", l_r ",
                r.retain_loss, "; lower the learning rate, now ", config_.lr, ")");

    if (config_.check_predictions) before_.copy_from(arena_.values);
    if (config_.optimizer == "sgd")
      sgd_.step();
    else
      adam_.step();
    ++step_;
    if (config_.check_predictions) {
      if (two_gradients) {
        r.predicted_forget_change = first_order_change(forget_grad_, arena_.values, before_);
        r.predicted_retain_change = first_order_change(retain_grad_, arena_.values, before_);
      }
      NoGrad no_grad;
      r.actual_forget_change = -(forget_loss(forget).item() - r.forget_loss);
      r.actual_retain_change = retain_loss(retain, 0) - r.retain_loss;
    }
    if (report) report(r);
  }
}

std::map<std::string, std::string> GradientUnlearner::checkpoint_metadata() const {
  std::map<std::string, std::string> metadata = init_metadata_;
  metadata.erase("noise_offset");
  for (auto it = metadata.begin(); it != metadata.end();)
    it = it->first.rfind("train.", 0) == 0 ? metadata.erase(it) : std::next(it);
  for (const auto& [key, value] : config_.to_metadata()) metadata[key] = value;
  return metadata;
}

void GradientUnlearner::save_checkpoint(const std::string& path) {
  weights_.update();  // rate 0: the named weights become the live ones
  std::map<std::string, std::string> metadata = checkpoint_metadata();
  metadata["unlearn.step"] = std::to_string(step_);
  save_training_checkpoint(path, {arena_, adam_, weights_, noise_}, metadata);
}

void GradientUnlearner::load_checkpoint(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  std::map<std::string, std::string> expected = config_.to_metadata();
  TrainingState state{arena_, adam_, weights_, noise_};
  load_training_checkpoint(file, state, expected);
  const auto step = file.metadata.find("unlearn.step");
  LETHE_CHECK(step != file.metadata.end(), "unlearning checkpoint ", path,
              " has no 'unlearn.step' in its metadata");
  step_ = parse_integer(step->second, "unlearning checkpoint " + path + ": metadata 'unlearn.step'",
                        0, INT64_MAX);
}

}  // namespace lethe
