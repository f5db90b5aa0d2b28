"""The energy data model shared by every layer, and the interface every meter implements.

A *meter* exposes cumulative energy counters, one per *domain* (``gpu:0``, ``cpu:0``,
``dram:0``, ``cpu:process`` ...). A *window* is the difference of two readings. Every domain
carries its **provenance** (how the number was obtained) and its **boundary** (what it covers),
so numbers of different provenance are never silently summed.

This module is stdlib-only: importing it must stay cheap (no numpy, no torch).
"""

from __future__ import annotations

import abc
import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from wattprint.frozen import fast_init


class Provenance(str, enum.Enum):
    """How an energy number was obtained. Ordered from most to least trustworthy."""

    MEASURED = "measured"
    """Read from a hardware energy counter (NVML total energy, RAPL ``energy_uj``)."""
    INTEGRATED = "integrated"
    """Power samples (W) integrated over time."""
    ESTIMATED = "estimated"
    """Computed by a model (e.g. TDP × utilisation); comes with its model and an uncertainty."""
    ATTRIBUTED = "attributed"
    """A share of a measured (or estimated) total, given by a stated model and its inputs
    (e.g. one request's share of a served batch's energy). Never summed with the total."""

    def __str__(self) -> str:  # so f-strings print "measured", not "Provenance.MEASURED"
        return self.value


@dataclass(frozen=True)
class EstimateModel:
    """The model behind an ``estimated`` domain, stated in full.

    Attributes:
        name: Short identifier, e.g. ``"cpu-linear-tdp"``.
        formula: The formula in words or symbols, e.g. ``"P = P_idle + (TDP - P_idle) * u"``.
        constants: Every constant the formula uses, with units in the key (``tdp_w``).
        source: Where the constants come from (table, paper, default and why).
    """

    name: str
    formula: str
    constants: Mapping[str, Any]
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict."""
        return {"name": self.name, "formula": self.formula, "constants": dict(self.constants),
                "source": self.source}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EstimateModel:
        """Rebuild a model from ``to_dict()`` output."""
        return cls(name=d["name"], formula=d["formula"], constants=dict(d.get("constants", {})),
                   source=d.get("source", ""))


@dataclass(frozen=True)
class DomainSpec:
    """Static description of one domain a meter reports.

    Attributes:
        name: Unique domain name, ``component:index`` (``gpu:0``, ``cpu:0``, ``dram:0``) or
            ``component:scope`` (``cpu:process``, ``ram:machine``).
        component: ``gpu``, ``cpu``, ``dram``, ``ram``, ``node`` ...
        boundary: What physical thing the number covers, in words.
        provenance: How the number is obtained.
        source: The interface read (``nvml:total_energy``, ``rapl:/sys/.../energy_uj``,
            ``estimate:cpu-linear-tdp``, ``replay:FILE``).
        uncertainty: Relative uncertainty (0.4 = ±40 %), mandatory for estimates, None for
            counters whose error is not characterised.
        model: The estimate model, for ``estimated`` domains.
        scope: ``device`` (a whole device), ``machine``, ``process`` (attributed to the
            measured process and its children) or ``node`` (the whole node at the wall, from
            its BMC: it overlaps every other domain and is never added to them).
    """

    name: str
    component: str
    boundary: str
    provenance: Provenance
    source: str
    uncertainty: float | None = None
    model: EstimateModel | None = None
    scope: str = "device"

    def __post_init__(self) -> None:
        if self.provenance is Provenance.ESTIMATED and (self.uncertainty is None or self.model is None):
            raise ValueError(f"estimated domain {self.name!r} must state its model and uncertainty")


OVERLAPPING_SCOPES = frozenset({"process", "node", "pod", "mig", "split"})
"""Scopes that overlap the device and machine domains: a process's share of the machine, the
whole node at the wall (BMC), a Kubernetes pod's share of its node (Kepler), a MIG instance's
share of its GPU, and the active or idle part of a counter (Kepler). Never added to them;
summed only on their own."""

SHARE_SCOPES = frozenset({"affinity", "container"})
"""Scopes of a domain that covers the job's share of the host (its CPUs or memory limit)."""
WHOLE_HOST_SCOPES = frozenset({"host", "machine"})
"""Scopes of a domain that covers the whole host (every CPU, all installed memory)."""

DEFAULT_MAX_FOREIGN_SHARE: float = 0.05
"""A window is flagged as shared when other processes kept more than this fraction of the host's
CPU time busy (an idle command's estimated host figure is then about 20 % their work)."""


