"""wattprint's CPU estimate, and CodeCarbon's, against measured power: levels, bounds, sockets.

Data:

* ``bench/data/specpower_ssj2008_ccf_2026-03-09.csv`` — every published SPECpower_ssj2008
  result (spec.org/power_ssj2008/results) as compiled by Cloud Carbon Footprint
  (github.com/cloud-carbon-footprint/ccf-coefficients, ``data/SPECpower-2026-03-09.csv``,
  Apache-2.0). Each row is one server: CPU model, chips, threads, and the measured **wall**
  power of the whole server at 100 % load and at active idle.
* ``bench/data/codecarbon_rapl_profiles/`` — CodeCarbon's published load profiles of four
  real CPUs (``codecarbon/data/hardware/cpu_load_profiling``, github.com/mlco2/codecarbon @
  b05965e, MIT): 30-s steps from idle to 100 % load, on all cores and on some cores, with the
  package's **RAPL** energy (``rapl_energy`` kWh over ``duration`` s; the ``rapl_power`` column
  is the previous step's, so it is not used). The E3-1240 V2 was profiled twice.

What is scored:

1. **Absolute levels, fitted with held-out splits.** The model is
   ``P(u) = TDP_eff × (idle_fraction + (full_load_fraction − idle_fraction) × u)``. A CPU is
   part of its server, so its power can never exceed the server's wall power; the levels are
   fitted as the :data:`QUANTILE` quantile of ``wall / TDP_eff`` over the servers of known CPUs
   (at idle and at 100 %): the largest fractions that stay under the wall of 99 % of the
   training servers. Fitted on all years but one (for each year) and on one vendor (for the
   other); the held-out error is the share of held-out servers whose estimate exceeds their
   wall power, and the median estimate / wall ratio (the share of the wall the estimate
   claims). The shipped constants (``wattprint.meters.estimate``) are the fit on every server.
2. **Physical bound.** The share of all servers (unknown CPUs too) whose CPU estimate exceeds
   the whole server's wall power, at idle and at 100 % (target < 2 %), with the shipped model.
3. **Dynamic range** ``P(100 %) − P(idle)`` against the wall's (an upper bound of the CPU's:
   DRAM, fans and PSU losses also grow with load), and CodeCarbon 3.3.2's ``cpu_load`` formula
   ``TDP × (0.1 + 0.9 × u³)`` of ONE socket (its dynamic range 0.9 × TDP), both on all
   servers, on 1-socket servers and on servers of 2+ sockets: CodeCarbon's gap is mostly
   socket counting.
4. **Sockets, as `estimate cpu` sees them.** The same servers with only the model name and the
   logical CPU count (no threads per socket from the OS): the threads per socket come from the
   tables and the sockets follow; before issue 20 a CPU known only by its TDP was capped at one
   socket.
5. **RAPL profiles.** wattprint's estimate for the whole CPU at each step's measured load
   against the package's RAPL power: median ratio and the share inside the band
   ``[P/(1+u), P(1+u)]`` (the stated coverage), beside CodeCarbon's own estimate of the step.

Usage::

    python bench/cpu_estimate.py   # writes bench/results/cpu_estimate.json and .md
"""

from __future__ import annotations

import csv
import glob
import json
import math
import os
import statistics
import sys
from collections.abc import Callable, Sequence
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "specpower_ssj2008_ccf_2026-03-09.csv")
PROFILES = os.path.join(HERE, "data", "codecarbon_rapl_profiles")
OUT = os.path.join(HERE, "results")
QUANTILE = 0.01
"""Quantile of wall / TDP_eff that the levels are fitted to (the bound holds for 1 - q)."""
KWH_J = 3.6e6


def vendor(cpu: str) -> str:
    """``AMD`` or ``Intel`` (else ``other``) from a CPU description."""
    low = cpu.lower()
    if "amd" in low or "epyc" in low or "opteron" in low:
        return "AMD"
    return "Intel" if "intel" in low or "xeon" in low else "other"


