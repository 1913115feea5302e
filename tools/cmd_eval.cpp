// lethe eval: the unlearning and quality figures of a set of generated samples, as JSON plus a
// short table. The samples file is what `lethe sample --out FILE.safetensors` writes: `samples`
// (N, 1, 28, 28) in [-1, 1] and `labels` (N) the classes they were asked for (10 = unconditional).
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "commands.h"
#include "flag_values.h"
#include "lethe/core/int_list.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/eval/evaluation.h"
#include "lethe/eval/sample_files.h"
#include "lethe/io/json_report.h"
#include "lethe/io/progress.h"
#include "lethe/io/safetensors.h"

namespace lethe::tools {
namespace {

struct EvalOptions {
  std::string samples_path;
  std::string classifier_path = "weights/mnist-classifier.safetensors";
  std::string data_dir = "data/mnist";
  std::string undesirable, retained;
  int forget = -1;
  int override_class = -1;
  std::string out;
  std::string region = "0,0,1";
  uint64_t seed = 0;
  // When the input is a score-model checkpoint: how to generate the samples first.
  SamplerConfig sampler = fast_sampler();
  std::string labels = "0,1,2,3,4,5,6,7,8,9";
  int64_t per_label = 100;
  double cfg = 0;
  int64_t batch = 128;
  std::string save_samples;
};

// A checkpoint given to eval: samples are generated first, with the sampler flags.
SafetensorsFile generate_for_eval(const EvalOptions& options) {
  const auto model = ScoreModel::load(options.samples_path);
  GenerationRequest request;
  request.sampler = options.sampler;
  const std::vector<int64_t> labels =
      with_flag("--labels", [&] { return parse_labels(options.labels, model->null_label()); });
  for (int64_t label : labels) {
    request.labels.insert(request.labels.end(), options.per_label, label);
  }
  request.cfg = options.cfg;
  request.seed = options.seed;
  request.batch = options.batch;
  Progress progress("generate", static_cast<int64_t>(request.labels.size()));
  const GeneratedSamples generated =
      generate(*model, request, [&](int64_t done) { progress.update(done, 0, "images"); });
  progress.finish();
  SafetensorsFile file;
  file.path = options.samples_path;
  file.tensors = {{"samples", generated.samples}, {"labels", generated.labels}};
  file.metadata = generated.metadata();
  file.metadata["checkpoint"] = options.samples_path;
  if (!options.save_samples.empty()) {
    save_safetensors(options.save_samples, file.tensors, file.metadata);
  }
  return file;
}

// Toy samples (from lethe toy sample) carry their mixtures in the metadata.
std::vector<double> parse_region(const std::string& text) {
  std::vector<double> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    try {
      values.push_back(std::stod(item));
    } catch (const std::exception&) {
      fail("--region: '", item, "' is not a number (expected x,y,radius)");
    }
  }
  LETHE_CHECK(values.size() == 3 && values[2] > 0,
              "--region: expected x,y,radius with a "
              "positive radius, got '",
              text, "'");
  return values;
}

// Prints the table and writes the JSON when --out is given.
void write_report(const EvalOptions& options, const nlohmann::json& report) {
  std::printf("%s", evaluation_table(report).c_str());
  write_json(options.out, report);
}

void run_toy_eval(const EvalOptions& options, const SafetensorsFile& samples) {
  LETHE_CHECK(samples.contains("samples") && samples.metadata.count("data"), "toy samples file '",
              options.samples_path, "' needs a 'samples' tensor (N, 2) and 'data' metadata");
  const std::vector<double> region = parse_region(options.region);
  nlohmann::json report =
      evaluate_toy_samples(samples.at("samples").to(DType::f32),
                           GaussianMixture::parse(samples.metadata.at("data.full")),
                           GaussianMixture::parse(samples.metadata.at("data")), region[0],
                           region[1], region[2], options.seed);
  report["samples_file"] = options.samples_path;
  report["sampling"] = samples.metadata;
  write_report(options, report);
}

void run_eval(const EvalOptions& options) {
  SafetensorsFile samples = load_samples(options.samples_path);
  if (!samples.contains("samples") && samples.metadata.count("sde")) {
    samples = generate_for_eval(options);
  }
  if (samples.metadata.count("data.full")) {
    run_toy_eval(options, samples);
    return;
  }
  LETHE_CHECK(samples.contains("samples") && samples.contains("labels"), "samples file '",
              options.samples_path, "' needs tensors 'samples' (N, 1, 28, 28) and 'labels' (N)");
  EvaluationRequest request;
  request.undesirable = parse_digits(options.undesirable, "--undesirable");
  request.forget_class = options.forget;
  request.override_class = options.override_class;
  LETHE_CHECK(options.override_class < 0 || options.forget >= 0,
              "--override needs --forget (it is a share of the forget requests)");
  request.retained = parse_digits(options.retained, "--retained");
  if (request.retained.empty()) {  // every class that is neither forgotten nor undesirable
    for (int c = 0; c < 10; ++c) {
      if (c != options.forget && std::find(request.undesirable.begin(), request.undesirable.end(),
                                           c) == request.undesirable.end()) {
        request.retained.push_back(c);
      }
    }
  }
  request.seed = options.seed;
  std::string accuracy;
  const auto classifier = load_classifier(options.classifier_path, &accuracy);
  nlohmann::json report = evaluate_samples(*classifier, samples.at("samples").to(DType::f32),
                                           samples.at("labels").to(DType::i64), request,
                                           load_idx_dataset(options.data_dir, "test"),
                                           load_idx_dataset(options.data_dir, "train"));
  report["classifier"] = {{"path", options.classifier_path}, {"test_digit_accuracy", accuracy}};
  report["samples_file"] = options.samples_path;
  report["sampling"] = samples.metadata;
  report["seed"] = options.seed;
  write_report(options, report);
  std::printf("(classifier %s, held-out digit accuracy %s)\n", options.classifier_path.c_str(),
              accuracy.c_str());
}

}  // namespace

