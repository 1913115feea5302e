#include "lethe/unlearn/selective_amnesia.h"

#include <algorithm>
#include <cmath>

#include "lethe/core/autograd.h"
#include "lethe/core/error.h"
#include "lethe/core/int_list.h"
#include "lethe/core/number_text.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/io/progress.h"
#include "lethe/io/safetensors.h"
#include "lethe/io/training_checkpoint.h"

namespace lethe {

namespace {

constexpr double kTimeMin = 1e-5;
constexpr double kFisherLabelDrop = 0.1;  // SA's code: the DDPM's conditional dropout

bool contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// f32 [-1, 1] (N, 1, H, W) -> u8, rounded and clamped: the 8-bit images SA stores as PNGs.
Tensor to_bytes(const Tensor& images) {
  const Tensor host = images.to(Device::cpu);
  Tensor bytes = Tensor::empty(host.shape(), DType::u8);
  const float* source = host.data<float>();
  uint8_t* target = bytes.data<uint8_t>();
  for (int64_t i = 0; i < host.numel(); ++i)
    target[i] = static_cast<uint8_t>(std::clamp(std::lround((source[i] + 1) * 127.5f), 0L, 255L));
  return bytes;
}

std::vector<int64_t> all_indices(int64_t count) {
  std::vector<int64_t> indices(count);
  for (int64_t i = 0; i < count; ++i) indices[i] = i;
  return indices;
}

// The images of `data` whose labels are (keep = true) or are not (keep = false) in `classes`.
ImageDataset select_classes(const ImageDataset& data, const std::vector<int>& classes, bool keep) {
  std::vector<int64_t> indices;
  const int64_t* labels = data.labels.data<int64_t>();
  for (int64_t i = 0; i < data.size(); ++i)
    if (contains(classes, static_cast<int>(labels[i])) == keep) indices.push_back(i);
  return data.take(indices);
}

const SelectiveAmnesiaConfig& validated(const SelectiveAmnesiaConfig& config) {
  config.validate();
  return config;
}

// The generated images of every class but c_f.
ImageDataset replay_set(const ImageDataset& samples, const SelectiveAmnesiaConfig& config) {
  ImageDataset replay = select_classes(samples, config.forget, false);
  LETHE_CHECK(replay.size() >= 1, "Selective Amnesia: the generated set has no replay image");
  return replay;
}

void check_classes(const SelectiveAmnesiaConfig& config, int num_classes,
                   const std::string& checkpoint) {
  LETHE_CHECK(num_classes > 0, "Selective Amnesia: ", checkpoint,
              " is an unconditional model: class forgetting needs labels");
  for (int c : config.forget)
    LETHE_CHECK(c >= 0 && c < num_classes, "forget class ", c, " is not a class of the model");
  LETHE_CHECK(config.surrogate_class() < num_classes, "surrogate class ", config.surrogate_class(),
              " is not a class of the model");
}

}  // namespace

void SelectiveAmnesiaConfig::validate() const {
  LETHE_CHECK(!forget.empty(), "Selective Amnesia: no class to forget");
  LETHE_CHECK(samples_per_class >= 1, "Selective Amnesia: ", samples_per_class,
              " generated images per class, at least 1 is needed");
  LETHE_CHECK(guidance >= 0, "Selective Amnesia: guidance ", guidance, " is negative");
  LETHE_CHECK(fisher_times >= 1 && fisher_times <= 1000, "Selective Amnesia: ", fisher_times,
              " Fisher times per image, expected 1..1000");
  const int k = surrogate_class();
  LETHE_CHECK(k < 0 || !contains(forget, k), "Selective Amnesia: the surrogate class ", k,
              " is a forget class");
  LETHE_CHECK(lambda >= 0, "Selective Amnesia: lambda ", lambda, " is negative");
  LETHE_CHECK(gamma >= 0, "Selective Amnesia: gamma ", gamma, " is negative");
  LETHE_CHECK(batch >= 1, "Selective Amnesia: batch ", batch, " must be positive");
  LETHE_CHECK(lr > 0, "Selective Amnesia: learning rate ", lr, " must be positive");
  LETHE_CHECK(clip >= 0, "Selective Amnesia: gradient clip ", clip, " is negative");
}

int SelectiveAmnesiaConfig::surrogate_class() const {
  if (surrogate == "noise") return -1;
  return static_cast<int>(parse_integer(surrogate, "surrogate (noise or a class)", 0, 1000));
}

std::map<std::string, std::string> SelectiveAmnesiaConfig::set_metadata() const {
  return {{"sa.forget", join_ints(forget)},
          {"sa.samples_per_class", std::to_string(samples_per_class)},
          {"sa.sampler", sampler.name},
          {"sa.sampler_steps", std::to_string(sampler.steps)},
          {"sa.guidance", std::to_string(guidance)},
          {"sa.fisher_times", std::to_string(fisher_times)},
          {"sa.fisher_as_code", fisher_as_code ? "1" : "0"},
          {"sa.seed", std::to_string(seed)}};
}

std::map<std::string, std::string> SelectiveAmnesiaConfig::to_metadata() const {
  std::map<std::string, std::string> metadata = set_metadata();
  metadata["sa.surrogate"] = surrogate;
  metadata["sa.lambda"] = std::to_string(lambda);
  metadata["sa.gamma"] = std::to_string(gamma);
  metadata["sa.batch"] = std::to_string(batch);
  metadata["sa.lr"] = std::to_string(lr);
  metadata["sa.clip"] = std::to_string(clip);
  return metadata;
}

Tensor diagonal_fisher(UNet& model, const Sde& sde, const Tensor& images, const Tensor& labels,
                       int64_t times, bool as_code, Generator& noise,
                       const std::function<void(int64_t)>& progress) {
  LETHE_CHECK(images.rank() == 4 && labels.rank() == 1 && labels.dim(0) == images.dim(0),
              "Fisher: images (N, C, H, W) and labels (N) expected, got ", describe(images),
              " and ", describe(labels));
  LETHE_CHECK(times >= 1 && times <= 1000, "Fisher: ", times, " times per image, expected 1..1000");
  model.train(false);
  model.set_requires_grad(true);
  ParameterArena arena = ParameterArena::pack(model);
  const int64_t count = images.dim(0);
  const int null_label = model.config().num_classes;
  Generator dropout_noise(0);  // eval mode: unused
  Tensor fisher = Tensor::zeros({arena.size()});
  float* f = fisher.data<float>();
  for (int64_t n = 0; n < count; ++n) {
    Tensor t;
    if (times == 1000) {  // SA's grid, i = 0..999
      std::vector<float> grid(1000);
      for (int i = 0; i < 1000; ++i) grid[i] = std::max(i / 999.0, kTimeMin);
      t = Tensor::from_vector(grid, {1000});
    } else {
      t = noise.uniform({times}, kTimeMin, 1);
    }
    Tensor x0 = images.slice_batch(n, n + 1);
    if (as_code) x0 = (x0 + 1.0) * 0.5;
    Shape repeated = x0.shape();
    repeated[0] = times;
    const PerturbedBatch p = perturb_at(sde, Tensor::zeros(repeated) + x0, t, noise);
    std::vector<int64_t> y(times, labels.data<int64_t>()[n]);
    if (as_code) {
      const Tensor u = noise.uniform({times}, 0, 1);
      for (int64_t i = 0; i < times; ++i)
        if (u.data<float>()[i] < kFisherLabelDrop) y[i] = null_label;
    }
    const Tensor eps = model.forward(p.x_t, p.t, Tensor::from_vector(y, {times}), dropout_noise);
    // SA's loss: every time point's pixel-summed squared error, summed; on fewer points than the
    // grid, scaled to the grid's 1000.
    arena.zero_grad();
    (sum(square(eps - p.z)) * (1000.0 / times)).backward();
    const float* g = arena.grads.data<float>();
    const float inverse_count = 1.0f / static_cast<float>(count);
#pragma omp parallel for if (arena.size() > 65536)
    for (int64_t j = 0; j < arena.size(); ++j) f[j] += g[j] * g[j] * inverse_count;
    if (progress) progress(n + 1);
  }
  arena.zero_grad();
  return fisher;
}

AmnesiaSet make_amnesia_set(const SelectiveAmnesiaConfig& config,
                            const std::string& init_checkpoint) {
  config.validate();
  const std::unique_ptr<ScoreModel> original = ScoreModel::load(init_checkpoint);
  const int num_classes = original->unet().config().num_classes;
  check_classes(config, num_classes, init_checkpoint);
  check_sampler(config.sampler, original->sde());
  GenerationRequest request;
  request.sampler = config.sampler;
  request.cfg = config.guidance;
  request.seed = config.seed;
  request.batch = 32;  // progress at least once a second
  for (int c = 0; c < num_classes; ++c)
    for (int64_t i = 0; i < config.samples_per_class; ++i) request.labels.push_back(c);
  const int64_t count = static_cast<int64_t>(request.labels.size());
  AmnesiaSet set;
  {
    Progress progress("sa samples", count);
    const GeneratedSamples generated = generate(*original, request, [&](int64_t done) {
      progress.update(done, static_cast<double>(done), "images");
    });
    progress.finish();
    set.samples = {to_bytes(generated.samples), generated.labels};
  }
  Generator fisher_noise(config.seed + 3, 0);
  Progress progress("sa fisher", count);
  set.fisher = diagonal_fisher(
      original->unet(), original->sde(), set.samples.float_images(all_indices(count)),
      set.samples.labels, config.fisher_times, config.fisher_as_code, fisher_noise,
      [&](int64_t done) { progress.update(done, static_cast<double>(done), "images"); });
  progress.finish();
  set.metadata = config.set_metadata();
  set.metadata["sa.init"] = init_checkpoint;
  return set;
}

void save_amnesia_set(const std::string& path, const AmnesiaSet& set) {
  save_safetensors(
      path,
      {{"images", set.samples.images}, {"labels", set.samples.labels}, {"fisher", set.fisher}},
      set.metadata);
}

AmnesiaSet load_amnesia_set(const std::string& path, const SelectiveAmnesiaConfig& config,
                            const std::string& init_checkpoint) {
  const SafetensorsFile file = load_safetensors(path);
  std::map<std::string, std::string> expected = config.set_metadata();
  expected["sa.init"] = init_checkpoint;
  for (const auto& [key, value] : expected) {
    const auto found = file.metadata.find(key);
    LETHE_CHECK(found != file.metadata.end() && found->second == value, "Selective Amnesia set ",
                path, " was made with ", key, " = '",
                found == file.metadata.end() ? std::string("(missing)") : found->second,
                "', this run has '", value, "' (another --set path, or remove it to redraw)");
  }
  for (const char* name : {"images", "labels", "fisher"})
    LETHE_CHECK(file.contains(name), "Selective Amnesia set ", path, " has no tensor '", name, "'");
  AmnesiaSet set;
  set.samples = {file.at("images"), file.at("labels")};
  set.fisher = file.at("fisher");
  set.metadata = file.metadata;
  LETHE_CHECK(set.samples.images.dtype() == DType::u8 && set.samples.images.rank() == 4 &&
                  set.samples.labels.dtype() == DType::i64 &&
                  set.samples.labels.numel() == set.samples.images.dim(0) &&
                  set.fisher.dtype() == DType::f32 && set.fisher.rank() == 1,
              "Selective Amnesia set ", path,
              ": expected images u8 (N, 1, H, W), labels i64 (N), fisher f32 (P)");
  const float* f = set.fisher.data<float>();
  for (int64_t j = 0; j < set.fisher.numel(); ++j)
    LETHE_CHECK(std::isfinite(f[j]) && f[j] >= 0, "Selective Amnesia set ", path, ": Fisher entry ",
                j, " is ", f[j], " (must be finite and >= 0)");
  return set;
}

FisherSummary summarize_fisher(const Tensor& fisher, const NamedTensors& parameters) {
  const int64_t n = fisher.numel();
  LETHE_CHECK(n >= 1, "Fisher summary: an empty Fisher");
  const float* f = fisher.data<float>();
  FisherSummary summary;
  std::vector<float> sorted(f, f + n);
  std::sort(sorted.begin(), sorted.end());
  for (float value : sorted) summary.total += value;
  summary.max = sorted.back();
  summary.median = sorted[n / 2];
  summary.p99 = sorted[std::min<int64_t>(n - 1, n * 99 / 100)];
  summary.zero_share =
      static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), 0.0f) - sorted.begin()) /
      n;
  std::map<std::string, double> by_block;
  int64_t offset = 0;
  for (const auto& [name, tensor] : parameters) {
    const size_t first = name.find('.');
    const size_t second = first == std::string::npos ? first : name.find('.', first + 1);
    double block_sum = 0;
    for (int64_t j = offset; j < offset + tensor.numel(); ++j) block_sum += f[j];
    by_block[name.substr(0, second)] += block_sum;
    offset += tensor.numel();
  }
  LETHE_CHECK(offset == n, "Fisher summary: ", n, " entries for ", offset, " parameters");
  for (const auto& [block, block_sum] : by_block)
    summary.share_by_block.emplace_back(block, summary.total > 0 ? block_sum / summary.total : 0);
  std::stable_sort(summary.share_by_block.begin(), summary.share_by_block.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return summary;
}

