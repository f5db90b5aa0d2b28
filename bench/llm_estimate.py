"""How good is ``wattprint estimate llm``? Its error where the truth was measured.

1. **Reference (ML.ENERGY v3, 565 points, 8 families).** Each family is predicted by a fit that
   never saw it (cross-validation by family): median and p90 ``|predicted/measured - 1|``.
   Interval coverage with a *nested* hold-out: the family is left out of both the fit and the
   calibration of its interval; the share of its points inside the stated 50/80/90/95 %
   intervals is counted over all families.
2. **EcoLogits' formula against the same measurements.** EcoLogits' GPU energy per output
   token (``alpha e^(beta B) P_active + gamma`` per GPU, times its GPU count) at each point's
   measured batch and at its fixed batch 64, against the measured J per output token; on every
   H100 point and on the subset EcoLogits fitted on (H100, batch <= 512, <= 200B parameters).
3. **A table for named API models** (wattprint's estimate and EcoLogits' formula on the same
   inputs; docs/estimates.md discusses it).
4. **Local validation (``--local``).** Random-weight Llama chat models of four sizes (the
   serving zoo's ``tiny`` and ``small`` and two larger configurations built here) are served
   with ``transformers serve`` on 127.0.0.1 and measured with ``wattprint load`` at concurrency
   1, 2 and 4 (no idle measurement: the fit uses total energy per output token; enough
   requests per point for a 20 s steady window). Each model is then predicted by a fit on the *other* models' points
   (``estimate fit`` on the store, minus that model): per-point error of J per output token and
   of J per request, and interval coverage. On a machine without energy counters the "measured"
   energy is wattprint's CPU+RAM estimate (``estimated`` provenance), and other processes on a
   shared machine move it: the point is that fit -> predict -> compare runs on real
   measurements and its error is published, not that these joules are a ground truth.

Usage::

    python bench/llm_estimate.py [--local] [--requests-scale 1] [--output-len 32] [--store DB]

Writes ``bench/results/llm_estimate.json`` and ``.md``. Nothing here asserts a number.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from wattprint.carbon.intensity import lookup_country  # noqa: E402
from wattprint.estimates import ecologits as eco  # noqa: E402
from wattprint.estimates.catalog import Range  # noqa: E402
from wattprint.estimates.design import Query  # noqa: E402
from wattprint.estimates.fit import LEVELS, fit_llm
from wattprint.estimates.impacts import request_impacts  # noqa: E402
from wattprint.estimates.llm import LlmRequest, estimate_llm  # noqa: E402
from wattprint.estimates.observations import Observation, reference_data  # noqa: E402
from wattprint.estimates.reference import reference_fit  # noqa: E402

EXTRA_SIZES = {
    "medium": {"hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 8,
               "num_attention_heads": 8, "num_key_value_heads": 4},
    "large": {"hidden_size": 768, "intermediate_size": 2048, "num_hidden_layers": 12,
              "num_attention_heads": 12, "num_key_value_heads": 4},
}
"""Two sizes beyond the serving zoo's ``tiny`` and ``small`` (random weights, as the zoo's)."""
REQUESTS = {"tiny": 600, "small": 600, "medium": 60, "large": 36}
"""Requests per load point, so that each point has a steady window of at least 20 s at the
rates these sizes reach on two shared cores (serving/windows.py flags shorter ones)."""


def _rel(pred: np.ndarray, meas: np.ndarray) -> np.ndarray:
    return np.abs(pred / meas - 1.0)


def _summary(pred: np.ndarray, meas: np.ndarray) -> dict[str, float]:
    r = _rel(pred, meas)
    return {"n": int(len(r)), "median_abs_rel": float(np.median(r)),
            "p90_abs_rel": float(np.percentile(r, 90)),
            "median_ratio": float(np.median(pred / meas)),
            "within_2x": float(np.mean(np.maximum(pred / meas, meas / pred) <= 2.0))}


def reference_section() -> dict[str, Any]:
    """Held-out-by-family error and nested interval coverage on the ML.ENERGY data."""
    obs = list(reference_data().observations)
    fit = reference_fit()
    fams = sorted({o.group for o in obs})
    hits = {f"{lv:g}": 0 for lv in LEVELS}
    per_family = {}
    for fam in fams:
        train = [o for o in obs if o.group != fam]
        test = [o for o in obs if o.group == fam]
        model = fit_llm(train, group_label="family", data_version="nested", sources=())
        res = np.array([abs(model.log_j_per_output_token(o) - math.log(o.j_per_output_token))
                        for o in test])
        for lv in LEVELS:
            hits[f"{lv:g}"] += int(np.sum(res <= math.log(model.holdout.factor(lv))))
        per_family[fam] = {"points": len(test), "models": len({o.model for o in test}),
                           "coverage_90": float(np.mean(res <= math.log(model.holdout.factor(0.9)))),
                           **{k: v for k, v in fit.holdout.by_group[fam].items() if k != "n"}}
    return {"data_version": fit.data_version, "points": len(obs), "families": len(fams),
            "terms": list(fit.terms), "coefficients": list(fit.coefficients),
            "heldout_by_family": {"rmse_log": fit.holdout.rmse_log,
                                  "median_abs_rel": fit.holdout.median_abs_rel,
                                  "p90_abs_rel": fit.holdout.p90_abs_rel,
                                  "interval_factor_90": fit.holdout.factor(0.9)},
            "nested_coverage": {k: v / len(obs) for k, v in hits.items()},
            "per_family": per_family}


def _lofo_predictions(obs: list[Observation]) -> np.ndarray:
    out = np.zeros(len(obs))
    for fam in sorted({o.group for o in obs}):
        m = [o.group == fam for o in obs]
        model = fit_llm([o for o, x in zip(obs, m) if not x], group_label="family",
                        data_version="lofo", sources=())
        for i, o in enumerate(obs):
            if m[i]:
                out[i] = model.j_per_output_token(o)
    return out


def ecologits_section() -> dict[str, Any]:
    """EcoLogits' GPU energy per token against measured points, beside wattprint held out."""
    obs = list(reference_data().observations)
    ours = _lofo_predictions(obs)
    rows = []
    for o, w in zip(obs, ours):
        n_own = eco.gpu_count(o.total_params_b, bits=16)
        rows.append({"h100": o.hardware == "H100",
                     "ecologits_subset": o.hardware == "H100" and o.batch <= 512
                     and o.total_params_b <= 200,
                     "meas": o.j_per_output_token, "ours": w,
                     "eco_batch": 3.6e6 * n_own * eco.gpu_energy_per_token_kwh(o.active_params_b,
                                                                               o.batch),
                     "eco_batch_devices": 3.6e6 * o.devices * eco.gpu_energy_per_token_kwh(
                         o.active_params_b, o.batch),
                     "eco_64": 3.6e6 * n_own * eco.gpu_energy_per_token_kwh(o.active_params_b),
                     "near_64": 48 <= o.batch <= 80})
    out: dict[str, Any] = {}
    for name, sel in (("all_h100", lambda r: r["h100"]),
                      ("ecologits_fit_subset", lambda r: r["ecologits_subset"]),
                      ("h100_batch_48_80", lambda r: r["h100"] and r["near_64"])):
        rs = [r for r in rows if sel(r)]
        meas = np.array([r["meas"] for r in rs])
        out[name] = {
            "points": len(rs),
            "wattprint_heldout_by_family": _summary(np.array([r["ours"] for r in rs]), meas),
            "ecologits_at_measured_batch": _summary(np.array([r["eco_batch"] for r in rs]), meas),
            "ecologits_at_measured_batch_and_gpus":
                _summary(np.array([r["eco_batch_devices"] for r in rs]), meas),
            "ecologits_at_batch_64": _summary(np.array([r["eco_64"] for r in rs]), meas)}
    return out