@dataclass(frozen=True)
class Reading:
    """One read of a meter: cumulative energy per domain since the meter was opened.

    Attributes:
        t_s: Monotonic time of the read (``time.monotonic()``), seconds.
        energy_j: Domain name → cumulative energy in joules (monotonic non-decreasing;
            meters unwrap counters before returning).
    """

    t_s: float
    energy_j: Mapping[str, float]


@fast_init  # built per row by imports, per record by reads
@dataclass(frozen=True)
class DomainEnergy:
    """The energy of one domain over one window.

    Attributes:
        name, component, boundary, provenance, source, uncertainty, model, scope: as
            :class:`DomainSpec`.
        energy_j: Total energy over the window, joules.
        idle_power_w: Idle baseline power of this domain, watts, when a baseline was measured.
        idle_energy_j: ``idle_power_w × duration_s``; None without a baseline.
        dynamic_energy_j: ``energy_j − idle_energy_j`` (may be slightly negative from noise;
            it is not clipped, so noise stays visible); None without a baseline.
    """

    name: str
    component: str
    boundary: str
    provenance: Provenance
    source: str
    energy_j: float
    uncertainty: float | None = None
    model: EstimateModel | None = None
    scope: str = "device"
    idle_power_w: float | None = None
    idle_energy_j: float | None = None
    dynamic_energy_j: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.energy_j, (int, float)) or math.isnan(self.energy_j):
            raise ValueError(f"domain {self.name!r}: energy_j must be a number, got {self.energy_j!r}")
        if self.energy_j < 0:
            raise ValueError(f"domain {self.name!r}: energy_j is negative ({self.energy_j})")

    @classmethod
    def from_spec(cls, spec: DomainSpec, energy_j: float, duration_s: float,
                  idle_power_w: float | None = None, uncertainty: float | None = None
                  ) -> DomainEnergy:
        """Build a window's domain energy from its spec, adding idle/dynamic when a baseline
        exists; ``uncertainty`` overrides the spec's for this window."""
        idle_energy_j = None if idle_power_w is None else idle_power_w * duration_s
        dynamic = None if idle_energy_j is None else energy_j - idle_energy_j
        return cls(name=spec.name, component=spec.component, boundary=spec.boundary,
                   provenance=spec.provenance, source=spec.source, energy_j=energy_j,
                   uncertainty=spec.uncertainty if uncertainty is None else uncertainty, model=spec.model, scope=spec.scope,
                   idle_power_w=idle_power_w, idle_energy_j=idle_energy_j,
                   dynamic_energy_j=dynamic)

    def to_dict(self) -> dict[str, Any]:
        """The domain as a JSON-ready dict (energy in J, provenance as its string value)."""
        # Fields one level deep (asdict's recursive deep copy is the cost of a bulk import).
        d = {name: getattr(self, name) for name in _DOMAIN_ENERGY_FIELDS}
        d["provenance"] = self.provenance.value
        d["model"] = None if self.model is None else self.model.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DomainEnergy:
        """Rebuild a domain from ``to_dict()`` output."""
        model = d.get("model")
        return cls(
            name=d["name"], component=d.get("component", d["name"].split(":")[0]),
            boundary=d.get("boundary", ""), provenance=Provenance(d["provenance"]),
            source=d.get("source", ""), energy_j=float(d["energy_j"]),
            uncertainty=d.get("uncertainty"),
            model=None if model is None else EstimateModel.from_dict(model),
            scope=d.get("scope", "device"), idle_power_w=d.get("idle_power_w"),
            idle_energy_j=d.get("idle_energy_j"), dynamic_energy_j=d.get("dynamic_energy_j"),
        )


@dataclass(frozen=True)
class ProvenanceTotal:
    """Sum over the domains of one provenance, for one scope. Never mixes provenances.

    ``uncertainty_j`` is the absolute uncertainty (J): the relative uncertainties of the parts
    combined linearly (worst case, as the parts share a model or sensor and are correlated);
    for estimates it is the upper side of their band. ``low_j``/``high_j`` give the band:
    multiplicative for estimates (``E/(1+u) .. E*(1+u)``, never reaching 0), additive for
    counters (``E ± uncertainty_j``, floored at 0). None where no part states an uncertainty.
    """

    provenance: Provenance
    scope: str
    energy_j: float
    domains: tuple[str, ...]
    uncertainty_j: float | None = None
    dynamic_energy_j: float | None = None
    low_j: float | None = None
    high_j: float | None = None


