"""The measurement protocol of one job, run in this process with a fake meter."""

from __future__ import annotations

import dataclasses

import pytest
from harness_fakes import FAKE_POWER_W, TOOLKIT, energy_meter_over_clock, make_job

from wattprint.harness.worker import execute_job
from wattprint.results.schema import STATUS_FAILED, STATUS_OK


def run(job):
    results, phases = [], []
    execute_job(job, TOOLKIT, results.append, run_id="run-1", environment={"host": "test"},
                on_phase=phases.append)
    return results, phases


def test_one_result_per_repetition_with_the_window_energy_and_counts():
    results, phases = run(make_job("parity", n=4, repeat=2, idle_s=0.01))
    assert [r.repetition for r in results] == [0, 1]
    assert phases == ["prepare", "load", "warmup", "idle", "query 1/2", "query 2/2"]
    for r in results:
        assert r.status == STATUS_OK
        assert (r.job_id, r.task, r.model, r.dataset, r.n) == ("job-parity", "text-classification",
                                                                "parity", "builtin", 4)
        assert r.run_id == "run-1" and r.environment == {"host": "test"}
        (d,) = r.domains
        assert d.energy_j == pytest.approx(FAKE_POWER_W * r.duration_s)
        assert d.idle_power_w == 4.0  # the fake idle baseline reached the window
        # parity() reports 2 work units, 2 output and 3 input tokens per inference
        assert (r.work_units, r.output_tokens, r.input_tokens) == (8.0, 8, 12)
        assert r.quality == {"accuracy": 1.0}
        assert (r.weights, r.model_revision, r.backend) == ("random", "rev-1", "callable")
        assert set(r.phases) == {"load", "idle"}
        assert r.phases["idle"].duration_s >= 0.01
        assert r.settings["idle_s"] == 0.01 and r.extra["idle_power_w"] == {"cpu:0": 4.0}


def test_sync_is_called_around_every_window():
    # load window: sync at begin and end (2); query window 0: 2 more -> 4; window 1 -> 6
    results, _ = run(make_job("parity", n=2, repeat=2, warmup=0))
    assert [r.warnings for r in results] == [("syncs=4",), ("syncs=6",)]


def test_quality_is_scored_over_the_window_predictions():
    results, _ = run(make_job("one", n=4, repeat=1))
    assert results[0].quality == {"accuracy": 0.5}  # inputs 0..3: parities 0,1,0,1; always 1


def test_only_the_listed_repetitions_run():
    job = make_job("parity", n=2, repeat=5).with_repetitions([1, 4])
    results, _ = run(job)
    assert [r.repetition for r in results] == [1, 4]


def test_a_model_that_raises_fails_every_repetition_with_the_reason():
    results, _ = run(make_job("boom", n=3, repeat=3, warmup=0))
    assert [r.status for r in results] == [STATUS_FAILED] * 3
    assert results[0].error.startswith("RuntimeError: boom (at harness_fakes.py:")
    assert results[1].error.startswith("not run: repetition 0 failed (RuntimeError: boom")
    assert all(r.duration_s is None and r.domains == () for r in results)


def test_a_model_that_fails_to_load_fails_every_repetition():
    results, _ = run(make_job("fail-load", repeat=2))
    assert [r.repetition for r in results] == [0, 1]
    assert all(r.error.startswith("OSError: no such checkpoint: /nowhere") for r in results)


def test_with_the_real_energy_meter_over_a_fake_counter(monkeypatch):
    # the shared test machine's CPUs are not idle; the idle-validity rules have their own tests
    monkeypatch.setattr("wattprint.meters.idle.MAX_CPU_UTILISATION", float("inf"))
    toolkit = dataclasses.replace(TOOLKIT, meter_factory=energy_meter_over_clock)
    results = []
    execute_job(make_job("parity", n=3, repeat=2, idle_s=0.05), toolkit, results.append,
                environment={})
    for r in results:
        (d,) = r.domains
        # the clock meter's power is 10 W and the idle baseline is that same 10 W
        assert d.energy_j == pytest.approx(FAKE_POWER_W * r.duration_s, rel=1e-6)
        assert d.idle_power_w == pytest.approx(FAKE_POWER_W, rel=1e-6)
        assert d.dynamic_energy_j == pytest.approx(0.0, abs=1e-6)
        assert r.phases["idle"].duration_s >= 0.05
        assert r.phases["load"].label == "load"
        assert [(x["component"], x["reason"]) for x in r.extra["meter_detection"]] == [
            ("cpu", "given explicitly")]
