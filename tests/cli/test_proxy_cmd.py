"""``wattprint proxy`` as users run it: the command in front of the reference engine (a real
OpenAI-compatible server on 127.0.0.1 whose simulated RAPL counter the proxy measures), and bad
flags refused with exit 2 and a message naming the flag."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from wattprint.cli import main
from wattprint.serving.reference import ReferenceConfig
from wattprint.serving.reference.process import ReferenceProcess
from wattprint.serving.reference.testbed import COSTS

SRC = str(Path(__file__).parents[2] / "src")


def _exit(argv, capsys):
    """(exit status, stderr) of ``wattprint ARGV`` run in this process."""
    try:
        code = main(argv)
    except SystemExit as exc:       # argparse's own errors
        code = exc.code
    return code, capsys.readouterr().err


UP = ["proxy", "--upstream", "http://127.0.0.1:9"]


@pytest.mark.parametrize(("argv", "says"), [
    (["proxy"], "--upstream"),
    (["proxy", "--upstream", "ftp://x"], "--upstream 'ftp://x': expected http://HOST"),
    (["proxy", "--upstream", "http://h:0"], "a port 1-65535"),
    ([*UP, "--listen", "nope"], "argument --listen: expected HOST:PORT"),
    ([*UP, "--listen", "127.0.0.1:70000"], "argument --listen: expected HOST:PORT"),
    ([*UP, "--metrics-port", "70000"], "expected a port number 0-65535, got '70000'"),
    ([*UP, "--listen", "127.0.0.1:8081", "--metrics-port", "8081"],
     "--metrics-port 8081: the proxy itself listens there"),
    ([*UP, "--window", "0"], "argument --window: expected a number > 0"),
    ([*UP, "--window", "1", "--interval", "2"], "--interval 2 s is longer than --window 1 s"),
    ([*UP, "--energy", "bogus"], "argument --energy: invalid choice: 'bogus'"),
    ([*UP, "--tenant-header", "X Key"], "--tenant-header 'X Key': expected an HTTP header"),
    ([*UP, "--tenants", "/nonexistent/tenants.yaml"], "--tenants /nonexistent/tenants.yaml"),
    ([*UP, "--otlp-endpoint", "collector:4318"], "--otlp-endpoint 'collector:4318'"),
    ([*UP, "--energy", "estimate", "--estimate-model", "no-such-model-xyz"],
     "--estimate-model: unknown model 'no-such-model-xyz'"),
    ([*UP, "--energy", "estimate", "--estimate-model", "x", "--active-params", "0"],
     "--active-params: expected N or LOW:HIGH with 0 < LOW <= HIGH"),
])
def test_bad_flags_are_exit_2_naming_the_flag(argv, says, capsys):
    code, err = _exit(argv, capsys)
    assert code == 2
    assert says in err
    assert "Traceback" not in err


def test_the_event_loop_flag_without_uvloop(monkeypatch, capsys):
    """``--loop``: asyncio when uvloop is not installed (auto) or on request; uvloop asked for
    and missing is exit 2 saying how to install it."""
    import asyncio

    from wattprint.cli.proxy_cmd import event_loop_runner

    monkeypatch.setitem(sys.modules, "uvloop", None)      # as if not installed
    assert event_loop_runner("auto") is asyncio.run
    assert event_loop_runner("asyncio") is asyncio.run
    code, err = _exit([*UP, "--loop", "uvloop"], capsys)
    assert code == 2 and "--loop uvloop: uvloop is not installed" in err
    assert "Traceback" not in err
    code, err = _exit([*UP, "--loop", "trio"], capsys)
    assert code == 2 and "argument --loop: invalid choice: 'trio'" in err


def test_the_event_loop_is_uvloop_when_installed():
    import asyncio

    from wattprint.cli.proxy_cmd import event_loop_runner

    uvloop = pytest.importorskip("uvloop")
    assert event_loop_runner("auto") is uvloop.run is event_loop_runner("uvloop")
    assert event_loop_runner("asyncio") is asyncio.run


def test_a_bad_tenants_file_names_the_file(tmp_path, capsys):
    bad = tmp_path / "tenants.yaml"
    bad.write_text("tenants:\n  team-a: 42\n")
    code, err = _exit([*UP, "--tenants", str(bad), "--energy", "estimate",
                       "--estimate-model", "gpt-4o"], capsys)
    assert code == 2 and str(bad) in err and "Traceback" not in err


def test_a_port_in_use_is_exit_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = _exit([*UP, "--listen", f"127.0.0.1:{port}", "--energy", "estimate",
                           "--estimate-model", "gpt-4o"], capsys)
    assert code == 2 and f"--listen 127.0.0.1:{port}" in err and "Traceback" not in err


@pytest.mark.slow
def test_the_command_in_front_of_the_reference_engine(tmp_path):
    eng = ReferenceConfig(**{**COSTS, "mode": "serial", "dialect": "vllm"})
    with ReferenceProcess(eng, tmp_path / "engine") as srv:
        env = {**os.environ, "PYTHONPATH": SRC}
        proc = subprocess.Popen(
            [sys.executable, "-m", "wattprint", "proxy", "--upstream", srv.url,
             "--listen", "127.0.0.1:0", "--metrics-port", "0", "--idle", "1",
             "--window", "0.5", "--lag", "0.5", "--interval", "0.05",
             "--powercap-root", str(srv.powercap_root)],
            stderr=subprocess.PIPE, text=True, env=env)
        try:
            lines = []
            for line in proc.stderr:
                lines.append(line)
                if "serving" in line:
                    break
            m = re.search(r"serving (http://127\.0\.0\.1:\d+) -> .*and (http://127\.0\.0\.1:"
                          r"\d+/metrics)", lines[-1] if lines else "")
            assert m, lines
            url, metrics_url = m.groups()
            assert any("RAPL" in line for line in lines), lines   # the basis it measures
            body = {"model": eng.model, "max_tokens": 8, "stream": True,
                    "messages": [{"role": "user", "content": "one two three"}]}
            direct = requests.post(srv.url + "/v1/chat/completions", json=body, timeout=60)
            r = requests.post(url + "/v1/chat/completions", json=body, timeout=60)
            assert r.status_code == 200 and r.headers["x-wattprint-request-id"]
            assert r.content.count(b"data: ") == direct.content.count(b"data: ")
            rec = {}
            for _ in range(300):     # attributed once its window ends and the lag passes
                rec = requests.get(url + r.headers["x-energy-lookup"], timeout=10).json()
                if rec["state"] == "final":
                    break
                time.sleep(0.1)
            assert rec["state"] == "final" and rec["status"] == "ok", rec
            assert rec["output_tokens"] == 8
            a = rec["attributed"]
            assert a["provenance"] == "attributed" and a["joules"] > 0
            # the engine's truth for this request (its attribution against the truth is
            # tests/serving/test_proxy_testbed.py's: here the idle baseline is measured against
            # the host's real /proc, and refused while other work runs, when every joule counts
            # as dynamic and the status says why)
            truth = [json.loads(x) for x in (tmp_path / "engine" / "truth.jsonl").read_text()
                     .splitlines() if x.strip()]
            mine = [t for t in truth if t["prompt"] == "one two three"]
            assert len(mine) == 2      # the direct call and the proxied one
            assert a["joules"] >= 0.75 * (mine[-1]["prefill_j"] + mine[-1]["decode_j"])
            status = requests.get(url + "/wattprint/status", timeout=10).json()
            assert status["idle_power_w"] > 0 or status["idle_note"], status
            text = requests.get(metrics_url, timeout=10).text
            assert 'wattprint_proxy_requests_total{model="' in text
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
