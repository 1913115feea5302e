// The evaluation that the class-forgetting experiments (rgd-mnist, sfd-mnist) share: requests for
// the forgotten digit and for every retained digit from one model, scored with the classifier
// (UA, RA, cFID / precision / recall against held-out images), and a grid of them.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lethe/diffusion/score_model.h"
#include "lethe/eval/classifier.h"
#include "lethe/io/image_dataset.h"

namespace lethe {

struct ForgettingRequest {
  int forget = 0;
  std::vector<int> retained;
  int64_t forget_samples = 100;  // requests for the forgotten digit (first in the batch)
  int64_t per_class = 30;        // requests per retained digit, in the order of `retained`
  SamplerConfig sampler;         // ignored by one-step generators
  double cfg = 0;                // score models only; generators take none
  uint64_t seed = 0;
  int override_class = -1;  // SFD: also the share of forget requests read as this class
};

struct ForgettingFigures {
  GeneratedSamples generated;
  nlohmann::json evaluation;  // evaluate_samples: ua, mean_p_forget, ra, quality, rates, ...
};

// Samples and scores `model`; writes `grid_png` (one row of forget requests, then one row per
// retained digit, min(10, forget_samples, per_class) columns).
// The figures the forgetting experiments tabulate per model, from an `evaluation`: ua, ua_rate,
// forget_none, mean_p_forget, forget_classified_as_override (with an override class), ra,
// ra_rate, retained_none, real_floor, quality_retained, quality_floor_real_vs_real.
nlohmann::json forgetting_entry(const nlohmann::json& evaluation);

ForgettingFigures evaluate_forgetting(const ScoreModel& model, const ForgettingRequest& request,
                                      const DigitClassifier& classifier, const ImageDataset& test,
                                      const ImageDataset& train, const std::string& grid_png);

}  // namespace lethe
