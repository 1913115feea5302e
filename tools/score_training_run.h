// The flags of `lethe train` and `lethe unlearn msgm`, and the run they start
// (lethe/run/score_training_job.h, driven by lethe/run/resumable_run.h).
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "lethe/run/score_training_job.h"

namespace lethe::tools {

// Adds the flags every U-Net training command takes (config, data, optimiser, run directory).
void add_score_training_flags(CLI::App& command, ScoreTrainingRun& run);

}  // namespace lethe::tools
