"""Synthetic served load points for the report tests, with figures known by construction."""

from __future__ import annotations

from typing import Any

from wattprint.carbon.impact_settings import resolve_impact_settings
from wattprint.carbon.record import CarbonRecord
from wattprint.results.serving_energy import PhaseEnergy, PointCheck, TokenWeights
from wattprint.results.serving_record import ServingPoint

H100 = "whole GPU NVIDIA H100 80GB HBM3"
CARBON = CarbonRecord(intensity_g_per_kwh=100.0, intensity_source="test grid 2025", pue=1.2,
                      impacts=resolve_impact_settings(wue=0.5, water_intensity=2.0))
CHECKS_OK = (PointCheck("meter_vs_timeline", True, 0.004, 0.03, "timeline 100 J, meter 100.4 J"),
             PointCheck("tokens_vs_engine", True, 0.0, 0.01, "output: engine 1000, client 1000"),
             PointCheck("phases_vs_engine", None, None, 0.1, "the engine reports no phase times"))
WEIGHTS = TokenWeights(0.031, 0.248, "measured", (0.029, 0.033), (0.241, 0.255), 0.08, 400, 3)


def phases(window_j: float, idle: float, queued: float, prefill: float, decode: float,
           unattributed: float = 0.0) -> PhaseEnergy:
    """Shares of ``window_j`` (fractions) as a phase decomposition."""
    return PhaseEnergy(window_j, idle * window_j, queued * window_j, prefill * window_j,
                       decode * window_j, unattributed * window_j)


def point(pid: str, run: str = "run-a", rate: float = 1.0, **kw: Any) -> ServingPoint:
    """A valid v2 point: 16 requests ok, 1,000 output tokens, 100 J over the whole window
    (idle 80 %, queued 1 %, prefill 4 %, decode 15 %), 0.09 J/output token (steady)."""
    base: dict[str, Any] = dict(
        point_id=pid, run_id=run, endpoint="http://127.0.0.1:1", model="org/tiny-chat",
        arrivals=f"poisson {rate:g} req/s", offered_rps=rate, achieved_rps=rate * 0.95,
        requests_ok=16, requests_failed=0, output_tokens=1000, output_token_source="usage",
        j_per_request=5.6, j_per_output_token=0.09, p50_ttft_s=0.05 * rate,
        p95_ttft_s=0.1 * rate, p50_itl_s=0.02, p95_itl_s=0.03, steady_window_s=8.0,
        whole_window_s=10.0, energy_window="steady", energy_j=90.0, avg_power_w=11.25,
        idle_power_w=8.0, energy_provenance="measured", energy_domains=("gpu:0",),
        attribution_residual=1e-9, engine={"name": "vllm", "version": "0.9"},
        domains=({"name": "gpu:0", "component": "gpu", "scope": "device", "boundary": H100,
                  "energy_j": 100.0},),
        attribution_model="phase-occupancy-v2", phase_source="step-boundary",
        phase_energy=phases(100.0, 0.80, 0.01, 0.04, 0.15), weights=WEIGHTS, checks=CHECKS_OK,
        attributed_j_by_status={"ok": 19.0}, p50_attributed_j=1.2, p90_attributed_j=1.4,
        p99_attributed_j=1.5, whole_j_per_request=100.0 / 16, prompt_tokens=960,
        prompt_token_source="usage", carbon=CARBON)
    base.update(kw)
    return ServingPoint(**base)


def v1_point(pid: str = "old", rate: float = 2.0) -> ServingPoint:
    """A point stored before phase-occupancy-v2: idle, attributed and unattributed totals only,
    no checks, weights or impact factors."""
    return ServingPoint(
        point_id=pid, run_id="run-old", endpoint="http://127.0.0.1:1", model="org/tiny-chat",
        arrivals=f"poisson {rate:g} req/s", offered_rps=rate, achieved_rps=rate,
        requests_ok=10, requests_failed=0, output_tokens=500, output_token_source="usage",
        j_per_request=5.0, j_per_output_token=0.1, p50_ttft_s=0.2, p95_ttft_s=0.3,
        p50_itl_s=0.02, p95_itl_s=0.03, steady_window_s=5.0, whole_window_s=6.0,
        energy_window="steady", energy_j=50.0, avg_power_w=10.0, idle_power_w=7.0,
        energy_provenance="measured", energy_domains=("gpu:0",), attribution_residual=1e-12,
        engine={"name": "llamacpp"},
        attribution={"name": "token-occupancy-v1", "window_j": 60.0, "idle_j": 42.0,
                     "attributed_j": 15.0, "unattributed_j": 3.0, "timeline_vs_meter": 0.002},
        request_energy={"p50_total_j": 1.5, "p50_prefill_j": 1.0, "p50_decode_j": 0.5})
