"""``wattprint estimate llm`` and ``wattprint estimate fit``: estimate the energy of an LLM
request that cannot be measured, from a model fitted on measured serving sweeps
(docs/estimates.md). The ``estimate`` group itself (and ``estimate cpu``) lives in
:mod:`wattprint.cli.meters_cmd`, which calls :func:`register` for these two.

The logic lives in :mod:`wattprint.estimates`; this module parses, calls and prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from wattprint.cli.common import positive_int, print_json

LEVELS = ("0.5", "0.8", "0.9", "0.95")
DEFAULT_FIT_FILE = "wattprint-llm-fit.json"


def token_count(text: str) -> int:
    """argparse type: a whole number of tokens >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of tokens, got {text!r}") \
            from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of tokens >= 0, got {text!r}")
    return value


def value_range(text: str) -> tuple[float, float]:
    """argparse type: ``N`` or ``LOW:HIGH``, numbers > 0 with LOW <= HIGH."""
    parts = text.split(":")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or LOW:HIGH (numbers), got {text!r}") \
            from None
    if len(nums) not in (1, 2) or not all(0 < n < float("inf") for n in nums) \
            or nums[0] > nums[-1]:
        raise argparse.ArgumentTypeError(f"expected N or LOW:HIGH with 0 < LOW <= HIGH, "
                                         f"got {text!r}")
    return nums[0], nums[-1]


