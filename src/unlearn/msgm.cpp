#include "lethe/unlearn/msgm.h"

#include <numeric>

#include "lethe/core/error.h"
#include "lethe/ops/ops.h"

namespace lethe {

namespace {
const std::vector<std::pair<MsgmVariant, std::string>> kVariantNames = {
    {MsgmVariant::orthogonal, "orthogonal"},
    {MsgmVariant::orthogonal_inner, "orthogonal-inner"},
    {MsgmVariant::obtuse, "obtuse"},
    {MsgmVariant::obtuse_as_coded, "obtuse-as-coded"},
};

// <a_b, z_b> / D per sample: (B, ...) x (B, ...) -> (B).
Tensor per_sample_mean_product(const Tensor& a, const Tensor& z) {
  std::vector<int> feature_axes(a.rank() - 1);
  std::iota(feature_axes.begin(), feature_axes.end(), 1);
  return mean(a * z, feature_axes);
}
}  // namespace

MsgmVariant parse_msgm_variant(const std::string& name) {
  std::string dashed = name;
  for (char& c : dashed)
    if (c == '_') c = '-';
  for (const auto& [variant, variant_name] : kVariantNames)
    if (variant_name == dashed) return variant;
  throw Error("unknown MSGM variant '" + name +
              "' (expected orthogonal, orthogonal-inner, obtuse or obtuse-as-coded)");
}

std::string msgm_variant_name(MsgmVariant variant) {
  for (const auto& [v, name] : kVariantNames)
    if (v == variant) return name;
  throw Error("unknown MSGM variant");
}

void MsgmConfig::validate() const {
  LETHE_CHECK(desirable_weight >= 0, "MSGM desirable weight ", desirable_weight, " is negative");
  LETHE_CHECK(undesirable_weight >= 0, "MSGM undesirable weight ", undesirable_weight,
              " is negative");
  LETHE_CHECK(every >= 1, "MSGM moderation period ", every, " must be at least 1 step");
  LETHE_CHECK(obtuse_floor > 0, "MSGM obtuse floor ", obtuse_floor, " must be positive");
  LETHE_CHECK(t_max > 0 && t_max <= 1, "MSGM moderation t_max ", t_max, " is outside (0, 1]");
}

std::map<std::string, std::string> MsgmConfig::to_metadata() const {
  std::map<std::string, std::string> metadata{
      {"msgm.variant", msgm_variant_name(variant)},
      {"msgm.desirable_weight", std::to_string(desirable_weight)},
      {"msgm.undesirable_weight", std::to_string(undesirable_weight)},
      {"msgm.every", std::to_string(every)},
      {"msgm.obtuse_floor", std::to_string(obtuse_floor)}};
  if (t_max < 1) metadata["msgm.t_max"] = std::to_string(t_max);
  return metadata;
}

Tensor msgm_moderation_term(const Tensor& eps_hat, const Tensor& z, const MsgmConfig& config) {
  LETHE_CHECK(eps_hat.shape() == z.shape(), "MSGM: prediction ", shape_str(eps_hat.shape()),
              " and noise ", shape_str(z.shape()), " differ in shape");
  switch (config.variant) {
    case MsgmVariant::orthogonal:
      return mean(square(eps_hat * z));
    case MsgmVariant::orthogonal_inner:
      return mean(square(per_sample_mean_product(eps_hat, z)));
    case MsgmVariant::obtuse:
      return mean(maximum(per_sample_mean_product(eps_hat, z), -config.obtuse_floor));
    case MsgmVariant::obtuse_as_coded:
      return mean(maximum(-per_sample_mean_product(eps_hat, z), -config.obtuse_floor));
  }
  throw Error("unknown MSGM variant");
}

Tensor msgm_moderation_loss(const NoiseModel& model, const Sde& sde, const Tensor& x0_u,
                            Generator& noise, const MsgmConfig& config, double t_min) {
  LETHE_CHECK(t_min < config.t_max, "MSGM: t_min ", t_min, " is not below t_max ", config.t_max);
  const PerturbedBatch batch = perturb(sde, x0_u, noise, t_min, config.t_max);
  return msgm_moderation_term(model(batch.x_t, batch.t.to(x0_u.device())), batch.z, config);
}

ModerationTerm msgm_moderation(const MsgmConfig& config) {
  config.validate();
  ModerationTerm term;
  term.description = "MSGM " + msgm_variant_name(config.variant);
  term.desirable_weight = config.desirable_weight;
  term.undesirable_weight = config.undesirable_weight;
  term.every = config.every;
  term.loss = [config](const NoiseModel& model, const Sde& sde, const Tensor& x0_u,
                       Generator& noise) {
    return msgm_moderation_loss(model, sde, x0_u, noise, config);
  };
  term.metadata = config.to_metadata();
  return term;
}

}  // namespace lethe
