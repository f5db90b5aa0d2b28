"""The proxy on 127.0.0.1 in front of a real HTTP engine double (tests/serving/serving_fakes.py,
whose bytes are the same for the same request): bytes passed through unchanged, upstream
failures passed through and counted, client disconnects, concurrency, tenants, counters."""

import asyncio
import json

import aiohttp
import pytest
from proxy_helpers import chat, fetch, lookup, metrics, proxy, samples, series, wait_final
from serving_fakes import MODEL, fake_server

from wattprint.serving.proxy.relay import ID_HEADER, LOOKUP_HEADER

ROUTE = "/v1/chat/completions"
KEEP = ("Content-Type", "X-Engine")


def _both(url, p, body, headers=None):
    direct = fetch("POST", url + ROUTE, body, headers)
    proxied = fetch("POST", p.url + ROUTE, body, headers)
    return direct, proxied


def _uvloop():
    return pytest.importorskip("uvloop").new_event_loop


@pytest.mark.parametrize("mode", ["vllm", "transformers", "nousage"])
@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_answers_pass_through_byte_for_byte_and_are_recorded(mode, stream, loop, tmp_path):
    body = chat(MODEL, 6, stream, stream_options={"include_usage": True} if stream else None)
    new_loop = _uvloop() if loop == "uvloop" else asyncio.new_event_loop
    with fake_server(mode) as (url, _), proxy(url, tmp_path, new_loop=new_loop) as p:
        (s0, h0, b0), (s1, h1, b1) = _both(url, p, body)
        rec = wait_final(p, [h1[ID_HEADER]])[0]
        m = metrics(p)
    assert (s1, b1) == (s0, b0) and b1
    for k in KEEP:
        assert h1.get(k) == h0.get(k), k
    assert h1[LOOKUP_HEADER] == f"/wattprint/requests/{h1[ID_HEADER]}"
    assert rec["status"] == "ok" and rec["stream"] is stream and rec["state"] == "final"
    if mode == "nousage":   # counted, saying how: chunks for a stream, words for a whole answer
        assert rec["output_tokens"] == 6
        assert rec["output_token_source"] == ("chunks" if stream else "words")
        assert rec["prompt_tokens"] is None
    else:
        assert (rec["prompt_tokens"], rec["output_tokens"]) == (7, 6)
        assert rec["output_token_source"] == "usage"
    assert (rec["ttft_s"] is not None) is stream     # a whole answer's token times are placed
    assert rec["attributed"]["provenance"] == "attributed" and rec["attributed"]["joules"] > 0
    who = {"model": MODEL, "route": ROUTE, "tenant": "-"}
    assert m[series("wattprint_proxy_requests_total", **who, status="ok")] == 1
    assert m[series("wattprint_proxy_tokens_total", **who, kind="output")] == 6


def test_other_paths_pass_through_unrecorded(tmp_path):
    with fake_server("vllm") as (url, _), proxy(url, tmp_path) as p:
        for path in ("/v1/models", "/version", "/nothing-here"):
            d, q = fetch("GET", url + path), fetch("GET", p.url + path)
            assert (q[0], q[2]) == (d[0], d[2]), path
            assert ID_HEADER not in q[1]
        assert not [k for k in metrics(p) if k.startswith("wattprint_proxy_requests_total")]


def test_an_upstream_cookie_goes_to_its_client_only(tmp_path):
    """The proxy keeps no cookie jar: a cookie the upstream set for one client is not sent
    with the next client's requests; a client's own Cookie header passes through."""
    with fake_server("vllm") as (url, _), \
            proxy(url.replace("127.0.0.1", "localhost"), tmp_path) as p:   # a jar keeps
        first = fetch("GET", p.url + "/cookie")                          # no IP's cookies
        second = fetch("GET", p.url + "/cookie")
        own = fetch("GET", p.url + "/cookie", headers={"Cookie": "mine=1"})
    assert "engine_session=s3cret" in first[1]["Set-Cookie"]
    assert (first[2], second[2], own[2]) == (b"", b"", b"mine=1")


