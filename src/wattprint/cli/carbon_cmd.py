"""``wattprint carbon``, ``wattprint carbon regions`` and ``wattprint parity``.

The shared flag helpers live in :mod:`wattprint.cli.carbon_options` and are re-exported here.
"""

from __future__ import annotations

import argparse
import sys

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
        "carbon", help="emissions and equivalents of an energy figure",
        description="Emissions (g CO2eq) and relatable equivalents of an energy figure, from an "
                    "offline table of grid intensities, a plain value or a time-series CSV. "
                    "`wattprint carbon regions` lists the table.")
    energy = p.add_mutually_exclusive_group()
    energy.add_argument("--kwh", help="energy in kWh")
    energy.add_argument("--energy-j", help="energy in joules")
    add_carbon_arguments(p)
    p.add_argument("--start", help="run start, ISO-8601 (with --intensity-csv)")
    p.add_argument("--end", help="run end, ISO-8601 (with --intensity-csv)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_carbon)
    csub = p.add_subparsers(dest="carbon_command", metavar="SUBCOMMAND")
    r = csub.add_parser("regions", help="list the intensity table (countries, US regions and "
                                        "states, cloud regions)")
    r.add_argument("--search", metavar="TEXT", help="case-insensitive substring filter")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(func=_regions)

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
    if args.json:
        print_json(carbon_json(energy_j, intensity, pue, args=args, start_s=start_s,
                               end_s=end_s))
    else:
        from wattprint.units import format_energy

        lines = format_carbon_lines(energy_j, intensity, pue, args=args, start_s=start_s,
                                    end_s=end_s)  # an error leaves no partial output
        print("\n".join([f"energy: {format_energy(energy_j)}", *lines]))
    return 0


def _regions(args: argparse.Namespace) -> int:
    from wattprint.carbon.intensity import search_table

    rows = search_table(args.search)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"wattprint: no row matches {args.search!r}", file=sys.stderr)
        return 1
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
