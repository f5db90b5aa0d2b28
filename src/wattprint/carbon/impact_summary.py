"""One call from a measured energy figure and busy time to carbon (operational + embodied)
and water (on-site + off-site), per run and per request / per 1,000 inferences, as lines or
as a JSON dict.

Used by ``wattprint carbon``, ``measure``, ``run``, ``load``, the exports and the report, so
every place shows impacts the same way. Every figure is ``estimated`` and carries its factors
(source, licence, version, year), its interval and its usage/embodied split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wattprint.carbon.embodied import (
    Allocation,
    detect_gpu,
    devices,
    embodied_part,
    gpu_keys,
    lookup_gpu_model,
)
from wattprint.carbon.equivalents import format_count, water_equivalents
from wattprint.carbon.factors import Factor
from wattprint.carbon.impact_settings import ImpactSettings
from wattprint.carbon.impacts import CARBON, USAGE, ImpactFigure, Part
from wattprint.carbon.water import water_figure
from wattprint.units import J_PER_KWH

PER_RUN = "run"
PER_REQUEST = "request"
PER_1K = "1,000 inferences"

SHARED_NO_SHARE = ("the machine was shared with other jobs and no --device-share was given, so "
                   "the job's share of the devices is unknown")


def intensity_factor(value_g_per_kwh: float, source: str, *, key: str = "",
                     year: int | None = None, source_url: str = "", licence: str = "",
                     note: str = "", defaulted: bool = False) -> Factor:
    """The grid carbon intensity as a :class:`Factor` (no published range: a point)."""
    return Factor(name="grid carbon intensity", key=key, value=value_g_per_kwh,
                  unit="g CO2eq/kWh", low=value_g_per_kwh, high=value_g_per_kwh, source=source,
                  source_url=source_url, licence=licence, year=year, note=note,
                  defaulted=defaulted)


@dataclass(frozen=True)
class ImpactSummary:
    """Carbon and water of one measured figure, and the same per request / per 1,000.

    Attributes:
        carbon: g CO2eq: ``operational`` (usage) and ``embodied`` parts.
        water: litres: ``on-site`` and ``off-site`` (usage), ``embodied`` (not modelled).
        scaled: The same figures per request, per 1,000 inferences ..., in that order.
    """

    carbon: ImpactFigure
    water: ImpactFigure
    scaled: tuple[tuple[ImpactFigure, ImpactFigure], ...] = field(default_factory=tuple)

    def per(self, count: float, label: str) -> ImpactSummary:
        """Add the figures per ``label`` when the run held ``count`` of them (> 0)."""
        if not count > 0:
            return self
        k = 1.0 / count
        pair = (self.carbon.scaled(k, label), self.water.scaled(k, label))
        return ImpactSummary(self.carbon, self.water, (*self.scaled, pair))

    def per_inferences(self, n: int | float | None, *, unit: str = PER_REQUEST) -> ImpactSummary:
        """Add per-``unit`` and per-1,000 figures for ``n`` inferences (nothing for 0/None)."""
        if not n:
            return self
        return self.per(n, unit).per(n / 1000.0, PER_1K)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``carbon``, ``water`` (per run), ``per`` (label → both), equivalents."""
        water_l = self.water.value
        return {"provenance": self.carbon.provenance,
                "carbon": self.carbon.to_dict(), "water": self.water.to_dict(),
                "per": {c.per: {"carbon": c.to_dict(), "water": w.to_dict()}
                        for c, w in self.scaled},
                "water_equivalents": ([e.to_dict() for e in water_equivalents(water_l)]
                                      if water_l is not None else [])}

    def lines(self, *, with_factors: bool = True) -> list[str]:
        """Human-readable lines (no trailing newlines).

        Args:
            with_factors: False to leave out the factor list (:meth:`factor_lines`), when
                several summaries with the same factors are printed together.
        """
        out = ["impacts (estimated: measured energy and busy time x the factors below):",
               f"  {self.carbon.headline()}", f"  {self.water.headline()}"]
        for c, w in self.scaled:
            out.append(f"  {c.headline()}")
            out.append(f"  {w.headline()}")
        for fig in (self.carbon, self.water):
            out.extend(f"  {fig.criterion} {r}" for r in fig.missing_reasons()
                       if "not counted" not in r)
        water_l = self.water.value
        if water_l is not None and water_l > 0:
            eq = ", ".join(f"{format_count(e.value)} {e.label}"
                           for e in water_equivalents(water_l))
            out.append(f"  water per run equivalent to: {eq}")
        params = self.carbon.parameters
        if "allocation_rule" in params:
            out.append(f"  embodied allocation: {params['allocation_rule']}; busy "
                       f"{params['busy_s']:.4g} s ({params['busy_source']}), device share "
                       f"{params['device_share']:g} ({params['device_share_source']}), lifetime "
                       f"{params['lifetime_years']:g} years ({params['lifetime_source']})")
        return out + (self.factor_lines() if with_factors else [])

    def factor_lines(self) -> list[str]:
        """``factors:`` and one line per factor: value, unit, source, year, version, licence,
        interval and note (a defaulted one says so)."""
        out = ["  factors:"]
        seen: set[tuple[str, str]] = set()
        for f in (*self.carbon.factors, *self.water.factors):
            if (f.name, f.key) in seen:
                continue
            seen.add((f.name, f.key))
            flag = " [default: nothing given]" if f.defaulted else ""
            out.append(f"    {f.name} {f.value:.4g} {f.unit}{flag}: {f.cite()}; "
                       f"{f.interval_text()}" + (f"; {f.note}" if f.note else ""))
        return out


