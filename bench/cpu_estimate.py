"""wattprint's CPU estimate, and CodeCarbon's, against published SPECpower_ssj2008 results.

Data: ``bench/data/specpower_ssj2008_ccf_2026-03-09.csv`` — every published SPECpower_ssj2008
result (spec.org/power_ssj2008/results) as compiled by Cloud Carbon Footprint
(github.com/cloud-carbon-footprint/ccf-coefficients, ``data/SPECpower-2026-03-09.csv``,
Apache-2.0). Each row is one server: CPU model, chips, threads, and the measured **wall** power
at 100 % load and at active idle.

What is compared (the only CPU quantity a wall meter pins down): the **dynamic range**
``P(100 %) - P(idle)`` of the server. A server's dynamic range is mostly CPU package power
(plus DRAM activity, fans and PSU losses), so it is the closest public stand-in for the CPU's
own dynamic power across 1,000+ machines; absolute CPU power at idle cannot be separated from
the rest of the server in wall data, so idle is not scored.

* wattprint: ``(1 - idle_fraction) * TDP_eff`` with ``TDP_eff = TDP * threads / socket_threads``
  for the whole server (``threads`` = the result's total threads, socket threads = threads /
  chips), its band ``[x/(1+u), x*(1+u)]`` with the model's u.
* CodeCarbon 3.3.2 (``cpu_load`` mode, ``codecarbon/external/hardware.py``):
  ``P = TDP * (0.1 + 0.9 * u**3)``, so a dynamic range of ``0.9 * TDP`` of ONE CPU model
  (CodeCarbon does not multiply by sockets); no band. TDP from the same table lookup.

Reported per estimator: rows, median ratio estimate/measured, median factor error
(``exp(median |ln ratio|)``), share of rows within a factor 1.5 and 2, and for wattprint the
band coverage (measured inside the band) per kind of match (curated row with threads, TDP
only, unknown CPU). The u that would give 80 % / 90 % coverage is printed beside the u in use.

Usage::

    python bench/cpu_estimate.py   # writes bench/results/cpu_estimate.json and .md
"""

from __future__ import annotations

import csv
import json
import math
import os
import statistics
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "specpower_ssj2008_ccf_2026-03-09.csv")
OUT = os.path.join(HERE, "results")


def rows() -> list[dict[str, Any]]:
    """The SPECpower rows with the fields the comparison needs (bad rows skipped)."""
    out = []
    with open(DATA, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            try:
                w100, widle = float(r["avg. watts @ 100%"]), float(r["avg. watts @ active idle"])
                chips, threads = int(r["Chips"]), int(r["Total Threads"])
            except (KeyError, ValueError):
                continue
            if w100 <= widle or chips < 1 or threads < chips:
                continue
            out.append({"system": r["System"], "cpu": r["CPU Description"].strip(), "chips": chips,
                        "threads": threads, "w100": w100, "widle": widle,
                        "published": r["Published"]})
    return out


def summarise(ratios: list[float]) -> dict[str, float]:
    logs = [abs(math.log(x)) for x in ratios]
    return {"rows": len(ratios), "median_ratio": statistics.median(ratios),
            "median_factor_error": math.exp(statistics.median(logs)),
            "within_1_5x": sum(lg <= math.log(1.5) for lg in logs) / len(logs),
            "within_2x": sum(lg <= math.log(2.0) for lg in logs) / len(logs)}


def main() -> int:
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
    from wattprint.meters.cpu_tdp import lookup
    from wattprint.meters.estimate import resolve_cpu_model

    per_kind: dict[str, dict[str, list[float]]] = {}
    cc_ratios: list[float] = []
    wp_all: list[float] = []
    used = skipped = 0
    for r in rows():
        meas = r["w100"] - r["widle"]
        m = resolve_cpu_model(r["cpu"], r["threads"], socket_threads=r["threads"] // r["chips"])
        kind = ("curated" if m.entry is not None else "tdp-only" if m.known else "unknown")
        est = m.tdp_eff_w - m.idle_power_w
        ratio = est / meas
        k = per_kind.setdefault(kind, {"ratio": [], "in_band": [], "u": []})
        k["ratio"].append(ratio)
        k["in_band"].append(float(abs(math.log(ratio)) <= math.log(1 + m.uncertainty)))
        k["u"].append(m.uncertainty)
        wp_all.append(ratio)
        match = lookup(r["cpu"])
        if match is not None:
            cc_ratios.append(0.9 * match.tdp_w / meas)
        else:
            skipped += 1
        used += 1
    result: dict[str, Any] = {
        "data": "SPECpower_ssj2008 published results, compiled by Cloud Carbon Footprint "
                "(ccf-coefficients data/SPECpower-2026-03-09.csv, Apache-2.0)",
        "quantity": "server dynamic range P(100%) - P(active idle), W, wall power",
        "rows": used, "wattprint": summarise(wp_all), "codecarbon": summarise(cc_ratios),
        "codecarbon_rows_without_tdp": skipped, "wattprint_by_match": {}}
    for kind, k in sorted(per_kind.items()):
        logs = sorted(abs(math.log(x)) for x in k["ratio"])
        need = {q: math.exp(logs[min(len(logs) - 1, int(q * len(logs)))]) - 1 for q in (0.8, 0.9)}
        result["wattprint_by_match"][kind] = {
            **summarise(k["ratio"]), "u_in_use": statistics.median(k["u"]),
            "band_coverage": sum(k["in_band"]) / len(k["in_band"]),
            "u_for_80pct_coverage": need[0.8], "u_for_90pct_coverage": need[0.9]}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "cpu_estimate.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    lines = ["| estimator | rows | median est/meas | median factor error | within 1.5x | within 2x | band coverage (u) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, s in [("wattprint (all)", result["wattprint"]), ("CodeCarbon 3.3.2", result["codecarbon"])]:
        lines.append(f"| {name} | {s['rows']} | {s['median_ratio']:.2f} | {s['median_factor_error']:.2f} | "
                     f"{s['within_1_5x']:.0%} | {s['within_2x']:.0%} | - |")
    for kind, s in result["wattprint_by_match"].items():
        lines.append(f"| wattprint, {kind} | {s['rows']} | {s['median_ratio']:.2f} | "
                     f"{s['median_factor_error']:.2f} | {s['within_1_5x']:.0%} | {s['within_2x']:.0%} | "
                     f"{s['band_coverage']:.0%} (u={s['u_in_use']:g}; 80 %: u={s['u_for_80pct_coverage']:.2f},"
                     f" 90 %: u={s['u_for_90pct_coverage']:.2f}) |")
    md = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "cpu_estimate.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
