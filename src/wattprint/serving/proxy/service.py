"""The proxy as a whole: the HTTP server (:mod:`.relay`), the node's meters and power timeline,
the sliding-window attribution (:mod:`.sliding`), the request book (:mod:`.book`), metrics
(:mod:`.metrics`) and spans (:mod:`.tracing`).

``measure`` mode (an upstream on this node): at start the idle power is measured (``idle_s``),
then the power timeline runs for as long as the proxy does; every ``window_s`` one window, cut
``lag_s`` after its end, is split among the requests that ran in it, in a worker thread, and
its shares go to the requests, the counters and (once a request's last window is done) its span.
A window also waits (at most :data:`WHOLE_WAIT_S` more) for the whole (non-streamed) answers
sent before its end: their work cannot be seen until they come back, and a window attributed
without it gives it to the streams beside them. Their tokens are then placed again at the
engine steps those streams showed (:func:`~.steps.place_at_steps`).
``estimate`` mode (an upstream it cannot measure): each request gets ``wattprint estimate llm``
when it ends; no meter, no windows.

Routes of the proxy's own: ``GET /wattprint/requests/<id>`` (a request's record, estimate and
attribution), ``GET /wattprint/metrics`` (Prometheus; also ``/metrics`` on ``metrics_port``),
``GET /wattprint/status`` (mode, basis, idle power, weights, recent windows).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import functools
import gc
import multiprocessing
import os
import signal
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from wattprint.errors import ConfigError, MeterError
from wattprint.meters.energy_meter import EnergyMeter
from wattprint.results.serving_energy import TokenWeights
from wattprint.serving.power import Basis, PowerTimeline, choose_basis
from wattprint.serving.proxy.bodies import AT_STEPS, PACED, SPREAD_EVENLY, STREAMED
from wattprint.serving.proxy.book import RUNNING, ProxiedRequest, RequestBook, status_label
from wattprint.serving.proxy.config import ProxyConfig
from wattprint.serving.proxy.figures import EnergyFigure, LlmEstimator, from_weights
from wattprint.serving.proxy.metrics import ProxyMetrics
from wattprint.serving.proxy.sliding import WindowAccount, split_window
from wattprint.serving.proxy.steps import (
    InFlight,
    SeenSteps,
    StepTimes,
    place_at_steps,
    same_step_s,
)
from wattprint.serving.proxy.tenants import TenantMap, read_tenants
from wattprint.serving.proxy.tracing import SpanWriter
from wattprint.serving.records import Status
from wattprint.serving.weights import SliceRows

WEIGHT_WINDOWS = 30
"""Windows whose slices the per-token weights are fitted on (the latest ones)."""
RECENT_WINDOWS = 50
"""Windows summarised at ``/wattprint/status``."""
PACE_STREAMS = 100
"""Recent streams whose inter-token gaps give the engine's pace (:meth:`ProxyService.pace`)."""
WHOLE_WAIT_S = 600.0
"""Longest a window waits, past ``lag_s``, for whole answers sent before its end, s (an answer
that takes longer loses the share of its work in that window to the requests beside it)."""
WINDOW_NICE = 10
"""How much lower the window attribution's process runs than the proxy (``nice`` increment): the
attribution can wait (its shares are due seconds later), the relay cannot; on a busy node the
operating system then gives the event loop, the upstream and the clients the CPU first."""


def freeze_start_up() -> None:
    """Collect the garbage of start-up, then freeze what is left (the modules, the app, the
    meters: ~66,000 objects) out of the garbage collector's reach (:func:`gc.freeze`): the full
    collections that the request book's growth triggers then no longer scan them, and a full
    collection pauses the event loop for as long as it scans (10 ms less on an idle core; at
    500 req/s on a busy 2-core machine, 20-38 ms before, 4-12 ms after: docs/proxy.md).

    Process-wide, so :class:`ProxyService` does not do it itself: ``wattprint proxy`` does, once
    it serves (a program embedding the service decides for itself).
    """
    gc.collect()
    gc.freeze()


