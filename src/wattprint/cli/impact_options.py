"""Impact options (water and embodied carbon) shared by ``carbon``, ``measure``, ``run`` and
``load``; added with the carbon options by
:func:`~wattprint.cli.carbon_options.add_carbon_arguments`.

Usage in a command module::

    opts = impact_options_from_args(args)          # early: bad flags fail before any work
    s = impact_summary_for(energy_j, intensity, pue, opts, start_s=t0, end_s=t1,
                           busy_s=t1 - t0, gpu_names=[...], gpu_count=n)
    lines += s.lines(); payload["impacts"] = s.to_dict()

All logic lives in :mod:`wattprint.carbon`; this module only maps flags to calls.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.carbon.impact_settings import ImpactSettings, resolve_impact_settings
from wattprint.carbon.impact_summary import ImpactSummary, impact_summary, intensity_factor
from wattprint.carbon.intensity import Intensity
from wattprint.carbon.record import CarbonRecord
from wattprint.carbon.timeseries import IntensitySeries
from wattprint.carbon.water import load_wue_csv, wue_from_series
from wattprint.errors import ConfigError

SERIES_PER_POINT = ("--intensity-csv/--wue-csv are not applied per load point; give a single "
                    "value (--country/--region/--cloud/--intensity, --wue)")


def add_impact_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--provider``, ``--wue``/``--wue-csv``, ``--water-intensity``, ``--gpu-model``,
    ``--lifetime-years`` and ``--device-share`` (as an argument group)."""
    g = parser.add_argument_group(
        "impacts", "water and embodied carbon (offline, sourced factor tables; every figure is "
                   "estimated and says its factors: see docs/impacts.md)")
    g.add_argument("--provider", metavar="NAME",
                   help="data-centre operator whose published WUE (and PUE, unless --pue is "
                        "given) to use: google, aws, microsoft (gcp, azure); --cloud gives the "
                        "WUE of its provider too")
    w = g.add_mutually_exclusive_group()
    w.add_argument("--wue", metavar="L_PER_KWH",
                   help="on-site water usage effectiveness, litres per kWh of IT energy "
                        "(default: the provider's, else the table's default, said so)")
    w.add_argument("--wue-csv", metavar="FILE",
                   help="time series CSV of timestamp,WUE (L/kWh), averaged over the window")
    g.add_argument("--water-intensity", metavar="L_PER_KWH",
                   help="off-site water of electricity generation, litres per kWh generated "
                        "(default: the location's, from the table; the world average if none)")
    g.add_argument("--gpu-model", metavar="MODEL",
                   help="GPU for embodied carbon: h100, a100 (default: detected from the "
                        "measured GPUs; an unknown GPU gets no embodied figure)")
    g.add_argument("--lifetime-years", metavar="Y",
                   help="hardware service life over which embodied carbon is spread (default 3)")
    g.add_argument("--device-share", metavar="F",
                   help="share of the devices the job had, 0 < F <= 1 (default: 1 on a machine "
                        "not shared with other jobs)")


@dataclass(frozen=True)
class ImpactOptions:
    """The resolved impact flags.

    Attributes:
        settings: Factors and parameters (with a WUE series, its WUE is set per window).
        wue_series: The ``--wue-csv`` series, when given.
    """

    settings: ImpactSettings
    wue_series: IntensitySeries | None = None

    def for_window(self, start_s: float | None, end_s: float | None) -> ImpactSettings:
        """The settings for one measurement window (the series' mean WUE over it).

        Raises:
            ConfigError: a WUE series without a window, or a window outside it.
        """
        if self.wue_series is None:
            return self.settings
        if start_s is None or end_s is None:
            raise ConfigError("--wue-csv needs the run's start and end time (--start and --end)")
        return self.settings.with_(wue=wue_from_series(self.wue_series, start_s, end_s))


def impact_options_from_args(args: argparse.Namespace) -> ImpactOptions:
    """Resolve the impact (and location) flags.

    Raises:
        ConfigError: a bad number, an unknown provider, location or GPU model, or a bad
            ``--wue-csv`` line; the message names the flag or file and line.
    """
    def get(name: str) -> Any:
        return getattr(args, name, None)

    series = load_wue_csv(get("wue_csv")) if get("wue_csv") else None
    settings = resolve_impact_settings(
        wue=get("wue"), provider=get("provider"), cloud=get("cloud"), country=get("country"),
        region=get("region"), water_intensity=get("water_intensity"),
        gpu_model=get("gpu_model"), lifetime_years=get("lifetime_years"),
        device_share=get("device_share"))
    return ImpactOptions(settings, series)


