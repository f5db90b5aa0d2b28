"""``wattprint proxy`` in front of a REAL engine: ``transformers serve`` on a free port of
127.0.0.1 serving a tiny chat Llama built offline. What the client reads through the proxy is
what the engine answered (the same text, the same usage), every request gets a record with the
engine's token counts and a final attributed figure, the counters count it, and an error the
engine answers passes through with its status and counts as failed (status ``http_error``; about 20-60 s)."""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from proxy_helpers import chat, fetch, lookup, metrics, proxy, series

from wattprint.serving.proxy.relay import ID_HEADER

pytest.importorskip("fastapi")
pytestmark = pytest.mark.slow

ROUTE = "/v1/chat/completions"


def _transformers_cli() -> str:
    exe = Path(sys.executable).with_name("transformers")
    return str(exe) if exe.exists() else (shutil.which("transformers") or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, model path) of a running ``transformers serve``; stopped after the module."""
    cli = _transformers_cli()
    if not cli:
        pytest.skip("transformers CLI not installed")
    from wattprint.serving.zoo_lm import build_chat_lm

    model = build_chat_lm(tmp_path_factory.mktemp("lm") / "chat-lm", "tiny")
    port = _free_port()
    log = open(tmp_path_factory.mktemp("serve") / "serve.log", "wb")   # noqa: SIM115
    proc = subprocess.Popen([cli, "serve", str(model), "--device", "cpu", "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                            env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited {proc.returncode}; see {log.name}")
            try:
                if fetch("GET", url + "/v1/models", timeout_s=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve not ready in 240 s; see {log.name}")
            time.sleep(0.5)
        yield url, str(model)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _text(body: bytes, stream: bool) -> tuple[str, dict]:
    """(generated text, usage) of a chat answer, streamed or whole."""
    if not stream:
        obj = json.loads(body)
        return obj["choices"][0]["message"]["content"], obj.get("usage") or {}
    text, usage = "", {}
    for line in body.decode().splitlines():
        if line.startswith("data:") and line.strip() != "data: [DONE]":
            ev = json.loads(line[5:])
            for c in ev.get("choices") or []:
                text += (c.get("delta") or {}).get("content") or ""
            usage = ev.get("usage") or usage
    return text, usage


@pytest.mark.parametrize("stream", [True, False])
def test_the_proxy_passes_a_real_engines_answers_and_attributes_them(served, stream, tmp_path):
    url, model = served
    body = chat(model, 8, stream, "Say something about energy.", temperature=0.0,
                stream_options={"include_usage": True} if stream else None)
    if not stream:
        body.pop("stream_options")
    with proxy(url, tmp_path) as p:
        status_d, _, direct = fetch("POST", url + ROUTE, body, timeout_s=120)
        status_p, h, through = fetch("POST", p.url + ROUTE, body, timeout_s=120)
        rid = h[ID_HEADER]
        deadline = time.monotonic() + 30          # the record is final after its last window
        while (rec := lookup(p, rid))["state"] != "final" and time.monotonic() < deadline:
            time.sleep(0.2)
        m = metrics(p)
    assert status_d == status_p == 200
    text_d, usage_d = _text(direct, stream)
    text_p, usage_p = _text(through, stream)
    assert text_p == text_d and text_p            # greedy: the same answer, unchanged
    assert usage_p == usage_d and usage_p.get("completion_tokens") == 8
    assert rec["status"] == "ok" and rec["state"] == "final"
    assert rec["output_tokens"] == 8 and rec["output_token_source"] == "usage"
    assert rec["prompt_tokens"] == usage_d["prompt_tokens"]
    att = rec["attributed"]
    assert att["provenance"] == "attributed" and att["final"]
    assert att["prefill_j"] >= 0 and att["decode_j"] >= 0
    assert m[series("wattprint_proxy_requests_total", model=model, route=ROUTE, tenant="-",
                    status="ok")] == 1


def test_an_engine_error_passes_through_and_counts_as_failed(served, tmp_path):
    url, model = served
    body = {"model": model, "messages": "not a list", "max_tokens": 4}
    with proxy(url, tmp_path) as p:
        status_d, _, direct = fetch("POST", url + ROUTE, body, timeout_s=60)
        status_p, h, through = fetch("POST", p.url + ROUTE, body, timeout_s=60)
        rec = lookup(p, h[ID_HEADER])
        m = metrics(p)
    assert status_d >= 400 and status_p == status_d and through == direct
    assert rec["status"] == "http_error" and rec["http_status"] == status_d   # never ok
    assert m[series("wattprint_proxy_requests_total", model=model, route=ROUTE, tenant="-",
                    status="failed")] == 1
