"""The table and curves of docs/results/forget0 (issue 27): every NAME-stepN.json that
tools/results/forget0_curve.sh wrote (lethe eval of an unlearning run at step N), beside the
original and the shipped SFD generator read the same way (docs/results/instrument-v2). Writes
DIR/table.md and four curves against the unlearning step (log scale, 95 % Wilson intervals as error
bars): DIR/ua-curve.svg, override-curve.svg (requests for 0 read as 1), forget-none-curve.svg
(requests for 0 read as none) and ra-curve.svg. Series are dodged by 4 px so equal values stay
visible. Standard library
only. Usage: forget0_table.py DIR REFERENCE_DIR"""
import json
import math
import pathlib
import re
import sys

COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]


def rate(report, key):
    r = report.get("rates", {}).get(key)
    if r is None:
        return "-"
    return f"{r['rate']:.3f} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]"


def quality(report):
    q = report.get("quality", {})
    floor = report.get("quality_floor_real_vs_real", {})
    if "cfid" not in q:
        return "-", "-"
    return (f"{q['cfid']:.1f} (floor {floor.get('cfid', float('nan')):.1f})",
            f"{q['kid_mean']:.1f} ± {q['kid_std']:.1f} (floor {floor.get('kid_mean', float('nan')):.1f})")


def row(name, step, report):
    cfid, kid = quality(report)
    return (f"| {name} | {step} | {rate(report, 'ua')} | {rate(report, 'forget_read_as_override')} | "
            f"{rate(report, 'forget_none')} | {rate(report, 'ra')} | {rate(report, 'retained_none')} | "
            f"{cfid} | {kid} |")


def fisher_exact_p(a, n_a, b, n_b):
    """Two-sided Fisher exact test of a / n_a against b / n_b (R's convention: the sum of the
    probabilities of every table no more likely than the observed one)."""
    total, successes = n_a + n_b, a + b

    def probability(k):
        return math.comb(successes, k) * math.comb(total - successes, n_a - k) / math.comb(total, n_a)

    observed = probability(a)
    low, high = max(0, successes - n_b), min(successes, n_a)
    return min(1.0, sum(probability(k) for k in range(low, high + 1)
                        if probability(k) <= observed * (1 + 1e-7)))


def tests_against(reference_name, reference, curves):
    """Each curve's last stage against the reference: Fisher p for UA, 0 read as 1 and RA."""
    lines = [f"| model (last step) | p UA vs {reference_name} | p 0 read as 1 | p RA |",
             "|---|---|---|---|"]
    for name in sorted(curves):
        step, report = curves[name][-1]
        cells = []
        for key in ("ua", "forget_read_as_override", "ra"):
            mine, theirs = report["rates"][key], reference["rates"][key]
            cells.append(f"{fisher_exact_p(mine['count'], mine['n'], theirs['count'], theirs['n']):.2g}")
        lines.append(f"| {name} ({step}) | " + " | ".join(cells) + " |")
    return lines


def svg_curves(title, y_label, key, curves):
    """curves: {name: [(step, report)]} -> an SVG line plot on a log-scale step axis."""
    width, height, left, right, top, bottom = 640, 400, 70, 20, 40, 110
    steps = [s for points in curves.values() for s, _ in points]
    lo, hi = math.log10(min(steps)), math.log10(max(steps))
    hi = hi if hi > lo else lo + 1

    def x(step):
        return left + (math.log10(step) - lo) / (hi - lo) * (width - left - right)

    # The share axis starts at 0 unless every interval lies above 0.5 (RA): then at the tenth below.
    lows = [report["rates"][key]["ci95"][0] for points in curves.values() for _, report in points]
    y_min = math.floor(min(lows) * 10) / 10 if min(lows) > 0.5 else 0.0

    def y(value):
        return top + (1 - value) / (1 - y_min) * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']
    ticks = [y_min + i * (1 - y_min) / 5 for i in range(6)]
    for tick in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick)}" y2="{y(tick)}" '
                   f'stroke="#ddd"/><text x="{left - 6}" y="{y(tick) + 4}" '
                   f'text-anchor="end">{tick:.2f}</text>')
    for tick in sorted(set(steps)):
        out.append(f'<line x1="{x(tick)}" x2="{x(tick)}" y1="{top}" y2="{height - bottom}" '
                   f'stroke="#eee"/><text x="{x(tick)}" y="{height - bottom + 16}" '
                   f'text-anchor="middle">{tick}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - bottom + 34}" '
               f'text-anchor="middle">unlearning step (log scale)</text>')
    out.append(f'<text transform="translate(16 {(top + height - bottom) / 2}) rotate(-90)" '
               f'text-anchor="middle">{y_label}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{width - left - right}" '
               f'height="{height - top - bottom}" fill="none" stroke="black"/>')
    for i, (name, points) in enumerate(curves.items()):
        color = COLORS[i % len(COLORS)]
        coords = []
        dodge = (i - (len(curves) - 1) / 2) * 4  # px, so series at the same value stay visible
        for step, report in points:
            r = report["rates"][key]
            px, py = x(step) + dodge, y(r["rate"])
            coords.append(f"{px:.1f},{py:.1f}")
            out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{y(r["ci95"][0]):.1f}" '
                       f'y2="{y(r["ci95"][1]):.1f}" stroke="{color}"/>')
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"/>')
        out.append(f'<polyline points="{" ".join(coords)}" fill="none" stroke="{color}" '
                   f'stroke-width="2"/>')
        lx, ly = left + (i % 3) * 190, height - 40 + (i // 3) * 18
        out.append(f'<line x1="{lx}" x2="{lx + 24}" y1="{ly - 4}" y2="{ly - 4}" stroke="{color}" '
                   f'stroke-width="2"/><text x="{lx + 30}" y="{ly}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    directory, reference = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    curves = {}
    for path in directory.glob("*-step*.json"):
        match = re.fullmatch(r"(.+)-step(\d+)", path.stem)
        curves.setdefault(match.group(1), []).append(
            (int(match.group(2)), json.loads(path.read_text())))
    for points in curves.values():
        points.sort(key=lambda p: p[0])
    lines = ["| model | step | UA [95 % CI] | 0 read as 1 | 0 read as none | RA [95 % CI] | "
             "retained read as none | cFID retained | KID (mean ± sd over subsets) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, label in (("original-forget0", "original (mnist-s-vp)"),
                        ("sfd-0to1", "SFD (shipped, one step)")):
        path = reference / f"{name}.json"
        if path.exists():
            lines.append(row(label, "-", json.loads(path.read_text())))
    for name in sorted(curves):
        for step, report in curves[name]:
            lines.append(row(name, step, report))
    sfd = reference / "sfd-0to1.json"
    if sfd.exists():
        lines += ["", "Two-sided Fisher exact tests of each model's last step against the shipped SFD "
                  "generator (the same counts as the table):", ""]
        lines += tests_against("SFD", json.loads(sfd.read_text()), curves)
    (directory / "table.md").write_text("\n".join(lines) + "\n")
    for name, title, key in (
            ("ua", "UA on 0 (requests for 0 not read as 0)", "ua"),
            ("override", "Requests for 0 read as 1", "forget_read_as_override"),
            ("forget-none", "Requests for 0 read as none (blank, noise, no digit)", "forget_none"),
            ("ra", "RA: requests for 1-9 read as asked", "ra")):
        (directory / f"{name}-curve.svg").write_text(svg_curves(
            f"{title} per unlearning step", "share, 95 % Wilson interval", key,
            dict(sorted(curves.items()))))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
