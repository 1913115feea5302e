// Toy mixtures: presets and explicit specs, and the lethe toy train / sample / eval round trip.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "lethe/diffusion/toy_trainer.h"

using namespace lethe;
namespace fs = std::filesystem;

TEST_CASE("toy mixtures: presets, explicit specs round-trip, component subsets renormalise") {
  const GaussianMixture msgm = GaussianMixture::parse("toy-msgm");
  const GaussianMixture back = GaussianMixture::parse(msgm.spec());
  REQUIRE(back.components.size() == 3);
  CHECK(back.components[2].weight == doctest::Approx(0.2));
  CHECK(back.components[0].mean == std::vector<double>{-2, -2});
  CHECK(GaussianMixture::parse("rings").components.size() == 8);
  CHECK(GaussianMixture::parse("grid").components.size() == 9);
  const GaussianMixture explicit_spec = GaussianMixture::parse("1@0,0@1;3@4,0@0.5");
  CHECK(explicit_spec.components[1].weight == doctest::Approx(0.75));
  const GaussianMixture desirable = msgm.with_components({0, 1});
  CHECK(desirable.components.size() == 2);
  CHECK(desirable.components[0].weight == doctest::Approx(0.5));
  // The spec's figure for the desirable-only mixture: 7.2e-5 inside the unit disc.
  CHECK(desirable.mass_in_disc(0, 0, 1) == doctest::Approx(7.2e-5).epsilon(0.05));
  CHECK_THROWS_WITH_AS(GaussianMixture::parse("1@0,0"), doctest::Contains("1@0,0"), Error);
  CHECK_THROWS_WITH_AS(GaussianMixture::parse("spiral"), doctest::Contains("spiral"), Error);
  CHECK_THROWS_WITH_AS(msgm.with_components({3}), doctest::Contains("component 3"), Error);
}

TEST_CASE("lethe toy train, toy sample and eval report the region mass against the exact one") {
  const fs::path dir = fs::temp_directory_path() / "lethe_test_toy_cli";
  fs::remove_all(dir);
  const CommandResult train =
      run_lethe("toy train --steps 50 --components 0,1 --out " + dir.string());
  REQUIRE_MESSAGE(train.exit_code == 0, train.output);
  const std::string samples = (dir / "samples.safetensors").string();
  const CommandResult sample = run_lethe("toy sample " + (dir / "checkpoint.safetensors").string() +
                                         " --n 500 --steps 20 --out " + samples);
  REQUIRE_MESSAGE(sample.exit_code == 0, sample.output);
  const std::string json = (dir / "eval.json").string();
  const CommandResult eval = run_lethe("eval " + samples + " --region 0,0,1 --out " + json);
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  std::ifstream file(json);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  CHECK(text.find("\"region_mass_exact_full_data\": 0.17") != std::string::npos);
  CHECK(text.find("\"energy_distance\"") != std::string::npos);
  CHECK(run_lethe("eval " + samples + " --region 0,0").contains("x,y,radius"));
  CHECK(
      run_lethe("toy train --preset nowhere --steps 1 --out " + dir.string()).contains("nowhere"));
  CHECK(run_lethe("toy sample " + samples).contains("not a toy score model"));
  fs::remove_all(dir);
}
