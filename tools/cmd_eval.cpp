// lethe eval: the unlearning and quality figures of a set of generated samples, as JSON plus a
// short table. The samples file is what `lethe sample --out FILE.safetensors` writes: `samples`
// (N, 1, 28, 28) in [-1, 1] and `labels` (N) the classes they were asked for (10 = unconditional).
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "commands.h"
#include "lethe/atomic_file.h"
#include "lethe/evaluation.h"
#include "lethe/safetensors.h"
#include "parse_digits.h"

namespace lethe::tools {
namespace {

struct EvalOptions {
  std::string samples_path;
  std::string classifier_path = "weights/mnist-classifier.safetensors";
  std::string data_dir = "data/mnist";
  std::string undesirable, retained;
  int forget = -1;
  std::string out;
  std::string region = "0,0,1";
  uint64_t seed = 0;
};

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

// Prints the table and writes the JSON (atomically) when --out is given.
void write_report(const EvalOptions& options, const nlohmann::json& report) {
  std::printf("%s", evaluation_table(report).c_str());
  if (options.out.empty()) return;
  const std::string text = report.dump(2) + "\n";
  AtomicFileWriter writer(options.out);
  writer.write(text.data(), text.size());
  writer.commit();
  std::printf("wrote %s\n", options.out.c_str());
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
  const SafetensorsFile samples = load_safetensors(options.samples_path);
  if (samples.metadata.count("data.full")) {
    run_toy_eval(options, samples);
    return;
  }
  LETHE_CHECK(samples.contains("samples") && samples.contains("labels"), "samples file '",
              options.samples_path, "' needs tensors 'samples' (N, 1, 28, 28) and 'labels' (N)");
  EvaluationRequest request;
  request.undesirable = parse_digits(options.undesirable, "--undesirable");
  request.forget_class = options.forget;
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
  std::printf("%s(classifier %s, held-out digit accuracy %s)\n", evaluation_table(report).c_str(),
              options.classifier_path.c_str(), accuracy.c_str());
  if (!options.out.empty()) {
    const std::string text = report.dump(2) + "\n";
    AtomicFileWriter writer(options.out);
    writer.write(text.data(), text.size());
    writer.commit();
    std::printf("wrote %s\n", options.out.c_str());
  }
}

}  // namespace

void register_eval(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* eval =
      app.add_subcommand("eval", "Unlearning and quality figures of generated samples");
  eval->add_option("samples", options->samples_path,
                   "Samples file from lethe sample (.safetensors)")
      ->required();
  eval->add_option("--classifier", options->classifier_path, "Classifier weights")
      ->capture_default_str();
  eval->add_option("--data", options->data_dir, "IDX data directory (real images)")
      ->capture_default_str();
  eval->add_option("--undesirable", options->undesirable, "Classes counted as undesirable, e.g. 7");
  eval->add_option("--forget", options->forget, "Forget class for UA")->check(CLI::Range(0, 9));
  eval->add_option("--retained", options->retained,
                   "Retained classes for RA and quality (default: all others)");
  eval->add_option("--region", options->region, "Toy samples: disc x,y,radius for the mass")
      ->capture_default_str();
  eval->add_option("--seed", options->seed, "Seed of the KID subsets")->capture_default_str();
  eval->add_option("--out", options->out, "Write the figures as JSON here");
  eval->callback([options] { run_eval(*options); });
}

}  // namespace lethe::tools
