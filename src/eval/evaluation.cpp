#include "lethe/eval/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "lethe/core/autograd.h"

namespace lethe {
namespace {

std::vector<int64_t> all_indices(int64_t count) {
  std::vector<int64_t> indices(count);
  for (int64_t i = 0; i < count; ++i) indices[i] = i;
  return indices;
}

// Rows of `matrix` (N, D) whose flag is set.
Tensor select_rows(const Tensor& matrix, const std::vector<bool>& keep) {
  std::vector<float> values;
  const int64_t width = matrix.dim(1);
  const float* data = matrix.data<float>();
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) values.insert(values.end(), data + i * width, data + (i + 1) * width);
  }
  return Tensor::from_vector(values, {static_cast<int64_t>(values.size()) / width, width});
}

bool contains(const std::vector<int>& set, int64_t value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

nlohmann::json quality_json(const QualityFigures& q) {
  return {{"cfid", q.fid},        {"kid_mean", q.kid_mean},
          {"kid_std", q.kid_std}, {"precision", q.precision},
          {"recall", q.recall},   {"generated", q.generated_count},
          {"real", q.real_count}};
}

// How the classifier reads held-out real digits: the floors and ceilings of the sample rates
// (a model that drew real test digits would score exactly these).
nlohmann::json real_floor(const DigitClassifier& classifier, const ImageDataset& real_test,
                          const EvaluationRequest& request) {
  const std::vector<int> read =
      run_classifier(classifier, real_test.float_images(all_indices(real_test.size()))).predicted;
  const int64_t* truth = real_test.labels.data<int64_t>();
  int64_t none = 0, retained = 0, retained_correct = 0, retained_as_forget = 0;
  int64_t wanted = 0, wanted_as_undesirable = 0;
  for (int64_t i = 0; i < real_test.size(); ++i) {
    none += read[i] == kNoneClass;
    if (contains(request.retained, truth[i])) {
      ++retained;
      retained_correct += read[i] == truth[i];
      retained_as_forget += read[i] == request.forget_class;
    }
    if (!contains(request.undesirable, truth[i])) {
      ++wanted;
      wanted_as_undesirable += contains(request.undesirable, read[i]);
    }
  }
  nlohmann::json floor = {{"split", "test"}, {"none", rate_json(none, real_test.size())}};
  if (!request.retained.empty()) floor["ra"] = rate_json(retained_correct, retained);
  if (request.forget_class >= 0 && !request.retained.empty()) {
    floor["retained_read_as_forget"] = rate_json(retained_as_forget, retained);
  }
  if (!request.undesirable.empty()) {
    floor["wanted_read_as_undesirable"] = rate_json(wanted_as_undesirable, wanted);
  }
  return floor;
}

}  // namespace

nlohmann::json rate_json(int64_t count, int64_t n) {
  const Interval interval = wilson_interval(count, n);
  return {{"rate", n > 0 ? static_cast<double>(count) / n : 0.0},
          {"count", count},
          {"n", n},
          {"ci95", {interval.low, interval.high}}};
}

ClassifierOutputs run_classifier(const DigitClassifier& model, const Tensor& images) {
  NoGrad no_grad;
  std::vector<Tensor> feature_chunks, probability_chunks;
  std::vector<int> predicted;
  constexpr int64_t kChunk = 256;
  for (int64_t begin = 0; begin < images.dim(0); begin += kChunk) {
    const Tensor batch = images.slice_batch(begin, std::min(images.dim(0), begin + kChunk));
    const Tensor features = model.features(batch);
    feature_chunks.push_back(features);
    probability_chunks.push_back(softmax(model.logits(batch), 1));
  }
  ClassifierOutputs out{{}, concat(probability_chunks, 0), concat(feature_chunks, 0)};
  const float* p = out.probabilities.data<float>();
  for (int64_t i = 0; i < images.dim(0); ++i) {
    const float* row = p + i * kClassifierOutputs;
    out.predicted.push_back(
        static_cast<int>(std::max_element(row, row + kClassifierOutputs) - row));
  }
  return out;
}

QualityFigures quality_figures(const Tensor& generated_features, const Tensor& real_features,
                               uint64_t seed) {
  const KidResult kid = kernel_inception_distance(generated_features, real_features, 20, 500, seed);
  const PrecisionRecall pr = precision_recall(real_features, generated_features, 3);
  return {frechet_distance(gaussian_stats(generated_features), gaussian_stats(real_features)),
          kid.mean,
          kid.stddev,
          pr.precision,
          pr.recall,
          generated_features.dim(0),
          real_features.dim(0)};
}