double add_ewc_gradient(const Tensor& fisher, const Tensor& anchor, const Tensor& theta,
                        double lambda, Tensor& grads) {
  const int64_t n = theta.numel();
  LETHE_CHECK(fisher.numel() == n && anchor.numel() == n && grads.numel() == n,
              "EWC: Fisher, anchor, weights and gradients must have one length");
  const float* f = fisher.data<float>();
  const float* a = anchor.data<float>();
  const float* w = theta.data<float>();
  float* g = grads.data<float>();
  double term = 0;
#pragma omp parallel for reduction(+ : term) if (n > 65536)
  for (int64_t j = 0; j < n; ++j) {
    const double d = static_cast<double>(w[j]) - a[j];
    term += f[j] * d * d;
    g[j] += static_cast<float>(2 * lambda * f[j] * d);
  }
  return lambda * term;
}

SelectiveAmnesia::SelectiveAmnesia(const SelectiveAmnesiaConfig& config,
                                   const std::string& init_checkpoint, AmnesiaSet set)
    : SelectiveAmnesia(config, load_score_checkpoint(init_checkpoint, "starting checkpoint"),
                       init_checkpoint, std::move(set)) {}

SelectiveAmnesia::SelectiveAmnesia(const SelectiveAmnesiaConfig& config,
                                   const SafetensorsFile& start, const std::string& init_path,
                                   AmnesiaSet set)
    : config_(validated(config)),
      init_metadata_(start.metadata),
      sde_(Sde::parse(start.metadata.at("sde"))),
      init_(0),
      noise_(config.seed + 1, 0),
      dropout_noise_(0),
      model_(load_unet(start, init_)),
      arena_(ParameterArena::pack(*model_)),
      adam_(arena_, AdamConfig{config.lr, 0.9, 0.999, 1e-8, 0}),
      weights_(arena_, 0.0),
      fisher_(std::move(set.fisher)),
      anchor_(arena_.values.clone()),
      replay_(replay_set(set.samples, config)),
      replay_order_(replay_.size(), std::min(config.batch, replay_.size()), config.seed) {
  const int k = config_.surrogate_class();
  if (k >= 0) {
    surrogate_ = select_classes(set.samples, {k}, true);
    LETHE_CHECK(surrogate_.size() >= 1,
                "Selective Amnesia: the generated set has no image of surrogate class ", k);
    surrogate_order_.emplace(surrogate_.size(), std::min(config.batch, surrogate_.size()),
                             config.seed + 5);
  }
  model_->train(false);
  check_classes(config_, model_->config().num_classes, init_path);
  init_metadata_["unlearn.init"] = init_path;
  LETHE_CHECK(fisher_.numel() == arena_.size(), "Selective Amnesia: the set's Fisher has ",
              fisher_.numel(), " entries, the model ", arena_.size(), " parameters");
}

