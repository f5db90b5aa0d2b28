"""The attribution against the reference engine's truth, through wattprint's real path
(probe, idle baseline, load, power timeline read by the RAPL meter from a simulated counter):
the issue-19 targets on cases that are deterministic enough for a loaded machine (the truth
and the attribution see the same scheduling jitter; no timing is asserted)."""

import pytest

from wattprint.serving.arrivals import Arrivals
from wattprint.serving.reference import ReferenceConfig
from wattprint.serving.reference.testbed import (
    COSTS,
    MEDIAN_TARGET,
    NO_WORK_TARGET,
    P95_TARGET,
    PHASE_TARGET,
    Case,
    compare,
    dump,
    prompts,
    run_case,
    v1_attribution,
)

pytestmark = pytest.mark.slow


def _engine(**kw):
    return ReferenceConfig(**{**COSTS, **kw})


def _why(r):
    worst = sorted(r.requests, key=lambda q: -(q.error or 0))[:3]
    return (f"{r.case}: median {r.median_error}, p95 {r.p95_error}, prefill {r.prefill_j:.2f} "
            f"/ {r.true_prefill_j:.2f}, decode {r.decode_j:.2f} / {r.true_decode_j:.2f}, "
            f"flags {r.flags}, worst {worst}")


def _meets_all(r, run=None, tmp_path=None):
    if run is not None and tmp_path is not None:
        dump(run, tmp_path / "run.json")   # kept by pytest: what a failure was computed from
    assert r.median_error <= MEDIAN_TARGET and r.p95_error <= P95_TARGET, _why(r)
    assert r.prefill_total_error <= PHASE_TARGET, _why(r)
    assert r.decode_total_error <= PHASE_TARGET, _why(r)
    assert all(r.targets().values()), _why(r)


def test_serial_engine_at_1_rps_without_phase_reports(tmp_path):
    run = run_case(Case("serial-1rps", _engine(mode="serial"), Arrivals("poisson", rate_rps=1.0),
                        prompts(10, 100, 32)), tmp_path)
    r = compare(run)
    _meets_all(r, run, tmp_path)
    assert r.weights["source"] == "measured"
    assert r.weights["prefill_j_per_token"] == pytest.approx(COSTS["prefill_j_per_token"], rel=0.15)
    assert r.weights["decode_j_per_token"] == pytest.approx(COSTS["decode_j_per_token"], rel=0.05)
    p = run.detail.point
    assert p.attribution_model == "phase-occupancy-v2" and p.phase_source == "step-boundary"
    assert p.prompt_token_source == "usage" and p.checks[0].passed
    assert [c.passed for c in p.checks[1:]] == [None, None]   # the engine reports nothing
    assert p.phase_energy.parts_j == pytest.approx(p.phase_energy.window_j, rel=1e-9)
    assert p.phase_energy.queued_j == pytest.approx(0.0, abs=0.01 * r.dynamic_j)
    # the old model, same run: queue wait billed as prefill
    old = compare(run, v1_attribution(run))
    if old.true_prefill_j and any(q.outcome == "completed" for q in old.requests):
        assert old.prefill_j >= r.prefill_j


def test_batched_engine_with_chunked_prefill_and_vllm_histograms(tmp_path):
    eng = _engine(mode="batched", max_batch=4, prefill_chunk_tokens=256, dialect="vllm")
    run = run_case(Case("chunked-vllm", eng, Arrivals("poisson", rate_rps=3.0),
                        prompts(12, [60] * 5 + [1362] + [60] * 6, 24)), tmp_path)
    r = compare(run)
    _meets_all(r, run, tmp_path)
    p = run.detail.point
    assert {c.name: c.passed for c in p.checks} == {
        "meter_vs_timeline": True, "tokens_vs_engine": True, "phases_vs_engine": True}
    assert "prometheus" in p.phase_source and not any(f.endswith("_check_failed") for f in p.flags)


