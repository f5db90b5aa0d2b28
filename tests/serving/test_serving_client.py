import asyncio

import pytest
from serving_fakes import MODEL, SEEN, fake_server

from wattprint.serving.arrivals import Arrivals
from wattprint.serving.engines import profile, request_body
from wattprint.serving.generator import Target, run_point
from wattprint.serving.prompts import RequestSpec
from wattprint.serving.records import Status, TokenSource


def _run(url, n=4, mode_engine="vllm", arrivals=None, max_tokens=6, timeout_s=10.0, **kw):
    target = Target(url, MODEL, "chat", profile(mode_engine), timeout_s=timeout_s)
    reqs = [RequestSpec(f"prompt {i}", max_tokens) for i in range(n)]
    return asyncio.run(run_point(target, reqs, arrivals or Arrivals("closed", concurrency=2), **kw))


@pytest.mark.parametrize("mode", ["vllm", "transformers"])
def test_stream_with_and_without_done_and_usage_placement(mode):
    with fake_server(mode) as (url, _):
        run = _run(url)
    assert [r.status for r in run.records] == [Status.OK] * 4
    for r in run.records:
        assert r.output_tokens == 6 and r.output_token_source is TokenSource.USAGE
        assert r.input_tokens == 7 and r.input_token_source is TokenSource.USAGE
        assert len(r.token_times_s) == 6 and len(r.itls_s()) == 5
        assert r.ttft_s is not None and r.ttft_s > 0
        assert r.finish_reason == "length"
        assert r.sent_s >= r.scheduled_s


def test_no_usage_falls_back_to_tokenizer_or_chunks_and_says_which():
    with fake_server("nousage") as (url, _):
        run = _run(url, n=2, count_tokens=lambda s: len(s.split()))
        run2 = _run(url, n=1)
    assert all(r.output_token_source is TokenSource.TOKENIZER for r in run.records)
    assert run.records[0].output_tokens == 6 and run.records[0].input_tokens == 2
    assert run2.records[0].output_token_source is TokenSource.CHUNKS
    assert run2.records[0].input_tokens is None


@pytest.mark.parametrize("mode,status", [("http500", Status.HTTP_ERROR),
                                         ("disconnect", Status.DISCONNECTED),
                                         ("garbage", Status.PROTOCOL_ERROR),
                                         ("noend", Status.DISCONNECTED)])
def test_failures_are_recorded_and_never_counted_as_tokens(mode, status):
    with fake_server(mode) as (url, _):
        run = _run(url, n=2)
    for r in run.records:
        assert r.status is status, r.error
        assert r.error
        assert r.output_tokens == 0


def test_timeout_is_recorded():
    with fake_server("hang") as (url, _):
        run = _run(url, n=1, timeout_s=0.5)
    assert run.records[0].status is Status.TIMEOUT


def test_strict_engine_gets_only_fields_it_accepts():
    with fake_server("strict") as (url, app):
        ok = _run(url, n=1, mode_engine="transformers")
        bad = _run(url, n=1, mode_engine="vllm")
    assert ok.records[0].status is Status.OK
    assert bad.records[0].status is Status.HTTP_ERROR and "422" in bad.records[0].error
    sent = app[SEEN][0]
    assert sent["generation_config"] == '{"eos_token_id": -1}' and "ignore_eos" not in sent


def test_request_bodies_per_engine():
    b = request_body("completions", "m", "p", 8, True, profile("vllm"))
    assert b["prompt"] == "p" and b["ignore_eos"] is True and b["min_tokens"] == 8
    assert b["stream_options"] == {"include_usage": True}
    g = request_body("chat", "m", "p", 8, True, profile("generic"))
    assert set(g) == {"model", "stream", "messages", "max_tokens", "stream_options"}


def test_open_loop_poisson_schedule_and_lag():
    with fake_server("vllm") as (url, _):
        run = _run(url, n=10, arrivals=Arrivals("poisson", rate_rps=50.0))
    sched = [r.scheduled_s for r in run.records]
    assert sched == sorted(sched) and len(set(sched)) == 10
    assert all(r.status is Status.OK for r in run.records)
    assert all(lag >= 0 for lag in run.send_lags_s())
    assert run.client_cpu_s > 0


def test_probe_identifies_and_refuses():
    from serving_fakes import free_port

    from wattprint.errors import ConfigError
    from wattprint.serving.probe import probe

    with fake_server("vllm") as (url, _):
        info = asyncio.run(probe(url, MODEL))
        assert info.engine.name == "generic" and info.models == (MODEL,)
        with pytest.raises(ConfigError, match="not served"):
            asyncio.run(probe(url, "other"))
    with pytest.raises(ConfigError, match="cannot connect"):
        asyncio.run(probe(f"http://127.0.0.1:{free_port()}", MODEL))
    with fake_server("garbage") as (url, _):
        with pytest.raises(ConfigError, match="OpenAI stream"):
            asyncio.run(probe(url, MODEL))
    with pytest.raises(ConfigError, match="expected a URL"):
        asyncio.run(probe("localhost:8000", MODEL))
