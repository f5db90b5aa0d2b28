"""Carbon options shared by every command that prints energy (``carbon``, ``measure``, ``run``).

Usage in another command module::

    from wattprint.cli.carbon_options import (
        add_carbon_arguments, carbon_from_args, carbon_json, format_carbon_lines)

    add_carbon_arguments(parser)                      # in register()
    intensity, pue = carbon_from_args(args)           # in the handler
    lines = format_carbon_lines(energy_j, intensity, pue, args=args,
                                start_s=t0_unix, end_s=t1_unix)
    payload["carbon"] = carbon_json(energy_j, intensity, pue, args=args, ...)

All logic lives in :mod:`wattprint.carbon`; this module only maps flags to calls.
"""

from __future__ import annotations

import argparse
from typing import Any

from wattprint.carbon.equivalents import CAR_FACTORS, PHONE_KWH_EPA_2024, PHONE_KWH_EPA_PRE_2024
from wattprint.carbon.intensity import Intensity, resolve_intensity
from wattprint.carbon.summary import CarbonSummary, carbon_summary
from wattprint.carbon.timeseries import IntensitySeries, load_intensity_csv, parse_timestamp
from wattprint.errors import ConfigError


def add_carbon_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--country/--region/--cloud/--intensity/--intensity-csv``, ``--pue``,
    ``--phone-kwh`` and ``--car-factor`` to ``parser`` (as an argument group), and the impact
    flags of :func:`~wattprint.cli.impact_options.add_impact_arguments`."""
    g = parser.add_argument_group(
        "carbon", "grid carbon intensity (offline table; with none given the world average is "
                  "used and the output says so)")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--country", metavar="CODE",
                       help="ISO 3166 alpha-2/alpha-3 code or name (FR, FRA, France)")
    where.add_argument("--region", metavar="CODE",
                       help="US eGRID subregion or state (US-NWPP, NWPP, US-OR, Oregon), or EU")
    where.add_argument("--cloud", metavar="PROVIDER:REGION",
                       help="cloud region (aws:us-west-2, gcp:europe-west4, azure:westeurope)")
    where.add_argument("--intensity", metavar="G_PER_KWH",
                       help="a plain intensity in g CO2eq/kWh (the study's logs used 138.75)")
    where.add_argument("--intensity-csv", metavar="FILE",
                       help="time series CSV of timestamp,g CO2eq/kWh (e.g. an Electricity "
                            "Maps export), integrated over the run")
    g.add_argument("--intensity-column", metavar="NAME",
                   help="value column of --intensity-csv (default: detected)")
    g.add_argument("--pue", default=None, metavar="P",
                   help="power usage effectiveness applied to the energy (default: the "
                        "--provider's published PUE, else 1.0 = none)")
    g.add_argument("--phone-kwh", default=PHONE_KWH_EPA_2024, type=float,
                   choices=(PHONE_KWH_EPA_2024, PHONE_KWH_EPA_PRE_2024), metavar="KWH",
                   help="kWh per smartphone charge: 0.022 (EPA 2024, default) or 0.012 "
                        "(EPA before 2024, the study's arXiv v1)")
    g.add_argument("--car-factor", default="epa", choices=sorted(CAR_FACTORS),
                   help="g CO2eq per mile: epa (393, default) or study (1,594 g / 4.1 miles)")
    from wattprint.cli.impact_options import add_impact_arguments

    add_impact_arguments(parser)


def carbon_from_args(args: argparse.Namespace) -> tuple[Intensity | IntensitySeries, float]:
    """The intensity (average or time series) and the PUE chosen by the flags.

    The PUE is ``--pue``, else the published PUE of ``--provider``, else 1.0.

    Raises:
        ConfigError: unknown location (close matches listed), bad number, bad CSV (file and
            line named), a PUE below 1, or an unknown provider.
    """
    from wattprint.carbon.emissions import check_pue
    from wattprint.carbon.water import provider_pue

    given = getattr(args, "pue", None)
    published = provider_pue(getattr(args, "provider", None)) if given is None else None
    pue = check_pue(given if given is not None else published.value if published else 1.0)
    csv_path = getattr(args, "intensity_csv", None)
    if csv_path:
        return load_intensity_csv(csv_path, value_column=getattr(args, "intensity_column", None)), pue
    return resolve_intensity(country=getattr(args, "country", None),
                             region=getattr(args, "region", None),
                             cloud=getattr(args, "cloud", None),
                             intensity_g_per_kwh=getattr(args, "intensity", None)), pue


def _summary(energy_j: float, intensity: Intensity | IntensitySeries, pue: float,
             args: argparse.Namespace | None, start_s: float | None,
             end_s: float | None) -> CarbonSummary:
    return carbon_summary(
        energy_j, intensity, pue, start_s=start_s, end_s=end_s,
        phone_kwh_per_charge=getattr(args, "phone_kwh", PHONE_KWH_EPA_2024),
        car_factor=getattr(args, "car_factor", "epa"))


def format_carbon_lines(energy_j: float, intensity: Intensity | IntensitySeries,
                        pue: float = 1.0, *, args: argparse.Namespace | None = None,
                        start_s: float | None = None, end_s: float | None = None) -> list[str]:
    """Lines describing the emissions and equivalents of ``energy_j`` joules.

    Args:
        energy_j: Energy at the IT boundary, J.
        intensity, pue: From :func:`carbon_from_args`.
        args: Parsed flags (for ``--phone-kwh`` and ``--car-factor``); optional.
        start_s, end_s: Run window in Unix seconds (required with a time series).
    """
    return _summary(energy_j, intensity, pue, args, start_s, end_s).lines()


def carbon_json(energy_j: float, intensity: Intensity | IntensitySeries, pue: float = 1.0, *,
                args: argparse.Namespace | None = None, start_s: float | None = None,
                end_s: float | None = None) -> dict[str, Any]:
    """The same as :func:`format_carbon_lines`, as a JSON-ready dict (``emissions_g``,
    ``intensity_g_per_kwh``, ``intensity_source``, ``pue``, ``equivalents`` ...)."""
    return _summary(energy_j, intensity, pue, args, start_s, end_s).to_dict()


def parse_time_arg(text: str, flag: str) -> float:
    """An ISO-8601 time flag (``--start``) to Unix seconds; naive means UTC.

    Raises:
        ConfigError: not ISO-8601.
    """
    try:
        return parse_timestamp(text).timestamp()
    except ValueError:
        raise ConfigError(f"{flag}: {text!r} is not an ISO-8601 time in the years 1-9999 "
                          f"(e.g. 2024-03-01T12:00:00Z)") from None
