// `--device cuda` end to end below the CLI (native only: skipped with a message when no GPU is
// visible): ops on cuda tensors, forward and backward, against the same ops on the cpu; Generator
// draws on cuda against the host draws; a U-Net mnist-xs training step (forward, backward,
// clipping, Adam, EMA) on cuda against the cpu from the same weights and inputs. Without a usable
// GPU (or in a CPU-only build) a cuda tensor is a clear error, never a crash.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lethe/core/allocator.h"
#include "lethe/core/device.h"
#include "lethe/nn/unet.h"
#include "lethe/optim/optimizers.h"
#include "lethe/tt/float32_math.h"
#include "lethe/tt/gpu_kernels.h"
#include "test_cuda_support.h"

using namespace lethe;

namespace {

// Bound on the normalised MSE between cuda and cpu results of whole ops and of the U-Net: fp32 on
// both, with different summation orders (tiled GEMM / convolution, block reductions).
constexpr double kDeviceTolerance = 1e-6;

bool skipped_without_gpu() {
  if (cuda_available()) return false;
  MESSAGE("skipped: no CUDA device visible");
  return true;
}

double device_nmse(const Tensor& actual, const Tensor& expected) {
  return cuda::testing::normalised_mse(actual.to_float_vector(), expected.to_float_vector());
}

// A leaf on `device` holding `value`'s numbers, requiring a gradient.
Tensor leaf(const Tensor& value, Device device) {
  Tensor copy = value.clone().to(device);
  copy.set_requires_grad(true);
  return copy;
}

struct OpInputs {
  Generator draws{5};
  Tensor x = draws.normal({2, 3, 4, 5});
  Tensor scale = draws.normal({3, 1, 5});
  Tensor weight = draws.normal({6, 3, 3, 3}, 0, 0.3);
  Tensor bias = draws.normal({6});
  Tensor table = draws.normal({11, 8});
  Tensor linear_weight = draws.normal({4, 8});
  Tensor rows = Tensor::from_vector(std::vector<int64_t>{1, 10}, {2});
  Tensor classes = Tensor::from_vector(std::vector<int64_t>{3, 0}, {2});
};

// The loss of a chain of every op family, and the gradients of its leaves, on `device`.
std::vector<Tensor> op_chain(const OpInputs& in, Device device) {
  Tensor x = leaf(in.x, device), weight = leaf(in.weight, device), bias = leaf(in.bias, device);
  Tensor table = leaf(in.table, device), linear_weight = leaf(in.linear_weight, device);
  Generator dropout_noise(9);
  Tensor h = conv2d(x * in.scale.to(device), weight, bias, 1, 1);  // (2, 6, 4, 5)
  h = group_norm(silu(h), 3, Tensor(), Tensor(), 1e-5);
  h = dropout(upsample_nearest2x(h), 0.2, true, dropout_noise);  // (2, 6, 8, 10)
  h = narrow(concat({h, exp(h * 0.5)}, 1), 1, 3, 6);
  const Tensor q = h.reshape({2, 6, 80});
  const Tensor attended = matmul(q, softmax(matmul(q, q, true, false) * 0.1, -1), false, true);
  const Tensor logits = linear(embedding(table, in.rows), linear_weight, Tensor());
  const Tensor loss = mean(square(attended)) + cross_entropy(logits, in.classes.to(device)) +
                      mean(clamp(split(h, {2, 4}, 1)[1], -0.5, 0.5));
  loss.backward();
  return {loss, x.grad(), weight.grad(), bias.grad(), table.grad(), linear_weight.grad()};
}

}  // namespace

TEST_CASE("cuda device: without a usable GPU a cuda tensor is a clear error") {
  if (cuda_available()) {
    MESSAGE("skipped: a CUDA device is visible");
    return;
  }
  CHECK_THROWS_WITH_AS(Tensor::empty({2}, DType::f32, Device::cuda), doctest::Contains("cuda: "),
                       Error);
  CHECK_THROWS_WITH_AS(parse_device("cuda"), doctest::Contains("cuda: "), Error);
  CHECK_THROWS_WITH_AS(parse_device("tpu"), doctest::Contains("expected cpu or cuda"), Error);
  CHECK(parse_device("cpu") == Device::cpu);
  CHECK_THROWS_WITH_AS(tt::set_gpu_kernel_source("fast"), doctest::Contains("hand, vendor or auto"),
                       Error);
  CHECK_THROWS_WITH_AS(tt::set_float32_math("fp16"), doctest::Contains("fp32, tf32 or bf16"),
                       Error);
}

