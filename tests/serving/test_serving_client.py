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


@pytest.mark.parametrize("mode,status,http", [("http500", Status.HTTP_ERROR, 500),
                                              ("nonutf8", Status.HTTP_ERROR, 500),
                                              ("disconnect", Status.DISCONNECTED, 200),
                                              ("garbage", Status.PROTOCOL_ERROR, 200)])
def test_failures_are_recorded_and_never_counted_as_tokens(mode, status, http):
    with fake_server(mode) as (url, _):
        run = _run(url, n=2)
    for r in run.records:
        assert r.status is status, r.error
        assert r.error and r.http_status == http
        assert r.output_tokens == 0
    if mode == "nonutf8":   # a body that is not UTF-8 is shown, never a traceback
        assert "engine" in run.records[0].error and "\ufffd" in run.records[0].error


@pytest.mark.parametrize("mode,engine,why", [
    ("noend", "vllm", "with no finish_reason"),               # the body just stops
    ("interrupt", "llamacpp", "with no finish_reason"),       # [DONE], no finish_reason
    ("stop_early", "vllm", "finish_reason 'stop' where 'length' was expected"),
    ("short", "vllm", "5 output tokens where 6 were forced"),
])
def test_streams_that_end_early_are_truncated_not_ok(mode, engine, why):
    """A stream that ends early is `truncated`: never ok, its tokens kept for diagnosis only."""
    with fake_server(mode) as (url, _):
        run = _run(url, n=4, mode_engine=engine, arrivals=Arrivals("closed", concurrency=4))
    cut = [r for r in run.records if r.status is Status.TRUNCATED]
    assert cut, [(r.status, r.error) for r in run.records]
    assert all(why in r.error and not r.ok and r.truncated for r in cut)
    if mode != "interrupt":
        assert len(cut) == 4


def test_interrupted_streams_under_load_are_truncated():
    """llama-cpp-python's default --interrupt_requests: a waiting request cuts the running
    stream after its current token. Before the fix 9 of 10 such streams were stored as ok."""
    with fake_server("interrupt", token_delay_s=0.01) as (url, _):
        run = _run(url, n=6, mode_engine="llamacpp", arrivals=Arrivals("closed", concurrency=3))
    statuses = [r.status for r in run.records]
    assert Status.TRUNCATED in statuses and set(statuses) <= {Status.OK, Status.TRUNCATED}
    assert all(r.chunks < 6 for r in run.records if r.truncated)


def test_transformers_525_counts_come_from_usage_when_asked():
    """transformers serve 5.25 sends usage only with stream_options.include_usage, and its
    detokenizer sends no chunk for a token that completes no character: counted by chunks, 80
    forced tokens read 79 (the e2e failure). Asking for usage gives the engine's count."""
    with fake_server("transformers525") as (url, app):
        run = _run(url, n=3, mode_engine="transformers", max_tokens=8)
    assert all(b.get("stream_options") == {"include_usage": True} for b in app[SEEN])
    for r in run.records:
        assert r.status is Status.OK, r.error
        assert r.chunks == 7 and r.output_tokens == 8 and r.output_token_source is TokenSource.USAGE


def test_llamacpp_profile_forces_the_length_and_generic_does_not():
    with fake_server("llamacpp") as (url, app):
        forced = _run(url, n=2, mode_engine="llamacpp", max_tokens=8)
        free = _run(url, n=2, mode_engine="generic", max_tokens=8)
    sent = app[SEEN][0]
    assert sent["min_tokens"] == 8 and sent["ignore_eos"] is True and sent["n_predict"] == 8
    assert [r.chunks for r in forced.records] == [8, 8]
    assert all(r.status is Status.OK and r.finish_reason == "length" for r in forced.records)
    # the generic profile cannot force: the model ends on its own, which is not a truncation
    assert all(r.status is Status.OK and r.chunks == 3 and r.finish_reason == "stop"
               for r in free.records)


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
    assert sent["stream_options"] == {"include_usage": True}


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
        assert info.engine.name == "vllm" and info.models == (MODEL,)
        assert info.engine_version == "0.32.0-fake"
        with pytest.raises(ConfigError, match="not served"):
            asyncio.run(probe(url, "other"))
    with pytest.raises(ConfigError, match="cannot connect"):
        asyncio.run(probe(f"http://127.0.0.1:{free_port()}", MODEL))
    with fake_server("garbage") as (url, _):
        with pytest.raises(ConfigError, match="OpenAI stream"):
            asyncio.run(probe(url, MODEL))
    with pytest.raises(ConfigError, match="expected a URL"):
        asyncio.run(probe("localhost:8000", MODEL))