def register(esub: argparse._SubParsersAction) -> None:
    """Add ``llm`` and ``fit`` to the ``estimate`` group's subparsers."""
    p = esub.add_parser(
        "llm", help="energy of one LLM request to a model that cannot be measured (an API)",
        description="Estimate the energy (and usage carbon) of one request of N input and M "
        "output tokens, with an interval, from a model fitted on measured serving sweeps "
        "(ML.ENERGY Leaderboard v3 shipped; your own with --fit). Provenance: estimated. "
        "Output fields are compatible with EcoLogits' (impacts.energy min/max in kWh).")
    p.add_argument("--model", required=True, metavar="NAME",
                   help="model name: an API model (gpt-4o, claude-3-5-sonnet, mistral-large-2 ...) "
                   "or an open one (meta-llama/Llama-3.1-70B-Instruct); others need --active-params")
    p.add_argument("--input-tokens", required=True, type=token_count, metavar="N")
    p.add_argument("--output-tokens", required=True, type=token_count, metavar="M")
    p.add_argument("--provider", metavar="P",
                   help="openai, anthropic, mistralai, google: PUE, grid and hardware assumptions")
    p.add_argument("--hardware", metavar="H[,H]",
                   help="hardware to assume (H100, B200, or a key of your fit); default: the "
                   "provider's, else every hardware of the fit")
    p.add_argument("--batch", type=value_range, metavar="B|LO:HI",
                   help="requests decoding together (default 16:256, central 64)")
    p.add_argument("--devices", type=positive_int, metavar="N",
                   help="accelerators serving the model (default: fewest that hold the weights)")
    p.add_argument("--active-params", type=value_range, metavar="B|LO:HI",
                   help="active parameters, billions (required for a model not in the tables)")
    p.add_argument("--total-params", type=value_range, metavar="B|LO:HI",
                   help="total parameters, billions (mixture of experts; default: active)")
    p.add_argument("--bytes-per-param", type=value_range, metavar="N|LO:HI",
                   help="bytes per weight: 2 bf16, 1 fp8, 0.5 4-bit")
    p.add_argument("--fit", metavar="FILE",
                   help="a fit written by `wattprint estimate fit` (default: the shipped fit "
                   "on ML.ENERGY v3)")
    p.add_argument("--level", choices=LEVELS, default="0.9",
                   help="coverage of the interval (default: %(default)s)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--country", metavar="CODE", help="grid country (ISO code or name)")
    where.add_argument("--region", metavar="CODE", help="US eGRID subregion or state, or EU")
    where.add_argument("--cloud", metavar="PROVIDER:REGION", help="cloud region, e.g. aws:us-east-1")
    where.add_argument("--intensity", metavar="G_PER_KWH", help="grid intensity, g CO2eq/kWh")
    p.add_argument("--pue", metavar="P", help="PUE (default: the provider's, else 1.0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_estimate_llm)

    f = esub.add_parser(
        "fit", help="refit the LLM energy model on your own stored serving points",
        description="Fit the LLM energy model on the serving points `wattprint load` stored, "
        "hold out each model in turn to measure the error, and write a versioned fit file "
        "for `wattprint estimate llm --fit FILE`.")
    from wattprint.cli.store_cmd import add_store_arg

    add_store_arg(f)
    f.add_argument("--params", metavar="CSV",
                   help="model sizes: CSV with model,active_params_b[,total_params_b,"
                   "bytes_per_param] (default: shipped tables, then local safetensors)")
    f.add_argument("--run-id", metavar="ID", help="only this run's points")
    f.add_argument("--suite", metavar="NAME", help="only this suite's points")
    f.add_argument("--with-reference", action="store_true",
                   help="fit your points together with the shipped ML.ENERGY v3 points")
    f.add_argument("--out", default=DEFAULT_FIT_FILE, metavar="FILE",
                   help="fit file to write (default: %(default)s)")
    f.add_argument("--json", action="store_true", help="print the fit as JSON")
    f.set_defaults(func=cmd_estimate_fit)


def _range(v: tuple[float, float] | None) -> Any:
    from wattprint.estimates.catalog import Range

    return None if v is None else Range(v[0], v[1])


def cmd_estimate_llm(args: argparse.Namespace) -> int:
    """Handler of ``wattprint estimate llm``."""
    from wattprint.carbon.emissions import check_pue
    from wattprint.carbon.intensity import resolve_intensity
    from wattprint.estimates.catalog import Range
    from wattprint.estimates.impacts import request_impacts
    from wattprint.estimates.llm import LlmRequest, estimate_llm
    from wattprint.estimates.model_file import read_fit
    from wattprint.estimates.reference import reference_fit

    fit = read_fit(args.fit) if args.fit else reference_fit()
    req = LlmRequest(
        model=args.model, input_tokens=args.input_tokens, output_tokens=args.output_tokens,
        provider=args.provider,
        hardware=tuple(h.strip() for h in args.hardware.split(",") if h.strip())
        if args.hardware else (),
        batch=_range(args.batch), devices=args.devices,
        active_params_b=_range(args.active_params), total_params_b=_range(args.total_params),
        bytes_per_param=_range(args.bytes_per_param), level=float(args.level))
    est = estimate_llm(req, fit, fit_file=args.fit)
    intensity = resolve_intensity(country=args.country, region=args.region, cloud=args.cloud,
                                  intensity_g_per_kwh=args.intensity)
    if args.country is None and args.region is None and args.cloud is None \
            and args.intensity is None and est.provider is not None:
        intensity = resolve_intensity(country=est.provider.country)
    pue = None
    if args.pue is not None:
        v = check_pue(args.pue)
        pue = Range(v, v)
    imp = request_impacts(est, intensity, pue, "--pue" if pue else "")
    if args.json:
        print_json(imp.to_dict())
        return 0
    _print_llm(imp.to_dict())
    return 0


def _j(v: float) -> str:
    for unit, scale in (("MJ", 1e6), ("kJ", 1e3), ("J", 1.0)):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v * 1e3:.3g} mJ"


