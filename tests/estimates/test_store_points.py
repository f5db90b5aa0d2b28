import pytest

from wattprint.estimates.store_points import observations_from_points
from wattprint.results.serving_record import ServingPoint

CPU_ENV = {"cpu_model": "AMD EPYC 7763", "gpu": {"available": False}}
GPU_ENV = {"cpu_model": "x", "gpu": {"available": True, "devices": [
    {"index": 0, "name": "NVIDIA H100 80GB HBM3"}, {"index": 1, "name": "NVIDIA H100 80GB HBM3"}]}}


def point(pid="p", model="m", **kw):
    base = dict(point_id=pid, run_id="r", endpoint="http://x", model=model,
                arrivals="closed-loop concurrency 4", offered_rps=None, achieved_rps=2.0,
                requests_ok=10, requests_failed=0, output_tokens=640,
                output_token_source="usage", j_per_request=5.0, j_per_output_token=0.08,
                p50_ttft_s=0.1, p95_ttft_s=0.2, p50_itl_s=0.05, p95_itl_s=0.08,
                steady_window_s=8.0, whole_window_s=10.0, energy_window="steady", energy_j=40.0,
                avg_power_w=5.0, idle_power_w=2.0, energy_provenance="estimated",
                energy_domains=("cpu:machine",), attribution_residual=0.0, environment=CPU_ENV)
    base.update(kw)
    return ServingPoint(**base)


def test_points_become_observations_with_little_law_batch():
    conv = observations_from_points([point()], {"m": (0.001, 0.001, 4.0)})
    (o,) = conv.observations
    assert o.hardware == "cpu:AMD EPYC 7763" and o.devices == 1 and o.boundary == "cpu"
    assert o.batch == pytest.approx(640 / 10.0 * 0.05)       # 64 tokens/s x 50 ms = 3.2
    assert o.output_len == 64 and o.j_per_output_token == 0.08
    assert o.energy_provenance == "estimated" and o.group == "m"
    assert o.source == "store:r/p" and o.power_w_per_device == 5.0


def test_gpu_points_take_the_gpu_model_and_count():
    conv = observations_from_points(
        [point(energy_domains=("gpu:0", "gpu:1"), environment=GPU_ENV, avg_power_w=800.0)],
        {"m": (8.0, 8.0, 2.0)})
    (o,) = conv.observations
    assert (o.hardware, o.devices, o.boundary, o.power_w_per_device) == ("H100", 2, "gpu", 400.0)


def test_unusable_points_are_skipped_with_their_reason():
    pts = [point("a", flags=("client_lag", "idle_baseline_invalid")),
           point("b", j_per_output_token=None), point("c", p50_itl_s=None),
           point("d", model="unknown-model"), point("e", flags=("idle_baseline_invalid",))]
    conv = observations_from_points(pts, {"m": (1.0, 1.0, 2.0)})
    reasons = dict(conv.skipped)
    assert reasons["r/a"] == "flagged: client_lag"        # the idle flag is not a reason
    assert "no energy per output token" in reasons["r/b"]
    assert "batch unknown" in reasons["r/c"]
    assert "size of 'unknown-model' unknown" in reasons["r/d"]
    assert [o.source for o in conv.observations] == ["store:r/e"]