def test_a_request_that_timed_out_queued_gets_no_energy(tmp_path):
    # A's client gives up at 2 s; the engine runs A on to its end; B, queued behind A,
    # times out without any work; C and D follow
    eng = _engine(mode="serial", abort_on_disconnect=False, dialect="vllm")
    run = run_case(Case("timeout", eng, Arrivals("closed", concurrency=2),
                        prompts(1, 100, 100, "a") + prompts(3, 60, 8, "b"), timeout_s=2.0),
                   tmp_path)
    r = compare(run)
    idle = [q for q in r.requests if q.true_j == 0]
    assert idle and all(q.outcome == "cancelled_queued" for q in idle)
    assert r.no_work_share is not None and r.no_work_share <= NO_WORK_TARGET
    # four requests give too few slices for the weights' fit; each phase's J per token where
    # it ran alone splits the slices where A's decode met a prefill (every token weighing the
    # same put the prefill total 23 % high)
    assert r.prefill_total_error <= PHASE_TARGET and r.decode_total_error <= PHASE_TARGET, _why(r)
    p = run.detail.point
    # the engine generated tokens nobody read: the check that can fail, fails
    tok = next(c for c in p.checks if c.name == "tokens_vs_engine")
    assert tok.passed is False and "tokens_vs_engine_check_failed" in p.flags
    assert set(p.attributed_j_by_status) == {"ok", "timeout"}
    assert sum(p.attributed_j_by_status.values()) == pytest.approx(
        run.detail.account.attribution.attributed_j)
    # v1, given the same prompt counts, spreads the queued request's prompt over its wait
    old = compare(run, v1_attribution(run))
    assert old.no_work_share is not None and old.no_work_share > NO_WORK_TARGET


def test_llamacpp_interrupts_and_timings(tmp_path):
    eng = _engine(mode="serial", interrupt=True, dialect="llamacpp")
    run = run_case(Case("interrupt", eng, Arrivals("poisson", rate_rps=2.0),
                        prompts(12, 100, 32)), tmp_path)
    r = compare(run)
    assert any(q.outcome == "interrupted" for q in r.requests)
    _meets_all(r, run, tmp_path)
    p = run.detail.point
    assert p.phase_source == "engine-timings"
    # a cut stream (no finish_reason, as llama-cpp-python ends it) is truncated, not ok, but
    # did real work: its share is its own (the same targets, apart), under its own status
    cut = [q for q in r.requests if q.status == "truncated"]
    assert cut and all(q.outcome == "interrupted" for q in cut)
    assert p.requests_truncated == len(cut) and "truncated_requests" in p.flags
    assert r.truncated_median_error <= MEDIAN_TARGET and r.truncated_p95_error <= P95_TARGET, _why(r)
    assert p.attributed_j_by_status["truncated"] == pytest.approx(sum(q.attributed_j for q in cut))
    assert sum(p.attributed_j_by_status.values()) == pytest.approx(
        run.detail.account.attribution.attributed_j)


def test_an_engine_without_usage_says_the_prompt_count_is_a_proxy(tmp_path):
    eng = _engine(mode="batched", max_batch=4, report_usage=False)
    run = run_case(Case("no-usage", eng, Arrivals("poisson", rate_rps=3.0),
                        prompts(16, [60, 200] * 8, 24)), tmp_path)
    p = run.detail.point
    assert p.prompt_token_source == "words" and "prompt_tokens_estimated" in p.flags
    assert p.output_token_source == "chunks"
    # the reference engine counts words, so here the proxy happens to be exact
    _meets_all(compare(run), run, tmp_path)


def test_the_served_folders_tokenizer_counts_prompts_not_output(tmp_path):
    # the model is a local folder holding a tokenizer (as `transformers serve MODEL_DIR`) and
    # the engine sends no usage: prompts are counted with that tokenizer, output by chunks
    # (re-tokenizing streamed text is not the engine's count), never by the found tokenizer
    pytest.importorskip("transformers")
    from wattprint.serving.reference.tokenizer import write_tokenizer

    folder = write_tokenizer(tmp_path / "lm")
    eng = _engine(mode="batched", max_batch=4, report_usage=False, model=str(folder))
    run = run_case(Case("folder-tokenizer", eng, Arrivals("poisson", rate_rps=3.0),
                        prompts(6, 40, 8), idle_s=1.0), tmp_path / "run")
    p = run.detail.point
    assert p.prompt_token_source == "tokenizer" and p.output_token_source == "chunks"
    assert {r.output_token_source.value for r in run.detail.run.records} == {"chunks"}