@pytest.mark.parametrize("stream", [True, False])
def test_an_upstream_error_passes_through_unchanged_and_counts_failed(stream, tmp_path):
    with fake_server("http500") as (url, _), proxy(url, tmp_path) as p:
        (s0, _, b0), (s1, h1, b1) = _both(url, p, chat(MODEL, 4, stream))
        rec = lookup(p, h1[ID_HEADER])
        m = metrics(p)
    assert (s1, b1) == (s0, b0) == (500, b0)
    assert rec["status"] == "http_error" and rec["http_status"] == 500 and "boom" in rec["error"]
    assert m[series("wattprint_proxy_requests_total", model=MODEL, route=ROUTE, tenant="-",
                    status="failed")] == 1


@pytest.mark.parametrize("stream", [True, False])
def test_an_upstream_that_breaks_mid_answer_breaks_the_clients_answer_too(stream, tmp_path):
    with fake_server("disconnect") as (url, _), proxy(url, tmp_path) as p:
        with pytest.raises(aiohttp.ClientError) as direct:
            fetch("POST", url + ROUTE, chat(MODEL, 6, stream))
        with pytest.raises(aiohttp.ClientError) as proxied:
            fetch("POST", p.url + ROUTE, chat(MODEL, 6, stream))
        m = metrics(p)
        recs = asyncio.run(_all_records(p))
    assert type(proxied.value) is type(direct.value), (direct.value, proxied.value)
    assert [r["status"] for r in recs] == ["disconnected"]
    assert "upstream broke" in recs[0]["error"]
    assert sum(v for k, v in m.items() if k.startswith("wattprint_proxy_requests_total")
               and 'status="failed"' in k) == 1


async def _all_records(p):
    svc = p.service
    return p.call(lambda: [r.to_dict() for r in svc.book.active.values()])


def test_a_body_that_is_not_a_stream_passes_through_and_counts_failed(tmp_path):
    with fake_server("garbage") as (url, _), proxy(url, tmp_path) as p:
        (s0, _, b0), (s1, h1, b1) = _both(url, p, chat(MODEL))
        rec = lookup(p, h1[ID_HEADER])
    assert (s1, b1) == (s0, b0)
    assert rec["status"] == "protocol_error"


def test_an_unreachable_upstream_gets_a_502_of_the_proxys_own(tmp_path):
    from serving_fakes import free_port

    with proxy(f"http://127.0.0.1:{free_port()}", tmp_path) as p:
        s, h, b = fetch("POST", p.url + ROUTE, chat(MODEL))
        rec = lookup(p, h[ID_HEADER])
    assert s == 502 and json.loads(b)["error"]["type"] == "upstream_unreachable"
    assert rec["status"] == "disconnected" and "could not be reached" in rec["error"]


def test_a_stalled_upstream_and_a_client_that_gives_up(tmp_path):
    with fake_server("stall") as (url, _), proxy(url, tmp_path) as p:
        with pytest.raises(asyncio.TimeoutError):
            fetch("POST", p.url + ROUTE, chat(MODEL, 6), timeout_s=1.0)
        recs = _settled(p)
        m = metrics(p)
    assert [r["status"] for r in recs] == ["disconnected"]
    assert "client went away" in recs[0]["error"]
    assert recs[0]["chunks"] == 2          # what it had received when the client left
    assert m["wattprint_proxy_in_flight"] == 0


def test_the_timeout_option_cuts_a_silent_upstream(tmp_path):
    with fake_server("stall") as (url, _), proxy(url, tmp_path, timeout_s=0.5) as p:
        with pytest.raises(aiohttp.ClientPayloadError):
            fetch("POST", p.url + ROUTE, chat(MODEL, 6), timeout_s=30)
        recs = _settled(p)
    assert [r["status"] for r in recs] == ["timeout"]


def _settled(p, timeout_s=10.0):
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        recs = p.call(lambda: [r.to_dict() for r in p.service.book.active.values()])
        if all(r["state"] != "running" for r in recs) or time.monotonic() > deadline:
            return recs
        time.sleep(0.05)


