// Device names: where a run's tensors live.
#pragma once
#include <string_view>

#include "lethe/core/dtype.h"

namespace lethe {

// "cpu" or "cuda"; cuda is checked with require_device (a clear error without a usable GPU).
Device parse_device(std::string_view name);

}  // namespace lethe
