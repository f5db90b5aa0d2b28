"""Every request the proxy passed on: what it recorded, what energy it gave at response time,
and what the windows attributed to it since; looked up by the request id the proxy returns.

A request is *running* until its answer ends, then *ended* until every window it ran in has
been attributed, then *final*. Requests stay in the active set while a later window may still
need them (their tokens are the step boundaries of the next window's first requests), and then
move to a bounded store of finished requests (``keep`` of them, oldest dropped first).

All methods are called from the proxy's event loop thread; :meth:`RequestBook.snapshot` copies
the records a window needs so that the window is computed in another thread.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from wattprint.serving.proxy.bodies import STREAMED
from wattprint.serving.proxy.figures import DYNAMIC_SCOPE, EnergyFigure
from wattprint.serving.records import RequestRecord, Status

RUNNING, ENDED, FINAL = "running", "ended", "final"
ATTRIBUTION_ERROR = {"median_rel": 0.10, "p95_rel": 0.25,
                     "source": "phase-occupancy-v2 targets against the reference engine, whose "
                               "energy is known by construction (docs/serving.md, docs/proxy.md)"}
"""The attribution's stated error per request (the targets the testbed asserts)."""
WHOLE_ANSWER_NOTE = ("a whole (non-streamed) answer: its token times were placed, not seen "
                     "(timing); against the reference engine with every third answer whole, "
                     "these targets held on a serial and a batched engine (median 0.2-0.6 %, "
                     "p95 0.4-1.4 %: bench/results/proxy_truth.md), placed at the engine steps "
                     "of the streams beside it; steps no stream shows are guessed at a pace, "
                     "and harder traffic reached p95 11-33 % (docs/proxy.md)")
"""Said beside :data:`ATTRIBUTION_ERROR` on a request whose answer came whole."""


@dataclass
class ProxiedRequest:
    """One request through the proxy.

    Attributes:
        rid: Its public id (``x-wattprint-request-id``).
        record: What was recorded (times on the proxy's monotonic clock).
        api, model, route, tenant: Its labels (``model`` as counted in metrics).
        requested_model: The ``model`` field of its body, as sent.
        stream: Whether the client asked for a stream.
        timing: How its tokens were placed in time (:mod:`.bodies`).
        started_unix_ns, ended_unix_ns: Wall-clock send and end (for spans), ns.
        estimate: The figure given at response time (provenance ``estimated``), if any.
        estimate_note: Why there was none.
        prefill_j, decode_j: Attributed so far, J.
        windows: Windows that gave it a share.
        phase_source: How its prefill was placed (the last window's view).
        state: ``running``, ``ended`` or ``final``.
        trace_headers: The client's ``traceparent``/``tracestate`` (a span's parent).
    """

    rid: str
    record: RequestRecord
    api: str
    model: str
    route: str
    tenant: str
    stream: bool
    requested_model: str | None = None
    timing: str = ""
    started_unix_ns: int = 0
    ended_unix_ns: int = 0
    estimate: EnergyFigure | None = None
    estimate_note: str = ""
    prefill_j: float = 0.0
    decode_j: float = 0.0
    windows: int = 0
    phase_source: str = ""
    state: str = RUNNING
    trace_headers: dict[str, str] = field(default_factory=dict)

    @property
    def index(self) -> int:
        """Its number (the record's index)."""
        return self.record.index

    def attributed(self, boundary: str, basis_provenance: str) -> EnergyFigure | None:
        """What the windows attributed to it so far (None before its first window)."""
        if not self.windows:
            return None
        return EnergyFigure(self.prefill_j + self.decode_j, None, None, None, "attributed",
                            DYNAMIC_SCOPE, boundary,
                            f"phase-occupancy-v2 over {self.windows} window(s); energy basis "
                            f"{basis_provenance}", self.prefill_j, self.decode_j)

    def to_dict(self, boundary: str = "", basis_provenance: str = "") -> dict[str, Any]:
        """The lookup's answer (``/wattprint/requests/<id>``)."""
        r = self.record
        att = self.attributed(boundary, basis_provenance)
        streamed = self.timing == STREAMED
        return {
            "id": self.rid, "state": self.state, "api": self.api, "model": self.model,
            "route": self.route, "tenant": self.tenant, "stream": self.stream,
            "status": r.status.value if self.state != RUNNING else RUNNING, "error": r.error,
            "http_status": r.http_status, "finish_reason": r.finish_reason,
            "prompt_tokens": r.input_tokens, "prompt_token_source": r.input_token_source.value,
            "output_tokens": r.output_tokens, "output_token_source": r.output_token_source.value,
            # a whole answer's token times are placed, not seen: no TTFT or chunks for it
            "chunks": r.chunks if streamed else None, "ttft_s": r.ttft_s if streamed else None,
            "latency_s": r.latency_s,
            "timing": self.timing, "phase_source": self.phase_source,
            "engine_timings": None if r.engine_timings is None
            else dataclasses.asdict(r.engine_timings),
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
            "estimate_note": self.estimate_note or None,
            "attributed": None if att is None else {**att.to_dict(), "windows": self.windows,
                                                    "final": self.state == FINAL,
                                                    "stated_error": ATTRIBUTION_ERROR if streamed
                                                    else {**ATTRIBUTION_ERROR,
                                                          "note": WHOLE_ANSWER_NOTE}},
        }