COMPARE = (("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-3-5-sonnet", "anthropic"),
           ("mistral-large-2", "mistralai"), ("meta-llama/Llama-3.1-70B-Instruct", "openai"))
TOKENS = ((100, 100), (500, 500), (2000, 300))


def comparison_table() -> list[dict[str, Any]]:
    """wattprint and EcoLogits' formula on the same named models and token counts."""
    fit = reference_fit()
    rows = []
    for model, prov in COMPARE:
        for n_in, n_out in TOKENS:
            e = estimate_llm(LlmRequest(model, n_in, n_out, provider=prov), fit)
            imp = request_impacts(e, lookup_country("US"))
            f = imp.ecologits_formula
            rows.append({
                "model": model, "provider_assumed": prov, "input_tokens": n_in,
                "output_tokens": n_out,
                "wattprint_gpu_wh": [e.energy.low_j / 3600, e.energy.central_j / 3600,
                                     e.energy.high_j / 3600],
                "wattprint_facility_wh": [imp.facility_energy.low_j / 3600,
                                          imp.facility_energy.central_j / 3600,
                                          imp.facility_energy.high_j / 3600],
                "ecologits_gpu_wh": [1000 * x for x in f.gpu_energy_kwh.to_list()],
                "ecologits_facility_wh": [1000 * x for x in f.energy_kwh.to_list()],
                "pue": imp.pue.to_list()})
    return rows


