"""Play back a recorded energy trace, for tests and for re-analysing a past measurement.

A trace holds samples ``(t_s, domain, energy_j)`` (cumulative energy, J) or
``(t_s, domain, power_w)`` (power, W; integrated with the trapezoid rule on load). Between
samples the cumulative energy is interpolated linearly. Provenance is what the trace recorded:
a ``provenance`` column/field, else ``measured`` for energy samples and ``integrated`` for power
samples.

CSV (one sample per row; header required)::

    t_s,domain,energy_j,provenance,boundary,uncertainty
    0.0,gpu:0,0,measured,A100 board,
    0.5,gpu:0,100.5,,,

JSON::

    {"domains": [{"name": "gpu:0", "provenance": "measured", "boundary": "...",
                  "uncertainty": null, "scope": "device", "model": null}],
     "samples": [{"t_s": 0.0, "domain": "gpu:0", "energy_j": 0.0}, ...]}

Time: ``clock`` returns *trace* time; by default trace time advances with the real monotonic
clock from the trace's first sample, so a replayed window lasts as long as the recorded one.
Reading outside the recorded span raises (never a silent zero).
"""

from __future__ import annotations

import bisect
import csv
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import ConfigError, CounterError, MeterError
from wattprint.meters.base import DomainSpec, EstimateModel, Meter, Provenance, Reading


@dataclass(frozen=True)
class TraceSample:
    """One recorded sample: cumulative ``energy_j`` or instantaneous ``power_w`` at ``t_s``."""

    t_s: float
    domain: str
    energy_j: float | None = None
    power_w: float | None = None


