"""``wattprint carbon``, ``wattprint carbon regions`` and ``wattprint parity``.

The shared flag helpers live in :mod:`wattprint.cli.carbon_options` and are re-exported here.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wattprint.cli.carbon_options import (
    add_carbon_arguments,
    carbon_from_args,
    carbon_json,
    format_carbon_lines,
    parse_time_arg,
)
from wattprint.cli.common import print_json
from wattprint.errors import ConfigError

__all__ = ["add_carbon_arguments", "carbon_from_args", "carbon_json", "format_carbon_lines",
           "register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``carbon`` and ``parity`` commands."""
    p = sub.add_parser(
        "carbon", help="emissions, water, embodied carbon and equivalents of an energy figure",
        description="Emissions (g CO2eq) and relatable equivalents of an energy figure, from an "
                    "offline table of grid intensities, a plain value or a time-series CSV; "
                    "with its water (on-site and off-site) and the embodied carbon of the "
                    "devices over the busy time (docs/impacts.md). `wattprint carbon regions` "
                    "lists the intensity table, `wattprint carbon factors` the impact tables.")
    energy = p.add_mutually_exclusive_group()
    energy.add_argument("--kwh", help="energy in kWh")
    energy.add_argument("--energy-j", help="energy in joules")
    add_carbon_arguments(p)
    p.add_argument("--start", help="run start, ISO-8601 (with --intensity-csv or --wue-csv)")
    p.add_argument("--end", help="run end, ISO-8601 (with --intensity-csv or --wue-csv)")
    p.add_argument("--busy-s", metavar="S",
                   help="measured time the devices were held, s, for embodied carbon (default: "
                        "--end minus --start when both are given)")
    p.add_argument("--gpu-count", metavar="N",
                   help="how many GPUs (of --gpu-model) the work ran on (default 1)")
    p.add_argument("--requests", metavar="N",
                   help="requests (inferences) the energy served: adds per-request and "
                        "per-1,000 figures")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_carbon)
    csub = p.add_subparsers(dest="carbon_command", metavar="SUBCOMMAND")
    r = csub.add_parser("regions", help="list the intensity table (countries, US regions and "
                                        "states, cloud regions)")
    r.add_argument("--search", metavar="TEXT", help="case-insensitive substring filter")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(func=_regions)
    f = csub.add_parser("factors", help="list the impact factor tables (WUE and PUE by provider, "
                                        "off-site water by country, embodied carbon by device)")
    f.add_argument("--search", metavar="TEXT", help="case-insensitive substring filter")
    f.add_argument("--json", action="store_true", help="print JSON")
    f.set_defaults(func=_factors)

    q = sub.add_parser(
        "parity", help="inferences until inference energy equals training energy",
        description="inferences_to_parity = (training_kwh + finetune_kwh) / per_inference_kwh; "
                    "days_to_parity = inferences_to_parity / queries_per_day.")
    q.add_argument("--training-kwh", required=True, help="training energy, kWh")
    q.add_argument("--finetune-kwh", default="0", help="fine-tuning energy, kWh (default 0)")
    q.add_argument("--per-inference-kwh", required=True, help="energy per inference, kWh")
    q.add_argument("--queries-per-day", help="query rate, for days to parity")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=_parity)


def _energy_j(args: argparse.Namespace) -> float:
    from wattprint.units import J_PER_KWH

    if args.kwh is None and args.energy_j is None:
        raise ConfigError("give the energy: --kwh X or --energy-j X")
    flag, text, scale = (("--kwh", args.kwh, J_PER_KWH) if args.kwh is not None
                         else ("--energy-j", args.energy_j, 1.0))
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{flag}: expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise ConfigError(f"{flag}: expected a finite number >= 0, got {text!r}")
    if value * scale == float("inf"):
        raise ConfigError(f"{flag}: {text} overflows a floating-point number of joules")
    return value * scale


def _carbon(args: argparse.Namespace) -> int:
    energy_j = _energy_j(args)
    intensity, pue = carbon_from_args(args)
    start_s = parse_time_arg(args.start, "--start") if args.start else None
    end_s = parse_time_arg(args.end, "--end") if args.end else None
    if args.intensity_csv and start_s is None:
        raise ConfigError("--intensity-csv needs --start (and --end, or the run is an instant)")
    if start_s is not None and end_s is None:
        end_s = start_s
    if start_s is not None and end_s is not None and end_s < start_s:
        raise ConfigError(f"--end ({args.end}) is before --start ({args.start})")
    impacts = _impacts(args, energy_j, intensity, pue, start_s, end_s)
    if args.json:
        print_json({**carbon_json(energy_j, intensity, pue, args=args, start_s=start_s,
                                  end_s=end_s), "impacts": impacts.to_dict()})
    else:
        from wattprint.units import format_energy

        lines = format_carbon_lines(energy_j, intensity, pue, args=args, start_s=start_s,
                                    end_s=end_s)  # an error leaves no partial output
        print("\n".join([f"energy: {format_energy(energy_j)}", *lines, *impacts.lines()]))
    return 0