# --------------------------------------------------------------------------- local serving
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _transformers_cli() -> str:
    exe = Path(sys.executable).with_name("transformers")
    if not exe.exists():
        raise SystemExit("the transformers CLI is not installed beside this Python")
    return str(exe)


def _build(folder: Path, size: str) -> Path:
    from wattprint.serving import zoo_lm

    for k, v in EXTRA_SIZES.items():
        zoo_lm.SIZES.setdefault(k, v)
    return zoo_lm.build_chat_lm(folder / size, size)


def measure_local(work: Path, sizes: list[str], scale: float, output_len: int) -> Path:
    """Serve each size and measure it with ``wattprint load``; returns the store path."""
    store = work / "local.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    cli = _transformers_cli()
    for size in sizes:
        model = _build(work / "models", size)
        port = _free_port()
        launch = (f"env HF_HUB_OFFLINE=1 {cli} serve {model} --continuous-batching "
                  f"--cb-block-size 32 --cb-num-blocks 256 --cb-max-batch-tokens 512 "
                  f"--device cpu --host 127.0.0.1 --port {port}")
        cmd = [sys.executable, "-m", "wattprint", "load", "--endpoint",
               f"http://127.0.0.1:{port}", "--model", str(model), "--launch", launch,
               "--concurrency", "1", "--concurrency", "2", "--concurrency", "4",
               "--requests", str(max(4, round(REQUESTS.get(size, 40) * scale))),
               "--output-len", str(output_len), "--idle", "0",
               "--max-lag", "1.0", "--store", str(store)]
        t0 = time.monotonic()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
        print(f"  {size}: exit {p.returncode} after {time.monotonic() - t0:.0f} s", flush=True)
        (work / f"load-{size}.log").write_text(p.stdout + p.stderr)
    return store


