"""The reference engine (the serving testbed's ground truth) as a real server on 127.0.0.1,
read through wattprint's real client and RAPL meter."""

import asyncio
import json
import signal
import subprocess
import sys
import time

import aiohttp
import pytest

from wattprint.errors import ConfigError
from wattprint.meters.rapl import RaplMeter
from wattprint.serving.client import send
from wattprint.serving.records import RequestRecord, Status
from wattprint.serving.reference import ReferenceConfig, ReferenceServer
from wattprint.serving.reference.__main__ import main as reference_main
from wattprint.serving.reference.engine import count_tokens

FAST = dict(step_s=0.01, decode_s_per_token=0.002, prefill_s_per_token=0.0005,
            counter_period_s=0.002)


def _body(cfg, prompt, n, **kw):
    return {"model": cfg.model, "messages": [{"role": "user", "content": prompt}],
            "max_tokens": n, "stream": True, "stream_options": {"include_usage": True}, **kw}


async def _send_all(url, bodies, timeout_s=30.0, delays=None):
    async with aiohttp.ClientSession() as s:
        async def one(i, body):
            await asyncio.sleep((delays or [0.0] * len(bodies))[i])
            rec = RequestRecord(index=i, scheduled_s=0.0)
            return await send(s, url + "/v1/chat/completions", body, rec, timeout_s=timeout_s,
                              prompt=body["messages"][0]["content"])
        return await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))


def test_the_counter_holds_idle_power_plus_every_requests_energy(tmp_path):
    cfg = ReferenceConfig(mode="batched", max_batch=2, **FAST)
    with ReferenceServer(cfg, tmp_path) as srv:
        meter = RaplMeter(str(srv.powercap_root))
        # the counter thread may be a few ms late (GIL): write it now, as the hardware would
        srv.machine.write()
        r0 = meter.read()
        recs = asyncio.run(_send_all(srv.url, [_body(cfg, f"r{k} " + "x " * 50 * (k + 1), 12)
                                               for k in range(4)]))
        time.sleep(0.05)
        srv.machine.write()
        r1 = meter.read()
        truth = srv.truth()
    assert all(r.ok and r.output_tokens == 12 for r in recs)
    assert [r.input_tokens for r in recs] == [51, 101, 151, 201]
    dyn = sum(t.energy_j for t in truth)
    assert dyn == pytest.approx(sum(51 + 50 * k for k in range(4)) * cfg.prefill_j_per_token
                                + 4 * 11 * cfg.decode_j_per_token)
    measured = r1.energy_j["cpu:0"] - r0.energy_j["cpu:0"]
    slack = 0.01 * cfg.idle_power_w   # the reads come a few µs after the writes
    assert measured == pytest.approx(cfg.idle_power_w * (r1.t_s - r0.t_s) + dyn, abs=slack)
    # FIFO with two running at most: the third starts after one of the first two ended
    first, second, third, fourth = sorted(truth, key=lambda t: t.rid)
    assert third.admitted_s >= min(first.end_s, second.end_s)
    assert fourth.admitted_s >= sorted([first.end_s, second.end_s, third.end_s])[1]
    assert {t.outcome for t in truth} == {"completed"}


def test_the_counter_wraps_and_the_real_meter_unwraps_it(tmp_path):
    cfg = ReferenceConfig(idle_power_w=40.0, max_energy_range_uj=3_000_000, counter_period_s=0.002)
    with ReferenceServer(cfg, tmp_path) as srv:
        meter = RaplMeter(str(srv.powercap_root))
        time.sleep(0.1)
        r0 = meter.read()
        for _ in range(30):        # 40 W fills the 3 J range every 75 ms: read every 20 ms
            time.sleep(0.02)
            meter.read()
        r1 = meter.read()
    # a missed or a spurious wrap is 3 J; the counter thread may run up to ~20 ms late (GIL)
    assert r1.energy_j["cpu:0"] - r0.energy_j["cpu:0"] == pytest.approx(
        40.0 * (r1.t_s - r0.t_s), abs=1.0)


def test_serial_engine_drops_a_request_whose_client_left_while_it_was_queued(tmp_path):
    cfg = ReferenceConfig(mode="serial", **FAST)
    with ReferenceServer(cfg, tmp_path) as srv:
        long, short = _body(cfg, "a " * 20, 60), _body(cfg, "b " * 20, 5)
        async def go():
            async with aiohttp.ClientSession() as s:
                recs = [RequestRecord(index=i, scheduled_s=0.0) for i in range(2)]
                t1 = asyncio.create_task(send(s, srv.url + "/v1/chat/completions", long, recs[0],
                                              timeout_s=30, prompt="a"))
                await asyncio.sleep(0.05)
                await send(s, srv.url + "/v1/chat/completions", short, recs[1], timeout_s=0.2,
                           prompt="b")
                await t1
                return recs
        a, b = asyncio.run(go())
        time.sleep(0.05)
        truth = {t.rid: t for t in srv.truth()}
    assert a.ok and b.status is Status.TIMEOUT
    assert truth[1].outcome == "cancelled_queued" and truth[1].energy_j == 0.0
    assert truth[1].admitted_s is None and truth[0].outcome == "completed"


@pytest.mark.parametrize("abort,outcome", [(True, "aborted_running"), (False, "completed_unread")])
def test_a_running_request_whose_client_left(tmp_path, abort, outcome):
    cfg = ReferenceConfig(mode="serial", abort_on_disconnect=abort, **FAST)
    with ReferenceServer(cfg, tmp_path) as srv:
        (rec,) = asyncio.run(_send_all(srv.url, [_body(cfg, "a b c", 100)], timeout_s=0.15))
        deadline = time.monotonic() + 10
        while not srv.truth() and time.monotonic() < deadline:
            time.sleep(0.05)
        (t,) = srv.truth()
    assert rec.status is Status.TIMEOUT and rec.chunks < 100
    assert t.outcome == outcome
    assert (t.generated_tokens < 100) if abort else (t.generated_tokens == 100)
    assert t.decode_j == pytest.approx((t.generated_tokens - 1) * cfg.decode_j_per_token)