nlohmann::json evaluate_samples(const DigitClassifier& classifier, const Tensor& images,
                                const Tensor& requested, const EvaluationRequest& request,
                                const ImageDataset& real_test, const ImageDataset& real_train) {
  LETHE_CHECK(
      requested.dtype() == DType::i64 && requested.rank() == 1 && requested.dim(0) == images.dim(0),
      "evaluation: requested labels ", describe(requested), " do not match the ", images.dim(0),
      " samples");
  const ClassifierOutputs outputs = run_classifier(classifier, images);
  const int64_t n = images.dim(0);
  const int64_t* asked = requested.data<int64_t>();
  const float* probabilities = outputs.probabilities.data<float>();
  nlohmann::json report;
  report["samples"] = n;
  std::vector<int64_t> histogram(kClassifierOutputs, 0);
  for (int label : outputs.predicted) ++histogram[label];
  report["class_histogram"] = histogram;
  nlohmann::json& rates = report["rates"];
  rates["none"] = rate_json(histogram[kNoneClass], n);

  if (!request.undesirable.empty()) {
    int64_t undesirable = 0;
    for (int label : outputs.predicted) undesirable += contains(request.undesirable, label);
    report["undesirable_classes"] = request.undesirable;
    report["undesirable_rate"] = static_cast<double>(undesirable) / n;
    rates["undesirable"] = rate_json(undesirable, n);
  }
  if (request.forget_class >= 0) {
    int64_t asked_count = 0, as_forget = 0, as_none = 0, as_override = 0;
    double mean_probability = 0, mean_entropy = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (asked[i] != request.forget_class) continue;
      ++asked_count;
      as_forget += outputs.predicted[i] == request.forget_class;
      as_none += outputs.predicted[i] == kNoneClass;
      as_override += outputs.predicted[i] == request.override_class;
      mean_probability += probabilities[i * kClassifierOutputs + request.forget_class];
      for (int c = 0; c < kClassifierOutputs; ++c) {
        const double p = probabilities[i * kClassifierOutputs + c];
        if (p > 0) mean_entropy -= p * std::log(p);
      }
    }
    LETHE_CHECK(asked_count > 0, "evaluation: no sample asked for forget class ",
                request.forget_class);
    report["forget_class"] = request.forget_class;
    report["forget_samples"] = asked_count;
    report["ua"] = 1 - static_cast<double>(as_forget) / asked_count;
    report["mean_p_forget"] = mean_probability / asked_count;
    report["mean_entropy"] = mean_entropy / asked_count;
    rates["ua"] = rate_json(asked_count - as_forget, asked_count);
    rates["forget_none"] = rate_json(as_none, asked_count);
    if (request.override_class >= 0) {
      report["override_class"] = request.override_class;
      rates["forget_read_as_override"] = rate_json(as_override, asked_count);
    }
  }
  if (!request.retained.empty()) {
    int64_t asked_count = 0, correct = 0, as_none = 0;
    std::vector<bool> keep(n, false);
    for (int64_t i = 0; i < n; ++i) {
      if (!contains(request.retained, asked[i])) continue;
      keep[i] = true;
      ++asked_count;
      correct += outputs.predicted[i] == asked[i];
      as_none += outputs.predicted[i] == kNoneClass;
    }
    if (asked_count > 0) {
      report["ra"] = static_cast<double>(correct) / asked_count;
      report["retained_samples"] = asked_count;
      rates["ra"] = rate_json(correct, asked_count);
      rates["retained_none"] = rate_json(as_none, asked_count);
    }
    // Quality on the retained classes: generated (retained requests, or all when unconditional)
    // vs held-out real images of those classes; the floor compares train vs test real images.
    const Tensor generated =
        asked_count >= 10 ? select_rows(outputs.features, keep) : outputs.features;
    const ImageDataset test_subset = real_test.with_classes(request.retained);
    const ImageDataset train_subset = real_train.with_classes(request.retained);
    const Tensor test_features =
        run_classifier(classifier, test_subset.float_images(all_indices(test_subset.size())))
            .features;
    // As many training images as generated ones, spread evenly over the (class-sorted) split.
    const int64_t floor_count = std::min(train_subset.size(), generated.dim(0));
    std::vector<int64_t> spread(floor_count);
    for (int64_t i = 0; i < floor_count; ++i) spread[i] = i * train_subset.size() / floor_count;
    const Tensor train_features =
        run_classifier(classifier, train_subset.float_images(spread)).features;
    report["retained_classes"] = request.retained;
    report["quality"] = quality_json(quality_figures(generated, test_features, request.seed));
    report["quality_floor_real_vs_real"] =
        quality_json(quality_figures(train_features, test_features, request.seed));
  }
  report["real_floor"] = real_floor(classifier, real_test, request);
  return report;
}

