"""Ctrl-C during a load point stops new sends, lets in-flight requests end, stores the point."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from serving_fakes import MODEL, SEEN, fake_server

from wattprint.cli import main

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_sigint_stores_what_was_measured(tmp_path, capsys):
    store = tmp_path / "s.db"
    with fake_server("vllm", token_delay_s=0.01) as (url, app):
        env = {**os.environ, "PYTHONPATH": SRC}
        p = subprocess.Popen([sys.executable, "-m", "wattprint", "load", "--endpoint", url,
                              "--model", MODEL, "--rate", "2", "--rate", "4", "--requests", "200",
                              "--output-len", "8", "--idle", "0", "--max-lag", "5",
                              "--store", str(store)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(app[SEEN]) < 5 and time.monotonic() < deadline:   # the probe + 4 load requests
            time.sleep(0.05)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err     # interrupted: 130, as every command (was 0)
    assert "interrupted" in err
    assert main(["export", "--kind", "serving", "--store", str(store)]) == 0
    points = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(points) == 1                       # the second load point never started
    pt = points[0]
    assert "interrupted" in pt["flags"]
    assert 0 < pt["requests_ok"] < 200 and pt["requests_failed"] == 0
