"""`--launch`: wattprint measures only the engine it started (a port that already answers is
refused; the launched process tree must own the listening socket), takes a free port with
{port}, stores the engine tree's own energy, and exits 1 when the engine dies under load."""

import json
import os
import shlex
import signal
import sys
from pathlib import Path

import psutil
from serving_fakes import MODEL, fake_server, free_port

from wattprint.cli import main

FAKES = Path(__file__).with_name("serving_fakes.py")
ENGINE = f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKES))}"


def _load(endpoint, launch, store, *extra):
    return main(["load", "--endpoint", endpoint, "--model", MODEL, "--launch", launch,
                 "--concurrency", "2", "--requests", "4", "--output-len", "4", "--idle", "0",
                 "--max-lag", "5", "--timeout", "5", "--ready-timeout", "60",
                 "--store", str(store), *extra])


def _points(store, capsys):
    capsys.readouterr()
    assert main(["export", "--kind", "serving", "--store", str(store)]) == 0
    return [json.loads(x) for x in capsys.readouterr().out.splitlines()]


def _sleepers() -> set[int]:
    me = psutil.Process()
    return {p.pid for p in me.children(recursive=True) if "sleep" in p.name()}


def test_a_port_that_already_answers_is_refused_before_launching(tmp_path, capsys):
    """Before: "engine ready after 0.0 s", the other server load-tested, points stored, exit 0."""
    store = tmp_path / "s.db"
    with fake_server("vllm") as (url, _):
        rc = _load(url, "sleep 1000", store)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "already answers" in err and "wattprint measures only an engine it starts" in err
    assert "engine ready" not in err and not _sleepers()
    assert not store.exists() or _points(store, capsys) == []


def test_a_server_outside_the_launched_process_tree_is_refused(tmp_path, capsys):
    """The launched command leaves a detached server behind (as if someone else's server took
    the port after the check): it answers, but the launched tree owns no listening socket."""
    port, pidfile = free_port(), tmp_path / "orphan.pid"
    launch = (f"sh -c '({ENGINE} vllm {port} & echo $! > {pidfile}); exec sleep 1000'")
    try:
        rc = _load(f"http://127.0.0.1:{port}", launch, tmp_path / "s.db")
        err = capsys.readouterr().err
        assert rc == 2, err
        assert "no process started by" in err and f"listens on port {port}" in err
    finally:
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_free_port_is_picked_and_the_engine_tree_energy_is_stored_apart(tmp_path, capsys):
    store = tmp_path / "s.db"
    rc = _load("http://127.0.0.1:{port}", f"{ENGINE} vllm {{port}}", store)
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "cpu:engine" in err and "never added to the node's domains" in err
    (p,) = _points(store, capsys)
    assert "{port}" not in p["endpoint"] and p["engine"]["name"] == "vllm"
    engine = [d for d in p["domains"] if d["name"] == "cpu:engine"]
    assert len(engine) == 1
    assert engine[0]["scope"] == "process" and engine[0]["provenance"] == "estimated"
    assert engine[0]["energy_j"] >= 0 and engine[0]["model"] is not None
    assert "cpu:engine" not in p["energy_domains"]          # never in the attributed basis
    # the run id keeps {port}: the same command resumes on another free port
    assert _load("http://127.0.0.1:{port}", f"{ENGINE} vllm {{port}}", store) == 0
    assert "already stored" in capsys.readouterr().err


def test_an_engine_that_dies_under_load_exits_1(tmp_path, capsys):
    store, port = tmp_path / "s.db", free_port()
    rc = _load(f"http://127.0.0.1:{port}", f"{ENGINE} exit {port} 1", store)
    err = capsys.readouterr().err
    assert rc == 1, err                        # was 0 with 0 of 4 ok
    (p,) = _points(store, capsys)
    assert p["requests_ok"] == 0 and p["requests_failed"] == 4
    assert all(f["status"] in ("disconnected", "http_error") for f in p["failures"])


def test_free_port_placeholder_without_launch_is_bad_input(capsys):
    assert main(["load", "--endpoint", "http://127.0.0.1:{port}", "--model", MODEL,
                 "--rate", "1"]) == 2
    assert "needs --launch" in capsys.readouterr().err
