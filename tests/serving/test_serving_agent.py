import asyncio
import threading
import time

import pytest
from aiohttp import web
from serving_fakes import free_port

from wattprint.errors import ConfigError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.serving.agent import RemoteMeter, make_app


class RampMeter(Meter):
    """A counter that grows 50 J per second (the hardware boundary's test double)."""

    name = "ramp"

    def __init__(self):
        self.t0 = time.monotonic()
        self.fail = False

    def domains(self):
        return [DomainSpec("gpu:0", "gpu", "a test GPU", Provenance.MEASURED, "test")]

    def read(self):
        if self.fail:
            raise MeterError("counter unreadable")
        t = time.monotonic()
        return Reading(t, {"gpu:0": 50.0 * (t - self.t0)})


def _serve(app):
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)

    listening = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        listening.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    assert listening.wait(60), "the agent app did not start listening"
    return f"http://127.0.0.1:{port}", loop, runner


def test_remote_meter_reads_the_agent_with_clock_offset_and_token():
    meter = RampMeter()
    url, loop, runner = _serve(make_app([meter], "s3cret"))
    try:
        with pytest.raises(ConfigError, match="401"):
            RemoteMeter(url, "wrong")
        rm = RemoteMeter(url, "s3cret", interval_s=0.05, stale_s=0.5)
        assert rm.domains()[0].provenance is Provenance.MEASURED
        assert "via wattprint agent" in rm.domains()[0].boundary
        assert abs(rm.clock.offset_s) <= rm.clock.error_s + 0.05   # same host: offset ~ 0
        a = rm.read()
        time.sleep(0.5)
        b = rm.read()
        assert b.t_s > a.t_s
        assert (b.energy_j["gpu:0"] - a.energy_j["gpu:0"]) / (b.t_s - a.t_s) == pytest.approx(50.0, rel=0.05)
        meter.fail = True                   # the agent's counter fails: readings stop
        time.sleep(1.0)
        with pytest.raises(MeterError, match="dropped out"):
            rm.read()
        rm.close()
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)


def test_agent_needs_a_token():
    with pytest.raises(ConfigError, match="token"):
        make_app([RampMeter()], "")


def test_load_measures_through_a_real_agent_process(tmp_path, capsys):
    import json
    import os
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    from serving_fakes import MODEL, fake_server

    from wattprint.cli import main

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
           "WATTPRINT_AGENT_TOKEN": "tok"}
    agent = subprocess.Popen([sys.executable, "-m", "wattprint", "agent", "--host", "127.0.0.1",
                              "--port", str(port)], env=env, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/v1/agent/info", timeout=1)
            except urllib.error.HTTPError:      # 401 without the token: it is up
                break
            except OSError:
                time.sleep(0.2)
        # tokens 50 ms apart: the load lasts about 0.6 s, several of the agent's 0.1 s readings
        # (a window shorter than one reading has no energy to split: residual undefined)
        with fake_server("vllm", token_delay_s=0.05) as (endpoint, _):
            rc = main(["load", "--endpoint", endpoint, "--model", MODEL, "--concurrency", "2",
                       "--requests", "6", "--output-len", "4", "--idle", "0.5", "--agent", url,
                       "--agent-token", "tok", "--max-lag", "5", "--json",
                       "--store", str(tmp_path / "s.db")])
        out = capsys.readouterr()
        assert rc == 0, out.err
        assert "clock offset" in out.err
        point = json.loads(out.out)[0]
        assert point["requests_ok"] == 6
        assert all(d["source"].startswith("agent:") for d in point["domains"])
        assert point["attribution_residual"] < 0.01
    finally:
        agent.terminate()
        agent.wait(10)


def test_a_meter_that_drops_out_loses_only_its_windows():
    from serving_fakes import MODEL, fake_server

    from wattprint.meters.energy_meter import EnergyMeter
    from wattprint.serving.arrivals import Arrivals
    from wattprint.serving.session import ServingConfig, ServingSession

    class DropOut(RampMeter):
        calls = 0

        def read(self):
            DropOut.calls += 1
            if DropOut.calls == 2:                # the first point's timeline start fails
                raise MeterError("agent dropped out")
            return super().read()

    with fake_server("vllm") as (url, _):
        cfg = ServingConfig(endpoint=url, model=MODEL, requests=4, idle_s=0, max_lag_s=5,
                            loads=(Arrivals("closed", concurrency=2), Arrivals("closed", concurrency=4)))
        meter = EnergyMeter(meters=[DropOut()])
        s = ServingSession(cfg, "r", meter=meter, log=lambda m: None)
        points = s.run()
    assert [a for a, _ in s.lost] == ["closed-loop concurrency 2"]
    assert [p.arrivals for p in points] == ["closed-loop concurrency 4"]
    assert points[0].energy_provenance == "measured"