def carbon_intensity_factor(intensity: Intensity | IntensitySeries, start_s: float | None,
                            end_s: float | None) -> Any:
    """The grid intensity as a factor: the table row, or a series' mean over the window."""
    if isinstance(intensity, IntensitySeries):
        if start_s is None or end_s is None:
            raise ConfigError("an intensity time series needs the run's start and end time "
                              "(--start and --end)")
        return intensity_factor(intensity.mean_g_per_kwh(start_s, end_s), intensity.source,
                                note="time-weighted mean over the window")
    return intensity_factor(intensity.value_g_per_kwh, intensity.source,
                            key=intensity.code or "", year=intensity.year,
                            source_url=intensity.source_url, licence=intensity.licence,
                            note="; ".join(x for x in (intensity.label, intensity.note) if x),
                            defaulted=intensity.defaulted)


def impact_summary_for(energy_j: float, intensity: Intensity | IntensitySeries, pue: float,
                       opts: ImpactOptions, *, start_s: float | None = None,
                       end_s: float | None = None, busy_s: float | None = None,
                       gpu_names: Sequence[str] = (), gpu_count: int = 0, shared: bool = False,
                       energy_low_j: float | None = None, energy_high_j: float | None = None,
                       inferences: float | None = None, unit: str = "request",
                       busy_source: str = "measured") -> ImpactSummary:
    """Carbon and water of one energy figure with the flags' factors, per run and (with
    ``inferences``) per ``unit`` and per 1,000.

    Raises:
        ConfigError: a window outside a time series, or a bad energy or PUE.
    """
    s = impact_summary(energy_j, opts.for_window(start_s, end_s), pue=pue,
                       intensity=carbon_intensity_factor(intensity, start_s, end_s),
                       busy_s=busy_s, gpu_names=gpu_names, gpu_count=gpu_count, shared=shared,
                       energy_low_j=energy_low_j, energy_high_j=energy_high_j,
                       busy_source=busy_source)
    return s.per_inferences(inferences, unit=unit) if inferences else s


def window_impacts(result: Any, intensity: Intensity | IntensitySeries, pue: float,
                   opts: ImpactOptions) -> list[tuple[Any, ImpactSummary]]:
    """Impacts of each (provenance, scope) energy total of a measured window
    (:class:`~wattprint.meters.base.EnergyResult`), never of their sum: busy time is the
    window, GPUs are its GPU domains.

    Raises:
        ConfigError: a window outside a time series.
    """
    start_s, end_s = result.started_at, result.started_at + result.duration_s
    gpus: dict[str, str] = {}
    for d in result.domains:
        if d.component == "gpu" and d.scope == "device":
            gpus.setdefault(d.name, d.boundary or d.name)
    out = []
    for t in result.totals():
        out.append((t, impact_summary_for(
            t.energy_j, intensity, pue, opts, start_s=start_s, end_s=end_s,
            busy_s=result.duration_s, gpu_names=list(gpus.values()), gpu_count=len(gpus),
            energy_low_j=t.low_j, energy_high_j=t.high_j)))
    return out


def window_impact_lines(result: Any, intensity: Intensity | IntensitySeries, pue: float,
                        opts: ImpactOptions) -> list[str]:
    """The text block of :func:`window_impacts`: one block per energy total."""
    lines = ["", "  impacts (per energy total; totals of different provenance are never added):"]
    figures = window_impacts(result, intensity, pue, opts)
    for t, s in figures:
        lines.append(f"    [{t.provenance.value} {t.scope}: {', '.join(t.domains)}]")
        lines.extend("      " + x for x in s.lines(with_factors=False))
    if figures:
        lines.extend("  " + x for x in figures[0][1].factor_lines())
    return lines


def window_impact_json(result: Any, intensity: Intensity | IntensitySeries, pue: float,
                       opts: ImpactOptions) -> list[dict[str, Any]]:
    """The JSON of :func:`window_impacts`: provenance, scope, domains and the figures."""
    return [{"provenance": t.provenance.value, "scope": t.scope, "domains": list(t.domains),
             **s.to_dict()} for t, s in window_impacts(result, intensity, pue, opts)]


