// MSGM, moderated score training (docs/math.md#msgm): the ordinary DSM loss on desirable data plus
// a moderation term on perturbed undesirable data that changes what the score does there. Both the
// public code's terms and the paper's intended ones are here, selected by name.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "lethe/diffusion/diffusion.h"
#include "lethe/diffusion/moderation_term.h"

namespace lethe {

enum class MsgmVariant {
  orthogonal,        // code's `square`: mean (eps_hat_u * z_u)^2, elementwise
  orthogonal_inner,  // paper intent: mean_b (<eps_hat_u,b, z_u,b> / D)^2
  obtuse,            // intended sign: +mean (eps_hat_u * z_u), repels from undesirable data
  obtuse_as_coded,   // public code's sign: -mean (eps_hat_u * z_u)
};
MsgmVariant parse_msgm_variant(const std::string& name);  // the names above, '_' as '-'
std::string msgm_variant_name(MsgmVariant variant);

struct MsgmConfig {
  MsgmVariant variant = MsgmVariant::orthogonal;
  double desirable_weight = 0.99;    // on l_g
  double undesirable_weight = 0.01;  // on l_u
  int64_t every = 4;                 // l_u on the steps whose 1-based number is a multiple of this
  // The obtuse terms are unbounded below; each sample's term <eps_hat, z> / D (with its sign) is
  // floored at -obtuse_floor, so the push stops once eps_hat points away from z this much.
  double obtuse_floor = 1.0;
  // The moderation term's diffusion times t ~ U(t_min, t_max). 1 is the paper's (every noise
  // level); below 1 the term leaves the high-noise score, where undesirable and desirable
  // perturbed data look alike, to the DSM loss alone.
  double t_max = 1.0;

  bool moderates(int64_t step) const { return every > 0 && step % every == 0; }
  void validate() const;  // throws lethe::Error naming the bad field
  // "msgm.*" keys; msgm.t_max only when below 1, so runs that predate it still resume.
  std::map<std::string, std::string> to_metadata() const;
};

// The moderation term l_u on an undesirable batch x0_u (B, ...): t ~ U(t_min, config.t_max),
// z ~ N(0, I),
// x_t = m x0 + std z, eps_hat = model(x_t, t), then the variant's term. Draws t and z from `noise`.
Tensor msgm_moderation_loss(const NoiseModel& model, const Sde& sde, const Tensor& x0_u,
                            Generator& noise, const MsgmConfig& config, double t_min = 1e-5);

// MSGM as the trainers' moderation term (lethe/diffusion/moderation_term.h): the weights, the
// cadence and msgm_moderation_loss of `config`, which is validated first.
ModerationTerm msgm_moderation(const MsgmConfig& config);

// The variant's term from the network's prediction and the noise it should not predict:
// eps_hat, z (B, ...) -> rank 0.
Tensor msgm_moderation_term(const Tensor& eps_hat, const Tensor& z, const MsgmConfig& config);

}  // namespace lethe
