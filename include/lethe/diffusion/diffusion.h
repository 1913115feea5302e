// The diffusion core: SDEs, scores, the DSM loss, the samplers, inpainting, PF-ODE reconstruction
// and likelihood, all written against callbacks so a network, an analytic score or a moderated
// score plug in the same way. One header per concept, named as its source in src/diffusion/; this
// one includes them all. docs/math.md#sdes-losses-and-samplers holds the math.
#pragma once
#include "lethe/diffusion/dsm_loss.h"
#include "lethe/diffusion/inpaint.h"
#include "lethe/diffusion/likelihood.h"
#include "lethe/diffusion/probability_flow.h"
#include "lethe/diffusion/sampler.h"
#include "lethe/diffusion/score.h"
#include "lethe/diffusion/sde.h"
