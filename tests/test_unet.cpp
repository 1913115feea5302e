// The U-Net of docs/math.md#the-u-net: structure, names and parameter count, and a golden test
// against the independent PyTorch implementation (tools/reference/unet_torch.py, values in float64
// produced by tools/reference/make_unet_golden.py).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "lethe/core/autograd.h"
#include "lethe/io/safetensors.h"
#include "lethe/nn/unet.h"
#include "lethe/optim/optimizers.h"

using namespace lethe;

namespace {

// max |a - b| / max |b|: the error relative to the reference's scale.
double relative_error(const Tensor& actual, const Tensor& expected) {
  const std::vector<double> a = actual.to_double_vector(), b = expected.to_double_vector();
  REQUIRE(a.size() == b.size());
  double max_diff = 0, scale = 1e-30;
  for (size_t i = 0; i < a.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return max_diff / scale;
}

SafetensorsFile golden() {
  return load_safetensors(std::string(LETHE_SOURCE_DIR) + "/tests/golden/unet_xs.safetensors");
}

}  // namespace

TEST_CASE("U-Net mnist-s: parameter names of the spec, about 1.6 M parameters, output shape") {
  Generator init(0);
  UNet model(UNetConfig::preset("mnist-s"), init);
  std::set<std::string> names;
  for (const auto& [name, tensor] : model.named_parameters()) names.insert(name);
  for (const char* expected :
       {"time_embed.0.weight", "time_embed.2.bias", "class_embed.weight", "conv_in.weight",
        "down.0.res.0.norm1.weight", "down.0.res.1.conv2.bias", "down.0.downsample.weight",
        "down.1.res.0.skip.weight", "down.2.attn.1.qkv.weight", "down.2.attn.0.proj.bias",
        "mid.res0.temb_proj.weight", "mid.attn.norm.bias", "mid.res1.conv1.weight",
        "up.2.res.2.skip.weight", "up.2.attn.2.proj.weight", "up.1.upsample.conv.weight",
        "up.0.res.0.norm1.bias", "norm_out.weight", "conv_out.bias"}) {
    CHECK_MESSAGE(names.count(expected) == 1, expected);
  }
  CHECK(names.count("down.0.res.0.skip.weight") == 0);  // 32 -> 32: no skip conv
  CHECK(names.count("down.2.downsample.weight") == 0);  // no downsample after the last level
  CHECK(names.count("up.0.upsample.conv.weight") == 0);
  const int64_t count = model.parameter_count();
  MESSAGE("mnist-s parameters: " << count);
  CHECK(count > 1'500'000);
  CHECK(count < 1'700'000);
  CHECK(model.named_parameters().size() == names.size());

  Generator noise(1);
  const Tensor x = noise.normal({2, 1, 28, 28});
  const Tensor t = Tensor::from_vector(std::vector<float>{0.3f, 0.8f}, {2});
  const Tensor y = Tensor::from_vector(std::vector<int64_t>{4, 10}, {2});
  NoGrad no_grad;
  model.train(false);
  CHECK(model.forward(x, t, y, noise).shape() == Shape{2, 1, 28, 28});
  CHECK_THROWS_WITH_AS(
      model.forward(x, t, Tensor::from_vector(std::vector<int64_t>{4, 11}, {2}), noise),
      doctest::Contains("index 11"), Error);
  CHECK_THROWS_WITH_AS(model.forward(noise.normal({2, 1, 32, 32}), t, y, noise),
                       doctest::Contains("(2, 1, 32, 32)"), Error);
}

TEST_CASE("U-Net config round-trips through checkpoint metadata and rejects bad metadata") {
  const UNetConfig config = UNetConfig::preset("mnist-s");
  const UNetConfig back = UNetConfig::from_metadata(config.to_metadata());
  CHECK(back.ch == 32);
  CHECK(back.ch_mult == std::vector<int>{1, 2, 2});
  CHECK(back.attn_resolutions == std::vector<int>{7});
  CHECK(back.dropout == doctest::Approx(0.1));
  auto metadata = config.to_metadata();
  metadata["unet.ch_mult"] = "1,x";
  CHECK_THROWS_WITH_AS(UNetConfig::from_metadata(metadata), doctest::Contains("unet.ch_mult"),
                       Error);
  metadata.erase("unet.ch");
  CHECK_THROWS_WITH_AS(UNetConfig::from_metadata(metadata), doctest::Contains("unet.ch"), Error);
}

TEST_CASE("U-Net mnist-xs golden: output, loss, every gradient and 5 Adam steps match PyTorch") {
  const SafetensorsFile file = golden();
  Generator init(0);
  UNet model(UNetConfig::preset("mnist-xs"), init);
  NamedTensors weights;
  for (const auto& [name, tensor] : file.tensors) {
    if (name.rfind("weights.", 0) == 0) weights.emplace_back(name.substr(8), tensor);
  }
  model.load_state_dict(weights);  // also proves the names and shapes match the PyTorch model
  ParameterArena arena = ParameterArena::pack(model);
  const Tensor x = file.at("input.x"), t = file.at("input.t"), y = file.at("input.y");
  const Tensor target = file.at("input.target");
  Generator dropout_noise(0);

  const Tensor output = model.forward(x, t, y, dropout_noise);
  // f32 against a float64 reference through ~20 layers: stated bound 1e-4 of the output scale.
  CHECK(relative_error(output, file.at("output")) < 1e-4);
  const Tensor loss = mse_loss(output, target);
  CHECK(loss.item() == doctest::Approx(file.at("loss").item()).epsilon(1e-5));
  loss.backward();
  for (const auto& [name, parameter] : arena.parameters) {
    const double error = relative_error(parameter.grad(), file.at("grad." + name));
    CHECK_MESSAGE(error < 1e-3, name << ": gradient relative error " << error);
  }

  Adam adam(
      arena,
      AdamConfig{file.metadata.count("adam_lr") ? std::stod(file.metadata.at("adam_lr")) : 1e-3});
  const std::vector<double> expected = file.at("adam_losses").to_double_vector();
  for (size_t step = 0; step < expected.size(); ++step) {
    arena.zero_grad();
    const Tensor step_loss = mse_loss(model.forward(x, t, y, dropout_noise), target);
    CHECK_MESSAGE(step_loss.item() == doctest::Approx(expected[step]).epsilon(1e-4),
                  "loss before Adam step " << step);
    if (step + 1 == expected.size()) break;
    step_loss.backward();
    adam.step();
  }
}
