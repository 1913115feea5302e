// 2-D toy data: isotropic Gaussian mixtures given by presets or explicitly, and the
// time-conditioned MLP that learns their score.
#pragma once
#include <string>
#include <vector>

#include "lethe/gaussian.h"
#include "lethe/nn.h"
#include "lethe/rng.h"

namespace lethe {

struct GaussianComponent {
  double weight;
  std::vector<double> mean;
  double stddev;  // isotropic
};

struct GaussianMixture {
  std::vector<GaussianComponent> components;

  // "toy-msgm": N((-2,-2), 0.5^2 I) and N((2,2), 0.5^2 I) with weight 0.4 each, the undesirable
  // N((0,0), 0.5^2 I) with weight 0.2. "rings": 8 components of std 0.3 evenly on the circle of
  // radius 2.5. "grid": 9 components of std 0.3 at {-2, 0, 2}^2. Equal weights unless stated.
  static GaussianMixture preset(const std::string& name);
  // A preset name or an explicit spec "w@x,y@s;w@x,y@s;...": weight, mean and isotropic std per
  // component (weights are normalised).
  static GaussianMixture parse(const std::string& preset_or_spec);
  std::string spec() const;  // the explicit form, which parse() reads back
  // The mixture restricted to the listed components, weights renormalised.
  GaussianMixture with_components(const std::vector<int>& indices) const;
  int dimension() const { return static_cast<int>(components.at(0).mean.size()); }
  Tensor sample(int64_t count, Generator& noise) const;  // (count, D) f32
  // Probability mass of a 2-D mixture inside the disc |x - center| <= radius (polar quadrature,
  // absolute error below 1e-6 for the presets).
  double mass_in_disc(double center_x, double center_y, double radius) const;
};

// The same mixture in the full-covariance form whose marginal scores are closed form (gaussian.h).
GaussianMixtureModel to_mixture_model(const GaussianMixture& mixture);

// Fraction of the rows of points (N, 2) inside the disc |x - center| <= radius.
double fraction_in_disc(const Tensor& points, double center_x, double center_y, double radius);

// Sinusoidal embedding of scalar labels (B) into `width` dims: half = width / 2,
// f_k = exp(-ln(10000) k / (half - 1)), emb = [sin(label f), cos(label f)] -> (B, width).
Tensor sinusoidal_embedding(const Tensor& labels, int64_t width);  // on labels' device

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

#include "lethe/diffusion.h"
#include "lethe/msgm.h"
#include "lethe/optim.h"

namespace lethe {

struct ToyTrainingConfig {
  std::string preset = "toy-msgm";  // a preset name or an explicit spec (GaussianMixture::parse)
  std::vector<int> components;      // train on these components only (empty: all)
  // MSGM (spec/msgm.md): these of the trained components are undesirable; DSM runs on the others
  // (a batch from their renormalised mixture) and the moderation term on a batch from these.
  std::vector<int> undesirable;
  MsgmConfig msgm;
  std::string init_checkpoint;  // fine-tuning: start from this toy checkpoint's EMA weights
  std::string sde = "vp";
  int64_t steps = 3000;
  int64_t batch = 256;
  double lr = 2e-3;
  int64_t warmup_steps = 100;
  double grad_clip = 1.0;
  double ema_rate = 0.999;
  int hidden = 128;
  int depth = 3;
  int time_features = 32;
  uint64_t seed = 0;
};

// Trains a ToyScoreMlp on a Gaussian-mixture preset with the DSM loss, Adam, clipping and EMA.
class ToyScoreTrainer {
 public:
  explicit ToyScoreTrainer(const ToyTrainingConfig& config);
  // Runs `steps` more steps; calls report(step, loss) after each (the whole objective). Returns
  // the last loss.
  double train(int64_t steps, const std::function<void(int64_t, double)>& report);
  // Samples with the EMA weights (Euler-Maruyama, `sampler_steps` steps) -> (count, D).
  Tensor sample(int64_t count, int sampler_steps, uint64_t seed);
  // One safetensors file: parameter names hold the EMA weights (what sampling uses, loadable as
  // a PyTorch state dict after dropping the "train." keys); "train.*" holds the live weights, Adam
  // state and EMA count; metadata holds the config and the noise stream's offset.
  void save_checkpoint(const std::string& path);
  void load_checkpoint(const std::string& path);  // same config required
  int64_t step() const { return adam_.steps(); }
  const GaussianMixture& data() const { return data_; }  // all trained components
  const Sde& sde() const { return sde_; }

 private:
  ToyTrainingConfig config_;
  GaussianMixture data_;
  GaussianMixture desirable_, undesirable_;  // MSGM's split of data_ (desirable_ = data_ without)
  Sde sde_;
  Generator init_, noise_;
  ToyScoreMlp model_;
  ParameterArena arena_;
  Adam adam_;
  Ema ema_;
};

}  // namespace lethe

namespace lethe {

// A trained toy score model loaded from a ToyScoreTrainer checkpoint (EMA weights).
class ToyScoreModel {
 public:
  static std::unique_ptr<ToyScoreModel> load(const std::string& path);
  NoiseModel noise_model() const;
  const Sde& sde() const { return sde_; }
  const GaussianMixture& trained_data() const { return trained_; }  // what it was trained on
  const GaussianMixture& full_data() const { return full_; }        // before any component subset

 private:
  ToyScoreModel(std::unique_ptr<ToyScoreMlp> mlp, Sde sde, GaussianMixture trained,
                GaussianMixture full);
  std::unique_ptr<ToyScoreMlp> mlp_;
  Sde sde_;
  GaussianMixture trained_, full_;
};

}  // namespace lethe
