"""PyTorch side of `make bench-compare`: the U-Net of docs/math.md#the-u-net (unet_torch.py) timed on the
workload of `lethe bench unet` (same batch, same step: forward, MSE loss, backward and Adam for
train; one forward without gradients for sample). Prints the same summary lines as Lethe.
--precision bf16 runs the forward and the loss under CPU bf16 autocast (torch.autocast("cpu",
torch.bfloat16): matmuls and convolutions in bf16, fp32 master weights and optimiser), the
counterpart of `lethe bench unet --precision bf16`."""
import contextlib
import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import unet_torch  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="mnist-s")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--mode", choices=("train", "sample"), default="train")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = unet_torch.build(args.config)
    cfg = unet_torch.CONFIGS[args.config]
    shape = (args.batch, cfg["in_ch"], cfg["resolution"], cfg["resolution"])
    x, target = torch.randn(shape), torch.randn(shape)
    t = torch.rand(args.batch) * (1 - 1e-3) + 1e-3
    labels = torch.arange(args.batch) % (cfg["classes"] + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
    model.train(args.mode == "train")

    def autocast():
        if args.precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step():
        if args.mode == "sample":
            with torch.no_grad(), autocast():
                model(x, t, labels)
            return
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = torch.nn.functional.mse_loss(model(x, t, labels).float(), target)
        loss.backward()
        optimizer.step()

    resident_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    step()  # warm-up
    step()  # Lethe's profiled step
    seconds = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    typical = statistics.median(seconds)
    print(f"pytorch {torch.__version__}: {args.config}, batch {args.batch}, {args.mode} step, "
          f"{torch.get_num_threads()} threads, {args.precision}")
    print(f"step: min {min(seconds) * 1e3:.1f} ms, median {typical * 1e3:.1f} ms, "
          f"max {max(seconds) * 1e3:.1f} ms over {args.steps} steps")
    print(f"{args.batch / typical:.1f} img/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MiB ({resident_before:.0f} MiB before the first step)")


if __name__ == "__main__":
    main()
