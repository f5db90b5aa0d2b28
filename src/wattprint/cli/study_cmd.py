"""``wattprint study reproduce DIR``: the study's tables, regenerated from its raw logs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from wattprint.cli.common import help_of, print_json
from wattprint.cli.store_cmd import add_store_arg

if TYPE_CHECKING:
    from wattprint.analysis.study_tables import StudyReproduction


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
    from wattprint.analysis.study_tables import reproduce
    from wattprint.results.store import ResultStore
    from wattprint.results.study import load_study

    data = load_study(args.dir)
    rep = reproduce(data)
    stored = None
    if not args.no_store:
        with ResultStore(args.store) as s:
            s.begin_run("study:co2_inference", "power-hungry-processing",
                        {"command": "study reproduce", "dir": str(args.dir)}, {})
            new = s.write_many(data.records)
            stored = {"path": str(s.path), "new": new, "records": len(data.records)}
    errors = [str(e) for e in data.errors]
    if args.json:
        print_json({**rep.to_dict(), "store": stored, "errors": errors})
    else:
        _print_rich(rep, stored, errors)
    return 1 if data.errors else 0


def _fmt(x: Any, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def _print_rich(rep: StudyReproduction, stored: dict[str, Any] | None,
                errors: list[str]) -> None:
    import sys

    from rich.table import Table

    from wattprint.cli.common import console, text

    con = console(width=None if sys.stdout.isatty() else 200)
    t = Table(title="Table 2 · kWh per 1,000 queries per task (query phase; CodeCarbon total "
                    "= measured GPU + estimated CPU/RAM, as the paper)")
    for col in ("task", "mean", "std", "paper mean", "paper std", "min run", "max run",
                "median", "GPU-only mean", "g CO2eq", "models", "runs"):
        t.add_column(col, justify="left" if col == "task" else "right")
    for task, v in rep.table2.items():
        t.add_row(text(task), _fmt(v.mean_kwh, ".5f"), _fmt(v.std_kwh, ".5f"),
                  _fmt(v.paper_mean_kwh, "g"), _fmt(v.paper_std_kwh, "g"),
                  _fmt(v.min_kwh, ".5f"), _fmt(v.max_kwh, ".5f"),
                  _fmt(v.median_kwh, ".5f"), _fmt(v.gpu_mean_kwh, ".5f"),
                  _fmt(v.mean_g_co2eq, ".2f"), str(v.n_models), str(v.n_runs))
    con.print(t)

    t = Table(title="Table 3 · multi-purpose models, per 1,000 queries (9 datasets × 10 runs)")
    for col in ("model", "params", "kWh", "g CO2eq", "paper kWh", "paper g", "sentiment g",
                "QA g", "summarization g"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for model, m in rep.table3.items():
        pt = m.per_task
        t.add_row(text(model), _fmt(m.params, ".3g"), _fmt(m.kwh, ".4f"),
                  _fmt(m.g_co2eq, ".2f"), _fmt(m.paper_kwh, "g"), _fmt(m.paper_g_co2eq, ".2f"),
                  *(_fmt(pt[k].g_co2eq if k in pt else None, ".2f")
                    for k in ("sentiment", "extractive QA", "summarization")))
    con.print(t)

    t4 = rep.table4
    models = sorted({r.model for r in t4.rows})
    t = Table(title="Table 4 · mean output tokens (and g CO2eq per 1,000 queries)")
    t.add_column("dataset")
    t.add_column("input", justify="right")
    for name in models:
        t.add_column(text(name.split("/")[-1]), justify="right")
    cell = {(r.dataset, r.model): r for r in t4.rows}
    for ds, inp in t4.input_tokens.items():
        t.add_row(text(ds), f"{inp:.2f}", *(
            f"{cell[(ds, name)].output_tokens:.2f} ({_fmt(cell[(ds, name)].g_co2eq, '.2f')})"
            if (ds, name) in cell else "—" for name in models))
    con.print(t)
    for fam, fit in t4.summarization_fit.items():
        con.print(text(f"  summarization fit, {fam}: {fit.g_per_token:.2f} g CO2eq per output "
                       f"token (r = {fit.r:.2f}, {fit.n_points} points)"))

    t = Table(title="Table 5 · training vs inference (training/fine-tuning: published inputs)")
    for col in ("model", "training kWh", "fine-tuning kWh", "kWh per query", "parity (inferences)",
                "parity at 2 s.f. per-query"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for model, r5 in rep.table5.items():
        t.add_row(text(model), f"{r5.training_kwh:,.0f}", f"{r5.finetuning_kwh:,.0f}",
                  f"{r5.inference_kwh_per_query:.3g}", f"{r5.parity_inferences:,.0f}",
                  f"{r5.parity_inferences_2sf:,.0f}")
    con.print(t)
    if rep.table5:
        con.print(text(f"  source: {next(iter(rep.table5.values())).source}"))

    con.print("\n[bold]What the logs show that the paper does not say[/bold]")
    for f in rep.findings:
        con.print(text("• "), text(f.title, "bold"), sep="")
        con.print(text(f"  {f.summary()}"))
    if stored:
        con.print(text(f"\nstored {stored['new']} new of {stored['records']} records in "
                       f"{stored['path']}"))
    for e in errors:
        con.print(text("error:", "red"), text(e), soft_wrap=True)