nlohmann::json evaluate_toy_samples(const Tensor& samples, const GaussianMixture& full,
                                    const GaussianMixture& trained, double centre_x,
                                    double centre_y, double radius, uint64_t seed) {
  LETHE_CHECK(samples.rank() == 2 && samples.dim(1) == 2,
              "toy evaluation: samples must be "
              "(N, 2), got ",
              describe(samples));
  const int64_t n = samples.dim(0);
  const double mass = fraction_in_disc(samples, centre_x, centre_y, radius);
  Generator noise(seed, 0);
  constexpr int64_t kReference = 2000;
  const Tensor subset = samples.slice_batch(0, std::min(n, kReference));
  const Tensor reference = trained.sample(kReference, noise);
  const Tensor second_reference = trained.sample(kReference, noise);
  return {{"samples", n},
          {"region", {{"centre", {centre_x, centre_y}}, {"radius", radius}}},
          {"region_mass", mass},
          {"region_mass_stderr", std::sqrt(std::max(mass * (1 - mass), 1.0 / n) / n)},
          {"region_mass_exact_full_data", full.mass_in_disc(centre_x, centre_y, radius)},
          {"region_mass_exact_trained_data", trained.mass_in_disc(centre_x, centre_y, radius)},
          {"energy_distance", energy_distance(subset, reference)},
          {"energy_distance_floor", energy_distance(second_reference, reference)}};
}

std::string evaluation_table(const nlohmann::json& report) {
  std::string table;
  char line[512];
  auto add = [&](const char* name, const nlohmann::json& value, const char* note = "") {
    if (value.is_null()) return;
    std::snprintf(line, sizeof line, "%-24s %10.4f %s\n", name, value.get<double>(), note);
    table += line;
  };
  // "name  rate [low, high] n=N", then the none share of the same samples and the real-digit
  // reference when the report has them.
  const nlohmann::json no_rates = nlohmann::json::object();
  const nlohmann::json& rates = report.contains("rates") ? report["rates"] : no_rates;
  const nlohmann::json& real = report.contains("real_floor") ? report["real_floor"] : no_rates;
  auto add_rate = [&](const char* name, const char* key, const char* none_key, const char* real_key,
                      bool complement, const char* real_name) {
    if (!rates.contains(key)) return;
    const auto& r = rates[key];
    std::snprintf(line, sizeof line, "%-24s %10.4f [%.4f, %.4f] n=%lld", name,
                  r["rate"].get<double>(), r["ci95"][0].get<double>(), r["ci95"][1].get<double>(),
                  static_cast<long long>(r["n"].get<int64_t>()));
    table += line;
    if (none_key && rates.contains(none_key)) {
      std::snprintf(line, sizeof line, "  none %.1f%%",
                    100 * rates[none_key]["rate"].get<double>());
      table += line;
    }
    if (real_key && real.contains(real_key)) {
      const double value = real[real_key]["rate"].get<double>();
      std::snprintf(line, sizeof line, "  %s %.4f", real_name, complement ? 1 - value : value);
      table += line;
    }
    table += "\n";
  };
  add("region mass", report.value("region_mass", nlohmann::json()));
  add("  +- (binomial s.e.)", report.value("region_mass_stderr", nlohmann::json()));
  add("  exact, full data", report.value("region_mass_exact_full_data", nlohmann::json()));
  add("  exact, trained data", report.value("region_mass_exact_trained_data", nlohmann::json()));
  add("energy distance", report.value("energy_distance", nlohmann::json()));
  add("  floor (data vs data)", report.value("energy_distance_floor", nlohmann::json()));
  add_rate("undesirable rate", "undesirable", nullptr, "wanted_read_as_undesirable", false,
           "real floor");
  add_rate("UA (forget class)", "ua", "forget_none", "retained_read_as_forget", true,
           "real ceiling");
  add_rate("forget read as override", "forget_read_as_override", nullptr, nullptr, false, "");
  add("mean p(forget | x)", report.value("mean_p_forget", nlohmann::json()));
  add("mean entropy", report.value("mean_entropy", nlohmann::json()));
  add_rate("RA (retained)", "ra", "retained_none", "ra", false, "real ceiling");
  add_rate("none (all samples)", "none", nullptr, "none", false, "real floor");
  if (report.contains("quality")) {
    const auto& q = report["quality"];
    const auto& f = report["quality_floor_real_vs_real"];
    std::snprintf(line, sizeof line,
                  "%-24s %10.4f (real-vs-real floor %.4f)\n%-24s %10.5f +- %.5f (floor %.5f)\n"
                  "%-24s %10.4f (floor %.4f)\n%-24s %10.4f (floor %.4f)\n",
                  "cFID", q["cfid"].get<double>(), f["cfid"].get<double>(), "KID",
                  q["kid_mean"].get<double>(), q["kid_std"].get<double>(),
                  f["kid_mean"].get<double>(), "precision", q["precision"].get<double>(),
                  f["precision"].get<double>(), "recall", q["recall"].get<double>(),
                  f["recall"].get<double>());
    table += line;
  }
  return table;
}

}  // namespace lethe
