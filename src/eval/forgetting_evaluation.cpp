#include "lethe/eval/forgetting_evaluation.h"

#include <algorithm>

#include "lethe/eval/evaluation.h"
#include "lethe/io/png.h"

namespace lethe {

nlohmann::json forgetting_entry(const nlohmann::json& evaluation) {
  const nlohmann::json& rates = evaluation["rates"];
  nlohmann::json entry = {{"ua", evaluation["ua"]},
                          {"ua_rate", rates["ua"]},
                          {"forget_none", rates["forget_none"]},
                          {"mean_p_forget", evaluation["mean_p_forget"]},
                          {"ra", evaluation["ra"]},
                          {"ra_rate", rates["ra"]},
                          {"retained_none", rates["retained_none"]},
                          {"real_floor", evaluation["real_floor"]},
                          {"quality_retained", evaluation["quality"]},
                          {"quality_floor_real_vs_real", evaluation["quality_floor_real_vs_real"]}};
  if (rates.contains("forget_read_as_override")) {
    entry["forget_classified_as_override"] = rates["forget_read_as_override"];
  }
  return entry;
}

ForgettingFigures evaluate_forgetting(const ScoreModel& model, const ForgettingRequest& request,
                                      const DigitClassifier& classifier, const ImageDataset& test,
                                      const ImageDataset& train, const std::string& grid_png) {
  GenerationRequest generation{
      request.sampler, {},  model.is_one_step_generator() ? 0 : request.cfg,
      request.seed,    128, Tensor()};
  generation.labels.assign(request.forget_samples, request.forget);
  for (int c : request.retained)
    for (int64_t i = 0; i < request.per_class; ++i) generation.labels.push_back(c);
  ForgettingFigures out;
  out.generated = generate(model, generation);
  EvaluationRequest what;
  what.forget_class = request.forget;
  what.override_class = request.override_class;
  what.retained = request.retained;
  what.seed = request.seed;
  out.evaluation =
      evaluate_samples(classifier, out.generated.samples, out.generated.labels, what, test, train);

  const Tensor& samples = out.generated.samples;
  const int64_t columns = std::min<int64_t>({10, request.per_class, request.forget_samples});
  std::vector<Tensor> rows{samples.slice_batch(0, columns)};
  std::vector<std::string> row_labels{"forget " + std::to_string(request.forget)};
  for (size_t k = 0; k < request.retained.size(); ++k) {
    const int64_t first = request.forget_samples + static_cast<int64_t>(k) * request.per_class;
    rows.push_back(samples.slice_batch(first, first + columns));
    row_labels.push_back(std::to_string(request.retained[k]));
  }
  write_image_grid(grid_png, concat(rows, 0), static_cast<int>(columns), row_labels);
  return out;
}

}  // namespace lethe
