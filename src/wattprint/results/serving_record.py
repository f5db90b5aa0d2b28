"""The typed record of one served load point (``kind: "serving"``), as stored and exported.

Energy figures keep their provenance: ``avg_power_w``, ``idle_power_w``, ``j_per_request`` and
``j_per_output_token`` come from the basis domains (``energy_provenance``: measured, integrated
or estimated), over the steady window when there is one, else the whole run
(``energy_window``). Per-request figures (``request_energy``, ``p50_attributed_j`` ...) are
``attributed``: shares of that total given by the attribution model named in
``attribution_model`` (``phase-occupancy-v2``; points stored before that field existed used
``token-occupancy-v1`` and read back so).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from wattprint.results.serving_energy import PhaseEnergy, PointCheck, TokenWeights, part_from_dict

V1_MODEL = "token-occupancy-v1"

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
        attribution_residual: Relative sum residual of the attribution: an internal assertion
            (< 0.01) that the split lost or doubled no energy, not a validation of the
            measurement (``checks`` are).
        provenance: ``attributed`` for the per-request numbers.
        request_energy: p50/p90/p99 of per-request energy, prefill and decode (J), attributed,
            over the requests that ended ``ok`` (the other statuses are in
            ``attributed_j_by_status``).
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
        attribution_model: The attribution model's name (``phase-occupancy-v2``, or
            ``token-occupancy-v1`` for points stored before this field).
        phase_source: How the requests' phases were found, e.g. ``engine-timings`` or
            ``step-boundary`` (the client model; :mod:`wattprint.serving.phases`), with the
            engine's phase report when there was one (``+ prometheus (vLLM names)``); "" for v1.
        phase_energy: The whole window's energy as idle, queued, prefill, decode and
            unattributed parts (J, summing to the window; None for v1 points).
        weights: The per-token energies used to split concurrent work (measured or the
            labelled fallback); None for v1 points.
        checks: Checks that can fail (meter vs timeline, engine vs client tokens, phase times
            vs the engine's); a failed one also adds ``<name>_check_failed`` to ``flags``.
        attributed_j_by_status: Attributed dynamic J per request status (``ok``, ``timeout``
            ...), summing to every request's share; ``p50_attributed_j`` etc. cover ``ok``.
        p50_attributed_j, p90_attributed_j, p99_attributed_j: Percentiles of the dynamic
            energy attributed to each ``ok`` request (prefill + decode, idle excluded), J.
        whole_j_per_request: The whole window's energy (idle, queued and unattributed
            included) over the requests that ended ``ok``, J: what the machine spent per
            successful request. Compare with the attributed figures, which exclude idle.
        prompt_tokens: Prompt tokens of the requests that did work (None when not known).
        prompt_token_source: The worst source among them: ``usage``, ``engine`` (timings),
            ``tokenizer``, ``engine-total`` (the engine's counter shared by prompt words),
            ``words`` (a proxy: flagged ``prompt_tokens_estimated``) or ``none``.
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
    attribution_model: str = V1_MODEL
    phase_source: str = ""
    phase_energy: PhaseEnergy | None = None
    weights: TokenWeights | None = None
    checks: tuple[PointCheck, ...] = ()
    attributed_j_by_status: dict[str, float] = field(default_factory=dict)
    p50_attributed_j: float | None = None
    p90_attributed_j: float | None = None
    p99_attributed_j: float | None = None
    whole_j_per_request: float | None = None
    prompt_tokens: int | None = None
    prompt_token_source: str = ""

    kind = "serving"

    @property
    def valid(self) -> bool:
        """True when the point has no validity flag."""
        return not self.flags

    def summary_line(self) -> str:
        """One line for a terminal: load, requests, achieved rate, J per output token (with its
        provenance), p95 TTFT, attributed J/request beside the whole window's, the checks and
        the validity flags."""
        j = "n/a" if self.j_per_output_token is None else f"{self.j_per_output_token:.4g}"
        ttft = "n/a" if self.p95_ttft_s is None else f"{self.p95_ttft_s:.3g} s"
        att = "n/a" if self.p50_attributed_j is None else f"{self.p50_attributed_j:.4g}"
        whole = "n/a" if self.whole_j_per_request is None else f"{self.whole_j_per_request:.4g}"
        checks = "; ".join(c.short() for c in self.checks) or "none stored"
        return (f"{self.arrivals}: {self.requests_ok} ok, {self.requests_failed} failed, "
                f"{self.requests_truncated} truncated, {self.achieved_rps:.2f} req/s, "
                f"{j} J/output token ({self.energy_provenance}), "
                f"p95 TTFT {ttft}, J/request {att} attributed (p50) / {whole} whole window, "
                f"checks: {checks}, flags: {', '.join(self.flags) or 'none'}")

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
        d["checks"] = [dict(c) for c in d["checks"]]
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
        if isinstance(kw.get("phase_energy"), dict):
            kw["phase_energy"] = part_from_dict(PhaseEnergy, kw["phase_energy"])
        if isinstance(kw.get("weights"), dict):
            kw["weights"] = part_from_dict(TokenWeights, kw["weights"])
        kw["checks"] = tuple(part_from_dict(PointCheck, c) if isinstance(c, dict) else c
                             for c in kw.get("checks", ()))
        return cls(**kw)