AmnesiaBatches SelectiveAmnesia::draw(int64_t step) {
  const int64_t b = config_.batch;
  AmnesiaBatches out;
  const std::vector<int64_t> replay = replay_order_.batch(step);
  out.replay = replay_.float_images(replay);
  out.replay_labels = replay_.labels_of(replay);
  const Shape& image = replay_.images.shape();
  if (surrogate_order_) {
    out.surrogate = surrogate_.float_images(surrogate_order_->batch(step));
  } else {
    out.surrogate = noise_.uniform({b, image[1], image[2], image[3]}, -1, 1);
  }
  std::vector<int64_t> forget_labels(out.surrogate.dim(0));
  for (size_t i = 0; i < forget_labels.size(); ++i)
    forget_labels[i] = config_.forget[i % config_.forget.size()];
  out.surrogate_labels =
      Tensor::from_vector(forget_labels, {static_cast<int64_t>(forget_labels.size())});
  // One antithetic time vector for both halves (SA: steps i and 999 - i).
  const int64_t n = std::max(out.surrogate.dim(0), out.replay.dim(0));
  const Tensor half = noise_.uniform({(n + 1) / 2}, kTimeMin, 1);
  std::vector<float> t(n);
  for (int64_t i = 0; i < n; ++i)
    t[i] = i < half.numel()
               ? half.data<float>()[i]
               : static_cast<float>(1 + kTimeMin - half.data<float>()[i - half.numel()]);
  out.t = Tensor::from_vector(t, {n});
  return out;
}