def _print_llm(d: dict[str, Any]) -> None:
    out = sys.stdout
    a, f = d["assumptions"], d["fit"]
    via = f" via {d['provider']}" if d["provider"] else ""
    out.write(f"{d['model']}{via}: {d['input_tokens']} input + {d['output_tokens']} output "
              "tokens\n")
    out.write(f"  energy ({d['provenance']}, {d['boundary']}): {_j(d['energy_j'])} "
              f"({d['energy_kwh'] * 1e3:.3g} Wh); {d['interval_level']:.0%} interval "
              f"{_j(d['energy_low_j'])} - {_j(d['energy_high_j'])}\n")
    out.write(f"    decode {_j(d['decode']['j'])} ({d['j_per_output_token']:.3g} J/output "
              f"token), prefill {_j(d['prefill']['j'])}")
    if d["host"]:
        out.write(f", host +{_j(d['host']['j'])}")
    out.write("\n")
    c = d["carbon"]
    pue = "-".join(f"{x:g}" for x in sorted(set(c["pue"])))
    out.write(f"  facility energy (PUE {pue}): {_j(d['facility_energy']['j'])}; usage "
              f"{c['gwp_usage_g']['j']:.3g} g CO2eq ({c['gwp_usage_g']['low_j']:.3g} - "
              f"{c['gwp_usage_g']['high_j']:.3g}) at {c['intensity']['value_g_per_kwh']:g} "
              f"g/kWh ({c['intensity']['label']})\n")
    out.write(f"  assumptions: {a['model_kind']} model, active {_rng(a['active_params_b'])} B, "
              f"total {_rng(a['total_params_b'])} B, {_rng(a['bytes_per_param'])} bytes/param; "
              f"hardware {'|'.join(a['hardware'])}, batch {_rng(a['batch'])}, "
              f"{a['devices_central']} device(s)\n")
    for s in a["sources"]:
        out.write(f"    source: {s}\n")
    out.write(f"  fit: {f['method']} on {f['n_points']} points ({d['data_version']}); held out "
              f"by {f['holdout_by']}: median error {f['heldout_median_abs_rel']:.0%}, p90 "
              f"{f['heldout_p90_abs_rel']:.0%}\n")
    e = d["ecologits_formula"]
    out.write(f"  EcoLogits' formula on the same inputs (batch 64, PUE and server included): "
              f"{_rng([x * 1e3 for x in e['energy_kwh']])} Wh\n")
    for w in d["warnings"]:
        out.write(f"  warning: {w}\n")


def _rng(v: list[float]) -> str:
    return f"{v[0]:.3g}" if v[0] == v[1] else f"{v[0]:.3g}-{v[1]:.3g}"


def cmd_estimate_fit(args: argparse.Namespace) -> int:
    """Handler of ``wattprint estimate fit``."""
    from wattprint.errors import ConfigError
    from wattprint.estimates.fit import fit_llm
    from wattprint.estimates.model_file import to_dict, write_fit
    from wattprint.estimates.observations import reference_data
    from wattprint.estimates.params import read_params_file
    from wattprint.estimates.store_points import observations_from_points
    from wattprint.results.serving_store import read_points
    from wattprint.results.store import ResultStore

    sizes = read_params_file(args.params) if args.params else {}
    with ResultStore(args.store, read_only=True) as store:
        points = read_points(store, run_id=args.run_id, suite=args.suite)
        where = str(store.path)
    conv = observations_from_points(points, sizes)
    for pid, why in conv.skipped:
        print(f"skipped {pid}: {why}", file=sys.stderr)
    obs = list(conv.observations)
    if len(obs) < 3:
        raise ConfigError(f"{where}: {len(obs)} usable serving point(s) of {len(points)} "
                          "stored; a fit needs at least 3 (measure more with `wattprint load`)")
    version = f"store:{Path(where).name}:{len(obs)} points"
    sources = [f"wattprint serving points in {where} ({len(obs)} of {len(points)})"]
    group = "model"
    if args.with_reference:
        ref = reference_data()
        obs += ref.observations
        version += f"+{ref.version}"
        sources.append(f"{ref.meta['name']} @ {ref.meta['source_commit'][:7]}")
        group = "model/family"
    model = fit_llm(obs, group_label=group, data_version=version, sources=sources)
    path = write_fit(model, args.out)
    if args.json:
        print_json(to_dict(model))
        return 0
    h = model.holdout
    print(f"fitted {model.n_points} points ({len(model.models)} models) on "
          + ", ".join(f"{k} ({v.points} points, {v.boundary}, energy "
                      f"{'/'.join(sorted(v.energy_provenance))})"
                      for k, v in model.hardware.items()))
    print(f"  terms: {', '.join(model.terms)}")
    print(f"  held out by {h.by} ({h.groups} groups): median error {h.median_abs_rel:.0%}, p90 "
          f"{h.p90_abs_rel:.0%}, rmse(ln) {h.rmse_log:.3f}; 90 % interval x/÷ "
          f"{h.factor(0.9):.3g}")
    print(f"  written to {path} (use: wattprint estimate llm --fit {path} ...)")
    return 0
