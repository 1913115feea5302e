// The figures of docs/math.md#evaluation computed from generated samples with the shipped
// classifier: class histogram, undesirable rate, UA (with mean p(c_f | x) and entropy), RA, and
// classifier-feature cFID / KID / precision / recall against held-out real images, each next to the
// real-vs-real floor computed the same way.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lethe/diffusion/gaussian_mixture.h"
#include "lethe/eval/classifier.h"
#include "lethe/eval/metrics.h"

namespace lethe {

struct ClassifierOutputs {
  std::vector<int> predicted;  // argmax class per image (0-9, or 10 for none)
  Tensor probabilities;        // (N, 11) softmax
  Tensor features;             // (N, 128) penultimate features
};
ClassifierOutputs run_classifier(const DigitClassifier& model, const Tensor& images);

struct QualityFigures {
  double fid, kid_mean, kid_std, precision, recall;
  int64_t generated_count, real_count;
};
// Generated features vs real features; `seed` picks the KID subsets.
QualityFigures quality_figures(const Tensor& generated_features, const Tensor& real_features,
                               uint64_t seed);

// A binomial rate with its 95 % Wilson interval: {"rate", "count", "n", "ci95": [low, high]}.
nlohmann::json rate_json(int64_t count, int64_t n);

struct EvaluationRequest {
  std::vector<int> undesirable;  // classes whose share of all samples is the undesirable rate
  int forget_class = -1;         // UA, mean p(c_f | x) and entropy over samples asked for c_f
  int override_class = -1;       // SFD / SalUn: the share of c_f requests read as this class
  std::vector<int> retained;     // RA over samples asked for these classes; quality on them
  uint64_t seed = 0;
};

// images: (N, 1, 28, 28) in [-1, 1]; requested: (N) i64 labels the samples were asked for
// (10 = the null label: unconditional). real_test / real_train: held-out and training digits.
// Besides the scalar figures ("ua", "ra", "undesirable_rate", ...), "rates" holds each rate as
// rate_json: ua, forget_none (share of forget requests read as none), forget_read_as_override
// (with an override class), ra, retained_none,
// undesirable, none (all samples); and "real_floor" the same rates for the real test digits (what
// a model drawing real digits would score): ra, retained_read_as_forget (1 - it: UA's ceiling),
// wanted_read_as_undesirable, none.
nlohmann::json evaluate_samples(const DigitClassifier& classifier, const Tensor& images,
                                const Tensor& requested, const EvaluationRequest& request,
                                const ImageDataset& real_test, const ImageDataset& real_train);

// 2-D toy samples (N, 2): mass inside the disc |x - centre| <= radius with its binomial standard
// error, beside the exact mass of the full and of the trained mixture; energy distance to 2000
// fresh draws of the trained mixture (and the same statistic for a second fresh draw: its floor).
nlohmann::json evaluate_toy_samples(const Tensor& samples, const GaussianMixture& full,
                                    const GaussianMixture& trained, double centre_x,
                                    double centre_y, double radius, uint64_t seed);

// A short human-readable table of the figures in `report`.
std::string evaluation_table(const nlohmann::json& report);

}  // namespace lethe