def test_concurrent_requests_each_get_their_own_bytes_and_record(tmp_path):
    bodies = [chat(MODEL, 2 + k % 7, k % 3 != 0, text=f"q{k}",
                   stream_options={"include_usage": True}) for k in range(40)]

    async def many(url):
        async with aiohttp.ClientSession() as s:
            async def one(b):
                async with s.post(url + ROUTE, json=b) as r:
                    return r.headers.get(ID_HEADER), await r.read()
            return await asyncio.gather(*(one(b) for b in bodies))

    with fake_server("vllm", token_delay_s=0.01) as (url, _), proxy(url, tmp_path) as p:
        direct = asyncio.run(many(url))
        proxied = asyncio.run(many(p.url))
        recs = wait_final(p, [rid for rid, _ in proxied])
        m = metrics(p)
    assert [b for _, b in proxied] == [b for _, b in direct]
    assert len({rid for rid, _ in proxied}) == 40
    assert [r["output_tokens"] for r in recs] == [b["max_tokens"] for b in bodies]
    assert all(r["status"] == "ok" and r["state"] == "final" for r in recs)
    who = {"model": MODEL, "route": ROUTE, "tenant": "-"}
    assert m[series("wattprint_proxy_requests_total", **who, status="ok")] == 40
    assert m[series("wattprint_proxy_tokens_total", **who, kind="output")] == sum(
        b["max_tokens"] for b in bodies)
    # every request's share adds up to what the node counter says was attributed
    node = m[series("wattprint_proxy_node_energy_joules_total", basis="measured",
                    part="attributed")]
    assert sum(r["attributed"]["joules"] for r in recs) == pytest.approx(node, rel=1e-6)


def test_counters_only_grow(tmp_path):
    seen: list[dict[str, float]] = []
    with fake_server("vllm") as (url, _), proxy(url, tmp_path) as p:
        for k in range(4):
            fetch("POST", p.url + ROUTE, chat(MODEL, 3 + k))
            fetch("POST", p.url + ROUTE, chat("no-such-model", 3))    # a 404 upstream
            seen.append(metrics(p))
        import time

        time.sleep(1.0)                      # windows attributed meanwhile
        seen.append(metrics(p))
    counters = {k for s in seen for k in s if "_total" in k}
    for a, b in zip(seen, seen[1:]):
        for k in counters & set(a):
            assert b.get(k, -1) >= a[k], k
    ok = series("wattprint_proxy_windows_total", result="ok")
    assert seen[-1][ok] > seen[0].get(ok, 0)


def test_tenants_are_labels_the_operator_chose_never_the_keys(tmp_path):
    import hashlib

    secret_b = "sk-team-b-0123456789"
    (tmp_path / "tenants.yaml").write_text(
        "tenants:\n  team-a: ['sk-team-a-abcdef']\n"
        f"  team-b: ['sha256:{hashlib.sha256(secret_b.encode()).hexdigest()}']\n")
    keys = {"Bearer sk-team-a-abcdef": "team-a", f"Bearer {secret_b}": "team-b",
            "Bearer sk-stranger": "unknown", None: "anonymous"}
    with fake_server("vllm") as (url, _), proxy(url, tmp_path,
                                                tenants_file=str(tmp_path / "tenants.yaml")) as p:
        rids = {}
        for key, label in keys.items():
            _, h, _ = fetch("POST", p.url + ROUTE, chat(MODEL),
                            {"Authorization": key} if key else None)
            rids[label] = h[ID_HEADER]
        recs = wait_final(p, list(rids.values()))
        _, _, text = fetch("GET", p.url + "/wattprint/metrics")
        _, _, status = fetch("GET", p.url + "/wattprint/status")
    assert [r["tenant"] for r in recs] == list(keys.values())
    m = samples(text.decode())
    for label in keys.values():
        assert m[series("wattprint_proxy_requests_total", model=MODEL, route=ROUTE,
                        tenant=label, status="ok")] == 1
    everything = text + status + json.dumps(recs).encode()
    for secret in ("sk-team-a-abcdef", secret_b, "sk-stranger"):
        assert secret.encode() not in everything


def test_a_span_per_request_with_its_attributed_energy(tmp_path):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    with fake_server("vllm") as (url, _), proxy(url, tmp_path, tracer_provider=provider) as p:
        _, h, _ = fetch("POST", p.url + ROUTE, chat(MODEL, 5), parent)
        rec = wait_final(p, [h[ID_HEADER]])[0]
    spans = exporter.get_finished_spans()
    assert len(spans) == 1
    a = spans[0].attributes
    assert a["wattprint.request_id"] == h[ID_HEADER] and a["gen_ai.usage.output_tokens"] == 5
    assert a["wattprint.energy.provenance"] == "attributed"
    assert a["wattprint.energy.joules"] == pytest.approx(rec["attributed"]["joules"])
    assert format(spans[0].context.trace_id, "032x") == trace_id
    assert spans[0].end_time > spans[0].start_time