def test_interrupt_cuts_the_running_stream_short(tmp_path):
    cfg = ReferenceConfig(mode="serial", interrupt=True, **FAST)
    with ReferenceServer(cfg, tmp_path) as srv:
        a, b = asyncio.run(_send_all(srv.url, [_body(cfg, "a " * 10, 50), _body(cfg, "b", 5)],
                                     delays=[0.0, 0.1]))
        truth = {t.rid: t for t in srv.truth()}
    # cut short as llama-cpp-python cuts it: no finish_reason, so the client says truncated
    assert a.truncated and a.finish_reason is None and 1 <= a.output_tokens < 50
    assert truth[0].outcome == "interrupted" and truth[0].generated_tokens == a.output_tokens
    assert b.ok and b.output_tokens == 5 and truth[1].outcome == "completed"


def test_dialects(tmp_path):
    llama = ReferenceConfig(dialect="llamacpp", **FAST)
    with ReferenceServer(llama, tmp_path / "l") as srv:
        (r,) = asyncio.run(_send_all(srv.url, [_body(llama, "one two three", 4)]))
        (t,) = srv.truth()
    et = r.engine_timings
    assert et is not None and et.prompt_n == 3 and et.predicted_n == 4
    assert et.prompt_ms == pytest.approx(1e3 * (t.first_token_s - t.admitted_s))
    assert et.predicted_ms == pytest.approx(1e3 * (t.last_token_s - t.first_token_s))

    vllm = ReferenceConfig(dialect="vllm", report_usage=False, **FAST)
    with ReferenceServer(vllm, tmp_path / "v") as srv:
        recs = asyncio.run(_send_all(srv.url, [_body(vllm, "x " * k, 3) for k in (5, 7)]))
        page = asyncio.run(_get(srv.url + "/metrics"))
    assert all(r.input_tokens is None and r.output_token_source.value == "chunks" for r in recs)
    assert r"vllm:prompt_tokens_total{model_name=" in page[1] and page[0] == 200
    assert 'vllm:prompt_tokens_total{model_name="reference-lm"} 12' in page[1]
    assert 'vllm:request_decode_time_seconds_count{model_name="reference-lm"} 2' in page[1]

    mute = ReferenceConfig(dialect="mute", **FAST)
    with ReferenceServer(mute, tmp_path / "m") as srv:
        (r,) = asyncio.run(_send_all(srv.url, [_body(mute, "x y", 3)]))
        assert asyncio.run(_get(srv.url + "/metrics"))[0] == 404
        code, text = asyncio.run(_post(srv.url + "/v1/completions",
                                       {"model": mute.model, "prompt": "p q r", "max_tokens": 2}))
        assert code == 200 and json.loads(text)["choices"][0]["text"] == "w0 w1 "
        assert json.loads(text)["usage"]["prompt_tokens"] == 3
        assert asyncio.run(_post(srv.url + "/v1/chat/completions",
                                 {"model": "other", "messages": []}))[0] == 404
        assert asyncio.run(_post(srv.url + "/v1/completions",
                                 {"model": mute.model, "prompt": "x", "max_tokens": 0}))[0] == 400
    assert r.engine_timings is None and r.input_tokens == 2 and r.output_tokens == 3


async def _get(url):
    async with aiohttp.ClientSession() as s, s.get(url) as r:
        return r.status, await r.text()


async def _post(url, body):
    async with aiohttp.ClientSession() as s, s.post(url, json=body) as r:
        return r.status, await r.text()


@pytest.mark.parametrize("bad,msg", [
    (dict(mode="fast"), "mode 'fast'"), (dict(dialect="tgi"), "dialect 'tgi'"),
    (dict(interrupt=True), "serial mode only"), (dict(step_s=-1.0), "step_s"),
    (dict(max_batch=0), "max_batch"), (dict(decode_j_per_token=float("nan")), "decode_j"),
])
def test_bad_configurations_say_what_is_wrong(bad, msg):
    with pytest.raises(ConfigError, match=msg):
        ReferenceConfig(**bad)
    with pytest.raises(ConfigError, match="unknown field"):
        ReferenceConfig.from_dict({"mdoe": "serial"})


def test_cli_serves_until_sigterm_and_refuses_bad_options(tmp_path, capsys):
    assert reference_main(["--dir", str(tmp_path / "x"), "--mode", "fast"]) == 2
    assert "mode 'fast'" in capsys.readouterr().err
    proc = subprocess.Popen([sys.executable, "-m", "wattprint.serving.reference", "--dir",
                             str(tmp_path / "y"), "--config", '{"interrupt": false}',
                             "--mode", "serial"], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        status, body = asyncio.run(_get(info["url"] + "/v1/models"))
        assert status == 200 and json.loads(body)["data"][0]["id"] == "reference-lm"
        assert (tmp_path / "y" / "powercap" / "intel-rapl:0" / "energy_uj").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


def test_the_tokenizer_folder_counts_like_the_engine(tmp_path):
    transformers = pytest.importorskip("transformers")
    from wattprint.serving.reference.tokenizer import write_tokenizer

    tok = transformers.AutoTokenizer.from_pretrained(str(write_tokenizer(tmp_path / "tok")))
    for text in ("r1 x x x", "  spaced   words\nand lines ", "Ünïcode, punct!"):
        assert len(tok(text, add_special_tokens=False)["input_ids"]) == count_tokens(text)