def run_impact_lines(results: Sequence[Any]) -> list[str]:
    """Per job, the mean water and carbon (operational + embodied) per 1,000 inferences of its
    ok results, for the end of ``wattprint run`` (one provenance each: the first of measured,
    integrated, estimated present; never summed)."""
    from wattprint.results.impacts import record_impacts

    by_job: dict[tuple[str, str, str], dict[str, list[Any]]] = {}
    for r in results:
        for p in ("measured", "integrated", "estimated"):
            s = record_impacts(r, p)
            if s is not None:
                by_job.setdefault((r.task, r.model, r.dataset), {}).setdefault(p, []).append(s)
                break
    if not by_job:
        return []

    def mean(xs: list[float | None]) -> float | None:
        return None if not xs or any(x is None for x in xs) else sum(xs) / len(xs)  # type: ignore[arg-type]

    from wattprint.carbon.impacts import fmt_amount

    out = ["impacts per 1,000 inferences (estimated; factors and split: `wattprint export`, the "
           "report):"]
    for (task, model, dataset), per_prov in by_job.items():
        for p, ss in per_prov.items():
            per1k = [dict((c.per, (c, w)) for c, w in s.scaled).get("1,000 inferences")
                     for s in ss]
            ok = [x for x in per1k if x is not None]
            if not ok:
                continue
            c = mean([x[0].value for x in ok])
            op = mean([x[0].usage for x in ok])
            emb = mean([x[0].embodied for x in ok])
            w = mean([x[1].value for x in ok])
            why = "" if emb is not None else "; " + "; ".join(
                dict.fromkeys(r for x in ok for r in x[0].missing_reasons()))
            out.append(f"  {task} · {model} · {dataset} [{p}]: carbon "
                       f"{fmt_amount(c, 'g CO2eq')} (operational {fmt_amount(op, 'g CO2eq')}, "
                       f"embodied {fmt_amount(emb, 'g CO2eq')}), water {fmt_amount(w, 'L')}"
                       f"{why}")
    return out


def point_impacts(point: Any, intensity: Intensity | IntensitySeries, pue: float,
                  opts: ImpactOptions) -> ImpactSummary:
    """Impacts of one served load point (:class:`~wattprint.results.serving_record.ServingPoint`)
    with the flags' factors: its window energy (basis domains), busy time = that window (the
    engine held the GPUs for all of it), per request over the request-equivalents served in
    the window (energy / J per request) and per 1,000 requests
    (:func:`~wattprint.results.serving_impacts.point_impact_summary`).

    Raises:
        ConfigError: a time-series intensity (not supported per point) or a bad energy.
    """
    from wattprint.results.serving_impacts import point_impact_summary

    if isinstance(intensity, IntensitySeries) or opts.wue_series is not None:
        raise ConfigError(SERIES_PER_POINT)
    return point_impact_summary(point, opts.settings, pue=pue,
                                intensity=carbon_intensity_factor(intensity, None, None))


def carbon_record_from_args(args: argparse.Namespace, *, per: str = "result") -> CarbonRecord:
    """The grid intensity (world average if none given), PUE and impact factors (water,
    embodied carbon) a run records with every job result or load point.

    Args:
        args: Parsed carbon and impact flags.
        per: What each record goes with, for the error message (``result``, ``load point``).

    Raises:
        ConfigError: a time series (``--intensity-csv``/``--wue-csv``: applied per window
            after the run, not recorded), or a bad flag.
    """
    from wattprint.carbon.record import run_carbon_record
    from wattprint.cli.carbon_options import carbon_from_args

    for flag in ("intensity_csv", "wue_csv"):
        if getattr(args, flag, None):
            name = "--" + flag.replace("_", "-")
            raise ConfigError(f"{name}: a time series is applied per window after the run, "
                              f"not recorded with each {per}; run with a single value "
                              "(--country/--region/--cloud/--intensity, --wue), or convert "
                              "exported energy with "
                              f"'wattprint carbon {name}'")
    intensity, pue = carbon_from_args(args)
    assert isinstance(intensity, Intensity)
    return run_carbon_record(intensity, pue, impact_options_from_args(args).settings)


def point_impact_lines(points: Sequence[Any]) -> list[str]:
    """The impacts of every stored load point (from the factors recorded with it), factors
    listed once; a point without them says why."""
    from wattprint.results.serving_impacts import not_recorded_reason, stored_point_impacts

    lines: list[str] = []
    last: ImpactSummary | None = None
    for p in points:
        s = stored_point_impacts(p)
        lines.append(f"{p.arrivals}:")
        if s is None:
            lines.append(f"  impacts: none ({not_recorded_reason(p)})")
            continue
        last = s
        lines.extend("  " + x for x in s.lines(with_factors=False))
    if last is not None:
        lines.extend(last.factor_lines())
    return lines