def local_section(store: Path) -> dict[str, Any]:
    """Leave-one-model-out predictions of the locally measured points."""
    from wattprint.estimates.store_points import observations_from_points
    from wattprint.results.serving_store import read_points
    from wattprint.results.store import ResultStore

    with ResultStore(store, read_only=True) as s:
        points = read_points(s)
    conv = observations_from_points(points, {})
    obs = list(conv.observations)
    by_point = {f"store:{p.run_id}/{p.point_id}": p for p in points}
    models = sorted({o.model for o in obs})
    rows = []
    for held in models:
        train = [o for o in obs if o.model != held]
        if len({o.model for o in train}) < 2:
            continue
        fit = fit_llm(train, group_label="model", data_version="local", sources=())
        for o in (o for o in obs if o.model == held):
            q = Query(o.hardware, o.devices, o.active_params_b, o.total_params_b,
                      o.bytes_per_param, o.batch, o.output_len)
            pred = fit.j_per_output_token(q)
            p = by_point[o.source]
            n_out = round(o.output_len)
            est = estimate_llm(LlmRequest(o.model, 0, n_out, hardware=(o.hardware,),
                                          batch=Range(o.batch, o.batch), devices=1,
                                          active_params_b=Range(o.active_params_b,
                                                                o.active_params_b),
                                          bytes_per_param=Range(o.bytes_per_param,
                                                                o.bytes_per_param)), fit)
            rows.append({
                "model": Path(held).name, "params_m": o.active_params_b * 1e3,
                "arrivals": p.arrivals, "batch": o.batch,
                "measured_j_per_token": o.j_per_output_token, "predicted_j_per_token": pred,
                "factor_90": fit.holdout.factor(0.9),
                "inside_90": abs(math.log(pred / o.j_per_output_token))
                <= math.log(fit.holdout.factor(0.9)),
                "measured_j_per_request": p.j_per_request,
                "predicted_j_per_request": est.energy.central_j,
                "request_interval_j": [est.energy.low_j, est.energy.high_j],
                "fit_terms": list(fit.terms), "fit_heldout_median_abs_rel":
                    fit.holdout.median_abs_rel})
    meas = np.array([r["measured_j_per_token"] for r in rows])
    pred = np.array([r["predicted_j_per_token"] for r in rows])
    rq_m = np.array([r["measured_j_per_request"] or np.nan for r in rows])
    rq_p = np.array([r["predicted_j_per_request"] for r in rows])
    ok = ~np.isnan(rq_m)
    return {"points_stored": len(points), "points_used": len(obs),
            "skipped": [list(s) for s in conv.skipped],
            "energy_provenance": sorted({o.energy_provenance for o in obs}),
            "hardware": sorted({o.hardware for o in obs}),
            "models": {Path(m).name: next(o.active_params_b * 1e3 for o in obs if o.model == m)
                       for m in models},
            "per_token": _summary(pred, meas) if rows else None,
            "per_request": _summary(rq_p[ok], rq_m[ok]) if ok.any() else None,
            "coverage_90": float(np.mean([r["inside_90"] for r in rows])) if rows else None,
            "rows": rows}


# --------------------------------------------------------------------------- report
def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _wh(v: list[float]) -> str:
    return f"{v[1]:.3g} [{v[0]:.2g}-{v[2]:.2g}]" if len(v) == 3 else f"{v[0]:.3g}-{v[1]:.3g}"


