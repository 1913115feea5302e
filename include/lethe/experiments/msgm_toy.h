// lethe experiment msgm-toy: the MSGM paper's 2-D figure with exact ground truth. On toy-msgm
// (desirable blobs at (-2,-2) and (2,2), undesirable blob at the origin) it trains the original
// model (all of D), the retrained one (D_g only) and MSGM with every variant and moderation
// schedule, samples each, and reports the mass inside the undesirable disc |x| <= 1 against the
// analytic value of the desirable-only mixture, with binomial standard errors and per seed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lethe {

struct MsgmToyOptions {
  std::string out_dir = "runs/experiments/msgm-toy";
  std::string sde = "vp";
  int64_t steps = 3000;
  int64_t samples = 200000;
  int sampler_steps = 200;
  int seeds = 3;
  std::string variants = "orthogonal,orthogonal-inner,obtuse,obtuse-as-coded";
  // Moderation schedules "undesirable_weight@every": the code's default and a stronger one.
  std::string schedules = "0.01@4,0.1@1";
};

struct ModerationSchedule {
  double undesirable_weight;  // in [0, 1]; the desirable weight is 1 - it
  int64_t every;              // moderate every N-th step (>= 1)
};
// "0.01@4,0.1@1" -> {{0.01, 4}, {0.1, 1}}; at least one.
std::vector<ModerationSchedule> parse_moderation_schedules(const std::string& text);
// "orthogonal,obtuse" -> the names, each a known MSGM variant; at least one.
std::vector<std::string> parse_msgm_variant_list(const std::string& text);

void run_msgm_toy(const MsgmToyOptions& options);

}  // namespace lethe