def _nice() -> None:
    """The window process's initializer: run below the proxy (:data:`WINDOW_NICE`); leave
    SIGINT (a terminal's Ctrl-C reaches the whole process group) to the proxy, which stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(WINDOW_NICE)


def _window_processes() -> concurrent.futures.ProcessPoolExecutor:
    """One worker process for the window attribution (forkserver where there is one: the proxy
    has threads by then, which a plain fork would copy half-way)."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx, initializer=_nice)


def _window_summary(acc: WindowAccount, gaps: bool) -> dict[str, Any]:
    pe = acc.phase
    w = acc.weights
    return {"start_s": acc.start_s, "end_s": acc.end_s, "window_j": pe.window_j,
            "idle_j": pe.idle_j, "prefill_j": pe.prefill_j, "decode_j": pe.decode_j,
            "queued_j": pe.queued_j, "unattributed_j": pe.unattributed_j,
            "requests_with_share": len(acc.shares), "residual": acc.residual,
            "weights": {"prefill_j_per_token": w.prefill_j_per_token,
                        "decode_j_per_token": w.decode_j_per_token, "source": w.source,
                        "reason": w.reason or None},
            "flags": [*acc.flags, *(["meter_read_gaps"] if gaps else [])]}


class ProxyService:
    """One proxy (module docstring).

    Args:
        cfg: The configuration.
        meter: The EnergyMeter to read (``measure`` mode; detected when None).
        tracer_provider: An OpenTelemetry ``TracerProvider`` for request spans (None: built
            from ``cfg.otlp_endpoint`` when set, else no spans).
        const_labels: Labels on every metric (the pod's, in Kubernetes).
        log: Progress messages.
        clock: Monotonic clock (the timeline's).
        window_process: Split the windows in a worker process of lower priority
            (:data:`WINDOW_NICE`) instead of a thread: the split (20-40 ms of pure Python and
            numpy per window at 500 req/s) then neither holds the interpreter lock the event
            loop needs nor competes with it for a CPU on equal terms. The same inputs give the
            same shares either way (the records and the timeline are sent as they are).
    """

    def __init__(self, cfg: ProxyConfig, *, meter: EnergyMeter | None = None,
                 tracer_provider: Any = None, const_labels: dict[str, str] | None = None,
                 log: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.monotonic,
                 window_process: bool = False) -> None:
        self.cfg, self.log, self.clock = cfg, log, clock
        self.window_process = window_process
        self._procs: concurrent.futures.ProcessPoolExecutor | None = None
        self.mode = cfg.energy_mode()
        self.tenants: TenantMap = read_tenants(cfg.tenants_file) if cfg.tenants_file \
            else TenantMap()
        self.metrics = ProxyMetrics(cfg.max_model_labels, const_labels)
        self.book = RequestBook(cfg.keep)
        self._meter_given = meter
        self.meter: EnergyMeter | None = None
        self.estimator: LlmEstimator | None = None
        if self.mode == "estimate":
            self.estimator = LlmEstimator(cfg.estimate_model, cfg.estimate_provider,
                                          cfg.estimate_active_params_b)
        self.count_tokens = None
        if cfg.tokenizer is not None:
            from wattprint.serving.prompt_tokens import tokenizer_counter

            self.count_tokens = tokenizer_counter(cfg.tokenizer)
        if tracer_provider is None and cfg.otlp_endpoint:
            from wattprint.serving.proxy.tracing import otlp_tracer_provider

            tracer_provider = otlp_tracer_provider(cfg.otlp_endpoint)
        self.spans = SpanWriter(tracer_provider) if tracer_provider is not None else None
        self.basis: Basis | None = None
        self.idle_power_w = 0.0
        self.idle_note = ""
        self.timeline: PowerTimeline | None = None
        self.weights: TokenWeights | None = None
        self.windows: collections.deque[dict[str, Any]] = collections.deque(maxlen=RECENT_WINDOWS)
        self.windows_done = 0
        self._rows: collections.deque[SliceRows] = collections.deque(maxlen=WEIGHT_WINDOWS - 1)
        self._pool = concurrent.futures.ThreadPoolExecutor(1, "wattprint-proxy-window")
        self._gaps_seen = 0
        self._paces: collections.deque[float] = collections.deque(maxlen=PACE_STREAMS)
        self._unplaced: list[ProxiedRequest] = []
        self._window_task: asyncio.Task[None] | None = None
        self._runner: Any = None
        self._session: Any = None
        self.port = cfg.port
        self.metrics_port = cfg.metrics_port
        self.window_error: str | None = None
        self._metrics_handler: Any = None
        self._mrunner: Any = None

    # ------------------------------------------------------------------ energy basis
    def prepare_energy(self) -> None:
        """``measure`` mode: open the meters, measure idle power, start the power timeline
        (blocks for ``idle_s``). Raises MeterError when there is nothing to measure."""
        if self.mode != "measure":
            self.log(f"energy: estimated per request by `wattprint estimate llm` (the upstream "
                     f"{self.cfg.upstream} is not on this node, or --energy estimate)")
            return
        meter = self._meter_given or EnergyMeter(interval_s=self.cfg.interval_s)
        self.meter = meter
        self.basis = basis = choose_basis(meter.domains())
        self.log(f"energy basis: {basis.provenance} {', '.join(basis.domains)} "
                 f"({basis.boundary})")
        if self.cfg.idle_s > 0:
            idle = meter.measure_idle(self.cfg.idle_s)
            if idle:
                self.idle_power_w = sum(idle[d] for d in basis.domains)
                self.log(f"idle power {self.idle_power_w:.2f} W over {self.cfg.idle_s:g} s")
            else:
                base = getattr(meter, "idle_baseline", None)
                self.idle_note = "; ".join(getattr(base, "reasons", ())) or "no reason given"
                self.log(f"idle baseline not usable ({self.idle_note}): no idle share is split "
                         "off, every joule of a window goes to its requests")
        else:
            self.idle_note = "no idle baseline (--idle 0)"
        self.metrics.at(self.metrics.idle_power).set(self.idle_power_w)
        self.timeline = PowerTimeline(meter.meters, self.cfg.interval_s, clock=self.clock)
        self.timeline.start()

    # ------------------------------------------------------------------ per request
    def estimate(self, req: ProxiedRequest, prompt_tokens: int | None, output_tokens: int
                 ) -> EnergyFigure | None:
        """The response-time figure of a request (stored on it too)."""
        fig: EnergyFigure | None
        if self.estimator is not None:
            got = self.estimator.figure(req.requested_model, prompt_tokens, output_tokens)
            if isinstance(got, str):
                req.estimate_note = got
                return None
            fig = got
        else:
            fig = from_weights(self.weights, prompt_tokens, output_tokens, self._boundary())
            if fig is None:
                req.estimate_note = ("no per-token energies measured yet" if self.weights is None
                                     or self.weights.source != "measured" else
                                     "the prompt's tokens are unknown")
        req.estimate = fig
        return fig

    def _boundary(self) -> str:
        return "" if self.basis is None else ", ".join(self.basis.domains)

    def ended(self, req: ProxiedRequest) -> None:
        """Count a request that ended; in ``estimate`` mode its energy and span too."""
        m, r = self.metrics, req.record
        who = m.who(req.model, req.route, req.tenant)
        status = status_label(req)
        m.child(m.requests, *who, status).inc()
        if r.status not in (Status.OK, Status.TRUNCATED):
            if self.estimator is not None:
                self._span(req, None)
            return
        gaps = r.itls_s() if req.timing == STREAMED and r.status is Status.OK else []
        if gaps:
            self._paces.append(statistics.median(gaps))
        if req.timing in (PACED, SPREAD_EVENLY) and self._window_task is not None:
            self._unplaced.append(req)
        if r.input_tokens is not None:
            m.child(m.tokens, *who, "prompt").inc(r.input_tokens)
        m.child(m.tokens, *who, "output").inc(r.output_tokens)
        if req.estimate is None and not req.estimate_note:
            self.estimate(req, r.input_tokens, r.output_tokens)
        if self.estimator is not None:
            fig = req.estimate
            if fig is not None:
                m.child(m.energy, *who, "prefill", "estimated").inc(fig.prefill_j or 0.0)
                m.child(m.energy, *who, "decode", "estimated").inc(fig.decode_j or 0.0)
            self._span(req, fig)

    def pace(self) -> float | None:
        """The engine's recent time per step: the median of the median inter-token gaps of the
        last :data:`PACE_STREAMS` streams that ended ``ok`` (s; None before the first)."""
        if not self._paces:
            return None
        return float(statistics.median(self._paces))

    def _place_whole(self) -> None:
        """Place the tokens of the whole answers that ended since the last window again, at
        the engine steps seen in the streams that ran beside them (:func:`.place_at_steps`)."""
        todo, self._unplaced = self._unplaced, []
        spans = [(r.record.sent_s, r.record.end_s) for r in todo]
        lo = min((a for a, _ in spans if a is not None), default=None)
        hi = max((b for _, b in spans if b is not None), default=None)
        if lo is None or hi is None:
            return
        pace = self.pace()
        tol = same_step_s(pace or 0.0)
        streams = [q.record for q in self.book.active.values()
                   if q.timing == STREAMED and q.record.token_times_s]
        steps = SeenSteps.of(((r.sent_s, r.token_times_s) for r in streams
                              if r.token_times_s[-1] >= lo and r.token_times_s[0] <= hi), tol)
        if not len(steps):
            return
        in_flight = InFlight.of(
            (q.record.sent_s, q.record.token_times_s[0] if q.record.token_times_s else None,
             q.record.end_s, q.stream) for q in self.book.active.values())
        model = StepTimes.of(SeenSteps.of(((r.sent_s, r.token_times_s) for r in streams), tol),
                             in_flight, tol)
        for req in todo:
            if place_at_steps(req.record, steps, pace, in_flight, model):
                req.timing = AT_STEPS

    def _whole_running(self, before_s: float) -> bool:
        """Whether a whole (non-streamed) answer sent before ``before_s`` is still running."""
        return any(not q.stream and q.state == RUNNING and q.record.sent_s is not None
                   and q.record.sent_s < before_s for q in self.book.active.values())

    def _span(self, req: ProxiedRequest, fig: EnergyFigure | None) -> None:
        if self.spans is not None:
            self.spans.write(req, fig)

    # ------------------------------------------------------------------ windows
    async def _window_loop(self) -> None:
        tl, basis = self.timeline, self.basis
        assert tl is not None and basis is not None
        loop = asyncio.get_running_loop()
        w, lag = self.cfg.window_s, self.cfg.lag_s
        a = tl.times_s[0]
        while True:
            b = a + w
            while self.clock() < b + lag or tl.times_s[-1] < b or (
                    self.clock() < b + lag + WHOLE_WAIT_S and self._whole_running(b)):
                await asyncio.sleep(max(min(b + lag - self.clock(), 1.0), tl.interval_s))
            self._place_whole()
            records = self.book.snapshot(a - w, b)
            try:
                acc = await loop.run_in_executor(self._pool, self._split, records, a, b)
            except MeterError as err:      # a gap in the timeline: this window is lost, said so
                self.window_error = str(err)
                self.metrics.at(self.metrics.windows, "lost").inc()
                self.log(f"window {a:.1f}-{b:.1f} s not attributed: {err}")
            else:
                self._apply(acc)
            tl.discard_before(b)
            a = b

    def _split(self, records: list[Any], a: float, b: float) -> WindowAccount:
        tl, basis = self.timeline, self.basis
        assert tl is not None and basis is not None
        ts, es = tl.window(basis.domains, a, b)
        job = functools.partial(split_window, records, ts, es, idle_power_w=self.idle_power_w,
                                basis_provenance=basis.provenance, basis_domains=basis.domains,
                                prior_rows=list(self._rows), seed=self.windows_done)
        if self._procs is not None:
            try:
                return self._procs.submit(job).result()
            except concurrent.futures.BrokenExecutor as err:
                self.log(f"the window process stopped ({err}): windows are split in a thread "
                         "from now on")
                self._procs = None
        return job()

    def _apply(self, acc: WindowAccount) -> None:
        m = self.metrics
        per_labels: dict[tuple[str, str, str], list[float]] = {}   # counted once per label set
        for index, (pre, dec) in acc.shares.items():
            req = self.book.add_share(index, pre, dec, acc.phase_sources.get(index, ""))
            if req is None:
                continue
            got = per_labels.setdefault((req.model, req.route, req.tenant), [0.0, 0.0])
            got[0] += max(pre, 0.0)
            got[1] += max(dec, 0.0)
        for (model, route, tenant), (pre, dec) in per_labels.items():
            who = m.who(model, route, tenant)
            m.child(m.energy, *who, "prefill", "attributed").inc(pre)
            m.child(m.energy, *who, "decode", "attributed").inc(dec)
        pe = acc.phase
        prov = acc.basis_provenance.value
        for part, j in (("idle", pe.idle_j), ("attributed", pe.prefill_j + pe.decode_j),
                        ("queued", pe.queued_j), ("unattributed", pe.unattributed_j)):
            m.at(m.node, part, prov).inc(max(j, 0.0))
        errors = len(self.timeline.errors) if self.timeline is not None else 0
        gaps, self._gaps_seen = errors > self._gaps_seen, errors
        m.at(m.windows, "flagged" if acc.flags or gaps else "ok").inc()
        self._rows.append(acc.rows)
        self.weights = acc.weights
        measured = acc.weights.source == "measured"
        m.at(m.per_token, "prompt").set(acc.weights.prefill_j_per_token if measured else 0.0)
        m.at(m.per_token, "decoded").set(acc.weights.decode_j_per_token if measured else 0.0)
        self.windows.append(_window_summary(acc, gaps))
        self.windows_done += 1
        for req in self.book.settle(acc.end_s, acc.end_s - self.cfg.window_s):
            self._span(req, req.attributed(self._boundary(), prov))

    # ------------------------------------------------------------------ HTTP
    def status(self) -> dict[str, Any]:
        """The proxy's state (``/wattprint/status``)."""
        w = self.weights
        return {"upstream": self.cfg.upstream, "mode": self.mode,
                "basis": None if self.basis is None else {
                    "provenance": self.basis.provenance.value,
                    "domains": list(self.basis.domains), "boundary": self.basis.boundary},
                "idle_power_w": self.idle_power_w if self.mode == "measure" else None,
                "idle_note": self.idle_note or None,
                "window_s": self.cfg.window_s, "lag_s": self.cfg.lag_s,
                "windows_attributed": self.windows_done, "window_error": self.window_error,
                "in_flight": self.book.running(),
                "tenants": self.tenants.names(),
                "weights": None if w is None else {
                    "prefill_j_per_token": w.prefill_j_per_token,
                    "decode_j_per_token": w.decode_j_per_token, "source": w.source,
                    "prefill_ci_j": w.prefill_ci_j, "decode_ci_j": w.decode_ci_j,
                    "slices": w.slices, "windows": w.points, "reason": w.reason or None},
                "recent_windows": list(self.windows)}

    def app(self) -> Any:
        """The aiohttp application."""
        import aiohttp
        from aiohttp import web

        from wattprint.serving.proxy.bodies import ROUTES
        from wattprint.serving.proxy.relay import LOOKUP_PATH, Relay

        app = web.Application(client_max_size=1 << 30)
        relay_box: list[Relay] = []

        async def session_ctx(_: web.Application) -> Any:
            # connections to the upstream are kept alive and reused (no limit on how many);
            # no cookie jar: a proxy must not keep one client's upstream cookies and send them
            # with the next client's requests (and a jar costs CPU on every request)
            conn = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=conn, auto_decompress=False,
                                                  cookie_jar=aiohttp.DummyCookieJar())
            relay_box.append(Relay(
                self.cfg.upstream, self._session, self.book, self.tenants,
                model_label=self.metrics.model_label, estimate=self.estimate, ended=self.ended,
                timeout_s=self.cfg.timeout_s, pace=self.pace, count_tokens=self.count_tokens,
                tenant_header=self.cfg.tenant_header, clock=self.clock))
            yield
            await self._session.close()

        app.cleanup_ctx.append(session_ctx)

        async def completion(request: web.Request) -> web.StreamResponse:
            return await relay_box[0].completion(request)

        async def passthrough(request: web.Request) -> web.StreamResponse:
            return await relay_box[0].passthrough(request)

        async def lookup(request: web.Request) -> web.Response:
            req = self.book.lookup(request.match_info["rid"])
            if req is None:
                return web.json_response({"error": {"message": "no such request (unknown id, or "
                                                    f"older than the last {self.cfg.keep})"}},
                                         status=404)
            prov = "" if self.basis is None else self.basis.provenance.value
            return web.json_response(req.to_dict(self._boundary(), prov))

        async def metrics(_: web.Request) -> web.Response:
            self.metrics.at(self.metrics.in_flight).set(self.book.running())
            return web.Response(body=self.metrics.text(),
                                headers={"Content-Type": "text/plain; version=0.0.4; "
                                         "charset=utf-8"})

        async def status(_: web.Request) -> web.Response:
            return web.json_response(self.status())

        for path in ROUTES:
            app.router.add_post(path, completion)
        app.router.add_get(LOOKUP_PATH + "{rid}", lookup)
        app.router.add_get("/wattprint/metrics", metrics)
        app.router.add_get("/wattprint/status", status)
        app.router.add_route("*", "/{tail:.*}", passthrough)
        self._metrics_handler = metrics
        return app

    async def start(self) -> None:
        """Serve (after :meth:`prepare_energy`); returns once listening.

        Raises:
            ConfigError: a port cannot be bound.
        """
        from aiohttp import web

        app = self.app()
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None,
                                     shutdown_timeout=2.0)
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, self.cfg.host, self.cfg.port, backlog=1024)
            await site.start()
            self.port = _bound_port(site, self.cfg.port)
            if self.cfg.metrics_port is not None:
                mapp = web.Application()
                mapp.router.add_get("/metrics", self._metrics_handler)
                self._mrunner = web.AppRunner(mapp, access_log=None)
                await self._mrunner.setup()
                msite = web.TCPSite(self._mrunner, self.cfg.host, self.cfg.metrics_port)
                await msite.start()
                self.metrics_port = _bound_port(msite, self.cfg.metrics_port)
        except OSError as err:
            await self.stop()
            raise ConfigError(f"--listen {self.cfg.host}:{self.cfg.port} / --metrics-port: "
                              f"cannot listen ({err.strerror or err})") from None
        if self.timeline is not None:
            if self.window_process:
                self._procs = _window_processes()
                self._procs.submit(int)     # starts the worker now, not at the first window
            self._window_task = asyncio.create_task(self._window_loop())

    async def stop(self) -> None:
        """Stop serving and measuring. Idempotent."""
        if self._window_task is not None:
            self._window_task.cancel()
            await asyncio.gather(self._window_task, return_exceptions=True)
            self._window_task = None
        for runner in (self._mrunner, self._runner):
            if runner is not None:
                await runner.cleanup()
        self._runner = None
        self._mrunner = None
        if self.timeline is not None:
            self.timeline.stop()
            self.timeline = None
        self._pool.shutdown(wait=True)
        if self._procs is not None:
            self._procs.shutdown(wait=True, cancel_futures=True)
            self._procs = None
        if self.meter is not None and self._meter_given is None:
            self.meter.close()
        if self.spans is not None and hasattr(self.spans.provider, "force_flush"):
            self.spans.provider.force_flush()

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        host = "127.0.0.1" if self.cfg.host in ("0.0.0.0", "") else self.cfg.host
        return f"http://{host}:{self.port}"


def _bound_port(site: Any, asked: int) -> int:
    if asked:
        return asked
    server = getattr(site, "_server", None)
    socks = getattr(server, "sockets", None) or ()
    return int(socks[0].getsockname()[1]) if socks else asked


class ProxyThread:
    """A :class:`ProxyService` in a background thread with its own event loop (tests, the
    bench): ``with ProxyThread(service) as proxy: proxy.url, proxy.call(fn)``; ``new_loop``
    makes the loop (e.g. ``uvloop.new_event_loop``)."""

    def __init__(self, service: ProxyService,
                 new_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
                 ) -> None:
        self.service = service
        self._loop = new_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="wattprint-proxy",
                                        daemon=True)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` in the proxy's loop thread and return its result (reads of the book)."""
        async def run() -> Any:
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return self.service.url

    def __enter__(self) -> ProxyThread:
        self.service.prepare_energy()
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.service.start(), self._loop).result(30)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.service.stop(), self._loop).result(30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        else:
            self._loop.run_until_complete(self.service.stop())
        self._loop.close()