def markdown(res: dict[str, Any]) -> str:
    """The results as Markdown."""
    r = res["reference"]
    h = r["heldout_by_family"]
    lines = [f"# LLM energy estimate: held-out error ({res['date']})", "",
             f"Reference: {r['data_version']}, {r['points']} points, {r['families']} families; "
             f"terms {', '.join(r['terms'])}.", "",
             "## 1. Each family predicted by a fit that never saw it", "",
             f"median |error| {_pct(h['median_abs_rel'])}, p90 {_pct(h['p90_abs_rel'])}, "
             f"rmse(ln) {h['rmse_log']:.3f}; 90 % interval x/÷ {h['interval_factor_90']:.2f}", "",
             "Nested coverage (family out of the fit *and* of the interval's calibration): "
             + ", ".join(f"stated {float(k):.0%}: {_pct(v)}" for k, v in
                         r["nested_coverage"].items()), "",
             "| family | points | models | median error | bias ln(pred/meas) | 90 % coverage |",
             "| --- | --- | --- | --- | --- | --- |"]
    for fam, f in r["per_family"].items():
        lines.append(f"| {fam} | {f['points']} | {f['models']} | {_pct(f['median_abs_rel'])} | "
                     f"{f['bias_log']:+.2f} | {_pct(f['coverage_90'])} |")
    lines += ["", "## 2. EcoLogits' formula against the same measurements (GPU J per output "
              "token)", "",
              "| subset | points | wattprint (held out) | EcoLogits, measured batch | "
              "EcoLogits, measured batch and GPUs | EcoLogits, batch 64 |",
              "| --- | --- | --- | --- | --- | --- |"]
    for name, s in res["ecologits"].items():
        def cell(k: str) -> str:
            x = s[k]
            return (f"median {_pct(x['median_abs_rel'])}, ratio {x['median_ratio']:.2f}, "
                    f"within 2x {_pct(x['within_2x'])}")
        lines.append(f"| {name} | {s['points']} | {cell('wattprint_heldout_by_family')} | "
                     f"{cell('ecologits_at_measured_batch')} | "
                     f"{cell('ecologits_at_measured_batch_and_gpus')} | "
                     f"{cell('ecologits_at_batch_64')} |")
    lines += ["", "(median |error|, median ratio predicted/measured, share within a factor 2)",
              "", "## 3. Named models, US grid, provider PUE (Wh per request)", "",
              "| model | in/out tokens | wattprint GPU: central [90 %] | EcoLogits GPU | "
              "wattprint facility | EcoLogits facility |", "| --- | --- | --- | --- | --- | --- |"]
    for row in res["comparison"]:
        lines.append(f"| {row['model']} | {row['input_tokens']}/{row['output_tokens']} | "
                     f"{_wh(row['wattprint_gpu_wh'])} | {_wh(row['ecologits_gpu_wh'])} | "
                     f"{_wh(row['wattprint_facility_wh'])} | {_wh(row['ecologits_facility_wh'])} |")
    loc = res.get("local")
    lines += ["", "## 4. Local models served and measured here, each predicted by a fit on the "
              "others", ""]
    if not loc:
        lines.append("Not run (`--local`).")
    else:
        lines += [f"Machine: {res['machine']}. Energy provenance of the measurements: "
                  f"{', '.join(loc['energy_provenance'])} (no energy counter here: wattprint's "
                  "CPU+RAM estimate of the whole machine, which other processes also load).", "",
                  f"Models (M parameters): {', '.join(f'{k} {v:.3g}' for k, v in loc['models'].items())}; "
                  f"{loc['points_used']} of {loc['points_stored']} points usable.", ""]
        if loc["per_token"]:
            t, q = loc["per_token"], loc["per_request"]
            lines += [f"J per output token: median |error| {_pct(t['median_abs_rel'])}, p90 "
                      f"{_pct(t['p90_abs_rel'])}, median ratio {t['median_ratio']:.2f}; 90 % "
                      f"interval coverage {_pct(loc['coverage_90'])}.",
                      "" if not q else f"J per request: median |error| "
                      f"{_pct(q['median_abs_rel'])}, median ratio {q['median_ratio']:.2f}.", "",
                      "| held-out model | load | batch | measured J/token | predicted | "
                      "inside 90 % |", "| --- | --- | --- | --- | --- | --- |"]
            for row in loc["rows"]:
                lines.append(f"| {row['model']} ({row['params_m']:.3g} M) | {row['arrivals']} | "
                             f"{row['batch']:.2f} | {row['measured_j_per_token']:.4g} | "
                             f"{row['predicted_j_per_token']:.4g} | "
                             f"{'yes' if row['inside_90'] else 'no'} |")
        for pid, why in loc["skipped"]:
            lines.append(f"- skipped {pid}: {why}")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the sections and write the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--local", action="store_true", help="also serve and measure local models")
    ap.add_argument("--sizes", default="tiny,small,medium,large")
    ap.add_argument("--requests-scale", type=float, default=1.0,
                    help="multiply the requests per load point (REQUESTS) by this")
    ap.add_argument("--output-len", type=int, default=32)
    ap.add_argument("--store", type=Path, help="reuse a store measured before (skips serving)")
    args = ap.parse_args()
    res: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.node()}, {os.cpu_count()} "
        f"CPUs, load average {os.getloadavg()[0]:.2f}",
        "reference": reference_section(), "ecologits": ecologits_section(),
        "comparison": comparison_table()}
    if args.local or args.store:
        store = args.store
        if store is None:
            work = Path(tempfile.mkdtemp(prefix="wattprint-llm-bench-"))
            print(f"serving and measuring in {work}", flush=True)
            store = measure_local(work, args.sizes.split(","), args.requests_scale,
                                  args.output_len)
        res["local"] = local_section(store)
        res["local"]["store"] = str(store)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "llm_estimate.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    (out / "llm_estimate.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
