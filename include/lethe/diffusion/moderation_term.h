// A term added to a score model's training objective on batches of undesirable data (classes of
// an image data set, components of a toy mixture). With one, training step s (1-based) minimises
//   desirable_weight * DSM(desirable batch) + undesirable_weight * loss(undesirable batch)
// when applies(s), and the first term alone otherwise. The trainers know no unlearning method:
// MSGM (lethe/unlearn/msgm.h) builds its moderation as one of these.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "lethe/diffusion/diffusion.h"

namespace lethe {

struct ModerationTerm {
  std::string description;  // one line for a run's header, e.g. "MSGM obtuse"
  double desirable_weight = 1;
  double undesirable_weight = 0;
  int64_t every = 0;  // applies on the steps whose 1-based number is a multiple of this
  // x0_u (B, ...) -> rank 0; draws what it needs from `noise`.
  std::function<Tensor(const NoiseModel& model, const Sde& sde, const Tensor& x0_u,
                       Generator& noise)>
      loss;
  // The settings a checkpoint stores and a resume must match.
  std::map<std::string, std::string> metadata;

  bool defined() const { return static_cast<bool>(loss); }
  bool applies(int64_t step) const { return every > 0 && step % every == 0; }
};

}  // namespace lethe
