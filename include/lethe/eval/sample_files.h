// Generated samples as the evaluation reads them: one file from `lethe sample --out F.safetensors`
// (`samples` (N, ...) in [-1, 1], `labels` (N) the classes asked for), or a directory of them.
#pragma once
#include <string>

#include "lethe/io/safetensors.h"

namespace lethe {

// The samples file at `path`, or, for a directory (e.g. one file per lethe sample run), every
// *.safetensors in it, in name order, concatenated: the first file's metadata, with "files" set
// to the count.
SafetensorsFile load_samples(const std::string& path);

}  // namespace lethe
