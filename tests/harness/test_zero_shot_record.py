"""Regression: a zero-shot run is reported as multi-purpose whatever the model is called.

The worker used to keep the mode only in ``settings["mode"]`` while the report guessed the
purpose from other keys and from substrings of the model name (``flan-t5``, ``bloomz``), so
a zero-shot run of ``./my-causal-lm`` showed up as task-specific.
"""

from __future__ import annotations

import dataclasses

from harness_fakes import TOOLKIT, make_job

from wattprint.analysis.frame import results_frame
from wattprint.harness.worker import execute_job
from wattprint.results.schema import JobResult


def _run(mode: str) -> list[JobResult]:
    job = dataclasses.replace(make_job("./my-causal-lm", n=2, repeat=1, warmup=0), mode=mode)
    results: list[JobResult] = []
    execute_job(job, TOOLKIT, results.append, run_id="r", environment={})
    return results


def test_zero_shot_run_of_a_neutrally_named_local_model_is_multi_purpose():
    (r,) = _run("zero-shot")
    assert r.mode == "zero-shot"
    assert set(results_frame([r])["purpose"]) == {"multi-purpose"}


def test_the_mode_survives_the_round_trip_through_a_stored_dict():
    (r,) = _run("zero-shot")
    back = JobResult.from_dict(r.to_dict())
    assert back.mode == "zero-shot"
    assert set(results_frame([back])["purpose"]) == {"multi-purpose"}


def test_task_specific_run_stays_task_specific_even_with_a_multi_purpose_name():
    (r,) = _run("task-specific")
    r = r.with_(model="bigscience/bloomz-560m")
    assert set(results_frame([r])["purpose"]) == {"task-specific"}


def test_old_records_read_their_mode_from_settings():
    (r,) = _run("zero-shot")
    d = r.to_dict()
    del d["mode"]
    d["settings"] = {**d["settings"], "mode": "zero-shot"}
    assert JobResult.from_dict(d).mode == "zero-shot"