@dataclass(frozen=True)
class TimelineSample:
    """One sample of a device's state during a window (the power/temperature/clock timeline).

    Attributes:
        t_s: Seconds since the window opened.
        domain: The domain sampled (``gpu:0``).
        power_w: Power, W (from counter deltas where the device has a counter), or None.
        temperature_c: Temperature, °C, or None.
        sm_clock_mhz: Graphics/SM clock, MHz, or None.
        utilisation: Busy fraction 0-1 reported by the device, or None.
        throttle: Active throttle reasons (``"power_cap,thermal"``), "" when none.
    """

    t_s: float
    domain: str
    power_w: float | None = None
    temperature_c: float | None = None
    sm_clock_mhz: float | None = None
    utilisation: float | None = None
    throttle: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The sample as a plain dict (JSON-ready)."""
        return asdict(self)


@fast_init  # built per row by imports, per record by reads
@dataclass(frozen=True)
class EnergyResult:
    """The result of one measurement window.

    Attributes:
        label: Window name (``"query"``, ``"prefill"``; ``""`` for an unnamed window).
        started_at: Wall-clock start, seconds since the Unix epoch.
        duration_s: Window length, seconds.
        domains: Energy per domain.
        warnings: Anything the reader should know (short window, counter resolution ...).
        timeline: Device samples taken during the window (≥ 10 Hz where a device is sampled).
        validity: Domain → check name → passed (``power_within_limits``, ``temperature_ok``,
            ``not_throttled``, ``exclusive``), ML.ENERGY-style checks over the timeline.
        host_activity: Who used the host's CPUs during the window (None: not measured).
    """

    label: str
    started_at: float
    duration_s: float
    domains: tuple[DomainEnergy, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)
    timeline: tuple[TimelineSample, ...] = field(default_factory=tuple)
    validity: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    host_activity: HostActivity | None = None

    def headline(self) -> Headline:
        """What this window's report leads with (see :func:`headline`)."""
        return headline(self.domains, self.host_activity)

    def domain(self, name: str) -> DomainEnergy:
        """The domain named ``name``; KeyError naming the available ones otherwise."""
        for d in self.domains:
            if d.name == name:
                return d
        raise KeyError(f"no domain {name!r}; domains: {[d.name for d in self.domains]}")

    def totals(self) -> list[ProvenanceTotal]:
        """Totals per (provenance, scope). Process-scope estimates are never added to machine ones."""
        return totals_by_provenance(self.domains)

    def total_j(self, provenance: Provenance | str, scope: str | None = None) -> float | None:
        """Sum of one provenance (J); None when no domain has it.

        Args:
            provenance: Which provenance to sum.
            scope: ``None`` (default) sums the job's boundary (:func:`boundary_split`):
                ``device`` domains and the host or the job's share of it, never both.
                ``process``-scope domains (a share given to the measured process) and
                ``node``-scope ones (the whole node at the wall) overlap those and are summed
                only when asked for by their scope (as ``JobResult.energy_j``).
        """
        prov = Provenance(provenance)
        if scope is None:
            parts = [d.energy_j for d in boundary_split(self.domains)[0] if d.provenance is prov]
        else:
            parts = [d.energy_j for d in self.domains if d.provenance is prov and d.scope == scope]
        return sum(parts) if parts else None

    def average_power_w(self) -> dict[str, float]:
        """Average power per domain (W) over the window; empty for a zero-length window."""
        if self.duration_s <= 0:
            return {}
        return {d.name: d.energy_j / self.duration_s for d in self.domains}

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict with its per-provenance totals (J)."""
        return {
            "label": self.label, "started_at": self.started_at, "duration_s": self.duration_s,
            "domains": [d.to_dict() for d in self.domains],
            "totals": [
                {"provenance": t.provenance.value, "scope": t.scope, "energy_j": t.energy_j,
                 "domains": list(t.domains), "uncertainty_j": t.uncertainty_j,
                 "dynamic_energy_j": t.dynamic_energy_j, "low_j": t.low_j, "high_j": t.high_j}
                for t in self.totals()
            ],
            "average_power_w": self.average_power_w(),
            "warnings": list(self.warnings),
            **({"timeline": [x.to_dict() for x in self.timeline]} if self.timeline else {}),
            **({"validity": {k: dict(v) for k, v in self.validity.items()}} if self.validity else {}),
            **({"host_activity": self.host_activity.to_dict(),
                "headline": self.headline().to_dict()} if self.host_activity is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EnergyResult:
        """Rebuild a result from ``to_dict()`` output (totals are recomputed from the domains)."""
        return cls(label=d.get("label", ""), started_at=float(d.get("started_at", 0.0)),
                   duration_s=float(d["duration_s"]),
                   domains=tuple(DomainEnergy.from_dict(x) for x in d["domains"]),
                   warnings=tuple(d.get("warnings", ())),
                   timeline=tuple(TimelineSample(**x) for x in d.get("timeline", ())),
                   validity={k: dict(v) for k, v in dict(d.get("validity") or {}).items()},
                   host_activity=(None if not d.get("host_activity")
                                  else HostActivity.from_dict(d["host_activity"])))


_DOMAIN_ENERGY_FIELDS = tuple(f.name for f in fields(DomainEnergy))


def totals_by_provenance(domains: Iterable[DomainEnergy]) -> list[ProvenanceTotal]:
    """Group domains by (provenance, scope) and sum each group.

    Args:
        domains: Domain energies of one window.

    Returns:
        One total per (provenance, scope) present, most trustworthy first.
    """
    groups: dict[tuple[Provenance, str], list[DomainEnergy]] = {}
    for d in domains:
        groups.setdefault((d.provenance, d.scope), []).append(d)
    order = list(Provenance)
    out = []
    for (prov, scope), ds in sorted(groups.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
        unc = lo = hi = None
        total = sum(d.energy_j for d in ds)
        if prov is Provenance.ESTIMATED or any(d.uncertainty is not None for d in ds):
            unc = sum(d.energy_j * (d.uncertainty or 0.0) for d in ds)
            if prov is Provenance.ESTIMATED:
                lo = sum(d.energy_j / (1.0 + (d.uncertainty or 0.0)) for d in ds)
                hi = total + unc
            else:
                lo, hi = max(total - unc, 0.0), total + unc
        dyn = None
        if all(d.dynamic_energy_j is not None for d in ds):
            dyn = sum(d.dynamic_energy_j for d in ds)  # type: ignore[misc]
        out.append(ProvenanceTotal(prov, scope, total, tuple(d.name for d in ds), unc, dyn, lo, hi))
    return out


def boundary_split(domains: Iterable[DomainEnergy]) -> tuple[list[DomainEnergy], list[DomainEnergy]]:
    """The domains a job's total adds, and the wide ones it keeps apart.

    A total never adds figures of different extent: ``process`` and ``node`` scopes overlap
    the rest and are left out; within one provenance, when some domain covers the job's share
    of the host (scope ``affinity`` or ``container``), the domains that cover the whole host
    (``host``, ``machine``) are kept apart (reported on their own, never added to the share).
    ``device`` domains (a whole GPU or package the job ran on) are always in.

    Returns:
        (domains in the total, whole-host domains kept apart), each in input order.
    """
    ds = [d for d in domains if d.scope not in OVERLAPPING_SCOPES]
    shared = {d.provenance for d in ds if d.scope in SHARE_SCOPES}
    if not shared:
        return ds, []
    apart = [d for d in ds if d.provenance in shared and d.scope in WHOLE_HOST_SCOPES]
    return [d for d in ds if not (d.provenance in shared and d.scope in WHOLE_HOST_SCOPES)], apart


@dataclass(frozen=True)
class HostActivity:
    """Who used the CPUs a job's figures cover during one window: its process tree, or others.

    The CPUs are those of the job's CPU figure: the whole host (a RAPL package, a host-scope
    estimate), or its share (the CPUs of an affinity mask, a container's cgroup, whose own usage
    counts only its processes).

    Attributes:
        cpus: CPUs covered (may be fractional under a cgroup quota).
        duration_s: Window length, s.
        busy_cpu_s: Busy CPU time of those CPUs (``/proc/stat``, or the cgroup's usage), CPU-s.
        own_cpu_s: CPU time of the measured process and its reaped children, CPU-s.
        scope: ``host``, ``affinity`` or ``container``: what ``cpus`` are.
        max_foreign_share: The window is ``shared`` when others' CPU time exceeds this
            fraction of the covered CPU time (``cpus × duration_s``).
        resolution_cpu_s: How far off the busy time may read over the window (``/proc/stat``
            counts 10 ms ticks per CPU: one at each end), CPU-s; others' time must exceed the
            limit by more than this to flag the window.
    """

    cpus: float
    duration_s: float
    busy_cpu_s: float
    own_cpu_s: float
    scope: str = "host"
    max_foreign_share: float = DEFAULT_MAX_FOREIGN_SHARE
    resolution_cpu_s: float = 0.0

    @property
    def foreign_cpu_s(self) -> float:
        """CPU time of every other process on those CPUs: busy time minus our own, CPU-s."""
        return max(self.busy_cpu_s - self.own_cpu_s, 0.0)

    @property
    def foreign_share(self) -> float:
        """Others' CPU time as a fraction of the covered CPU time over the window."""
        capacity = self.cpus * self.duration_s
        return self.foreign_cpu_s / capacity if capacity > 0 else 0.0

    @property
    def shared(self) -> bool:
        """Whether others used more than ``max_foreign_share`` of the covered CPU time, by more
        than the busy time's resolution."""
        capacity = self.cpus * self.duration_s
        return (capacity > 0 and self.foreign_cpu_s - self.resolution_cpu_s
                > self.max_foreign_share * capacity)

    def describe(self) -> str:
        """The evidence in one sentence."""
        what = {"host": "the host's", "affinity": "the job's affinity",
                "container": "the container's"}.get(self.scope, self.scope)
        return (f"others used {self.foreign_cpu_s:.3g} CPU-s ({self.foreign_share:.1%} of "
                f"{what} {self.cpus:g} CPUs x {self.duration_s:.3g} s) against "
                f"{self.own_cpu_s:.3g} CPU-s of the measured process tree; the limit for an "
                f"unshared host is {self.max_foreign_share:.0%}")

    def to_dict(self) -> dict[str, Any]:
        """The record and its derived figures as a JSON-ready dict."""
        return {"cpus": self.cpus, "duration_s": self.duration_s,
                "busy_cpu_s": self.busy_cpu_s, "own_cpu_s": self.own_cpu_s,
                "scope": self.scope, "max_foreign_share": self.max_foreign_share,
                "resolution_cpu_s": self.resolution_cpu_s,
                "foreign_cpu_s": self.foreign_cpu_s, "foreign_share": self.foreign_share,
                "shared": self.shared}

    def record(self) -> dict[str, Any]:
        """The measured fields only (what a store keeps; the rest is derived)."""
        return {"cpus": self.cpus, "duration_s": self.duration_s,
                "busy_cpu_s": self.busy_cpu_s, "own_cpu_s": self.own_cpu_s,
                "scope": self.scope, "max_foreign_share": self.max_foreign_share,
                "resolution_cpu_s": self.resolution_cpu_s}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HostActivity:
        """Rebuild from :meth:`to_dict` or :meth:`record` output (derived keys ignored)."""
        return cls(cpus=float(d["cpus"]), duration_s=float(d["duration_s"]),
                   busy_cpu_s=float(d["busy_cpu_s"]), own_cpu_s=float(d["own_cpu_s"]),
                   scope=str(d.get("scope", "host")),
                   max_foreign_share=float(d.get("max_foreign_share", DEFAULT_MAX_FOREIGN_SHARE)),
                   resolution_cpu_s=float(d.get("resolution_cpu_s", 0.0)))


LEAD_JOB = "job"
"""Headline basis: the job's boundary (its devices and its share of the host)."""
LEAD_PROCESS = "process"
"""Headline basis: the measured process's own share (process scope, idle apart) plus the
devices it used, chosen when others shared the host."""


@dataclass(frozen=True)
class Headline:
    """The figure a window's report leads with, per provenance, and the one beside it.

    Attributes:
        basis: :data:`LEAD_JOB` or :data:`LEAD_PROCESS`.
        reason: Why this basis was chosen, in words.
        energy_j: Provenance → the lead energy, J.
        domains: The domains the lead adds.
        beside_j: Provenance → the other figure (the job's boundary when the process leads;
            the whole-host domains kept apart otherwise), J.
    """

    basis: str
    reason: str
    energy_j: Mapping[Provenance, float]
    domains: tuple[str, ...]
    beside_j: Mapping[Provenance, float]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (provenances by their value)."""
        return {"basis": self.basis, "reason": self.reason, "domains": list(self.domains),
                "energy_j": {p.value: e for p, e in self.energy_j.items()},
                "beside_j": {p.value: e for p, e in self.beside_j.items()}}


def _sum_by_provenance(domains: Iterable[DomainEnergy]) -> dict[Provenance, float]:
    out: dict[Provenance, float] = {}
    for d in domains:
        out[d.provenance] = out.get(d.provenance, 0.0) + d.energy_j
    return out


def headline(domains: Sequence[DomainEnergy], activity: HostActivity | None,
             shared: bool = False) -> Headline:
    """What a report leads with: the job's boundary, or on a shared host its own share.

    When the window is shared (``activity.shared``, or ``shared`` given by the executor) and
    the process has a ``process``-scope domain, the lead is that share (for the CPU: its own
    CPU time's dynamic energy, idle apart) plus the ``device`` domains it used; the job's
    boundary stands beside it. Otherwise the lead is the job's boundary
    (:func:`boundary_split`), with any whole-host domains kept apart beside it.
    """
    inside, apart = boundary_split(domains)
    process = [d for d in domains if d.scope == "process"]
    is_shared = shared or (activity is not None and activity.shared)
    if is_shared and process:
        lead = [d for d in domains if d.scope == "device"] + process
        why = ("shared host: " + (activity.describe() if activity is not None and activity.shared
                                  else "other jobs ran on this machine")
               + "; leading with the measured process's own share (scope process, idle "
               "apart) and its devices, the job's boundary beside it")
        return Headline(LEAD_PROCESS, why, _sum_by_provenance(lead), tuple(d.name for d in lead),
                        _sum_by_provenance(inside))
    if is_shared:
        why = ("shared host, but no process-scope figure to lead with: the job's boundary "
               "includes others' work")
    elif activity is not None:
        why = f"host not shared ({activity.describe()}): the job's boundary"
    else:
        why = "the job's boundary (who else used the host was not measured)"
    if apart:
        why += ("; kept apart, covering the whole host: "
                + ", ".join(f"{d.name} ({d.scope})" for d in apart))
    return Headline(LEAD_JOB, why, _sum_by_provenance(inside), tuple(d.name for d in inside),
                    _sum_by_provenance(apart))


class Meter(abc.ABC):
    """A source of cumulative energy counters for one or more domains.

    Implementations convert vendor units to joules, unwrap counters, and raise
    :class:`~wattprint.errors.MeterError` (never return zero) when a read fails.
    """

    name: str = "meter"

    @abc.abstractmethod
    def domains(self) -> Sequence[DomainSpec]:
        """The domains this meter reports."""

    @abc.abstractmethod
    def read(self) -> Reading:
        """Cumulative energy per domain (J) since the meter was opened, at ``time.monotonic()``."""

    def window_uncertainty(self, spec: DomainSpec, energy_j: float, duration_s: float) -> float | None:
        """Relative uncertainty of one window's energy of ``spec`` (default: the spec's own).

        Meters override it where the error depends on the window (counter update period,
        sensor accuracy × duration, CPU-time ticks).
        """
        return spec.uncertainty

    def window_uncertainty_between(self, spec: DomainSpec, energy_j: float, t0_s: float,
                                   t1_s: float) -> float | None:
        """Relative uncertainty of the window between two reads at monotonic times ``t0_s``
        and ``t1_s``; default :meth:`window_uncertainty` of its duration.

        Meters override it where something that happened at a given time widens the error of
        the windows spanning it (a poll gap in which a counter may have wrapped unseen).
        """
        return self.window_uncertainty(spec, energy_j, t1_s - t0_s)

    def window_report(self, t0_s: float, t1_s: float
                      ) -> tuple[list[TimelineSample], dict[str, dict[str, bool]], list[str]]:
        """What this meter saw between two reads (monotonic times): timeline samples (``t_s``
        relative to ``t0_s``), validity flags per domain, and warnings (shared or partitioned
        device, throttling ...). Default: nothing."""
        return [], {}, []

    def describe(self) -> str:
        """What this meter reports and how, in one line (``wattprint meters`` prints it)."""
        return "; ".join(f"{s.name}: {s.source} ({s.provenance})" for s in self.domains())

    def close(self) -> None:
        """Release resources (threads, handles). Idempotent."""

    def __enter__(self) -> Meter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class SourceStatus:
    """Detection outcome for one candidate source: used or not, and why.

    Attributes:
        component: ``gpu``, ``cpu``, ``dram``, ``ram``.
        source: ``nvml``, ``rapl``, ``estimate`` ...
        available: Whether it can be used here.
        chosen: Whether detection picked it for its component.
        reason: Why it was chosen or why not (missing library, permission, no device ...).
    """

    component: str
    source: str
    available: bool
    chosen: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict."""
        return asdict(self)