void SelectiveAmnesia::run_until(int64_t final_step,
                                 const std::function<void(const AmnesiaStepReport&)>& report,
                                 const std::atomic<bool>* stop) {
  // The pixel-summed loss of a batch, averaged over its images: (mean over everything) x pixels.
  auto summed_loss = [&](const Tensor& x0, const Tensor& labels, const Tensor& t) {
    const PerturbedBatch p = perturb_at(sde_, x0, t.slice_batch(0, x0.dim(0)).clone(), noise_);
    const double pixels = static_cast<double>(x0.numel() / x0.dim(0));
    return mse_loss(model_->forward(p.x_t, p.t, labels, dropout_noise_), p.z) * pixels;
  };
  while (step_ < final_step && !(stop && stop->load())) {
    const AmnesiaBatches batches = draw(step_);
    AmnesiaStepReport r{};
    r.step = step_ + 1;
    arena_.zero_grad();
    const Tensor surrogate = summed_loss(batches.surrogate, batches.surrogate_labels, batches.t);
    r.surrogate_loss = surrogate.item();
    Tensor loss = surrogate;
    r.replay_loss = std::nan("");
    if (config_.gamma > 0) {
      const Tensor replay = summed_loss(batches.replay, batches.replay_labels, batches.t);
      r.replay_loss = replay.item();
      loss = loss + replay * config_.gamma;
    }
    loss.backward();
    r.ewc = config_.lambda > 0
                ? add_ewc_gradient(fisher_, anchor_, arena_.values, config_.lambda, arena_.grads)
                : 0.0;
    r.loss = r.surrogate_loss + (config_.gamma > 0 ? config_.gamma * r.replay_loss : 0) + r.ewc;
    LETHE_CHECK(std::isfinite(r.loss), "Selective Amnesia: the loss became non-finite (surrogate ",
                r.surrogate_loss, ", replay ", r.replay_loss, ", EWC ", r.ewc,
                "; lower the learning rate, now ", config_.lr, ")");
    r.grad_norm =
        config_.clip > 0 ? clip_grad_norm(arena_, config_.clip) : clip_grad_norm(arena_, INFINITY);
    adam_.step();
    ++step_;
    if (report) report(r);
  }
}

void SelectiveAmnesia::save_checkpoint(const std::string& path) {
  weights_.update();  // rate 0: the named weights become the live ones
  std::map<std::string, std::string> metadata = init_metadata_;
  metadata.erase("noise_offset");
  for (auto it = metadata.begin(); it != metadata.end();)
    it = it->first.rfind("train.", 0) == 0 ? metadata.erase(it) : std::next(it);
  for (const auto& [key, value] : config_.to_metadata()) metadata[key] = value;
  metadata["unlearn.method"] = "sa";
  metadata["unlearn.step"] = std::to_string(step_);
  save_training_checkpoint(path, {arena_, adam_, weights_, noise_}, metadata);
}

void SelectiveAmnesia::load_checkpoint(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  TrainingState state{arena_, adam_, weights_, noise_};
  load_training_checkpoint(file, state, config_.to_metadata());
  const auto step = file.metadata.find("unlearn.step");
  LETHE_CHECK(step != file.metadata.end(), "Selective Amnesia checkpoint ", path,
              " has no 'unlearn.step' in its metadata");
  step_ =
      parse_integer(step->second, "checkpoint " + path + ": metadata 'unlearn.step'", 0, INT64_MAX);
}

}  // namespace lethe
