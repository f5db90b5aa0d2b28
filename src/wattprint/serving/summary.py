"""Turn one load point's requests, power timeline and attribution into a :class:`ServingPoint`."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from wattprint.meters.base import EnergyResult
from wattprint.results.serving_record import MAX_FAILURES, FailedRequest, ServingPoint
from wattprint.serving.accounting import PointAccount
from wattprint.serving.attribution import MODEL_NAME, Attribution
from wattprint.serving.generator import LoadRun
from wattprint.serving.records import RequestRecord, TokenSource
from wattprint.serving.windows import Window, percentile


def _pct(values: Sequence[float], q: float) -> float | None:
    return percentile(list(values), q) if values else None


def _in(r: RequestRecord, w: Window) -> bool:
    return r.end_s is not None and w.start_s <= r.end_s <= w.end_s


def _fraction_in(r: RequestRecord, w: Window) -> float:
    """Share of a request's output chunks that arrived inside ``w`` (its work in the window)."""
    if not r.token_times_s:
        return 1.0 if _in(r, w) else 0.0
    inside = sum(1 for t in r.token_times_s if w.start_s <= t <= w.end_s)
    return inside / len(r.token_times_s)


def goodput_rps(records: Sequence[RequestRecord], window: Window, slo: dict[str, float]) -> float | None:
    """Requests per second, over ``window``, that succeeded and met every objective in ``slo``
    (``ttft_s``: time to first token; ``itl_s``: p95 of the request's inter-token gaps;
    ``latency_s``: end-to-end). None without an objective."""
    if not slo or window.duration_s <= 0:
        return None
    good = 0
    for r in records:
        if not (r.ok and _in(r, window)):
            continue
        itl = r.itls_s()
        if "ttft_s" in slo and (r.ttft_s is None or r.ttft_s > slo["ttft_s"]):
            continue
        if "itl_s" in slo and itl and percentile(itl, 95) > slo["itl_s"]:
            continue
        if "latency_s" in slo and (r.latency_s is None or r.latency_s > slo["latency_s"]):
            continue
        good += 1
    return good / window.duration_s


def failures(records: Sequence[RequestRecord]) -> tuple[FailedRequest, ...]:
    """The failed and truncated requests (the first :data:`MAX_FAILURES` by index), each with
    its status, error text (at most 300 characters) and HTTP status."""
    bad = sorted((r for r in records if not r.ok), key=lambda r: r.index)[:MAX_FAILURES]
    return tuple(FailedRequest(r.index, r.status.value, (r.error or "no error text")[:300],
                               r.http_status, r.finish_reason, r.output_tokens,
                               r.requested_output_tokens) for r in bad)


def meter_window_j(basis_domains: Sequence[str], domains: EnergyResult) -> float | None:
    """The basis domains' energy in the EnergyMeter's own window around the load, J (None
    when none of them is in it)."""
    parts = [d.energy_j for d in domains.domains if d.name in basis_domains]
    return float(sum(parts)) if parts else None


def _meter_cross_check(attribution: Attribution, domains: EnergyResult) -> dict[str, Any]:
    """The figures of the ``meter_vs_timeline`` check, kept under their old names."""
    meter_j = meter_window_j(attribution.basis_domains, domains)
    rel = abs(attribution.window_j - meter_j) / meter_j if meter_j else None
    return {"meter_window_j": meter_j, "timeline_vs_meter": rel}


