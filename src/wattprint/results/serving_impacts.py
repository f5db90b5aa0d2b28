"""Impacts (water, embodied and total carbon) of a served load point, from what it recorded.

``wattprint load`` (and a serving suite run by ``wattprint run``) stores with every point the
factors its flags resolved (:attr:`ServingPoint.carbon <wattprint.results.serving_record.
ServingPoint.carbon>`: grid intensity, PUE, and the impact settings: WUE, water intensity,
GPU model, lifetime, device share), as ``wattprint run`` does with job results
(:mod:`wattprint.results.impacts`). The rest comes from the point itself:

* energy: the point's window energy (``energy_j``, basis domains, one provenance), with the
  basis domains' stated uncertainty as its band (estimated energy);
* busy time: that window (steady, or whole with ``--whole-window``): the engine held its devices
  for all of it;
* GPUs: the measured GPU domains;
* per request: over the request-equivalents served in the window (``energy_j /
  j_per_request``: each request counts the share of its output that arrived in the window),
  never over an assumed batch; per 1,000 requests the same × 1,000.

Points stored before load points recorded their factors get no figure, and
:func:`not_recorded_reason` says why: never a zero.
"""

from __future__ import annotations

from typing import Any

from wattprint.carbon.factors import Factor
from wattprint.carbon.impact_settings import ImpactSettings
from wattprint.carbon.impact_summary import ImpactSummary, impact_summary, intensity_factor
from wattprint.results.impacts import factor_columns, figure_columns
from wattprint.results.serving_record import ServingPoint

PER_REQUEST = "request"
PER_1K_REQUESTS = "1,000 requests"

NOT_RECORDED = ("no impact factors recorded with this load point (stored before `wattprint "
                "load` recorded them); `wattprint carbon --energy-j E --busy-s S` computes "
                "them for its energy and window")


def busy_s(p: ServingPoint) -> float | None:
    """The point's energy window, s (the devices' measured busy time); None when empty."""
    s = p.steady_window_s if p.energy_window == "steady" else p.whole_window_s
    return s if s and s > 0 else None


def gpu_names(p: ServingPoint) -> list[str]:
    """The measured GPUs (device-scope GPU domains), by their boundary text."""
    gpus: dict[str, str] = {}
    for d in p.domains:
        if d.get("component") == "gpu" and d.get("scope", "device") == "device":
            gpus.setdefault(str(d.get("name")), str(d.get("boundary") or d.get("name")))
    return list(gpus.values())


def request_equivalents(p: ServingPoint) -> float | None:
    """Requests served in the energy window (``energy_j / j_per_request``); None without."""
    if p.j_per_request is None or not p.j_per_request > 0:
        return None
    return p.energy_j / p.j_per_request


def energy_band_j(p: ServingPoint) -> tuple[float, float]:
    """``(low, high)`` of the window energy from the basis domains' relative uncertainty
    (energy-weighted; counters without a stated uncertainty count as exact)."""
    basis = [d for d in p.domains if d.get("name") in p.energy_domains]
    total = sum(float(d.get("energy_j") or 0.0) for d in basis)
    if total <= 0:
        return p.energy_j, p.energy_j
    spread = sum(float(d.get("energy_j") or 0.0) * float(d.get("uncertainty") or 0.0)
                 for d in basis) / total
    return p.energy_j * max(0.0, 1.0 - spread), p.energy_j * (1.0 + spread)


def point_impact_summary(p: ServingPoint, settings: ImpactSettings, *, pue: float,
                         intensity: Factor) -> ImpactSummary:
    """Carbon and water of one point with the given factors: per window, per request and per
    1,000 requests (the module docstring says what each input is).

    Raises:
        ConfigError: a bad energy, a PUE below 1, an unknown ``settings.gpu_model``.
    """
    gpus = gpu_names(p)
    low, high = energy_band_j(p)
    s = impact_summary(p.energy_j, settings, pue=pue, intensity=intensity, busy_s=busy_s(p),
                       gpu_names=gpus, gpu_count=len(gpus), energy_low_j=low,
                       energy_high_j=high,
                       extra_parameters={"energy_provenance": p.energy_provenance,
                                         "energy_window": p.energy_window})
    n = request_equivalents(p)
    if not n:
        return s
    return s.per(n, PER_REQUEST).per(n / 1000.0, PER_1K_REQUESTS)


def not_recorded_reason(p: ServingPoint) -> str | None:
    """Why a point has no impact figures (None when it has them)."""
    c = p.carbon
    if c is None or c.impacts is None:
        return NOT_RECORDED
    if c.intensity_g_per_kwh is None:
        return "no grid intensity recorded with this load point"
    if not p.energy_j > 0:
        return "no energy measured in the point's window"
    return None


def stored_point_impacts(p: ServingPoint) -> ImpactSummary | None:
    """The point's figures from its recorded factors; None (see :func:`not_recorded_reason`)
    when it has none."""
    if not_recorded_reason(p) is not None:
        return None
    c = p.carbon
    assert c is not None and c.impacts is not None and c.intensity_g_per_kwh is not None
    return point_impact_summary(
        p, c.impacts, pue=c.pue or 1.0,
        intensity=intensity_factor(c.intensity_g_per_kwh,
                                   c.intensity_source or "stored with the load point"))


def per_figures(s: ImpactSummary, per: str) -> tuple[Any, Any] | None:
    """``(carbon, water)`` figures per ``per`` (``request``, ``1,000 requests``), if any."""
    return next(((c, w) for c, w in s.scaled if c.per == per), None)


def serving_impacts_json(p: ServingPoint) -> dict[str, Any]:
    """``{"note": why none or None, "provenance": "estimated", ...ImpactSummary.to_dict()}``
    (``carbon`` and ``water`` per window, ``per`` request and per 1,000 requests)."""
    s = stored_point_impacts(p)
    if s is None:
        return {"note": not_recorded_reason(p)}
    return {"note": None, **s.to_dict()}


def serving_impact_columns(p: ServingPoint) -> dict[str, Any]:
    """Flat export columns: per window, per request and per 1,000 requests the total carbon
    (operational + embodied, g CO2eq), its operational and embodied parts, and water (L,
    on-site and off-site); the factors with their sources; ``impact.note`` says why figures
    are missing."""
    row: dict[str, Any] = {"impact.provenance": "estimated", "impact.note": not_recorded_reason(p)}
    s = stored_point_impacts(p)
    if s is None:
        return row
    for suffix, figs in ((".window", (s.carbon, s.water)),
                         (".per_request", per_figures(s, PER_REQUEST)),
                         (".per_1k_requests", per_figures(s, PER_1K_REQUESTS))):
        if figs is None:
            continue
        carbon, water = figs
        row.update(figure_columns(carbon, water, suffix))
        row[f"impact.carbon_embodied_g{suffix}"] = carbon.embodied
    row.update(factor_columns(s))
    notes = s.carbon.missing_reasons()
    if notes:
        row["impact.note"] = "; ".join(dict.fromkeys(notes))
    return row