def rows() -> list[dict[str, Any]]:
    """The SPECpower rows with the fields the comparison needs (bad rows skipped)."""
    out = []
    with open(DATA, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            try:
                w100, widle = float(r["avg. watts @ 100%"]), float(r["avg. watts @ active idle"])
                chips, threads = int(r["Chips"]), int(r["Total Threads"])
                year = int(r["Published"].strip()[-4:])
            except (KeyError, ValueError):
                continue
            if w100 <= widle or chips < 1 or threads < chips:
                continue
            cpu = r["CPU Description"].strip()
            out.append({"system": r["System"], "cpu": cpu, "chips": chips,
                        "threads": threads, "w100": w100, "widle": widle, "year": year,
                        "vendor": vendor(cpu)})
    return out


def profile_rows() -> list[dict[str, Any]]:
    """CodeCarbon's RAPL load-profile steps: CPU, logical CPUs, load, RAPL and CC power (W)."""
    out = []
    for path in sorted(glob.glob(os.path.join(PROFILES, "*.csv"))):
        with open(path, encoding="utf-8", newline="") as f:
            steps = list(csv.DictReader(f))
        cpus = max(int(s["cores_used"]) for s in steps)  # the all-cores file names them all
        if "some_cores" in path:  # the same machine's all-cores file says how many CPUs it has
            with open(path.replace("some_cores", "all_cores"), encoding="utf-8") as f:
                cpus = max(int(s["cores_used"]) for s in csv.DictReader(f))
        for s in steps:
            dur = float(s["duration"])
            out.append({"file": os.path.basename(path), "cpu": s["cpu_name"], "cpus": cpus,
                        "load": float(s["cpu_load"]) / 100.0,
                        "rapl_w": float(s["rapl_energy"]) * KWH_J / dur,
                        "codecarbon_w": float(s["estimated_energy"]) * KWH_J / dur})
    return out


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (linear interpolation), as numpy's default."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = math.floor(pos)
    return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (pos - lo)


def summarise(ratios: Sequence[float]) -> dict[str, float]:
    """Median ratio, median factor error, share within 1.5x and 2x."""
    logs = [abs(math.log(x)) for x in ratios]
    return {"rows": len(ratios), "median_ratio": statistics.median(ratios),
            "median_factor_error": math.exp(statistics.median(logs)),
            "within_1_5x": sum(lg <= math.log(1.5) for lg in logs) / len(logs),
            "within_2x": sum(lg <= math.log(2.0) for lg in logs) / len(logs)}


def fit_levels(train: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """(idle_fraction, full_load_fraction): the QUANTILE of wall / TDP_eff at idle and 100 %."""
    return (quantile([r["widle"] / r["tdp_eff"] for r in train], QUANTILE),
            quantile([r["w100"] / r["tdp_eff"] for r in train], QUANTILE))


def held_out(known: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
             ) -> dict[str, Any]:
    """Fit on all groups but one, score the one left out; pooled over every group."""
    over_idle = over_full = n = 0
    share_idle: list[float] = []
    share_full: list[float] = []
    fits = {}
    for g in sorted({key(r) for r in known}):
        train = [r for r in known if key(r) != g]
        test = [r for r in known if key(r) == g]
        b, a = fit_levels(train)
        fits[str(g)] = {"idle_fraction": b, "full_load_fraction": a, "held_out_rows": len(test)}
        for r in test:
            over_idle += b * r["tdp_eff"] > r["widle"]
            over_full += a * r["tdp_eff"] > r["w100"]
            share_idle.append(b * r["tdp_eff"] / r["widle"])
            share_full.append(a * r["tdp_eff"] / r["w100"])
            n += 1
    return {"rows": n, "over_wall_idle": over_idle / n, "over_wall_full": over_full / n,
            "median_share_of_wall_idle": statistics.median(share_idle),
            "median_share_of_wall_full": statistics.median(share_full),
            "fits": fits}


def main() -> int:
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
    from wattprint.meters import estimate
    from wattprint.meters.cpu_tdp import lookup
    from wattprint.meters.estimate import resolve_cpu_model

    data = rows()
    for r in data:
        m = resolve_cpu_model(r["cpu"], r["threads"], socket_threads=r["threads"] // r["chips"])
        r["kind"] = "curated" if m.entry is not None else "tdp-only" if m.known else "unknown"
        r["tdp_eff"], r["u"] = m.tdp_eff_w, m.uncertainty
        r["idle_est"], r["full_est"] = m.idle_power_w, m.power_w(1.0)
        guess = resolve_cpu_model(r["cpu"], r["threads"])  # no OS: sockets from the tables
        r["full_est_no_os"] = guess.power_w(1.0)
        r["sockets_no_os"] = guess.sockets
        match = lookup(r["cpu"])
        r["cc_dyn"] = None if match is None else 0.9 * match.tdp_w
    known = [r for r in data if r["kind"] != "unknown"]
    b_all, a_all = fit_levels(known)
    result: dict[str, Any] = {
        "data": "SPECpower_ssj2008 published results, compiled by Cloud Carbon Footprint "
                "(ccf-coefficients data/SPECpower-2026-03-09.csv, Apache-2.0); CodeCarbon's "
                "cpu_load_profiling RAPL profiles (mlco2/codecarbon @ b05965e, MIT)",
        "rows": len(data),
        "levels": {
            "method": f"quantile {QUANTILE} of wall power / TDP_eff over servers of known CPUs "
                      "(the largest fractions under the wall of 99 % of them)",
            "fit_on_all": {"idle_fraction": b_all, "full_load_fraction": a_all,
                           "rows": len(known)},
            "shipped": {"idle_fraction": estimate.IDLE_FRACTION,
                        "full_load_fraction": estimate.FULL_LOAD_FRACTION},
            "held_out_by_year": held_out(known, lambda r: r["year"]),
            "held_out_by_vendor": held_out([r for r in known if r["vendor"] != "other"],
                                           lambda r: r["vendor"]),
        }}
    over = {kind: {"rows": len(rs),
                   "over_wall_idle": sum(r["idle_est"] > r["widle"] for r in rs) / len(rs),
                   "over_wall_full": sum(r["full_est"] > r["w100"] for r in rs) / len(rs)}
            for kind, rs in [("all", data), *[(k, [r for r in data if r["kind"] == k])
                                              for k in ("curated", "tdp-only", "unknown")]]}
    result["physical_bound"] = over
    dyn: dict[str, Any] = {}
    for label, sel in (("all", lambda r: True), ("1 socket", lambda r: r["chips"] == 1),
                       ("2+ sockets", lambda r: r["chips"] > 1)):
        rs = [r for r in data if sel(r)]
        wp = [(r["full_est"] - r["idle_est"]) / (r["w100"] - r["widle"]) for r in rs]
        cc = [r["cc_dyn"] / (r["w100"] - r["widle"]) for r in rs if r["cc_dyn"]]
        dyn[label] = {"wattprint": summarise(wp), "codecarbon": summarise(cc),
                      "wattprint_over_wall_dynamic": sum(x > 1 for x in wp) / len(wp),
                      "codecarbon_over_wall_dynamic": sum(x > 1 for x in cc) / len(cc)}
    result["dynamic_range"] = dyn
    multi = [r for r in known if r["chips"] > 1]
    counted = [r["sockets_no_os"] / r["chips"] for r in multi if r["sockets_no_os"]]
    result["sockets_without_os"] = {
        "rows": len(multi),
        "sockets_counted_right_within_10pct": sum(abs(math.log(x)) <= math.log(1.1)
                                                  for x in counted) / len(multi),
        "sockets_counted_fewer": sum(x < 1 / 1.1 for x in counted) / len(multi),
        "sockets_counted_more": sum(x > 1.1 for x in counted) / len(multi),
        "median_ratio_to_with_os": statistics.median(r["full_est_no_os"] / r["full_est"]
                                                     for r in multi),
        "same_as_with_os_within_10pct": sum(abs(math.log(r["full_est_no_os"] / r["full_est"]))
                                            <= math.log(1.1) for r in multi) / len(multi)}
    prof = []
    for p in profile_rows():
        m = resolve_cpu_model(p["cpu"], p["cpus"])
        est = m.power_w(p["load"])
        prof.append({**p, "est_w": est, "u": m.uncertainty,
                     "in_band": abs(math.log(est / p["rapl_w"])) <= math.log(1 + m.uncertainty)})
    by_cpu: dict[str, Any] = {}
    for cpu in sorted({p["cpu"] for p in prof}):
        ps = [p for p in prof if p["cpu"] == cpu]
        by_cpu[cpu] = {"steps": len(ps), "logical_cpus": ps[0]["cpus"], "u": ps[0]["u"],
                       "idle_rapl_w": min(p["rapl_w"] for p in ps),
                       "full_rapl_w": max(p["rapl_w"] for p in ps),
                       "median_ratio": statistics.median(p["est_w"] / p["rapl_w"] for p in ps),
                       "band_coverage": sum(p["in_band"] for p in ps) / len(ps),
                       "codecarbon_median_ratio": statistics.median(
                           p["codecarbon_w"] / p["rapl_w"] for p in ps)}
    result["rapl_profiles"] = {
        "steps": len(prof), "band_coverage": sum(p["in_band"] for p in prof) / len(prof),
        "wattprint": summarise([p["est_w"] / p["rapl_w"] for p in prof]),
        "codecarbon": summarise([p["codecarbon_w"] / p["rapl_w"] for p in prof]),
        "by_cpu": by_cpu}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "cpu_estimate.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    md = markdown(result)
    with open(os.path.join(OUT, "cpu_estimate.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print(md)
    return 0


def markdown(res: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    lv = res["levels"]
    lines = [f"Levels (P = TDP_eff × (idle + (full − idle) × u)), {lv['method']}:", "",
             "| fit | idle fraction | full-load fraction | held-out rows | held-out over wall (idle / full) | held-out share of wall, median (idle / full) |",
             "| --- | --- | --- | --- | --- | --- |"]
    f = lv["fit_on_all"]
    lines.append(f"| all {f['rows']} servers of known CPUs (shipped: {lv['shipped']['idle_fraction']:g} / "
                 f"{lv['shipped']['full_load_fraction']:g}) | {f['idle_fraction']:.3f} | "
                 f"{f['full_load_fraction']:.3f} | - | - | - |")
    for name, key in (("leave one year out", "held_out_by_year"),
                      ("leave one vendor out", "held_out_by_vendor")):
        h = lv[key]
        bs = [x["idle_fraction"] for x in h["fits"].values()]
        as_ = [x["full_load_fraction"] for x in h["fits"].values()]
        lines.append(f"| {name} | {min(bs):.3f}–{max(bs):.3f} | {min(as_):.3f}–{max(as_):.3f} | "
                     f"{h['rows']} | {h['over_wall_idle']:.1%} / {h['over_wall_full']:.1%} | "
                     f"{h['median_share_of_wall_idle']:.2f} / {h['median_share_of_wall_full']:.2f} |")
    lines += ["", "Physical bound (CPU estimate above the whole server's wall power; target < 2 %):", "",
              "| CPUs | rows | over wall at idle | over wall at 100 % |", "| --- | --- | --- | --- |"]
    for kind, o in res["physical_bound"].items():
        lines.append(f"| {kind} | {o['rows']} | {o['over_wall_idle']:.1%} | {o['over_wall_full']:.1%} |")
    lines += ["", "Dynamic range against the wall's (an upper bound of the CPU's: above 1 is "
              "impossible), by sockets:", "",
              "| servers | estimator | rows | median est/wall | median factor error | within 1.5x | within 2x | above the wall's |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for label, d in res["dynamic_range"].items():
        for name, s, over in (("wattprint", d["wattprint"], d["wattprint_over_wall_dynamic"]),
                              ("CodeCarbon 3.3.2 (0.9 × TDP, one socket)", d["codecarbon"],
                               d["codecarbon_over_wall_dynamic"])):
            lines.append(f"| {label} | {name} | {s['rows']} | {s['median_ratio']:.2f} | "
                         f"{s['median_factor_error']:.2f} | {s['within_1_5x']:.0%} | "
                         f"{s['within_2x']:.0%} | {over:.0%} |")
    s = res["sockets_without_os"]
    lines += ["", f"Sockets without the OS (`estimate cpu` on {s['rows']} multi-socket servers of "
              f"known CPUs, threads per socket from the tables): sockets counted right (within "
              f"10 %) for {s['sockets_counted_right_within_10pct']:.0%}, fewer for "
              f"{s['sockets_counted_fewer']:.0%}, more for {s['sockets_counted_more']:.0%}; median "
              f"full-load estimate / the estimate with the OS's threads = "
              f"{s['median_ratio_to_with_os']:.2f}, {s['same_as_with_os_within_10pct']:.0%} within "
              "10 %.", ""]
    rp = res["rapl_profiles"]
    lines += [f"CodeCarbon's RAPL load profiles ({rp['steps']} steps of 4 CPUs): wattprint's band "
              f"covers {rp['band_coverage']:.0%} of the measured package powers; median "
              f"estimate/RAPL {rp['wattprint']['median_ratio']:.2f} (factor error "
              f"{rp['wattprint']['median_factor_error']:.2f}); CodeCarbon's own estimate "
              f"{rp['codecarbon']['median_ratio']:.2f} (factor error "
              f"{rp['codecarbon']['median_factor_error']:.2f}).", "",
              "| CPU | logical CPUs | RAPL idle–full W | wattprint median est/RAPL | band coverage (u) | CodeCarbon median est/RAPL |",
              "| --- | --- | --- | --- | --- | --- |"]
    for cpu, c in rp["by_cpu"].items():
        lines.append(f"| {cpu} | {c['logical_cpus']} | {c['idle_rapl_w']:.1f}–{c['full_rapl_w']:.1f} | "
                     f"{c['median_ratio']:.2f} | {c['band_coverage']:.0%} (u={c['u']:g}) | "
                     f"{c['codecarbon_median_ratio']:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