def _float(value: Any, where: str, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: field {field!r} must be a number, got {value!r}") from None


def load_trace(path: str | os.PathLike[str]) -> tuple[list[TraceSample], dict[str, dict[str, Any]]]:
    """Read a CSV or JSON trace.

    Args:
        path: The trace file (``.csv`` or ``.json``).

    Returns:
        (samples, domain name → metadata dict from the file).

    Raises:
        ConfigError: The file is malformed (the message names the file, line or item, field).
    """
    p = os.fspath(path)
    meta: dict[str, dict[str, Any]] = {}
    samples: list[TraceSample] = []
    try:
        with open(p, encoding="utf-8") as f:
            if p.endswith(".json"):
                doc = json.load(f)
                rows: Iterable[tuple[str, Mapping[str, Any]]]
                if isinstance(doc, list):
                    rows = ((f"{p}: samples[{i}]", r) for i, r in enumerate(doc))
                else:
                    for d in doc.get("domains", []):
                        meta[d["name"]] = dict(d)
                    rows = ((f"{p}: samples[{i}]", r) for i, r in enumerate(doc["samples"]))
            else:
                rows = ((f"{p}:{n}", r) for n, r in enumerate(csv.DictReader(f), start=2))
            for where, r in rows:
                if not isinstance(r, Mapping):
                    raise ConfigError(f"{where}: expected an object, got {r!r}")
                dom = r.get("domain")
                t = _float(r.get("t_s"), where, "t_s")
                if not dom or t is None:
                    raise ConfigError(f"{where}: 't_s' and 'domain' are required")
                e = _float(r.get("energy_j"), where, "energy_j")
                pw = _float(r.get("power_w"), where, "power_w")
                if (e is None) == (pw is None):
                    raise ConfigError(f"{where}: give exactly one of 'energy_j' or 'power_w'")
                samples.append(TraceSample(t, str(dom), e, pw))
                m = meta.setdefault(str(dom), {})
                for k in ("provenance", "boundary", "uncertainty", "component", "scope", "source"):
                    if r.get(k) not in (None, "") and k not in m:
                        m[k] = r[k]
    except OSError as err:
        raise ConfigError(f"cannot read trace {p}: {err.strerror or err}") from err
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ConfigError(f"{p}: not a valid trace ({err!r}); see wattprint.meters.replay") from err
    if not samples:
        raise ConfigError(f"{p}: the trace has no samples")
    return samples, meta


class _Series:
    """Cumulative energy of one domain as a piecewise-linear function of trace time."""

    def __init__(self, name: str, samples: Sequence[TraceSample]) -> None:
        samples = sorted(samples, key=lambda s: s.t_s)
        kinds = {s.energy_j is None for s in samples}
        if len(kinds) != 1:
            raise ConfigError(f"domain {name!r} mixes energy_j and power_w samples")
        self.from_power = samples[0].energy_j is None
        self.t = [s.t_s for s in samples]
        if self.from_power:
            e, acc = [0.0], 0.0
            for a, b in zip(samples, samples[1:]):
                acc += 0.5 * (a.power_w + b.power_w) * (b.t_s - a.t_s)  # type: ignore[operator]
                e.append(acc)
            self.e = e
        else:
            self.e = [float(s.energy_j) for s in samples]  # type: ignore[arg-type]
            for i in range(1, len(self.e)):
                if self.e[i] < self.e[i - 1]:
                    raise CounterError(f"domain {name!r}: cumulative energy goes backwards at "
                                       f"t={self.t[i]} s ({self.e[i - 1]} -> {self.e[i]} J)")
        self.name = name

    def at(self, t: float) -> float:
        if t < self.t[0] or t > self.t[-1]:
            raise MeterError(f"replay of {self.name!r}: time {t:.6g} s is outside the recorded "
                             f"span [{self.t[0]:.6g}, {self.t[-1]:.6g}] s")
        i = bisect.bisect_right(self.t, t)
        if i >= len(self.t):
            return self.e[-1]
        t0, t1 = self.t[i - 1], self.t[i]
        e0, e1 = self.e[i - 1], self.e[i]
        return e0 if t1 == t0 else e0 + (e1 - e0) * (t - t0) / (t1 - t0)


class ReplayMeter(Meter):
    """A meter that plays back a trace.

    Args:
        trace: A path to a CSV/JSON trace, or a list of :class:`TraceSample`.
        domains_meta: Metadata per domain (provenance, boundary, uncertainty, scope, model),
            merged over what the file holds.
        clock: Returns the current *trace* time, seconds; when None, trace time starts at the
            first sample and follows ``time.monotonic``.
    """

    name = "replay"
    update_period_s = 0.0

    def __init__(self, trace: str | os.PathLike[str] | Sequence[TraceSample], *,
                 domains_meta: Mapping[str, Mapping[str, Any]] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        if isinstance(trace, (str, os.PathLike)):
            samples, meta = load_trace(trace)
            origin = os.fspath(trace)
        else:
            samples, meta, origin = list(trace), {}, "memory"
        for k, v in (domains_meta or {}).items():
            meta.setdefault(k, {}).update(v)
        by_dom: dict[str, list[TraceSample]] = {}
        for s in samples:
            by_dom.setdefault(s.domain, []).append(s)
        self._series = {d: _Series(d, ss) for d, ss in by_dom.items()}
        start = min(s.t[0] for s in self._series.values())
        if clock is None:
            t_real0 = time.monotonic()

            def clock() -> float:
                return start + (time.monotonic() - t_real0)

        self._clock: Callable[[], float] = clock
        self._specs = [self._spec(d, meta.get(d, {}), origin) for d in self._series]
        self._t_open = clock()
        self._e0 = {d: s.at(self._t_open) for d, s in self._series.items()}

    def _spec(self, name: str, m: Mapping[str, Any], origin: str) -> DomainSpec:
        series = self._series[name]
        try:
            prov = Provenance(m.get("provenance") or
                              ("integrated" if series.from_power else "measured"))
        except ValueError:
            raise ConfigError(f"{origin}: domain {name!r}: provenance {m.get('provenance')!r} "
                              f"is not one of {[p.value for p in Provenance]}") from None
        unc = m.get("uncertainty")
        unc = None if unc in (None, "") else float(unc)
        model = m.get("model")
        if isinstance(model, Mapping):
            model = EstimateModel.from_dict(model)
        if prov is Provenance.ESTIMATED:
            if unc is None:
                raise ConfigError(f"{origin}: estimated domain {name!r} needs an 'uncertainty'")
            if model is None:
                model = EstimateModel("recorded", "as recorded in the trace", {}, origin)
        return DomainSpec(name, m.get("component") or name.split(":")[0],
                          m.get("boundary") or f"as recorded in {origin}", prov,
                          m.get("source") or f"replay:{origin}", uncertainty=unc, model=model,
                          scope=m.get("scope") or "device")

    def domains(self) -> Sequence[DomainSpec]:
        """The domains of the recorded trace."""
        return list(self._specs)

    def read(self) -> Reading:
        """Cumulative energy per domain (J) of the trace at the clock's time."""
        t = self._clock()
        return Reading(t, {d: s.at(t) - self._e0[d] for d, s in self._series.items()})