TEST_CASE("cuda device: ops on cuda tensors match the cpu, forward and backward") {
  if (skipped_without_gpu()) return;
  const OpInputs inputs;
  const std::vector<Tensor> cpu_results = op_chain(inputs, Device::cpu);
  const std::vector<Tensor> gpu_results = op_chain(inputs, Device::cuda);
  for (size_t i = 0; i < cpu_results.size(); ++i) {
    CAPTURE(i);
    CHECK(gpu_results[i].device() == Device::cuda);
    CHECK(device_nmse(gpu_results[i], cpu_results[i]) <= kDeviceTolerance);
  }
}

TEST_CASE("cuda device: generator draws on cuda equal the host draws") {
  if (skipped_without_gpu()) return;
  Generator host(11, 5), device(11, 5);
  CHECK(device.normal({1001}, 0.5, 2, DType::f32, Device::cuda).to_float_vector() ==
        host.normal({1001}, 0.5, 2).to_float_vector());
  CHECK(device.uniform({999}, -1, 4, DType::f32, Device::cuda).to_float_vector() ==
        host.uniform({999}, -1, 4).to_float_vector());
  CHECK(device.bernoulli({33}, 0.4, DType::f32, Device::cuda).to_float_vector() ==
        host.bernoulli({33}, 0.4).to_float_vector());
  CHECK(device.randint({17}, 0, 11, Device::cuda).to_double_vector() ==
        host.randint({17}, 0, 11).to_double_vector());
  CHECK(device.offset() == host.offset());
}

TEST_CASE("cuda device: a U-Net mnist-xs training step on cuda matches the cpu") {
  if (skipped_without_gpu()) return;
  const UNetConfig config = UNetConfig::preset("mnist-xs");
  Generator cpu_init(0), gpu_init(0);
  UNet cpu_net(config, cpu_init), gpu_net(config, gpu_init);
  gpu_net.to(Device::cuda);
  ParameterArena cpu_arena = ParameterArena::pack(cpu_net);
  ParameterArena gpu_arena = ParameterArena::pack(gpu_net);
  REQUIRE(gpu_arena.values.device() == Device::cuda);
  CHECK(device_nmse(gpu_arena.values, cpu_arena.values) == 0);
  Adam cpu_adam(cpu_arena, AdamConfig{1e-3}), gpu_adam(gpu_arena, AdamConfig{1e-3});
  Ema cpu_ema(cpu_arena, 0.999), gpu_ema(gpu_arena, 0.999);

  Generator data(1);
  const Tensor x = data.normal({4, config.in_channels, config.resolution, config.resolution});
  const Tensor t = data.uniform({4}, 0.01, 1);
  const Tensor target = data.normal(x.shape());
  const Tensor labels = Tensor::from_vector(std::vector<int64_t>{0, 3, 7, 10}, {4});
  struct StepResult {
    Tensor output;
    double loss, grad_norm;
    Tensor grads;
  };
  auto train_step = [&](UNet& net, ParameterArena& arena, Adam& adam, Ema& ema, Device device) {
    Generator dropout_noise(2);
    arena.zero_grad();
    const Tensor output = net.forward(x.to(device), t.to(device), labels, dropout_noise);
    const Tensor loss = mse_loss(output, target.to(device));
    loss.backward();
    const double grad_norm = clip_grad_norm(arena, 1.0);
    const Tensor grads = arena.grads.clone();
    adam.step();
    ema.update();
    return StepResult{output, loss.item(), grad_norm, grads};
  };
  const StepResult on_cpu = train_step(cpu_net, cpu_arena, cpu_adam, cpu_ema, Device::cpu);
  const StepResult on_gpu = train_step(gpu_net, gpu_arena, gpu_adam, gpu_ema, Device::cuda);
  const double output_error = device_nmse(on_gpu.output, on_cpu.output);
  const double grad_error = device_nmse(on_gpu.grads, on_cpu.grads);
  const double param_error = device_nmse(gpu_arena.values, cpu_arena.values);
  const double ema_error = device_nmse(gpu_ema.shadow(), cpu_ema.shadow());
  MESSAGE("U-Net mnist-xs cuda vs cpu, normalised MSE: output ", output_error, ", gradients ",
          grad_error, ", parameters after Adam ", param_error, ", EMA ", ema_error);
  CHECK(output_error <= kDeviceTolerance);
  CHECK(grad_error <= kDeviceTolerance);
  CHECK(param_error <= kDeviceTolerance);
  CHECK(ema_error <= kDeviceTolerance);
  CHECK(std::abs(on_gpu.loss - on_cpu.loss) <= 1e-4 * on_cpu.loss);
  CHECK(std::abs(on_gpu.grad_norm - on_cpu.grad_norm) <= 1e-4 * on_cpu.grad_norm);
}