void register_eval(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* eval =
      app.add_subcommand("eval", "Unlearning and quality figures of generated samples");
  eval->add_option("samples", options->samples_path,
                   "Samples file or directory of them (lethe sample / lethe toy sample), or a "
                   "score-model checkpoint")
      ->required();
  eval->add_option("--classifier", options->classifier_path, "Classifier weights");
  eval->add_option("--data", options->data_dir, "IDX data directory (real images)");
  eval->add_option("--undesirable", options->undesirable, "Classes counted as undesirable, e.g. 7");
  eval->add_option("--forget", options->forget, "Forget class for UA")
      ->default_str("none")
      ->check(in_range(0, 9));
  eval->add_option("--override", options->override_class,
                   "With --forget: also the share of forget requests read as this class")
      ->default_str("none")
      ->check(in_range(0, 9));
  eval->add_option("--retained", options->retained,
                   "Retained classes for RA and quality (default: all others)");
  eval->add_option("--region", options->region, "Toy samples: disc x,y,radius for the mass");
  eval->add_option("--seed", options->seed, "Seed of the KID subsets");
  eval->add_option("--out", options->out, "Write the figures as JSON here");
  eval->add_option("--sampler", options->sampler.name, "Checkpoint input: sampler");
  eval->add_option("--steps", options->sampler.steps, "Checkpoint input: sampler steps")
      ->check(positive());
  eval->add_option("--labels", options->labels, "Checkpoint input: labels to sample (or null)");
  eval->add_option("--n", options->per_label, "Checkpoint input: samples per label")
      ->check(positive());
  eval->add_option("--cfg", options->cfg, "Checkpoint input: guidance scale")
      ->check(non_negative());
  eval->add_option("--batch", options->batch, "Checkpoint input: samples per network call")
      ->check(positive());
  eval->add_option("--save-samples", options->save_samples,
                   "Checkpoint input: also write the generated samples here");
  add_precision_flag(*eval);
  eval->callback([options] { run_eval(*options); });
}

}  // namespace lethe::tools
