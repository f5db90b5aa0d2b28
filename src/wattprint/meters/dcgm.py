"""NVIDIA dcgm-exporter pages: the GPU energy counter, and MIG instance shares.

``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`` (mJ since the driver loaded, NVML's counter) is one
counter per physical GPU → ``measured``, domain ``gpu:<Hostname>/<gpu>``. With MIG enabled the
exporter repeats that row once per GPU instance (labels ``GPU_I_ID``, ``GPU_I_PROFILE``) with the
same value; it is read once.

MIG instances have no energy counter of their own. Where the page also carries
``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` per GPU instance (a DCP profiling field: the fraction of time
the instance's graphics/compute engine was busy, 0-1, relative to the instance), each instance
gets an ``attributed`` domain ``gpu:<Hostname>/<gpu>/mig<GPU_I_ID>`` (scope ``mig``): at every
read the GPU's energy since the previous read is split in proportion to
``slices x engine activity`` (slices from the profile, ``3g.40gb`` → 3), or to slices alone when
no instance was active. Idle and shared power (memory, fans) follow activity too, so an idle
instance next to a busy one is charged nothing: the model (``dcgm-mig-activity-share``) is
stated in the domain's boundary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.meters.base import DomainSpec, Provenance
from wattprint.meters.prom_series import CounterSeries, Index, Samples, find

DCGM_ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
GR_ENGINE_ACTIVE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
MIG_MODEL = ("dcgm-mig-activity-share: E_instance += dE_gpu * slices * GR_ENGINE_ACTIVE / "
             "sum over the GPU's instances (slices alone when none is active)")


@dataclass(frozen=True)
class MigInstance:
    """A MIG GPU instance and the GPU whose energy it shares.

    Attributes:
        spec: Its domain.
        gpu_domain: The physical GPU's domain name.
        ident: Labels identifying its ``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` sample.
        slices: Compute slices of its profile.
    """

    spec: DomainSpec
    gpu_domain: str
    ident: tuple[tuple[str, str], ...]
    slices: int


def _energy_rows(values: Samples) -> list[tuple[str, dict[str, str]]]:
    return [(name, dict(labels)) for (name, labels) in sorted(values)
            if name in (DCGM_ENERGY, DCGM_ENERGY + "_total")]  # the parser may append _total


def dcgm_series(url: str, host: str, values: Samples) -> list[CounterSeries]:
    """One ``measured`` series per physical GPU (MIG repeats read once)."""
    out: dict[str, CounterSeries] = {}
    for name, lab in _energy_rows(values):
        who = f"{lab.get('Hostname', host)}/{lab.get('gpu', '?')}"
        if f"gpu:{who}" in out:
            continue
        spec = DomainSpec(
            f"gpu:{who}", "gpu",
            f"whole GPU {lab.get('modelName', '')} {lab.get('UUID', '')} on "
            f"{lab.get('Hostname', host)} (DCGM exporter at {url}): board power as NVML reports it",
            Provenance.MEASURED, f"prometheus:{url} {DCGM_ENERGY} (mJ)")
        ident = tuple((k, lab[k]) for k in ("Hostname", "gpu") if k in lab)
        out[spec.name] = CounterSeries(spec, name, ident, 1e-3)
    return list(out.values())


def _slices(profile: str) -> int:
    m = re.match(r"(\d+)g\.", profile)
    return int(m.group(1)) if m else 1


def mig_instances(url: str, host: str, values: Samples, gpu_domains: Sequence[str]
                  ) -> list[MigInstance]:
    """The MIG instances with an engine-activity gauge whose GPU's energy is read."""
    out: dict[str, MigInstance] = {}
    for (name, labels) in sorted(values):
        lab = dict(labels)
        if name != GR_ENGINE_ACTIVE or "GPU_I_ID" not in lab:
            continue
        gpu = f"gpu:{lab.get('Hostname', host)}/{lab.get('gpu', '?')}"
        if gpu not in gpu_domains:
            continue
        dom = f"{gpu}/mig{lab['GPU_I_ID']}"
        spec = DomainSpec(
            dom, "gpu", f"MIG instance {lab['GPU_I_ID']} ({lab.get('GPU_I_PROFILE', '?')}) of "
            f"{gpu}: share of the GPU's measured energy by {MIG_MODEL}",
            Provenance.ATTRIBUTED, f"prometheus:{url} {DCGM_ENERGY} x {GR_ENGINE_ACTIVE}",
            scope="mig")
        ident = tuple((k, lab[k]) for k in ("Hostname", "gpu", "GPU_I_ID") if k in lab)
        out[dom] = MigInstance(spec, gpu, ident, _slices(lab.get("GPU_I_PROFILE", "")))
    return list(out.values())


def mig_shares(instances: Sequence[MigInstance], idx: Index) -> dict[str, float]:
    """Each instance's share (0-1) of its GPU's energy at this scrape (module docstring)."""
    by_gpu: dict[str, list[tuple[MigInstance, float]]] = {}
    for m in instances:
        active = find(idx, GR_ENGINE_ACTIVE, m.ident)
        a = min(max(active or 0.0, 0.0), 1.0)
        by_gpu.setdefault(m.gpu_domain, []).append((m, a))
    out: dict[str, float] = {}
    for rows in by_gpu.values():
        weights = [m.slices * a for m, a in rows]
        if sum(weights) <= 0:
            weights = [float(m.slices) for m, _ in rows]
        total = sum(weights)
        for (m, _), w in zip(rows, weights):
            out[m.spec.name] = w / total
    return out
