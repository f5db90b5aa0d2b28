"""``EnergyMeter``: the measurement API (context manager, decorator, named nestable windows).

Example::

    from wattprint import EnergyMeter

    meter = EnergyMeter(sync=torch.cuda.synchronize)   # detects the best source per component
    meter.measure_idle(5.0)                             # optional idle baseline
    with meter:                                         # one unnamed window
        run()
    print(meter.result.to_dict())

    meter.begin("prefill"); ...; r = meter.end("prefill")   # named, nestable, overlapping

    @meter                                   # decorator: a window per call named after fn
    def step(): ...
    step(); step.last_result                 # EnergyResult of the last call

A window is the difference of two reads of cumulative counters, so opening and closing one
costs a few microseconds and needs no thread. A background thread is started only for sources
that must be sampled (GPU power without an energy counter, RAPL counters that could wrap within
a window), and one thread serves them all.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from wattprint.errors import MeterError, WindowError
from wattprint.meters.base import (
    DEFAULT_MAX_FOREIGN_SHARE,
    SHARE_SCOPES,
    DomainEnergy,
    DomainSpec,
    EnergyResult,
    HostActivity,
    Meter,
    Provenance,
    Reading,
    SourceStatus,
    TimelineSample,
)
from wattprint.meters.probe import HardwareOptions
from wattprint.meters.sampled import Sampler

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_COMPONENTS: tuple[str, ...] = ("gpu", "cpu", "dram", "ram", "module", "node")


@dataclass(frozen=True)
class _Open:
    readings: tuple[Reading, ...]
    t_s: float
    started_at: float
    activity: tuple[float, float, float] | None = None  # (host busy CPU-s, own CPU-s, time s)


class HostActivityReader:
    """Reads what window :class:`~wattprint.meters.base.HostActivity` needs: the busy CPU time
    of the CPUs the job's figures cover, this process tree's CPU time (``getrusage`` of itself
    and its reaped children) and the monotonic time.

    Args:
        busy_s: Cumulative busy CPU-seconds of the covered CPUs.
        cpus: How many CPUs that is.
        scope: ``host``, ``affinity`` or ``container``.
        max_foreign_share: See :class:`~wattprint.meters.base.HostActivity`.
        own_cpu_s: Cumulative CPU-seconds of this process and its reaped children.
        tick_s: The busy time's counting step per CPU (10 ms for ``/proc/stat``, 0 for a
            cgroup's µs usage).
    """

    def __init__(self, busy_s: Callable[[], float], cpus: float, scope: str = "host",
                 max_foreign_share: float = DEFAULT_MAX_FOREIGN_SHARE,
                 own_cpu_s: Callable[[], float] | None = None, tick_s: float = 0.01) -> None:
        from wattprint.meters.estimate import _process_cpu_s

        if not 0.0 <= max_foreign_share <= 1.0:
            raise MeterError(f"max_foreign_share must be a fraction from 0 to 1, got "
                             f"{max_foreign_share!r}")
        self._busy = busy_s
        self._own = own_cpu_s or _process_cpu_s
        self.cpus, self.scope = float(cpus), scope
        self.max_foreign_share = float(max_foreign_share)
        self.resolution_cpu_s = 2 * tick_s * math.ceil(self.cpus)

    @classmethod
    def for_specs(cls, specs: Sequence[DomainSpec], cgroup_root: str, proc_root: str,
                  max_foreign_share: float) -> HostActivityReader:
        """The reader for the CPUs the domains' CPU figures cover: the job's share when they
        are all a share (``affinity``/``container`` estimates), else the whole host."""
        from wattprint.meters.cgroup import cpu_share
        from wattprint.meters.estimate import ProcStatBusy

        scopes = {s.scope for s in specs if s.component == "cpu" and s.scope != "process"}
        if scopes and scopes <= SHARE_SCOPES:
            share = cpu_share(cgroup_root, proc_root)
            if share.scope in SHARE_SCOPES:
                tick = 0.0 if share.scope == "container" and share.cgroup_dir else 0.01
                return cls(share.busy_s_reader(proc_root), share.cpus, share.scope,
                           max_foreign_share, tick_s=tick)
        busy = ProcStatBusy(os.path.join(proc_root, "stat"))
        reader = cls(busy, os.cpu_count() or 1, "host", max_foreign_share)
        reader._closer = busy.close
        return reader

    _closer: Callable[[], None] | None = None

    def read(self) -> tuple[float, float, float]:
        """(busy CPU-s of the covered CPUs, own CPU-s, monotonic s), cumulative."""
        return self._busy(), self._own(), time.monotonic()

    def between(self, a: tuple[float, float, float], b: tuple[float, float, float]
                ) -> HostActivity:
        """The activity between two reads."""
        return HostActivity(self.cpus, max(b[2] - a[2], 0.0), max(b[0] - a[0], 0.0),
                            max(b[1] - a[1], 0.0), self.scope, self.max_foreign_share,
                            self.resolution_cpu_s)

    def close(self) -> None:
        """Close what the reader opened (``/proc/stat``). Idempotent."""
        if self._closer is not None:
            closer, self._closer = self._closer, None
            closer()


class EnergyMeter:
    """Measure the energy of code windows on every available domain.

    Args:
        gpus: Visible GPU indices to measure (``CUDA_VISIBLE_DEVICES`` numbering); all when None.
        powercap_root: Where the Linux powercap tree is (RAPL), for containers and tests.
        interval_s: Sampling interval of power-only sources, seconds.
        sync: Called before every read, e.g. ``torch.cuda.synchronize``, so that queued
            device work is inside the window it belongs to.
        meters: Explicit meters (tests, replay); skips detection.
        components: Which components detection looks for: ``gpu``, ``cpu``, ``dram``, ``ram``.
        cgroup_root: The cgroup mount (container/affinity share of the estimates), for tests.
        proc_root: The procfs mount, for tests (detection, each window's host activity, and
            the host CPU utilisation the idle baseline checks, read from its ``stat``).
        host_activity: Record in every window who used the host's CPUs (this process tree or
            others: :class:`~wattprint.meters.base.HostActivity`); a window where others
            used more than ``max_foreign_share`` of the host's CPU time is flagged. Default:
            on when the meters are detected, off when ``meters`` are given (tests, replays);
            a :class:`HostActivityReader` to read other counters (tests).
        max_foreign_share: The limit for an unshared host, a fraction of its CPU time.
        hardware: Where the hardware sources outside the default paths are (BMC, exporter,
            hwmon; see :class:`~wattprint.meters.probe.HardwareOptions`).

    Raises:
        MeterError: A chosen source failed to open, or two meters report the same domain.
    """

    def __init__(self, *, gpus: list[int] | None = None,
                 powercap_root: str = "/sys/class/powercap", interval_s: float = 0.1,
                 sync: Callable[[], None] | None = None, meters: list[Meter] | None = None,
                 components: tuple[str, ...] = DEFAULT_COMPONENTS,
                 cgroup_root: str = "/sys/fs/cgroup", proc_root: str = "/proc",
                 host_activity: bool | HostActivityReader | None = None,
                 max_foreign_share: float = DEFAULT_MAX_FOREIGN_SHARE,
                 hardware: HardwareOptions | None = None) -> None:
        if not interval_s > 0:
            raise MeterError(f"interval_s must be > 0 seconds, got {interval_s!r}")
        self.interval_s = float(interval_s)
        self._proc_root = proc_root
        self._sync = sync
        if host_activity is None:
            host_activity = meters is None
        if not 0.0 <= max_foreign_share <= 1.0:
            raise MeterError(f"max_foreign_share must be a fraction from 0 to 1, got "
                             f"{max_foreign_share!r}")
        self._activity: HostActivityReader | None = None
        if meters is None:
            from wattprint.meters.detect import detect

            meters, statuses = detect(components=components, gpus=gpus,
                                      powercap_root=powercap_root, interval_s=interval_s,
                                      cgroup_root=cgroup_root, proc_root=proc_root,
                                      hardware=hardware)
        else:
            statuses = [SourceStatus(m_domain.component, getattr(m, "name", type(m).__name__),
                                     True, True, "given explicitly")
                        for m in meters for m_domain in m.domains()]
        self._meters: tuple[Meter, ...] = tuple(meters)
        self._detection = list(statuses)
        self._specs: list[tuple[Meter, tuple[DomainSpec, ...]]] = []
        seen: set[str] = set()
        for m in self._meters:
            specs = tuple(m.domains())
            for s in specs:
                if s.name in seen:
                    _close_all(Sampler([]), self._meters, self._activity)
                    raise MeterError(f"two meters report domain {s.name!r}; each domain must "
                                     "come from one meter")
                seen.add(s.name)
            self._specs.append((m, specs))
        if isinstance(host_activity, HostActivityReader):
            self._activity = host_activity
        elif host_activity:
            self._activity = HostActivityReader.for_specs(
                [s for _, specs in self._specs for s in specs], cgroup_root, proc_root,
                max_foreign_share)
        self._update_period_s = max((float(getattr(m, "update_period_s", 0.0) or 0.0)
                                     for m in self._meters), default=0.0)
        estimated = [s.name for _, specs in self._specs for s in specs
                     if s.provenance is Provenance.ESTIMATED]
        self._estimate_warning = (
            f"estimated, not measured: {', '.join(estimated)}; see each domain's model and "
            "uncertainty" if estimated else "")
        self._windows: dict[str, _Open] = {}
        self._ended: set[str] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.idle_power_w: dict[str, float] | None = None
        self.idle_baseline: Any = None  # wattprint.meters.idle.IdleBaseline once measured
        self.result: EnergyResult | None = None
        self._sampler = Sampler(self._meters)  # type: ignore[arg-type]
        self._sampler.start()
        meters_ref = self._meters
        self._finalizer = weakref.finalize(self, _close_all, self._sampler, meters_ref,
                                           self._activity)

    # ----------------------------------------------------------------- introspection
    @property
    def detection(self) -> list[SourceStatus]:
        """Every candidate source considered, whether chosen, and why (not)."""
        return list(self._detection)

    def domains(self) -> list[DomainSpec]:
        """The domains every result will report."""
        return [s for _, specs in self._specs for s in specs]

    @property
    def meters(self) -> tuple[Meter, ...]:
        """The meters this energy meter reads, in order."""
        return self._meters

    # ----------------------------------------------------------------- reading
    def _read(self) -> tuple[tuple[Reading, ...], float]:
        if self._closed:
            raise MeterError("this EnergyMeter is closed")
        if self._sync is not None:
            try:
                self._sync()
            except Exception as err:
                raise MeterError(f"the sync callable failed before a read: {err}") from err
        readings = tuple(m.read() for m in self._meters)
        t = readings[0].t_s if readings else time.monotonic()
        return readings, t

    def _result(self, label: str, start: _Open, end: tuple[Reading, ...], t_end: float
                ) -> EnergyResult:
        duration_s = t_end - start.t_s
        idle = self.idle_power_w
        domains: list[DomainEnergy] = []
        warnings: list[str] = []
        for (meter, specs), r0, r1 in zip(self._specs, start.readings, end):
            for s in specs:
                try:
                    e = r1.energy_j[s.name] - r0.energy_j[s.name]
                except KeyError as err:
                    raise MeterError(f"meter did not report domain {s.name!r}") from err
                if e < 0:
                    raise MeterError(f"domain {s.name!r} went backwards by {-e:.6g} J within "
                                     f"window {label!r}; the meter must unwrap its counter")
                if e == 0 and s.provenance is not Provenance.ESTIMATED and duration_s > 0:
                    warnings.append(f"{s.name}: 0 J over {duration_s:.3g} s; the counter may "
                                    "not have updated within the window")
                domains.append(DomainEnergy.from_spec(
                    s, e, duration_s, None if idle is None else idle.get(s.name),
                    uncertainty=meter.window_uncertainty_between(s, e, r0.t_s, r1.t_s)))
        timeline: list[TimelineSample] = []
        validity: dict[str, dict[str, bool]] = {}
        for m in self._meters:
            samples, flags, notes = m.window_report(start.t_s, t_end)
            timeline.extend(samples)
            validity.update(flags)
            warnings.extend(notes)
        if duration_s < self._update_period_s:
            warnings.append(
                f"window of {duration_s:.3g} s is shorter than the slowest counter update "
                f"period (~{self._update_period_s:.3g} s); its energy is coarse")
        if self._estimate_warning:
            warnings.append(self._estimate_warning)
        if self.idle_baseline is not None and not label.startswith("\x00idle"):
            warnings.append(self.idle_baseline.summary())
        if not domains:
            warnings.append("no energy source is available for the requested components; "
                            "see EnergyMeter.detection for why")
        activity = None
        if self._activity is not None and start.activity is not None:
            activity = self._activity.between(start.activity, self._activity.read())
            if activity.shared and not label.startswith("\x00idle"):
                warnings.append(f"shared host: {activity.describe()}; host-wide figures "
                                "include their work, so the measured process's own share "
                                "(scope process) leads")
        return EnergyResult(label, start.started_at, duration_s, tuple(domains), tuple(warnings),
                            tuple(timeline), validity, activity)

    # ----------------------------------------------------------------- windows
    def begin(self, label: str) -> None:
        """Open the window ``label``. Windows may nest and overlap.

        Raises:
            WindowError: ``label`` is already open.
            MeterError: A read failed.
        """
        with self._lock:
            if label in self._windows:
                raise WindowError(f"window {label!r} is already open; end it first or use "
                                  "another name")
            readings, t = self._read()
            activity = None if self._activity is None else self._activity.read()
            self._windows[label] = _Open(readings, t, time.time(), activity)
            self._ended.discard(label)

    def end(self, label: str) -> EnergyResult:
        """Close the window ``label`` and return its energy.

        Raises:
            WindowError: ``label`` was never begun, or was already ended.
            MeterError: A read failed (the window is discarded).
        """
        with self._lock:
            start = self._windows.pop(label, None)
            if start is None:
                if label in self._ended:
                    raise WindowError(f"window {label!r} was already ended; begin it again "
                                      "to measure another window with that name")
                open_ = ", ".join(repr(k) for k in self._windows) or "none"
                raise WindowError(f"window {label!r} was never begun; open windows: {open_}")
            self._ended.add(label)
            readings, t = self._read()
            return self._result(label, start, readings, t)

    def abort(self, label: str) -> None:
        """Discard the open window ``label`` without reading the meters (and without calling
        ``sync``, which may fail after the error that made the caller give the window up).

        Raises:
            WindowError: ``label`` is not open.
        """
        with self._lock:
            if self._windows.pop(label, None) is None:
                raise WindowError(f"window {label!r} is not open; nothing to abort")
            self._ended.add(label)

    def start(self) -> None:
        """Open the unnamed window (label ``""``)."""
        self.begin("")

    def stop(self) -> EnergyResult:
        """Close the unnamed window; the result is also kept in ``self.result``."""
        self.result = self.end("")
        return self.result

    def __enter__(self) -> EnergyMeter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- idle baseline
    def measure_idle(self, duration_s: float, *, cooldown_s: float | None = None,
                     min_gpu_idle_s: float | None = None) -> dict[str, float]:
        """Measure idle power per domain over ``duration_s`` seconds of sleep, and check it.

        The window is split into chunks; the host's CPU utilisation, each GPU's utilisation,
        SM clock and foreign processes, and the stability of every counter domain's power are
        recorded (:mod:`wattprint.meters.idle`). A valid baseline makes later results carry
        ``idle_power_w``, ``idle_energy_j`` and ``dynamic_energy_j``; an invalid one (other
        work running, unstable power) is kept in :attr:`idle_baseline` and later results get
        no dynamic energy, only a warning saying why. Either way later windows' warnings
        record the baseline's evidence.

        Args:
            duration_s: How long to sample idle power, seconds (> 0).
            cooldown_s: Wait this long first; default 5 s when a GPU is measured, else 0.
            min_gpu_idle_s: Minimum idle length when a GPU is measured; default 10 s.

        Returns:
            Domain name → idle power, W; empty when the baseline is invalid.
        """
        from wattprint.meters import idle as idle_rules
        from wattprint.meters.estimate import ProcStatBusy

        if not duration_s > 0:
            raise MeterError(f"idle duration must be > 0 seconds, got {duration_s!r}")
        gpu = any(s.component == "gpu" for s in self.domains())
        cooldown = (idle_rules.GPU_COOLDOWN_S if gpu else 0.0) if cooldown_s is None else cooldown_s
        if gpu:
            duration_s = max(duration_s, idle_rules.GPU_MIN_IDLE_S if min_gpu_idle_s is None
                             else min_gpu_idle_s)
        stop = threading.Event()
        if cooldown > 0:
            stop.wait(cooldown)
        busy = ProcStatBusy(os.path.join(self._proc_root, "stat"))
        activity = [m for m in self._meters if hasattr(m, "activity")]
        worst: dict[str, dict[str, float]] = {}
        chunks: dict[str, list[float]] = {}
        label = "\x00idle"
        try:
            busy0, t0 = busy(), time.monotonic()
            self.begin(label)
            total: EnergyResult | None = None
            step = duration_s / idle_rules.CHUNKS
            for i in range(idle_rules.CHUNKS):
                part = f"\x00idle{i}"
                self.begin(part)
                stop.wait(step)
                r = self.end(part)
                for d in r.domains:
                    if r.duration_s > 0:
                        chunks.setdefault(d.name, []).append(d.energy_j / r.duration_s)
                for m in activity:
                    for dom, act in m.activity().items():
                        w = worst.setdefault(dom, {})
                        for k, v in act.items():
                            w[k] = max(w.get(k, v), v)
            total = self.end(label)
            busy1, t1 = busy(), time.monotonic()
        finally:
            busy.close()
        if total.duration_s <= 0:
            raise MeterError("idle window has zero duration; cannot compute idle power")
        cpus = os.cpu_count() or 1
        util = (busy1 - busy0) / (cpus * (t1 - t0)) if t1 > t0 else None
        counters = {s.name for s in self.domains()
                    if s.provenance is not Provenance.ESTIMATED and s.scope != "process"}
        base = idle_rules.judge(total.duration_s, cooldown, chunks, counters, util, worst)
        power = {d.name: d.energy_j / total.duration_s for d in total.domains}
        self.idle_baseline = dataclasses.replace(base, power_w=power)
        self.idle_power_w = power if base.valid else None
        return dict(power) if base.valid else {}

    # ----------------------------------------------------------------- decorator
    def __call__(self, fn: F) -> F:
        """Decorate ``fn``: each call is a window named after it; ``fn.last_result`` holds
        the last call's EnergyResult (also when the call raised)."""
        name = getattr(fn, "__qualname__", getattr(fn, "__name__", "fn"))
        depth = threading.local()

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            d = getattr(depth, "n", 0)
            label = name if d == 0 else f"{name}#{d}"  # recursion: nested windows
            depth.n = d + 1
            self.begin(label)
            try:
                return fn(*args, **kwargs)
            finally:
                depth.n = d
                r = self.end(label)
                if d == 0:
                    wrapper.last_result = r  # type: ignore[attr-defined]

        wrapper.last_result = None  # type: ignore[attr-defined]
        wrapper.meter = self  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    @classmethod
    def measure_fn(cls, fn: F | None = None, **meter_kwargs: Any) -> Any:
        """Decorator that builds its own meter on first call: ``@EnergyMeter.measure_fn`` or
        ``@EnergyMeter.measure_fn(components=("cpu",))``; results in ``fn.last_result``."""

        def deco(f: F) -> F:
            holder: dict[str, Any] = {}

            @functools.wraps(f)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if "m" not in holder:
                    holder["m"] = cls(**meter_kwargs)
                    holder["w"] = holder["m"](f)
                try:
                    return holder["w"](*args, **kwargs)
                finally:
                    wrapper.last_result = holder["w"].last_result  # type: ignore[attr-defined]

            wrapper.last_result = None  # type: ignore[attr-defined]
            return wrapper  # type: ignore[return-value]

        return deco(fn) if fn is not None else deco

    # ----------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Stop the sampler thread and close every meter. Idempotent."""
        self._closed = True
        self._finalizer()


def _close_all(sampler: Sampler, meters: Sequence[Meter],
               activity: HostActivityReader | None = None) -> None:
    sampler.stop()
    for m in meters:
        try:
            m.close()
        except Exception:  # noqa: BLE001 - closing must not mask the caller's error
            pass
    if activity is not None:
        activity.close()