def _gpu(settings: ImpactSettings, gpu_names: Sequence[str], gpu_count: int
         ) -> tuple[Any, int, str]:
    """(GPU row or None, count, reason when None)."""
    if settings.gpu_model is not None:
        return lookup_gpu_model(settings.gpu_model), max(gpu_count, 1), ""
    if gpu_count < 1 or not gpu_names:
        return None, 0, ("no GPU was measured; embodied factors exist for GPU servers only "
                         f"(--gpu-model: {', '.join(gpu_keys())})")
    gpu = detect_gpu(gpu_names)
    if gpu is None:
        name = gpu_names[0][:80]
        return None, gpu_count, (f"no embodied-carbon factor for the measured GPU ({name!r}); "
                                 f"known: {', '.join(devices()[k].name for k in gpu_keys())}")
    return gpu, gpu_count, ""


def impact_summary(energy_j: float, settings: ImpactSettings, *, pue: float,
                   intensity: Factor, busy_s: float | None,
                   gpu_names: Sequence[str] = (), gpu_count: int = 0, shared: bool = False,
                   energy_low_j: float | None = None, energy_high_j: float | None = None,
                   extra_parameters: Mapping[str, Any] | None = None,
                   busy_source: str = "measured") -> ImpactSummary:
    """Carbon and water of ``energy_j`` joules and ``busy_s`` seconds on the devices.

    Args:
        energy_j: IT energy (the measured boundary), J.
        settings: The resolved factors and embodied parameters.
        pue: PUE applied (carbon and off-site water).
        intensity: Grid carbon intensity used (a factor; see :func:`intensity_factor`).
        busy_s: Measured time the devices were held (None: unknown, no embodied figure).
        gpu_names: Names or descriptions of the measured GPUs (the GPU domains' boundaries).
        gpu_count: How many GPUs were measured.
        shared: True when the record says other jobs shared the machine.
        energy_low_j: Lower end of the energy's interval (default ``energy_j``).
        energy_high_j: Upper end of the energy's interval (default ``energy_j``).
        extra_parameters: Other inputs to record with the figures.
        busy_source: Where ``busy_s`` comes from (``measured``, or the flag that gave it).

    Raises:
        ConfigError: a negative energy, a bad PUE, an unknown ``settings.gpu_model``.
    """
    water = water_figure(energy_j, pue, settings.wue, settings.water_intensity,
                         energy_low_j=energy_low_j, energy_high_j=energy_high_j)
    kwh = energy_j / J_PER_KWH
    lo = (energy_j if energy_low_j is None else energy_low_j) / J_PER_KWH
    hi = (energy_j if energy_high_j is None else energy_high_j) / J_PER_KWH
    g = intensity.value
    operational = Part("operational", USAGE, kwh * pue * g, lo * pue * intensity.low,
                       hi * pue * intensity.high,
                       f"{kwh:.4g} kWh x PUE {pue:g} x {g:.5g} g CO2eq/kWh")
    gpu, count, reason = _gpu(settings, gpu_names, gpu_count)
    share = settings.device_share
    share_source = "--device-share" if share is not None else ""
    if share is None and not shared:
        share, share_source = 1.0, "alone on its devices: the record is not marked shared"
    allocation = None
    if busy_s is None:
        reason = reason or "no measured busy time"
    elif share is None:
        reason = reason or SHARED_NO_SHARE
    else:
        allocation = Allocation(busy_s, share, settings.lifetime_s, share_source,
                                settings.lifetime_source, busy_source=busy_source)
    embodied, factors = embodied_part(gpu, count, allocation, reason=reason)
    params: dict[str, Any] = {"energy_j": energy_j, "pue": pue, **(extra_parameters or {})}
    if allocation is not None and embodied.value is not None:
        params.update(allocation.parameters())
        params["gpu_count"] = count
    pue_f = (settings.pue,) if settings.pue is not None else ()
    carbon = ImpactFigure(CARBON, "g CO2eq", (operational, embodied),
                          factors=(intensity, *pue_f, *factors), parameters=params)
    water = ImpactFigure(water.criterion, water.unit, water.parts,
                         factors=(*water.factors, *pue_f),
                         parameters={**water.parameters, **(extra_parameters or {})})
    return ImpactSummary(carbon, water)
