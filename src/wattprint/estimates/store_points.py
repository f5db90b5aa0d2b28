"""Stored serving points (``wattprint load``) as observations for ``wattprint estimate fit``.

Per point: J per output token as stored (the basis domains over the steady window when there is
one, idle included, as ML.ENERGY's), hardware from the stored environment (the GPU model when
the energy basis holds GPUs, else ``cpu:<CPU model>``), devices from the basis domains, and the
average decode batch by Little's law: output tokens per second x median inter-token gap. Flagged
points, points without a J-per-token figure and models of unknown size are skipped, each with its
reason; ``idle_baseline_invalid`` alone does not disqualify a point (the fit uses the total
energy per output token, never the idle/dynamic split that flag is about).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.estimates.catalog import hardware_key
from wattprint.estimates.observations import Observation
from wattprint.estimates.params import Size, model_size
from wattprint.results.serving_record import ServingPoint

IRRELEVANT_FLAGS = frozenset({"idle_baseline_invalid"})
"""Validity flags that do not touch J per output token."""


@dataclass(frozen=True)
class Conversion:
    """Observations made from stored points, and the points left out with their reason."""

    observations: tuple[Observation, ...]
    skipped: tuple[tuple[str, str], ...]


def _hardware(p: ServingPoint) -> tuple[str, int, str]:
    """(hardware key, devices, boundary) of a point's energy basis."""
    comps = sorted({d.split(":")[0].split("@")[0] for d in p.energy_domains})
    gpus = [d for d in p.energy_domains if d.startswith("gpu")]
    env = p.environment or {}
    if gpus:
        devices = env.get("gpu", {}).get("devices") or []
        name = devices[0].get("name", "gpu") if devices and isinstance(devices[0], dict) else "gpu"
        return hardware_key(str(name)), len(gpus), "+".join(comps)
    return f"cpu:{env.get('cpu_model') or 'unknown CPU'}", 1, "+".join(comps)


def _batch(p: ServingPoint) -> float | None:
    if not p.p50_itl_s or p.whole_window_s <= 0 or p.output_tokens <= 0:
        return None
    return max(1.0, p.output_tokens / p.whole_window_s * p.p50_itl_s)


def observations_from_points(points: Sequence[ServingPoint], sizes: dict[str, Size]
                             ) -> Conversion:
    """Turn stored points into observations (module docstring).

    Args:
        points: Stored serving points.
        sizes: Model sizes from a parameters file (others are looked up, see
            :func:`~wattprint.estimates.params.model_size`).
    """
    out: list[Observation] = []
    skipped: list[tuple[str, str]] = []
    for p in points:
        pid = f"{p.run_id}/{p.point_id}"
        flags = [f for f in p.flags if f not in IRRELEVANT_FLAGS]
        if flags:
            skipped.append((pid, f"flagged: {', '.join(flags)}"))
            continue
        if not p.j_per_output_token or p.j_per_output_token <= 0 or p.requests_ok < 1:
            skipped.append((pid, "no energy per output token (no successful request)"))
            continue
        batch = _batch(p)
        if batch is None:
            skipped.append((pid, "no inter-token latency: batch unknown"))
            continue
        size = model_size(p.model, sizes)
        if isinstance(size, str):
            skipped.append((pid, size))
            continue
        hw, devices, boundary = _hardware(p)
        out.append(Observation(
            model=p.model, group=p.model, hardware=hw, devices=devices,
            active_params_b=size[0], total_params_b=size[1], bytes_per_param=size[2],
            batch=batch, output_len=p.output_tokens / p.requests_ok,
            j_per_output_token=p.j_per_output_token,
            power_w_per_device=p.avg_power_w / devices if p.avg_power_w > 0 else None,
            source=f"store:{pid}", energy_provenance=p.energy_provenance, boundary=boundary))
    return Conversion(tuple(out), tuple(skipped))
