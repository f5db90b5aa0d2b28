"""`wattprint load` and serving suites: exit 1 when a request failed or was truncated, each
failure kept with its error text and HTTP status (stored and shown); 2 on bad input, with a
message and never a traceback; 130 on Ctrl-C (tests/serving/test_serving_interrupt.py)."""

import json

import pytest
from serving_fakes import MODEL, SEEN, fake_server

from wattprint.analysis.serving_report import pareto
from wattprint.cli import main


def _load(url, store, *extra, requests="4"):
    return main(["load", "--endpoint", url, "--model", MODEL, "--concurrency", "2",
                 "--requests", requests, "--output-len", "4", "--idle", "0", "--max-lag", "5",
                 "--timeout", "2", "--store", str(store), *extra])


def _points(store, capsys):
    capsys.readouterr()
    assert main(["export", "--kind", "serving", "--store", str(store)]) == 0
    return [json.loads(x) for x in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("mode,status,http,text", [
    ("http500", "http_error", 500, "boom"),                 # HTTP 500s after a good probe
    ("stall", "timeout", 200, "no complete answer within 2 s"),   # a stream that stalls
    ("nonutf8", "http_error", 500, "engine"),               # an error body that is not UTF-8
])
def test_failed_requests_exit_1_and_keep_their_error_and_http_status(mode, status, http, text,
                                                                    tmp_path, capsys):
    store = tmp_path / "s.db"
    with fake_server(mode, healthy_first=1) as (url, _):
        rc = _load(url, store)
    err = capsys.readouterr().err
    assert rc == 1, err                                  # was 0 with 0 of 4 requests ok
    assert "4 request(s) failed and 0 truncated of 4" in err
    assert f"4 × {status}" in err and text in err and "Traceback" not in err
    (p,) = _points(store, capsys)
    assert (p["requests_ok"], p["requests_failed"], p["requests_truncated"]) == (0, 4, 0)
    assert "failed_requests" in p["flags"]
    assert [f["index"] for f in p["failures"]] == [0, 1, 2, 3]
    assert all(f["status"] == status and f["http_status"] == http and text in f["error"]
               for f in p["failures"])


def test_truncated_streams_exit_1_are_counted_apart_and_never_on_the_pareto_front(tmp_path, capsys):
    """llama-cpp-python's default --interrupt_requests under load: streams cut after a token.
    Before: stored as ok, exit 0, and the point sat on the report's Pareto front."""
    store = tmp_path / "s.db"
    with fake_server("interrupt", token_delay_s=0.02) as (url, _):
        rc = _load(url, store, requests="6")
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "engine profile llamacpp" in err and "truncated" in err
    (p,) = _points(store, capsys)
    assert p["requests_truncated"] > 0 and p["requests_failed"] == 0
    assert p["requests_ok"] + p["requests_truncated"] == 6
    assert "truncated_requests" in p["flags"] and "failed_requests" not in p["flags"]
    assert all(f["status"] == "truncated" and "no finish_reason" in f["error"]
               for f in p["failures"])
    # per-token figures count only the ok requests (4 tokens each)
    assert p["output_tokens"] == 4 * p["requests_ok"]
    from wattprint.results.serving_record import ServingPoint

    point = ServingPoint.from_dict(p)
    assert not point.valid and point not in pareto([point])


def test_all_ok_exits_0_and_stores_no_failures(tmp_path, capsys):
    store = tmp_path / "s.db"
    with fake_server("vllm") as (url, _):
        rc = _load(url, store)
    assert rc == 0, capsys.readouterr().err
    (p,) = _points(store, capsys)
    assert (p["requests_ok"], p["requests_failed"], p["requests_truncated"]) == (4, 0, 0)
    assert p["failures"] == [] and p["engine"]["name"] == "vllm"


def test_extra_body_is_sent_with_every_request(tmp_path, capsys):
    with fake_server("vllm") as (url, app):
        rc = _load(url, tmp_path / "s.db", "--extra-body", '{"temperature": 0, "top_k": 1}')
    assert rc == 0, capsys.readouterr().err
    assert all(b["temperature"] == 0 and b["top_k"] == 1 for b in app[SEEN])   # probe too


def test_non_utf8_answers_and_files_are_messages_not_tracebacks(tmp_path, capsys):
    with fake_server("nonutf8_models") as (url, _):
        assert _load(url, tmp_path / "s.db") == 2
    err = capsys.readouterr().err
    assert "without an OpenAI model list" in err and "Traceback" not in err
    prompts = tmp_path / "p.jsonl"
    prompts.write_bytes('{"prompt": "déjà vu"}\n'.encode("latin-1"))
    with fake_server("vllm") as (url, app):
        assert _load(url, tmp_path / "s.db", "--prompts", str(prompts)) == 2
        assert app[SEEN] == []          # refused before a single request
    err = capsys.readouterr().err
    assert "p.jsonl: line 1: not UTF-8 text (byte 0xe9" in err and "Traceback" not in err


SUITE = """name: s
kind: serving
jobs:
  - name: j
    endpoint: {url}
    model: {model}
    requests: 3
    idle_s: 0
    output_len: "3"
    max_lag_s: 5
    timeout_s: 2
    loads:
      - concurrency: 1
"""


def test_a_serving_suite_with_failed_requests_exits_1(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    with fake_server("http500", healthy_first=1) as (url, _):
        f.write_text(SUITE.format(url=url, model=MODEL))
        rc = main(["run", str(f), "--store", str(tmp_path / "r.db")])
    err = capsys.readouterr().err
    assert rc == 1, err                                   # was 0
    assert "3 × http_error (HTTP 500)" in err


def test_a_serving_suite_sends_its_extra_body(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    with fake_server("vllm") as (url, app):
        f.write_text(SUITE.format(url=url, model=MODEL).replace(
            "timeout_s: 2", "timeout_s: 2\n    extra_body: {temperature: 0, seed: 7}"))
        assert main(["run", str(f), "--store", str(tmp_path / "r.db")]) == 0, capsys.readouterr().err
    assert all(b["temperature"] == 0 and b["seed"] == 7 for b in app[SEEN])


@pytest.mark.parametrize("change,msg", [
    ("idle_s: 0", "idle_s: .inf"),
    ("timeout_s: 2", "timeout_s: .nan"),
    ("requests: 3", "requests: 100000000"),
    ("timeout_s: 2", "timeout_s: 2\n    extra_body: [1]"),
    ("timeout_s: 2", "timeout_s: 2\n    extra_body: {stream: false}"),
    ("      - concurrency: 1", "      - rate: .inf"),
])
def test_serving_suite_numbers_follow_the_flags_rules(change, msg, tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text(SUITE.format(url="http://127.0.0.1:9", model=MODEL).replace(change, msg))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "s.yaml:" in err and "Traceback" not in err, err