class RequestBook:
    """The requests (module docstring).

    Args:
        keep: Finished requests kept for lookups.
    """

    def __init__(self, keep: int = 100_000) -> None:
        self.keep = keep
        self.prefix = os.urandom(4).hex()
        self._next = 0
        self.active: dict[int, ProxiedRequest] = {}
        self._done: OrderedDict[str, ProxiedRequest] = OrderedDict()
        self._by_rid: dict[str, ProxiedRequest] = {}

    def open(self, sent_s: float, **labels: Any) -> ProxiedRequest:
        """A new running request sent at ``sent_s`` (monotonic s); ``labels`` are
        :class:`ProxiedRequest` fields."""
        n = self._next
        self._next += 1
        rec = RequestRecord(index=n, scheduled_s=sent_s, sent_s=sent_s)
        req = ProxiedRequest(f"{self.prefix}-{n}", rec, **labels)
        self.active[n] = req
        self._by_rid[req.rid] = req
        return req

    def end(self, req: ProxiedRequest) -> None:
        """Its answer ended (or failed)."""
        req.state = ENDED

    def lookup(self, rid: str) -> ProxiedRequest | None:
        """The request with that id, if still kept."""
        return self._by_rid.get(rid)

    def running(self) -> int:
        """Requests in flight."""
        return sum(1 for r in self.active.values() if r.state == RUNNING)

    def snapshot(self, start_s: float, end_s: float) -> list[RequestRecord]:
        """The records of every request sent before ``end_s`` and not ended before ``start_s``,
        for another thread to read: running ones copied as they are now, ended ones as they
        are (nothing changes a record once its request has ended; the reader must not
        either). Copying only the running ones keeps this short: it holds the event loop."""
        out = []
        for req in self.active.values():
            r = req.record
            if r.sent_s is None or r.sent_s >= end_s:
                continue
            if req.state != RUNNING:
                if r.end_s is None or r.end_s >= start_s:
                    out.append(r)
                continue
            c = copy.copy(r)                          # a shallow copy ...
            c.token_times_s = list(r.token_times_s)   # ... with its own token times
            out.append(c)
        return out

    def settle(self, window_end_s: float, keep_after_s: float) -> Iterator[ProxiedRequest]:
        """After a window ending at ``window_end_s`` is attributed: mark every request that
        ended by then ``final`` (yielded, once each), and move those that ended before
        ``keep_after_s`` out of the active set."""
        for n, req in list(self.active.items()):
            r = req.record
            if req.state == ENDED and r.end_s is not None and r.end_s <= window_end_s:
                req.state = FINAL
                yield req
            if req.state == FINAL and r.end_s is not None and r.end_s < keep_after_s:
                del self.active[n]
                self._done[req.rid] = req
        while len(self._done) > self.keep:
            rid, _ = self._done.popitem(last=False)
            self._by_rid.pop(rid, None)

    def add_share(self, index: int, prefill_j: float, decode_j: float, source: str
                  ) -> ProxiedRequest | None:
        """Add one window's share to request ``index`` (None when it is no longer active)."""
        req = self.active.get(index)
        if req is None:
            return None
        req.prefill_j += prefill_j
        req.decode_j += decode_j
        req.windows += 1
        req.phase_source = source
        return req


def status_label(req: ProxiedRequest) -> str:
    """``ok``, ``truncated`` or ``failed`` (every failing status), as the metrics count them."""
    s = req.record.status
    return s.value if s in (Status.OK, Status.TRUNCATED) else "failed"
