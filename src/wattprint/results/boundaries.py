"""One result's energy at nested boundaries, after Google's 2025 per-prompt accounting.

Elsworth et al., "Measuring the environmental impact of delivering AI at Google Scale"
(arXiv 2508.15734, 2025) count AI serving energy at widening boundaries: the active
accelerator only → + the host's CPU and DRAM → + idle machines provisioned for reliability →
× the data centre's PUE (their median Gemini text prompt: 0.10 Wh accelerator-only, 0.24 Wh in
full, 2.4×). From one wattprint result the four levels are:

1. ``accelerator``: the query window's energy of accelerator domains (GPUs);
2. ``host``: + the host's CPU and memory domains (``cpu``, ``dram``, ``ram``);
3. ``idle``: + the idle share of provisioned capacity. With a stated fraction ``f`` of the
   provisioned capacity held idle (``--idle-share``, default 0), each active unit carries
   ``f / (1 − f)`` idle units, drawing this machine's measured idle power:
   ``Σ idle_power_w × duration_s × f / (1 − f)`` over the level-2 domains. It needs an idle
   baseline for every such domain (none: the level is missing, never guessed);
4. ``facility``: level 3 × the PUE recorded with the result (``carbon.pue``), or a stated
   default where none was recorded.

Provenance is never summed over: each level is a set of parts, one per provenance (a
measured GPU and an estimated CPU stay two numbers at every level). The idle share and the PUE
are stated factors applied to energy of a provenance; the scaled part keeps that provenance,
and the factor is named beside it (like a carbon intensity). The ratio of the widest level to
the accelerator-only level is given only when both are a single, equal provenance; otherwise
it is missing and says why. Process-scope domains (a share of the machine) are left out: they
overlap the machine's own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from wattprint.meters.base import DomainEnergy, Provenance, boundary_split
from wattprint.results.schema import JobResult

LEVELS: tuple[str, ...] = ("accelerator", "host", "idle", "facility")
"""The four nested boundaries, narrowest first."""

LEVEL_TITLES: Mapping[str, str] = {
    "accelerator": "accelerator only",
    "host": "+ host CPU and DRAM",
    "idle": "+ idle share of provisioned capacity",
    "facility": "× PUE (facility)",
}

ACCELERATOR_COMPONENTS: frozenset[str] = frozenset({"gpu", "accelerator", "npu", "tpu", "xpu"})
HOST_COMPONENTS: frozenset[str] = frozenset({"cpu", "dram", "ram", "memory"})

LEVEL_PARTIAL = "partial"
"""A frame row whose domains are only part of a level (the rest has another provenance)."""
LEVEL_PROCESS = "process"
"""A frame row of process-attributed domains only."""
LEVEL_NODE = "node"
"""A frame row of whole-node domains only (the node at the wall, from its BMC)."""


def check_idle_share(value: float | str) -> float:
    """Parse and check an idle share of provisioned capacity: ``0 ≤ f < 1``.

    Raises:
        ValueError: naming the value and the valid range.
    """
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"idle share: expected a number in [0, 1), got {value!r}") from None
    if not math.isfinite(f) or not 0.0 <= f < 1.0:
        raise ValueError(f"idle share: expected a fraction in [0, 1) of provisioned capacity "
                         f"held idle (e.g. 0.2), got {value!r}")
    return f


@dataclass(frozen=True)
class BoundaryPart:
    """The energy of one provenance inside one boundary.

    Attributes:
        provenance: ``measured``, ``integrated``, ``estimated`` ...
        energy_j: Energy over the query window, joules (cumulative: everything inside the
            boundary in this provenance).
        domains: The domains it covers.
        basis: How it was obtained, in words (the stated factors included).
    """

    provenance: str
    energy_j: float
    domains: tuple[str, ...]
    basis: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"provenance": self.provenance, "energy_j": self.energy_j,
                "domains": list(self.domains), "basis": self.basis}


@dataclass(frozen=True)
class BoundaryLevel:
    """One boundary: its parts (one per provenance), or why it is missing.

    Attributes:
        level: One of :data:`LEVELS`.
        parts: One part per provenance; empty when missing.
        note: Why the level is missing, or what was assumed; "" when nothing to say.
    """

    level: str
    parts: tuple[BoundaryPart, ...]
    note: str = ""

    @property
    def title(self) -> str:
        """The level in words (``+ host CPU and DRAM`` ...)."""
        return LEVEL_TITLES[self.level]

    @property
    def available(self) -> bool:
        """True when the level has a figure."""
        return bool(self.parts)

    @property
    def provenance(self) -> str | None:
        """The single provenance of the level, or None when missing or of several."""
        provs = {p.provenance for p in self.parts}
        return provs.pop() if len(provs) == 1 else None

    @property
    def energy_j(self) -> float | None:
        """The level's energy, joules, when it is of one provenance; None otherwise (parts
        of several provenances are never summed)."""
        return self.parts[0].energy_j if self.provenance is not None else None

    def energy_by_provenance(self) -> dict[str, float]:
        """Provenance → energy (J) inside this boundary."""
        return {p.provenance: p.energy_j for p in self.parts}

    def describe(self) -> str:
        """``"12.3 J measured + 4.5 J estimated (not summed)"`` or the note when missing."""
        if not self.parts:
            return f"— ({self.note})" if self.note else "—"
        txt = " + ".join(f"{p.energy_j:.4g} J {p.provenance}" for p in self.parts)
        return txt + (" (not summed)" if len(self.parts) > 1 else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"level": self.level, "title": self.title, "energy_j": self.energy_j,
                "provenance": self.provenance, "parts": [p.to_dict() for p in self.parts],
                "note": self.note}


@dataclass(frozen=True)
class Boundaries:
    """A result's energy at the four nested boundaries.

    Attributes:
        levels: The four levels, narrowest first (see :data:`LEVELS`).
        idle_share: The stated fraction of provisioned capacity held idle.
        pue: The PUE applied at the facility level, or None.
        pue_source: Where the PUE came from (``recorded with the result``, ``stated default``).
        ratio: Widest available level ÷ accelerator-only, when both are one equal provenance.
        ratio_level: The level used as the numerator of the ratio.
        ratio_note: Why there is no ratio, or "".
        outside: Domains placed at no level (unknown components), listed, never added.
    """

    levels: tuple[BoundaryLevel, ...]
    idle_share: float
    pue: float | None
    pue_source: str
    ratio: float | None
    ratio_level: str | None
    ratio_note: str
    outside: tuple[str, ...] = ()

    def level(self, name: str) -> BoundaryLevel:
        """The level called ``name`` (one of :data:`LEVELS`)."""
        return self.levels[LEVELS.index(name)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"levels": [lv.to_dict() for lv in self.levels], "idle_share": self.idle_share,
                "pue": self.pue, "pue_source": self.pue_source, "ratio": self.ratio,
                "ratio_level": self.ratio_level, "ratio_note": self.ratio_note,
                "outside": list(self.outside)}


_RANK = {p.value: i for i, p in enumerate(Provenance)}
"""Provenance order, most trustworthy first (parts are listed in it)."""


def _wide(domains: Iterable[DomainEnergy]) -> list[DomainEnergy]:
    return boundary_split(domains)[0]


def _by_provenance(domains: Sequence[DomainEnergy], basis: str) -> tuple[BoundaryPart, ...]:
    order: dict[str, list[DomainEnergy]] = {}
    for d in domains:
        order.setdefault(d.provenance.value, []).append(d)
    if len(order) == 1:
        ((p, ds),) = order.items()
        return (BoundaryPart(p, float(sum(d.energy_j for d in ds)), tuple(d.name for d in ds),
                             basis),)
    return tuple(BoundaryPart(p, float(sum(d.energy_j for d in ds)),
                              tuple(d.name for d in ds), basis)
                 for p, ds in sorted(order.items(), key=lambda kv: (_RANK.get(kv[0], 99), kv[0])))


def recorded_pue(r: JobResult) -> float | None:
    """The PUE stored with a result (``carbon.pue``), or None."""
    c = r.carbon
    if c is None:
        return None
    v = c.get("pue") if isinstance(c, Mapping) else getattr(c, "pue", None)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def level_of(used: Iterable[DomainEnergy], all_domains: Iterable[DomainEnergy]) -> str:
    """Which boundary a set of one provenance's domains covers, within its result.

    Args:
        used: The domains summed into one figure (one provenance).
        all_domains: Every domain of the result.

    Returns:
        ``accelerator`` (all the result's accelerator domains, nothing else), ``host`` (all
        its accelerator and host domains; a result without accelerator: all its host
        domains), ``process`` (process-attributed domains only), ``node`` (the whole node at
        the wall only), or ``partial`` (part of a level: the rest is of another provenance,
        or a component outside every level).
    """
    used = list(used)
    if used and all(d.scope == "process" for d in used):
        return LEVEL_PROCESS
    if used and all(d.scope == "node" for d in used):
        return LEVEL_NODE
    names = {d.name for d in _wide(used)}
    wide = _wide(all_domains)
    acc = {d.name for d in wide if d.component in ACCELERATOR_COMPONENTS}
    host = {d.name for d in wide if d.component in HOST_COMPONENTS}
    if acc and names == acc:
        return "accelerator"
    if host and names == acc | host:
        return "host"
    return LEVEL_PARTIAL


def boundaries(r: JobResult, idle_share: float = 0.0,
               default_pue: float | None = None) -> Boundaries:
    """The four nested boundaries of one result (see the module docstring).

    Args:
        r: A stored result (a failed one has every level missing).
        idle_share: Stated fraction of provisioned capacity held idle, ``0 ≤ f < 1``.
        default_pue: PUE for a result that has none recorded; None leaves its facility
            level missing.

    Raises:
        ValueError: for an idle share outside [0, 1).
    """
    f = idle_share if isinstance(idle_share, float) and 0.0 <= idle_share < 1.0 else (
        check_idle_share(idle_share))
    wide = _wide(r.domains)
    acc: list[DomainEnergy] = []
    host: list[DomainEnergy] = []
    out_names: list[str] = []
    for d in wide:
        if d.component in ACCELERATOR_COMPONENTS:
            acc.append(d)
        elif d.component in HOST_COMPONENTS:
            host.append(d)
        else:
            out_names.append(d.name)
    outside = tuple(out_names)
    node = [d for d in r.domains if d.scope == "node"]
    if not wide and node:
        return _node_only(r, node, f, default_pue)
    if not wide:
        why = f"no energy ({r.status})" if r.status != "ok" else "no machine or device domain"
        missing = tuple(BoundaryLevel(lv, (), why) for lv in LEVELS)
        return Boundaries(missing, f, None, "", None, None, why, outside)

    basis = "query-window energy"
    lv1 = BoundaryLevel("accelerator", _by_provenance(acc, basis),
                        "" if acc else "no accelerator domain in this result")
    inner = acc + host
    lv2 = BoundaryLevel("host", _by_provenance(inner, basis),
                        "" if host else "no host CPU or memory domain in this result")

    if not inner:
        lv3 = BoundaryLevel("idle", (), "nothing inside the host boundary")
    elif f == 0.0:
        lv3 = BoundaryLevel("idle", lv2.parts, "idle share 0 (none stated; set --idle-share)")
    else:
        no_base = [d.name for d in inner if d.idle_power_w is None]
        if no_base or r.duration_s is None:
            why = ("no idle baseline for " + ", ".join(no_base) if no_base
                   else "no window duration")
            lv3 = BoundaryLevel("idle", (), why)
        else:
            k = f / (1.0 - f)
            parts = []
            for p in lv2.parts:
                ds = [d for d in inner if d.provenance.value == p.provenance]
                idle_j = sum(float(d.idle_power_w or 0.0) for d in ds) * r.duration_s * k
                parts.append(BoundaryPart(
                    p.provenance, p.energy_j + idle_j, p.domains,
                    f"{basis} + idle power × {r.duration_s:.4g} s × f/(1−f), f = {f:g} "
                    f"(stated): {idle_j:.4g} J"))
            lv3 = BoundaryLevel("idle", tuple(parts), f"idle share {f:g} (stated)")

    pue = recorded_pue(r)
    source = "recorded with the result"
    if pue is None and default_pue is not None:
        pue, source = float(default_pue), "stated default (none recorded)"
    if pue is None:
        lv4 = BoundaryLevel("facility", (), "no PUE recorded with the result (set --pue)")
        source = ""
    elif not lv3.parts:
        lv4 = BoundaryLevel("facility", (), f"idle level missing: {lv3.note}")
    else:
        lv4 = BoundaryLevel("facility", tuple(
            BoundaryPart(p.provenance, p.energy_j * pue, p.domains, f"{p.basis}; × PUE {pue:g}")
            for p in lv3.parts), f"PUE {pue:g} ({source})")

    levels = (lv1, lv2, lv3, lv4)
    ratio, ratio_level, note = _ratio(levels)
    return Boundaries(levels, f, pue, source, ratio, ratio_level, note, outside)


def _node_only(r: JobResult, node: Sequence[DomainEnergy], f: float,
               default_pue: float | None) -> Boundaries:
    """A result measured only at the wall (BMC): the host level is the whole node (which also
    covers fans and power-supply losses); no accelerator-only figure; idle and facility as
    usual."""
    parts = _by_provenance(node, "query-window energy of the whole node at the wall (BMC)")
    host = BoundaryLevel("host", parts, "whole node at the wall (BMC): also covers fans and "
                                        "power-supply losses")
    # the idle and facility levels follow from the node as they do from a host: computed on
    # the node's domains standing in for the host's (same names, energies and baselines)
    stand_in = r.with_(domains=tuple(replace(d, scope="machine", component="cpu") for d in node))
    b = boundaries(stand_in, f, default_pue)
    levels = (BoundaryLevel("accelerator", (), "only the whole node was measured (BMC)"), host,
              b.level("idle"), b.level("facility"))
    return Boundaries(levels, f, b.pue, b.pue_source, None, None,
                      "only the whole node was measured (BMC)", ())


def _ratio(levels: Sequence[BoundaryLevel]) -> tuple[float | None, str | None, str]:
    base = levels[0]
    if not base.available:
        return None, None, base.note
    widest = next(lv for lv in reversed(levels) if lv.available)
    if base.provenance is None or widest.provenance != base.provenance:
        provs = ", ".join(f"{p.provenance} ({' + '.join(p.domains)})" for p in widest.parts)
        return None, widest.level, f"parts differ in provenance: {provs}; not summed"
    if not base.energy_j:
        return None, widest.level, "accelerator-only energy is zero"
    return float(widest.energy_j or 0.0) / base.energy_j, widest.level, ""


def boundary_columns(b: Boundaries) -> dict[str, Any]:
    """Flat columns for CSV/Parquet export (units in the names).

    ``boundary.<level>.energy_<provenance>_j`` per part (never summed across provenances),
    ``boundary.<level>.note``, ``boundary.ratio``, ``boundary.ratio_level``,
    ``boundary.ratio_note``, ``boundary.idle_share``, ``boundary.pue``,
    ``boundary.pue_source``.
    """
    row: dict[str, Any] = {}
    for lv in b.levels:
        for p in lv.parts:
            row[f"boundary.{lv.level}.energy_{p.provenance}_j"] = p.energy_j
        row[f"boundary.{lv.level}.note"] = lv.note or None
    row["boundary.ratio"] = b.ratio
    row["boundary.ratio_level"] = b.ratio_level
    row["boundary.ratio_note"] = b.ratio_note or None
    row["boundary.idle_share"] = b.idle_share
    row["boundary.pue"] = b.pue
    row["boundary.pue_source"] = b.pue_source or None
    return row
