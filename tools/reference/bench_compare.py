"""`make bench-compare`: Lethe's CPU backend against PyTorch on the U-Net of docs/math.md#the-u-net, the same
batch and the same step, run alternately (Lethe, PyTorch, Lethe, ...) for several rounds so that a
busy machine slows both alike. Prints each run's images per second and the ratios Lethe / PyTorch
(min, median, max over rounds) for the training and the sampling step, and both peak memories."""
import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"([0-9.]+) img/s", out).group(1))
    memory = float(re.search(r"peak resident memory ([0-9.]+) MiB", out).group(1))
    return rate, memory


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lethe", default="build/lethe")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--config", default="mnist-s")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per run")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    common = ["--config", args.config, "--batch", str(args.batch), "--steps", str(args.steps),
              "--threads", str(args.threads)]
    print(f"bench-compare: {args.config}, batch {args.batch}, {args.threads} threads, "
          f"{args.rounds} rounds of {args.steps} timed steps, Lethe and PyTorch alternating")
    for mode in ("train", "sample"):
        ratios, lethe_memory, torch_memory = [], [], []
        for round_index in range(args.rounds):
            lethe_rate, lethe_mib = run([args.lethe, "bench", "unet", "--mode", mode] + common)
            torch_rate, torch_mib = run([args.python, str(HERE / "bench_unet_torch.py"),
                                         "--mode", mode] + common)
            ratios.append(lethe_rate / torch_rate)
            lethe_memory.append(lethe_mib)
            torch_memory.append(torch_mib)
            print(f"  {mode} round {round_index + 1}: Lethe {lethe_rate:7.1f} img/s, "
                  f"PyTorch {torch_rate:7.1f} img/s, ratio {ratios[-1]:.2f}", flush=True)
        print(f"{mode}: Lethe / PyTorch img/s  min {min(ratios):.2f}  "
              f"median {statistics.median(ratios):.2f}  max {max(ratios):.2f}")
        print(f"{mode}: peak resident memory  Lethe {max(lethe_memory):.0f} MiB  "
              f"PyTorch {max(torch_memory):.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
