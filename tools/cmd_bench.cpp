// lethe bench ops | kernels | unet: the flags of the benchmarks in lethe/bench (what each measures
// and prints is said in its header).
#include <memory>

#include "commands.h"
#include "flag_values.h"
#include "lethe/bench/kernels_bench.h"
#include "lethe/bench/ops_bench.h"
#include "lethe/bench/unet_bench.h"
#include "lethe/experiments/quality_bench.h"

namespace lethe::tools {
namespace {

void register_bench_ops(CLI::App& bench) {
  auto options = std::make_shared<bench::OpsBenchOptions>();
  CLI::App* ops = bench.add_subcommand("ops", "GEMM and U-Net convolution GFLOP/s vs FMA peak");
  ops->add_option("--threads", options->threads, "OpenMP threads (0: all)");
  ops->add_option("--gemm-size", options->gemm_size, "Square GEMM size")->check(positive());
  ops->add_option("--config", options->config, "U-Net whose convolutions are timed")
      ->check(CLI::IsMember({"mnist-s", "mnist-xs"}));
  ops->add_option("--batch", options->batch, "Convolution batch size")->check(positive());
  ops->add_option(
      "--only", options->only,
      "Time only the convolutions whose name contains this text (e.g. \"/2\", \"7x7\")");
  ops->add_flag("--list", options->list, "Print the convolution shapes and time nothing");
  ops->add_flag("--no-bf16", options->fp32_only, "Skip the bf16 lines (time fp32 only)");
  ops->callback([options] { bench::run_ops_bench(*options); });
}

void register_bench_quality(CLI::App& bench) {
  auto options = std::make_shared<QualityBenchOptions>();
  CLI::App* quality = bench.add_subcommand(
      "quality", "Time to quality: train a recipe for a budget, accuracy and cFID at marks");
  quality->add_option("--recipe", options->recipe, "reference or fast")
      ->check(CLI::IsMember({"reference", "fast"}));
  quality->add_option("--config", options->unet, "U-Net config")
      ->check(CLI::IsMember({"mnist-s", "mnist-xs"}));
  quality->add_option("--batch", options->batch, "Training batch (0: the recipe's)")
      ->check(non_negative());
  quality
      ->add_option("--budget-minutes", options->budget_minutes,
                   "Training time (evaluation excluded)")
      ->check(positive());
  quality
      ->add_option("--mark-minutes", options->mark_minutes,
                   "Evaluate after every this much training")
      ->check(positive());
  quality->add_option("--per-class", options->per_class, "Samples per digit and guidance setting")
      ->check(positive());
  quality->add_option("--sampler", options->sampler, "Evaluation sampler");
  quality->add_option("--steps", options->sampler_steps, "Evaluation sampler steps (NFE)")
      ->check(positive());
  quality->add_option("--cfg", options->cfg, "Guidance scale of the guided set")
      ->check(non_negative());
  add_checkpoint_flag(*quality, "--classifier", options->classifier, "The evaluation classifier");
  quality->add_option("--data", options->data_dir, "IDX data directory");
  quality->add_option("--out", options->out_dir, "Output directory");
  quality->add_option("--seed", options->seed, "Training seed");
  quality->add_option("--eval-seed", options->eval_seed, "Sampling seed of every mark");
  add_precision_flag(*quality);
  quality->callback([options] { run_quality_bench(*options); });
}

void register_bench_kernels(CLI::App& bench) {
  auto options = std::make_shared<bench::KernelsBenchOptions>();
  CLI::App* kernels =
      bench.add_subcommand("kernels", "CUDA kernels vs cuBLAS/cuDNN and the GPU's peaks");
  kernels->add_option("--repeats", options->repeats, "Timed runs per kernel (best is kept)")
      ->check(positive());
  kernels->add_option("--batch", options->batch, "Batch of the U-Net shapes")->check(positive());
  kernels->add_option("--kernels", options->kernels, "GEMM/conv implementation: hand|vendor|auto")
      ->check(CLI::IsMember({"hand", "vendor", "auto"}));
  kernels
      ->add_option("--precision", options->precision,
                   "GEMM/conv math of both sides: fp32, or tf32 (tensor cores)")
      ->check(CLI::IsMember({"fp32", "tf32"}));
  kernels->callback([options] { bench::run_kernels_bench(*options); });
}

void register_bench_unet(CLI::App& bench) {
  auto options = std::make_shared<bench::UnetBenchOptions>();
  CLI::App* unet =
      bench.add_subcommand("unet", "U-Net training or sampling step: img/s, % of peak");
  unet->add_option("--config", options->config, "U-Net config (mnist-s, mnist-xs)");
  unet->add_option("--batch", options->batch, "Images per step")->check(positive());
  unet->add_option("--mode", options->mode, "train (forward, backward, Adam) or sample (forward)")
      ->check(CLI::IsMember({"train", "sample"}));
  unet->add_option("--steps", options->steps, "Timed steps after the warm-up and profiled ones")
      ->check(positive());
  unet->add_option("--threads", options->threads, "OpenMP threads (0: all)");
  unet->add_flag("--layers", options->layers, "Print the per-op table of one profiled step");
  unet->add_option("--top", options->top, "Rows of the per-shape table");
  unet->add_flag(
      "--im2col", options->im2col,
      "Forward and input-gradient convolutions on im2col + GEMM (the direct and implicit "
      "kernels' baseline)");
  add_precision_flag(*unet);
  unet->callback([options] { bench::run_unet_bench(*options); });
}

}  // namespace

void register_bench(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks (figures are printed, never asserted)");
  bench->require_subcommand(1);
  register_bench_ops(*bench);
  register_bench_kernels(*bench);
  register_bench_unet(*bench);
  register_bench_quality(*bench);
}

}  // namespace lethe::tools
