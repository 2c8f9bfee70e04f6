#!/usr/bin/env python3
"""Draws docs/check-vs-n.svg from criterion's estimates (target/criterion/**/new/estimates.json).

Usage: python3 docs/plot.py   (after `cargo bench --bench check`; no dependencies)
Also prints the medians as Markdown, for BENCHMARKS.md.
"""
import glob
import json
import math
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "target", "criterion")
OUT = os.path.join(os.path.dirname(__file__), "check-vs-n.svg")


def medians():
    out = {}
    for path in glob.glob(os.path.join(ROOT, "**", "new", "estimates.json"), recursive=True):
        rel = os.path.relpath(os.path.dirname(os.path.dirname(path)), ROOT)
        with open(path) as f:
            out[rel] = json.load(f)["median"]["point_estimate"]
    return out


SERIES = [
    ("check/hit", "ours: check, hit", "#1f77b4", ""),
    ("check/miss", "ours: check, miss", "#1f77b4", "6,3"),
    ("baselines/a_url_linear_hit", "(a) Url::parse + scan, hit", "#d62728", ""),
    ("baselines/a_url_linear_miss", "(a) Url::parse + scan, miss", "#d62728", "6,3"),
    ("baselines/b_regexset_hit", "(b) RegexSet, hit", "#2ca02c", ""),
    ("baselines/b_regexset_miss", "(b) RegexSet, miss", "#2ca02c", "6,3"),
    ("baselines/c_hashset_exact_hit", "(c) HashSet, exact hit (lower bound)", "#9467bd", ""),
    ("baselines/c_hashset_miss", "(c) HashSet, miss", "#9467bd", "6,3"),
]
FLOORS = [
    ("floor/url_parse/hit", "Url::parse alone", "#7f7f7f"),
    ("floor/memchr/hit", "memchr over the origin", "#bcbd22"),
]
SIZES = [10, 100, 1000, 10000, 100000]


def main():
    data = medians()
    width, height = 760, 480
    left, right, top, bottom = 70, 260, 30, 50
    ymin, ymax = 1.0, 1e6
    xs = {n: left + (width - left - right) * i / (len(SIZES) - 1) for i, n in enumerate(SIZES)}

    def y(ns):
        frac = (math.log10(ns) - math.log10(ymin)) / (math.log10(ymax) - math.log10(ymin))
        return top + (height - top - bottom) * (1 - frac)

    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">Time per check vs number of rules '
        "(median, log-log)</text>",
    ]
    for exp in range(0, 7):
        ns = 10 ** exp
        label = {0: "1 ns", 1: "10 ns", 2: "100 ns", 3: "1 µs", 4: "10 µs", 5: "100 µs", 6: "1 ms"}[exp]
        svg.append(f'<line x1="{left}" x2="{width - right}" y1="{y(ns):.1f}" y2="{y(ns):.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{y(ns) + 4:.1f}" text-anchor="end">{label}</text>')
    for n, x in xs.items():
        svg.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" stroke="#eee"/>')
        svg.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle">{n:,}</text>')
    svg.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">rules (N)</text>')
    legend_y = top + 10
    for key, label, color in FLOORS:
        if key in data:
            yy = y(data[key])
            svg.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" '
                       f'stroke="{color}" stroke-dasharray="2,3"/>')
            svg.append(f'<line x1="{width - right + 10}" x2="{width - right + 34}" y1="{legend_y}" '
                       f'y2="{legend_y}" stroke="{color}" stroke-dasharray="2,3"/>')
            svg.append(f'<text x="{width - right + 40}" y="{legend_y + 4}">{label}</text>')
            legend_y += 18
    for key, label, color, dash in SERIES:
        points = [(xs[n], y(data[f"{key}/{n}"])) for n in SIZES if f"{key}/{n}" in data]
        if not points:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        svg.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash_attr}/>')
        for x, yy in points:
            svg.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3" fill="{color}"/>')
        svg.append(f'<line x1="{width - right + 10}" x2="{width - right + 34}" y1="{legend_y}" '
                   f'y2="{legend_y}" stroke="{color}" stroke-width="2"{dash_attr}/>')
        svg.append(f'<text x="{width - right + 40}" y="{legend_y + 4}">{label}</text>')
        legend_y += 18
    svg.append("</svg>")
    with open(OUT, "w") as f:
        f.write("\n".join(svg) + "\n")
    print(f"wrote {os.path.relpath(OUT)}")
    for key in sorted(data):
        print(f"| `{key}` | {data[key]:,.1f} ns |")


if __name__ == "__main__":
    main()
