"""The before/after table of docs/results/instrument-v2: for every NAME.json written by
`lethe eval` with the second classifier and its NAME-v1.json (the same samples read by the first),
UA, the share of forget requests called "none", the override share, RA and the retained none share,
each with its 95 % Wilson interval and n. Standard library only. Usage: instrument_table.py DIR"""
import json
import pathlib
import sys


def rate(report, key):
    r = report.get("rates", {}).get(key)
    if r is None:
        return "-"
    return f"{r['rate']:.3f} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]"


def count(report, key):
    r = report.get("rates", {}).get(key)
    return "-" if r is None else str(r["n"])


directory = pathlib.Path(sys.argv[1])
print("| samples | classifier | UA | forget requests read as none | read as override | n (forget) "
      "| RA | retained read as none | n (retained) |")
print("|---|---|---|---|---|---|---|---|---|")
for second in sorted(directory.glob("*.json")):
    if second.stem.endswith("-v1"):
        continue
    first = second.with_name(second.stem + "-v1.json")
    for label, path in (("v1 (first)", first), ("**v2**", second)):
        if not path.exists():
            continue
        report = json.loads(path.read_text())
        print(f"| {second.stem} | {label} | {rate(report, 'ua')} | {rate(report, 'forget_none')} | "
              f"{rate(report, 'forget_read_as_override')} | {count(report, 'ua')} | "
              f"{rate(report, 'ra')} | {rate(report, 'retained_none')} | {count(report, 'ra')} |")
