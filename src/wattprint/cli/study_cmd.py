"""``wattprint study reproduce DIR``: the study's tables, regenerated from its raw logs."""

from __future__ import annotations

import argparse
from typing import Any

from wattprint.cli.common import help_of, print_json
from wattprint.cli.store_cmd import add_store_arg


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wattprint study``."""
    p = sub.add_parser("study", help="the Power Hungry Processing study (Luccioni et al. 2023)")
    ssub = p.add_subparsers(dest="study_cmd", metavar="ACTION")
    r = ssub.add_parser("reproduce", help="import the study's CodeCarbon logs and regenerate "
                                          "Tables 2-5 and the findings the paper does not state")
    r.add_argument("dir", metavar="DIR", help="the study's repository folder (sashavor/"
                                             "co2_inference layout: data/emissions/base ...)")
    add_store_arg(r)
    r.add_argument("--no-store", action="store_true", help="compute only; store nothing")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=_reproduce)
    p.set_defaults(func=help_of(p))


def _reproduce(args: argparse.Namespace) -> int:
    from wattprint.results.store import ResultStore
    from wattprint.results.study import load_study, reproduce

    data = load_study(args.dir)
    out = reproduce(data)
    stored = None
    if not args.no_store:
        with ResultStore(args.store) as s:
            s.begin_run("study:co2_inference", "power-hungry-processing",
                        {"command": "study reproduce", "dir": str(args.dir)}, {})
            new = s.write_many(data.records)
            stored = {"path": str(s.path), "new": new, "records": len(data.records)}
    out["store"] = stored
    out["errors"] = [str(e) for e in data.errors]
    if args.json:
        print_json(out)
    else:
        _print_rich(out)
    return 1 if data.errors else 0


def _fmt(x: Any, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def _print_rich(out: dict[str, Any]) -> None:
    import sys

    from rich.table import Table

    from wattprint.cli.common import console, text

    con = console(width=None if sys.stdout.isatty() else 200)
    t = Table(title="Table 2 · kWh per 1,000 queries per task (query phase; CodeCarbon total "
                    "= measured GPU + estimated CPU/RAM, as the paper)")
    for col in ("task", "mean", "std", "paper mean", "paper std", "min run", "max run",
                "median", "GPU-only mean", "g CO2eq", "models", "runs"):
        t.add_column(col, justify="left" if col == "task" else "right")
    for task, v in out["table2"].items():
        t.add_row(text(task), _fmt(v["mean_kwh"], ".5f"), _fmt(v["std_kwh"], ".5f"),
                  _fmt(v["paper_mean_kwh"], "g"), _fmt(v["paper_std_kwh"], "g"),
                  _fmt(v["min_kwh"], ".5f"), _fmt(v["max_kwh"], ".5f"),
                  _fmt(v["median_kwh"], ".5f"), _fmt(v["gpu_mean_kwh"], ".5f"),
                  _fmt(v["mean_g_co2eq"], ".2f"), str(v["n_models"]), str(v["n_runs"]))
    con.print(t)

    t = Table(title="Table 3 · multi-purpose models, per 1,000 queries (9 datasets × 10 runs)")
    for col in ("model", "params", "kWh", "g CO2eq", "paper kWh", "paper g", "sentiment g",
                "QA g", "summarization g"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for model, v in out["table3"].items():
        pt = v["per_task"]
        t.add_row(text(model), _fmt(v["params"], ".3g"), _fmt(v["kwh"], ".4f"), _fmt(v["g_co2eq"], ".2f"),
                  _fmt(v["paper_kwh"], "g"), _fmt(v["paper_g_co2eq"], ".2f"),
                  *(_fmt(pt.get(k, {}).get("g_co2eq"), ".2f")
                    for k in ("sentiment", "extractive QA", "summarization")))
    con.print(t)

    t4 = out["table4"]
    models = sorted({r["model"] for r in t4["rows"]})
    t = Table(title="Table 4 · mean output tokens (and g CO2eq per 1,000 queries)")
    t.add_column("dataset")
    t.add_column("input", justify="right")
    for m in models:
        t.add_column(text(m.split("/")[-1]), justify="right")
    cell = {(r["dataset"], r["model"]): r for r in t4["rows"]}
    for ds, inp in t4["input_tokens"].items():
        t.add_row(text(ds), f"{inp:.2f}", *(
            f"{cell[(ds, m)]['output_tokens']:.2f} ({_fmt(cell[(ds, m)]['g_co2eq'], '.2f')})"
            if (ds, m) in cell else "—" for m in models))
    con.print(t)
    for fam, f in t4["summarization_fit"].items():
        con.print(text(f"  summarization fit, {fam}: {f['g_per_token']:.2f} g CO2eq per output "
                       f"token (r = {f['r']:.2f}, {f['n_points']} points)"))

    t = Table(title="Table 5 · training vs inference (training/fine-tuning: published inputs)")
    for col in ("model", "training kWh", "fine-tuning kWh", "kWh per query", "parity (inferences)",
                "parity at 2 s.f. per-query"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for model, v in out["table5"].items():
        t.add_row(text(model), f"{v['training_kwh']:,.0f}", f"{v['finetuning_kwh']:,.0f}",
                  f"{v['inference_kwh_per_query']:.3g}", f"{v['parity_inferences']:,.0f}",
                  f"{v['parity_inferences_2sf']:,.0f}")
    con.print(t)
    if out["table5"]:
        con.print(text(f"  source: {next(iter(out['table5'].values()))['source']}"))

    con.print("\n[bold]What the logs show that the paper does not say[/bold]")
    for f in out["findings"]:
        con.print(text("• "), text(f["title"], "bold"), sep="")
        con.print(text(f"  {_summary(f)}"))
    if out.get("store"):
        s = out["store"]
        con.print(text(f"\nstored {s['new']} new of {s['records']} records in {s['path']}"))
    for e in out.get("errors", []):
        con.print(text("error:", "red"), text(e), soft_wrap=True)


def _summary(f: dict[str, Any]) -> str:
    v = f["value"]
    fid = f["id"]
    if fid == "intensity":
        return (f"{v['runs_at_that_value']} of {v['runs']} query rows have emissions/energy = "
                f"{v['implied_g_per_kwh']:.2f} g/kWh; at {v['paper_text_g_per_kwh']} every gram "
                f"would be ×{v['factor_if_297_6_were_used']:.2f}. Regions: {v['runs_per_region']}")
    if fid == "whole-node":
        return (f"gpu_count = {v['gpu_count_values']} ({', '.join(v['gpu_models'])}); text "
                f"classification averages {v['text_classification_mean_gpu_power_w']:.0f} W over "
                f"the GPUs = {v['per_gpu_w']:.0f} W per GPU. Energy split GPU "
                f"{v['gpu_share_of_energy']:.0%} · RAM {v['ram_share_of_energy']:.0%} · CPU "
                f"{v['cpu_share_of_energy']:.0%}")
    if fid == "constant-cpu":
        return (f"{v['n_distinct']} distinct cpu_power value(s): {v['distinct_cpu_power_w']} W "
                f"(CodeCarbon fallback: {v['codecarbon_fallback_w']} W)")
    if fid == "constant-ram":
        return (f"{v['n_distinct']} distinct ram_power value(s): {v['distinct_ram_power_w']} W; "
                f"3 W/8 GB × {v['ram_total_size_gb']} GB = {v['three_w_per_8gb_w']} W")
    if fid == "energy-is-time":
        return (f"corr(duration, energy) = {v['corr_duration_energy']:.4f}; mean power "
                f"{v['mean_power_kw_min']:.2f}–{v['mean_power_kw_max']:.2f} kW "
                f"(median {v['mean_power_kw_median']:.2f})")
    if fid == "query-phase-only":
        return (f"text classification: query {v['text_classification_query_mean_kwh']:.4f} kWh "
                f"vs per-run total {v['text_classification_per_run_total_mean_kwh']:.4f} "
                f"(load {v['text_classification_load_mean_kwh']:.4f})")
    if fid == "vision-resized":
        return "; ".join(f"{t}: 640×480 {x['resized_640x480_mean_kwh']:.4f} vs native "
                         f"{_fmt(x['native_mean_kwh'], '.4f')} kWh" for t, x in v.items())
    if fid == "model-lists":
        ren = ", ".join(f"{r['runs']} runs logged as {r['base_log_project']} are labelled "
                        f"{r['complete_file_model']} in the complete files"
                        for r in v["renamed_runs"])
        return (f"text-to-image: {v['text_to_image_models_in_logs']} models in the logs, mean "
                f"{v['text_to_image_mean_all_models_kwh']:.3f} kWh vs "
                f"{v['text_to_image_mean_paper_models_kwh']:.3f} with the paper's 8; renamed: "
                f"{ren or 'none'}; {v['runs_not_in_complete_files']} runs in no complete file "
                f"({len(v['models_only_in_unlisted_runs'])} models only there)")
    if fid == "ethics-total":
        return (f"GPU energy over all rows {v['gpu_energy_all_rows_kwh']:.2f} kWh; all energy "
                f"{v['total_energy_all_rows_kwh']:.2f} kWh; emissions "
                f"{v['total_emissions_all_rows_kg']:.2f} kg (paper: {v['paper_statement']})")
    return str(v)
