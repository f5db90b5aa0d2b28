import pytest

from wattprint.serving.engine_report import PhaseCounters, parse_prometheus, phase_totals, scrape

PAGE = """# HELP vllm:request_queue_time_seconds Histogram of time spent in WAITING phase for request.
# TYPE vllm:request_queue_time_seconds histogram
vllm:request_queue_time_seconds_bucket{engine="0",le="0.3",model_name="m"} 2.0
vllm:request_queue_time_seconds_bucket{engine="0",le="+Inf",model_name="m"} 3.0
vllm:request_queue_time_seconds_sum{engine="0",model_name="m"} 1.5
vllm:request_queue_time_seconds_count{engine="0",model_name="m"} 3.0
vllm:request_queue_time_seconds_sum{engine="1",model_name="m, with a comma"} 0.5
vllm:request_queue_time_seconds_count{engine="1",model_name="m, with a comma"} 1.0
vllm:request_prefill_time_seconds_sum{model_name="m"} 0.8
vllm:request_prefill_time_seconds_count{model_name="m"} 4.0
vllm:request_decode_time_seconds_sum{model_name="m"} 6.25
vllm:request_decode_time_seconds_count{model_name="m"} 4.0
vllm:prompt_tokens_total{model_name="m"} 1200.0
vllm:generation_tokens_total{model_name="m"} 256.0 1700000000000
not a metric line
vllm:num_requests_running NaN
"""


def test_parse_sums_label_sets_and_skips_the_rest():
    s = parse_prometheus(PAGE)
    assert s["vllm:request_queue_time_seconds_sum"] == 2.0
    assert s["vllm:request_queue_time_seconds_count"] == 4.0
    assert s["vllm:generation_tokens_total"] == 256.0
    assert "vllm:num_requests_running" not in s and "not" not in s


def test_totals_are_differences_and_a_reset_gives_none():
    before = PhaseCounters.from_samples(parse_prometheus(PAGE))
    after = PhaseCounters(3.0, 6.0, 1.3, 6.0, 9.25, 6.0, 1500.0, 300.0)
    t = phase_totals(before, after)
    assert (t.queue_s, t.prefill_s, t.decode_s) == (pytest.approx(1.0), pytest.approx(0.5), 3.0)
    assert (t.requests, t.prompt_tokens, t.generation_tokens) == (2, 300, 44)
    reset = PhaseCounters(0.1, 1.0, 0.1, 1.0, 0.1, 1.0, 10.0, 2.0)
    r = phase_totals(before, reset)
    assert r.queue_s is None and r.generation_tokens is None
    assert phase_totals(None, after) is None
    assert PhaseCounters.from_samples({"other": 1.0}) is None


def test_scrape_a_real_page_and_an_engine_without_one(tmp_path):
    from wattprint.serving.reference import ReferenceConfig, ReferenceServer

    with ReferenceServer(ReferenceConfig(dialect="vllm"), tmp_path / "v") as srv:
        c = scrape(srv.url)
        assert c is not None and c.queue_n == 0 and c.generation_tokens == 0
    with ReferenceServer(ReferenceConfig(dialect="mute"), tmp_path / "m") as srv:
        assert scrape(srv.url) is None
    from serving_fakes import free_port
    assert scrape(f"http://127.0.0.1:{free_port()}", timeout_s=1) is None
