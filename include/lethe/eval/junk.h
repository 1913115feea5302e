// What the evaluation classifier learns to call "none" (docs/math.md#evaluation): generated
// families of broken images in the data's [-1, 1] scale, the failures samplers and unlearned models
// actually produce, and the shift augmentation of its real digits.
#pragma once
#include <string>
#include <vector>

#include "lethe/io/image_dataset.h"
#include "lethe/ops/random.h"

namespace lethe {

// noise:     Gaussian or smoothed noise around a random level.
// blend:     40-60 % mix of two digits of different classes.
// blur:      a digit under a wide box blur (radius 3-4, three passes).
// erase:     all of a digit but a 10-15 px rectangle set to background.
// blank:     a constant image (black, white or grey), optionally with faint noise.
// saturated: an inverted digit, a digit under a white block covering 40-100 % of the image, or a
//            digit dilated into a white blob.
// speckle:   salt noise of density 3-60 % on black, optionally over a faint digit.
// faint:     a digit at 3-20 % of the full contrast.
// smear:     a digit under a 9-15 px motion blur along a random direction.
enum class JunkKind { noise, blend, blur, erase, blank, saturated, speckle, faint, smear };
constexpr JunkKind kJunkKinds[] = {JunkKind::noise,   JunkKind::blend, JunkKind::blur,
                                   JunkKind::erase,   JunkKind::blank, JunkKind::saturated,
                                   JunkKind::speckle, JunkKind::faint, JunkKind::smear};

const char* junk_kind_name(JunkKind kind);
// "noise,blank,..." -> the kinds; an unknown name is an error listing the known ones.
std::vector<JunkKind> parse_junk_kinds(const std::string& text);

// `count` junk images (count, 1, 28, 28) in [-1, 1] of one kind, made from random digits of
// `source` (blends always mix two different classes).
Tensor make_junk(JunkKind kind, const ImageDataset& source, int64_t count, Generator& noise);

// Shifts each image by an integer offset in [-max_shift, max_shift]^2 (background fill).
Tensor random_shift(const Tensor& images, int max_shift, Generator& noise);

// Real failed samples: what early checkpoints of a score model draw (weights/mnist-failed-samples,
// made by tools/make_failed_samples.sh), split into images to train on and held-out ones, both
// (N, 1, 28, 28) f32 in [-1, 1].
struct FailedSamples {
  Tensor train, test;
};
FailedSamples load_failed_samples(const std::string& path);

}  // namespace lethe
