"""The proxy's per-request attribution against the reference engine's truth: the engine's
simulated RAPL counter read by the real RAPL meter, requests sent *through the proxy* on
127.0.0.1, each request's attributed energy read back at ``/wattprint/requests/<id>`` and
compared with what the engine spent on it (the issue-19 targets; ``bench/proxy_truth.py``
publishes the numbers)."""

import pytest

from wattprint.serving.arrivals import Arrivals
from wattprint.serving.proxy.bodies import AT_STEPS, PACED, STREAMED
from wattprint.serving.proxy.testbed import compare_proxy, run_proxy_case
from wattprint.serving.reference import ReferenceConfig
from wattprint.serving.reference.testbed import (
    COSTS,
    MEDIAN_TARGET,
    P95_TARGET,
    PHASE_TARGET,
    Case,
    mixed_prompts,
    prompts,
)

pytestmark = pytest.mark.slow


def _why(r):
    worst = sorted(r.requests, key=lambda q: -(q.error or 0))[:3]
    return (f"{r.case}: median {r.median_error}, p95 {r.p95_error}, prefill {r.prefill_j:.2f} "
            f"/ {r.true_prefill_j:.2f}, decode {r.decode_j:.2f} / {r.true_decode_j:.2f}, "
            f"weights {r.weights}, flags {r.flags}, worst {worst}")


def _measured(tmp_path, case, **kw):
    """The case through the proxy, run again (at most twice) when the proxy refused its idle
    baseline: a machine too busy for a steady idle window is a failed precondition of the
    measurement, not an error of the attribution (the proxy then splits no idle share and says
    why, which is checked here)."""
    notes = []
    for k in range(3):
        run = run_proxy_case(case, tmp_path / f"try{k}", **kw)
        note = run.status.get("idle_note")
        if not note:
            return run
        assert run.status["idle_power_w"] == 0.0
        notes.append(note)
    pytest.fail(f"{case.name}: the idle baseline was refused in 3 tries: {notes}")


def _meets_targets(run):
    r = compare_proxy(run)
    assert len(r.requests) == len(run.case.prompts)
    assert all(q.status == "ok" and q.outcome == "completed" for q in r.requests), _why(r)
    assert r.median_error <= MEDIAN_TARGET and r.p95_error <= P95_TARGET, _why(r)
    assert r.prefill_total_error <= PHASE_TARGET and r.decode_total_error <= PHASE_TARGET, _why(r)
    # the windows' dynamic energy is the engine's: nothing lost or added between the counter,
    # the timeline and the windows
    assert r.dynamic_j == pytest.approx(r.true_prefill_j + r.true_decode_j, rel=PHASE_TARGET)
    for look in run.lookups.values():
        a = look["attributed"]
        assert a["provenance"] == "attributed" and a["final"] and "phase-occupancy-v2" in \
            a["method"] and "idle power excluded" in a["scope"]
    return r


def test_streams_through_the_proxy_to_a_batched_engine(tmp_path):
    eng = ReferenceConfig(**{**COSTS, "mode": "batched", "max_batch": 4, "dialect": "vllm"})
    run = _measured(tmp_path, Case("proxy-batched-streams", eng, Arrivals("poisson", rate_rps=2.0),
                                   prompts(12, 100, 32), idle_s=3.0))
    r = _meets_targets(run)
    assert {look["timing"] for look in run.lookups.values()} == {STREAMED}
    assert r.weights["prefill_j_per_token"] == pytest.approx(COSTS["prefill_j_per_token"],
                                                              rel=0.15)
    assert r.weights["decode_j_per_token"] == pytest.approx(COSTS["decode_j_per_token"],
                                                             rel=0.05)
    # the headers name the record that was looked up
    assert all(s.http_status == 200 and s.headers["x-energy-lookup"].endswith(s.rid)
               for s in run.sent)


def test_whole_answers_through_the_proxy_to_a_serial_engine(tmp_path):
    eng = ReferenceConfig(**{**COSTS, "mode": "serial", "dialect": "vllm"})
    run = _measured(tmp_path, Case("proxy-serial-whole", eng, Arrivals("poisson", rate_rps=1.0),
                                   prompts(12, 100, 32), idle_s=3.0), whole_every=3)
    _meets_targets(run)
    timing = [run.lookups[s.rid]["timing"] for s in run.sent]
    assert timing == [PACED if not s.stream else STREAMED for s in run.sent]
    assert timing.count(PACED) == 4
    notes = [run.lookups[s.rid]["attributed"]["stated_error"].get("note") for s in run.sent]
    assert [n is not None for n in notes] == [not s.stream for s in run.sent]


def test_whole_answers_through_the_proxy_to_a_batched_engine(tmp_path):
    # whole answers share the engine's steps with the streams beside them: their energy is
    # theirs only when the windows wait for them and their tokens sit on those steps
    eng = ReferenceConfig(**{**COSTS, "mode": "batched", "max_batch": 4, "dialect": "vllm"})
    run = _measured(tmp_path, Case("proxy-batched-whole", eng, Arrivals("poisson", rate_rps=2.0),
                                   prompts(12, 100, 32), idle_s=3.0), whole_every=3)
    r = _meets_targets(run)
    timing = [run.lookups[s.rid]["timing"] for s in run.sent]
    assert [t == STREAMED for t in timing] == [s.stream for s in run.sent]
    assert {t for t in timing if t != STREAMED} <= {AT_STEPS, PACED}
    assert AT_STEPS in timing
    assert r.weights["prefill_j_per_token"] == pytest.approx(COSTS["prefill_j_per_token"],
                                                              rel=0.15)


def test_half_the_answers_whole_on_a_batch_of_8_with_mixed_lengths(tmp_path):
    # a batch of 8 steps 2.4x slower full than with one request running: a whole answer that
    # ran on alone after the streams beside it ended is placed at the steps seen with as few
    # requests in flight, not at the pace of the full batch (which put its prefill ~0.15 s
    # early and the prefill total 10-18 % low)
    eng = ReferenceConfig(**{**COSTS, "mode": "batched", "max_batch": 8, "dialect": "vllm"})
    run = _measured(tmp_path, Case("proxy-mixed-b8-whole", eng, Arrivals("poisson", rate_rps=3.0),
                                   mixed_prompts(16), idle_s=3.0), whole_every=2)
    _meets_targets(run)
    timing = [run.lookups[s.rid]["timing"] for s in run.sent]
    assert [t == STREAMED for t in timing] == [s.stream for s in run.sent]
    assert AT_STEPS in timing


def test_chunked_prefill_with_mixed_lengths_all_streamed(tmp_path):
    # prompts of 30-300 tokens prefilled in 64-token chunks beside other streams; the first
    # 2-s window has too few slices for the weights' fit: its weights are each phase's J per
    # token where it ran alone (every token weighing the same put the prefill total 4.6-5.1 %
    # high)
    eng = ReferenceConfig(**{**COSTS, "mode": "batched", "max_batch": 4,
                             "prefill_chunk_tokens": 64, "dialect": "vllm"})
    run = _measured(tmp_path, Case("proxy-chunked-streams", eng,
                                   Arrivals("poisson", rate_rps=2.0), mixed_prompts(16),
                                   idle_s=3.0))
    _meets_targets(run)
    assert {look["timing"] for look in run.lookups.values()} == {STREAMED}