def _count(text: str | None, flag: str) -> int | None:
    if text is None:
        return None
    try:
        n = int(text)
    except ValueError:
        raise ConfigError(f"{flag}: expected a whole number >= 1, got {text!r}") from None
    if n < 1:
        raise ConfigError(f"{flag}: expected a whole number >= 1, got {text!r}")
    return n


def _impacts(args: argparse.Namespace, energy_j: float, intensity: Any, pue: float,
             start_s: float | None, end_s: float | None) -> Any:
    """The impact figures of ``wattprint carbon`` (ImpactSummary)."""
    from wattprint.carbon.factors import check_value
    from wattprint.cli.impact_options import impact_options_from_args, impact_summary_for

    opts = impact_options_from_args(args)
    busy = (check_value(args.busy_s, "--busy-s", "s", high=1e10) if args.busy_s is not None
            else end_s - start_s if start_s is not None and end_s is not None else None)
    gpus = _count(args.gpu_count, "--gpu-count")
    if gpus is not None and opts.settings.gpu_model is None:
        raise ConfigError("--gpu-count needs --gpu-model (which GPU: h100, a100)")
    return impact_summary_for(energy_j, intensity, pue, opts, start_s=start_s, end_s=end_s,
                              busy_s=busy, gpu_count=gpus or 1,
                              inferences=_count(args.requests, "--requests"),
                              busy_source="--busy-s" if args.busy_s is not None
                              else "--end minus --start")


def _factors(args: argparse.Namespace) -> int:
    from wattprint.carbon.embodied import devices
    from wattprint.carbon.water import facilities, offsite_factors

    rows: list[dict[str, Any]] = []
    for fac in facilities().values():
        for f in (fac.pue, fac.wue):
            if f is not None:
                rows.append({"table": "facilities", "key": fac.provider, **f.to_dict()})
    for d in devices().values():
        rows.append({"table": "embodied", **d.factor.to_dict(), "key": d.key})
    for f in offsite_factors().values():
        rows.append({"table": "water_offsite", **f.to_dict()})
    needle = (args.search or "").lower()
    rows = [r for r in rows if needle in " ".join(str(v) for v in r.values()).lower()]
    done = _json_or_no_match(rows, args, "factor")
    if done is not None:
        return done
    for r in rows:
        print(f"{r['table']:<13} {r['key']:<18} {r['name'][:44]:<44} {r['value']:>8.4g} "
              f"{r['unit']:<10} {r['year']}  {r['source'][:70]}")
    print(f"{len(rows)} factors; sources, licences and versions: --json, "
          f"src/wattprint/carbon/data/README.md")
    return 0


def _json_or_no_match(rows: list[dict[str, Any]], args: argparse.Namespace,
                      what: str) -> int | None:
    """Print ``rows`` as JSON (0), or say that nothing matched (1); None: print them as text."""
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"wattprint: no {what} matches {args.search!r}", file=sys.stderr)
        return 1
    return None


def _regions(args: argparse.Namespace) -> int:
    from wattprint.carbon.intensity import search_table

    rows = search_table(args.search)
    done = _json_or_no_match(rows, args, "row")
    if done is not None:
        return done
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        print(f"{r['key']:<{width}}  {r['kind']:<9}  {r['value_g_per_kwh']:>6.0f} g/kWh  "
              f"{r['year']}  {r['name']}")
    print(f"{len(rows)} rows; sources: Ember yearly electricity data (CC BY 4.0), "
          f"US EPA eGRID2022 (public domain)")
    return 0


def _parity(args: argparse.Namespace) -> int:
    from wattprint.carbon.parity import parity

    result = parity(args.training_kwh, args.per_inference_kwh, finetune_kwh=args.finetune_kwh,
                    queries_per_day=args.queries_per_day)
    if args.json:
        print_json(result.to_dict())
        return 0
    print(f"inferences to parity: {result.inferences_to_parity:,.0f} "
          f"(= ({result.training_kwh:g} + {result.finetune_kwh:g}) kWh / "
          f"{result.per_inference_kwh:g} kWh per inference)")
    if result.days_to_parity is not None:
        print(f"days to parity at {result.queries_per_day:,.0f} queries/day: "
              f"{result.days_to_parity:,.1f}")
    return 0
