"""The tables of docs/results/rgd-sweeps (issue 27) from the NAME.json files that
tools/results/rgd_sweeps.sh wrote: one row per run with UA, the share of forget requests read as
none, RA and the retained none share (95 % Wilson intervals), cFID and KID with their real-vs-real
floors; then the forget-every-digit average (mean over digits of UA and RA, with the range).
Standard library only. Usage: rgd_sweeps_table.py DIR"""
import json
import pathlib
import sys


def rate(report, key):
    r = report["rates"][key]
    return f"{r['rate']:.3f} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]"


directory = pathlib.Path(sys.argv[1])
reports = {p.stem: json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))}
print("| run | UA [95 % CI] | forget read as none | RA [95 % CI] | retained read as none | "
      "cFID retained (floor) | KID (mean ± sd; floor) |")
print("|---|---|---|---|---|---|---|")
for name, r in reports.items():
    q, f = r["quality"], r["quality_floor_real_vs_real"]
    print(f"| {name} | {rate(r, 'ua')} | {rate(r, 'forget_none')} | {rate(r, 'ra')} | "
          f"{rate(r, 'retained_none')} | {q['cfid']:.1f} ({f['cfid']:.1f}) | "
          f"{q['kid_mean']:.1f} ± {q['kid_std']:.1f} ({f['kid_mean']:.1f}) |")
digits = [r for name, r in reports.items() if name.endswith("-default")]
if digits:
    ua = [r["rates"]["ua"]["rate"] for r in digits]
    ra = [r["rates"]["ra"]["rate"] for r in digits]
    print(f"\nForget-every-digit average over {len(digits)} digits: UA {sum(ua) / len(ua):.3f} "
          f"(range {min(ua):.3f} to {max(ua):.3f}), RA {sum(ra) / len(ra):.3f} "
          f"(range {min(ra):.3f} to {max(ra):.3f}).")
