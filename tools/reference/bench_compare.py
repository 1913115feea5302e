"""`make bench-compare`: Lethe's CPU backend against PyTorch on the U-Net of docs/math.md#the-u-net, the same
batch and the same step, run alternately (Lethe, PyTorch, Lethe, ...) for several rounds so that a
busy machine slows both alike. Prints each run's images per second and the ratios Lethe / PyTorch
(min, median, max over rounds) for the training and the sampling step, and both peak memories.
With --precisions fp32,bf16 (the default) each round also runs both sides in bf16 (Lethe's
--precision bf16 against PyTorch's CPU bf16 autocast), so the bf16 ratio is like for like, and
prints each side's bf16 / fp32 speed-up."""
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
    parser.add_argument("--precisions", default="fp32,bf16",
                        help="comma-separated: fp32, bf16 or both")
    args = parser.parse_args()
    precisions = args.precisions.split(",")
    if not precisions or any(p not in ("fp32", "bf16") for p in precisions):
        parser.error(f"--precisions: expected fp32 and/or bf16, got '{args.precisions}'")
    common = ["--config", args.config, "--batch", str(args.batch), "--steps", str(args.steps),
              "--threads", str(args.threads)]
    print(f"bench-compare: {args.config}, batch {args.batch}, {args.threads} threads, "
          f"{args.rounds} rounds of {args.steps} timed steps, Lethe and PyTorch alternating")
    for mode in ("train", "sample"):
        rates = {(side, p): [] for side in ("Lethe", "PyTorch") for p in precisions}
        memory = {(side, p): [] for side in ("Lethe", "PyTorch") for p in precisions}
        for round_index in range(args.rounds):
            for precision in precisions:
                flag = ["--precision", precision]
                lethe = run([args.lethe, "bench", "unet", "--mode", mode] + common + flag)
                pytorch = run([args.python, str(HERE / "bench_unet_torch.py"), "--mode", mode]
                            + common + flag)
                for side, (rate, mib) in (("Lethe", lethe), ("PyTorch", pytorch)):
                    rates[side, precision].append(rate)
                    memory[side, precision].append(mib)
                print(f"  {mode} {precision} round {round_index + 1}: Lethe {lethe[0]:7.1f} img/s, "
                      f"PyTorch {pytorch[0]:7.1f} img/s, ratio {lethe[0] / pytorch[0]:.2f}", flush=True)

        def summary(label, numerator, denominator):
            ratios = [a / b for a, b in zip(numerator, denominator)]
            print(f"{mode}: {label:<34} min {min(ratios):.2f}  "
                  f"median {statistics.median(ratios):.2f}  max {max(ratios):.2f}")

        for precision in precisions:
            summary(f"{precision} Lethe / PyTorch img/s", rates["Lethe", precision],
                    rates["PyTorch", precision])
            print(f"{mode}: {precision} peak resident memory  "
                  f"Lethe {max(memory['Lethe', precision]):.0f} MiB  "
                  f"PyTorch {max(memory['PyTorch', precision]):.0f} MiB")
        if len(precisions) == 2:
            for side in ("Lethe", "PyTorch"):
                summary(f"{side} bf16 / fp32 img/s", rates[side, "bf16"], rates[side, "fp32"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