def build_point(*, point_id: str, run_id: str, suite: str | None, endpoint: str, model: str,
                run: LoadRun, whole: Window, steady: Window | None, energy_j: float,
                idle_power_w: float | None, account: PointAccount, domains: EnergyResult,
                power_timeline: Sequence[tuple[float, float]], engine: dict[str, Any],
                environment: dict[str, Any], flags: Sequence[str], slo: dict[str, float],
                use_steady: bool) -> ServingPoint:
    """Aggregate a load point. ``energy_j`` is the energy of the chosen window (steady when
    ``use_steady``, else whole), from the basis domains.

    ``achieved_rps`` is successful requests over the whole run (as vLLM's benchmark reports
    request throughput). ``j_per_output_token`` divides the window's energy by the output tokens
    that *arrived* in the window (each chunk carrying ``output_tokens / chunks``);
    ``j_per_request`` divides it by the request-equivalents served in the window (each request
    counts the share of its output chunks that arrived inside it), so ramp-up and drain do not
    bias either figure. The attributed figures (``request_energy``, ``p50_attributed_j`` ...)
    cover the ``ok`` requests; every status's total is in ``attributed_j_by_status``.
    ``whole_j_per_request`` is the whole window's energy over the ``ok`` requests."""
    attribution = account.attribution
    w = steady if use_steady and steady is not None else whole
    recs = run.records
    ok = [r for r in recs if r.ok]
    fractions = [_fraction_in(r, w) for r in ok]
    requests_w = sum(fractions)
    out_tokens_w = sum(f * r.output_tokens for f, r in zip(fractions, ok))
    ttft = [r.ttft_s for r in ok if r.ttft_s is not None]
    itl = [g for r in ok for g in r.itls_s()]
    sources = {r.output_token_source for r in ok}
    worst = next((s for s in (TokenSource.CHUNKS, TokenSource.TOKENIZER, TokenSource.USAGE)
                  if s in sources), TokenSource.NONE)
    shares = [s for s in attribution.shares if s.ok]
    prompts_known = account.prompt_token_source != TokenSource.NONE.value
    req_e: dict[str, float | None] = {}
    for name, vals in (("total", [s.energy_j for s in shares]),
                       ("prefill", [s.prefill_j for s in shares] if prompts_known else []),
                       ("decode", [s.decode_j for s in shares])):
        for q in (50, 90, 99):
            req_e[f"p{q}_{name}_j"] = _pct(vals, q)
    lags = run.send_lags_s()
    dur = w.duration_s
    return ServingPoint(
        point_id=point_id, run_id=run_id, suite=suite, endpoint=endpoint, model=model,
        arrivals=run.arrivals.label, offered_rps=run.arrivals.rate_rps,
        achieved_rps=len(ok) / whole.duration_s if whole.duration_s > 0 else 0.0,
        requests_ok=len(ok), requests_truncated=sum(r.truncated for r in recs),
        requests_failed=sum(not r.ok and not r.truncated for r in recs),
        failures=failures(recs),
        failures_omitted=max(0, sum(not r.ok for r in recs) - MAX_FAILURES),
        output_tokens=sum(r.output_tokens for r in ok), output_token_source=worst.value,
        j_per_request=energy_j / requests_w if requests_w > 0 else None,
        j_per_output_token=energy_j / out_tokens_w if out_tokens_w else None,
        p50_ttft_s=_pct(ttft, 50), p95_ttft_s=_pct(ttft, 95),
        p50_itl_s=_pct(itl, 50), p95_itl_s=_pct(itl, 95),
        goodput_rps=goodput_rps(recs, w, slo), slo=dict(slo),
        steady_window_s=steady.duration_s if steady else 0.0, whole_window_s=whole.duration_s,
        energy_window=w.label, energy_j=energy_j, avg_power_w=energy_j / dur if dur > 0 else 0.0,
        idle_power_w=idle_power_w, energy_provenance=attribution.basis_provenance.value,
        energy_domains=attribution.basis_domains,
        attribution_residual=attribution.residual, provenance=attribution.provenance.value,
        request_energy=req_e,
        attribution={**attribution.model, "window": "whole", "window_j": attribution.window_j,
                     "idle_j": attribution.idle_j, "queued_j": attribution.queued_j,
                     "unattributed_j": attribution.unattributed_j,
                     "attributed_j": attribution.attributed_j, "passed": attribution.passed,
                     **_meter_cross_check(attribution, domains)},
        engine=engine, environment=environment,
        client={"cpu_fraction": run.client_cpu_fraction, "cpu_s": run.client_cpu_s,
                "send_lag_p50_s": _pct(lags, 50), "send_lag_p99_s": _pct(lags, 99),
                "send_lag_max_s": max(lags) if lags else None},
        flags=tuple(flags), domains=tuple(d.to_dict() for d in domains.domains),
        power_timeline=tuple((round(t - whole.start_s, 4), round(p, 4)) for t, p in power_timeline),
        created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        attribution_model=MODEL_NAME, phase_source=account.phase_source,
        phase_energy=attribution.phase_energy(account.phases), weights=attribution.weights,
        checks=account.checks, attributed_j_by_status=attribution.by_status(),
        p50_attributed_j=req_e["p50_total_j"], p90_attributed_j=req_e["p90_total_j"],
        p99_attributed_j=req_e["p99_total_j"],
        whole_j_per_request=attribution.window_j / len(ok) if ok else None,
        prompt_tokens=account.prompt_tokens, prompt_token_source=account.prompt_token_source,
    )
