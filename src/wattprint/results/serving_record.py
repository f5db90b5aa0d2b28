"""The typed record of one served load point (``kind: "serving"``), as stored and exported.

Energy figures keep their provenance: ``avg_power_w``, ``idle_power_w``, ``j_per_request`` and
``j_per_output_token`` come from the basis domains (``energy_provenance``: measured, integrated
or estimated), over the steady window when there is one, else the whole run
(``energy_window``). Per-request figures (``request_energy``) are ``attributed``: shares of
that total given by the attribution model stored in ``attribution``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

MAX_FAILURES = 1000
"""Most failed or truncated requests a load point lists one by one."""


@dataclass(frozen=True)
class FailedRequest:
    """One request of a load point that failed or was truncated.

    Attributes:
        index: Its position in the load point's request list.
        status: ``truncated``, ``http_error``, ``timeout``, ``disconnected``,
            ``protocol_error`` or ``cancelled``.
        error: What went wrong, in words (the server's message for an HTTP error).
        http_status: The HTTP status of the answer, when one came.
        finish_reason: The ``finish_reason`` the server sent, if any.
        output_tokens: Output tokens counted (truncated requests; 0 for failed ones).
        requested_output_tokens: The ``max_tokens`` asked for.
    """

    index: int
    status: str
    error: str
    http_status: int | None = None
    finish_reason: str | None = None
    output_tokens: int = 0
    requested_output_tokens: int | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FailedRequest:
        """Rebuild from :func:`dataclasses.asdict` output (unknown keys ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class ServingPoint:
    """One offered load against one served model.

    Attributes:
        point_id: Stable key of the point within its run (resumable runs skip stored ones).
        run_id: The run it belongs to.
        suite: Suite name, when run from a suite.
        endpoint: Base URL measured.
        model: Served model name.
        arrivals: The arrival process in words (``poisson 2 req/s``).
        offered_rps: Offered request rate, req/s (None for closed loop: it offers what it can).
        achieved_rps: Successful requests per second over the whole run.
        requests_ok, requests_failed: Request counts (``failed``: an HTTP error, a timeout, a
            broken connection, a body that is not a stream, Ctrl-C).
        output_tokens: Output tokens of successful requests.
        output_token_source: ``usage``, ``tokenizer`` or ``chunks`` (the worst among requests).
        j_per_request: Window energy / request-equivalents served in it (each request counts
            the share of its output chunks that arrived in the window), J.
        j_per_output_token: Window energy / output tokens that arrived in it, J.
        p50_ttft_s, p95_ttft_s: Time to first token percentiles, s.
        p50_itl_s, p95_itl_s: Inter-token latency percentiles, s.
        goodput_rps: Requests per second meeting the latency objective (None without one).
        slo: The latency objective (``{"ttft_s": .., "itl_s": ..}``).
        steady_window_s: Length of the steady window, s (0 when none).
        whole_window_s: Length of the whole run, s.
        energy_window: ``steady`` or ``whole``.
        energy_j: Energy of that window, J.
        avg_power_w: Average power over that window, W.
        idle_power_w: Idle power measured before the load, W.
        energy_provenance: Provenance of the basis domains.
        energy_domains: The basis domains.
        attribution_residual: Relative sum residual of the attribution (must be < 0.01).
        provenance: ``attributed`` for the per-request numbers.
        request_energy: p50/p90/p99 of per-request energy, prefill and decode (J), attributed.
        attribution: The attribution model, its inputs, idle and unattributed energy.
        engine: Engine name, version and configuration as reported by the server.
        environment: The environment fingerprint.
        client: Client self-check: CPU fraction, send-lag p50/p99 (s).
        flags: Validity flags (empty when valid).
        domains: Energy per domain over the energy window (all provenances, never summed).
        power_timeline: ``[[t_s, W], ...]`` relative to the run start, basis domains.
        created_at: ISO time.
        requests_truncated: Requests whose stream ended early (no ``finish_reason``, an
            unexpected one, or fewer tokens than forced); neither ok nor failed, and never in
            the per-token figures. ``ok + failed + truncated`` is every request sent.
        failures: The failed and truncated requests, each with its status, error text and
            HTTP status (the first :data:`MAX_FAILURES` by index).
        failures_omitted: Failed or truncated requests beyond those in ``failures``.
    """

    point_id: str
    run_id: str
    endpoint: str
    model: str
    arrivals: str
    offered_rps: float | None
    achieved_rps: float
    requests_ok: int
    requests_failed: int
    output_tokens: int
    output_token_source: str
    j_per_request: float | None
    j_per_output_token: float | None
    p50_ttft_s: float | None
    p95_ttft_s: float | None
    p50_itl_s: float | None
    p95_itl_s: float | None
    steady_window_s: float
    whole_window_s: float
    energy_window: str
    energy_j: float
    avg_power_w: float
    idle_power_w: float | None
    energy_provenance: str
    energy_domains: tuple[str, ...]
    attribution_residual: float
    provenance: str = "attributed"
    suite: str | None = None
    goodput_rps: float | None = None
    slo: dict[str, float] = field(default_factory=dict)
    request_energy: dict[str, float | None] = field(default_factory=dict)
    attribution: dict[str, Any] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    client: dict[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    domains: tuple[dict[str, Any], ...] = ()
    power_timeline: tuple[tuple[float, float], ...] = ()
    created_at: str = ""
    requests_truncated: int = 0
    failures: tuple[FailedRequest, ...] = ()
    failures_omitted: int = 0

    kind = "serving"

    @property
    def valid(self) -> bool:
        """True when the point has no validity flag."""
        return not self.flags

    def summary_line(self) -> str:
        """One line for a terminal: load, requests, achieved rate, J per output token (with its
        provenance), p95 TTFT, the attribution's sum residual and the validity flags."""
        j = "n/a" if self.j_per_output_token is None else f"{self.j_per_output_token:.4g}"
        ttft = "n/a" if self.p95_ttft_s is None else f"{self.p95_ttft_s:.3g} s"
        return (f"{self.arrivals}: {self.requests_ok} ok, {self.requests_failed} failed, "
                f"{self.requests_truncated} truncated, {self.achieved_rps:.2f} req/s, {j} J/output token ({self.energy_provenance}), "
                f"p95 TTFT {ttft}, residual {self.attribution_residual:.2e}, "
                f"flags: {', '.join(self.flags) or 'none'}")

    def failure_lines(self, limit: int = 5) -> list[str]:
        """The failed and truncated requests in a few lines: one per distinct (status, HTTP
        status, error), most frequent first, with its count and first request index."""
        groups: dict[tuple[str, int | None, str], list[int]] = {}
        for f in self.failures:
            groups.setdefault((f.status, f.http_status, f.error), []).append(f.index)
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))
        lines = [f"{len(idx)} × {status}" + (f" (HTTP {http})" if http is not None else "")
                 + f", first request #{idx[0]}: {error}"
                 for (status, http, error), idx in ranked[:limit]]
        rest = sum(len(idx) for _, idx in ranked[limit:]) + self.failures_omitted
        if rest:
            lines.append(f"{rest} more failed or truncated request(s) not listed")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with ``kind: "serving"`` first."""
        d = dataclasses.asdict(self)
        d["energy_domains"] = list(self.energy_domains)
        d["flags"] = list(self.flags)
        d["domains"] = [dict(x) for x in self.domains]
        d["power_timeline"] = [list(x) for x in self.power_timeline]
        d["failures"] = [dataclasses.asdict(f) for f in self.failures]
        return {"kind": self.kind, **d}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ServingPoint:
        """Rebuild a point from :meth:`to_dict` output (extra keys such as ``kind`` ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["energy_domains"] = tuple(kw.get("energy_domains", ()))
        kw["flags"] = tuple(kw.get("flags", ()))
        kw["domains"] = tuple(kw.get("domains", ()))
        kw["power_timeline"] = tuple(tuple(x) for x in kw.get("power_timeline", ()))
        kw["failures"] = tuple(FailedRequest.from_dict(f) for f in kw.get("failures", ()))
        return cls(**kw)
