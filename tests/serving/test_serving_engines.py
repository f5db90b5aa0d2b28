"""Engines as a registry: a new engine is one module plus one line in ENGINE_MODULES."""

import asyncio
import textwrap

import pytest
from serving_fakes import MODEL, SEEN, fake_server

from wattprint.cli import main
from wattprint.errors import ConfigError
from wattprint.serving import engines
from wattprint.serving.arrivals import Arrivals
from wattprint.serving.generator import Target, run_point
from wattprint.serving.probe import probe
from wattprint.serving.prompts import RequestSpec
from wattprint.serving.records import Status

TOY = '''
"""A toy engine: recognised by its /health answer, forced by the field toy_exact."""
from wattprint.serving.engines.base import Detection, EngineProfile


async def _detect(view):
    health = await view.get_object("/health")
    return Detection("toy-1", {"health": health}) if health == {"status": "ok"} else None


PROFILE = EngineProfile("toy", "a toy engine", forces_length=True, usage_option=False,
                        fixed_length_fields=lambda n: {"toy_exact": n}, detect=_detect)
'''


@pytest.fixture
def toy_engine(tmp_path, monkeypatch):
    (tmp_path / "toy_engine.py").write_text(textwrap.dedent(TOY))
    monkeypatch.syspath_prepend(str(tmp_path))
    table = list(engines.ENGINE_MODULES)
    table.insert(table.index("wattprint.serving.engines.generic"), "toy_engine")  # the one line
    monkeypatch.setattr(engines, "ENGINE_MODULES", table)
    return "toy"


def test_an_engine_added_in_one_module_and_one_line_is_detected_and_used(toy_engine):
    assert "toy" in engines.names() and engines.profile("toy").forces_length
    with fake_server("nousage") as (url, app):
        info = asyncio.run(probe(url, MODEL))
        assert info.engine.name == "toy" and info.engine_version == "toy-1"
        assert info.config["health"] == {"status": "ok"}
        target = Target(url, MODEL, "chat", info.engine, timeout_s=10)
        run = asyncio.run(run_point(target, [RequestSpec("hi", 5)] * 2,
                                    Arrivals("closed", concurrency=1)))
    assert [r.status for r in run.records] == [Status.OK] * 2
    sent = app[SEEN][-1]
    assert sent["toy_exact"] == 5 and sent["max_tokens"] == 5 and "stream_options" not in sent


def test_the_cli_takes_a_registered_engine_and_names_the_valid_ones(toy_engine, tmp_path, capsys):
    with fake_server("vllm") as (url, _):
        rc = main(["load", "--endpoint", url, "--model", MODEL, "--engine", "toy",
                   "--concurrency", "1", "--requests", "1", "--output-len", "2", "--idle", "0",
                   "--max-lag", "5", "--store", str(tmp_path / "s.db")])
    assert rc == 0, capsys.readouterr().err
    assert "engine profile toy" in capsys.readouterr().err
    assert main(["load", "--endpoint", "http://127.0.0.1:9", "--model", "m", "--engine", "tyo",
                 "--rate", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown engine 'tyo'" in err and "toy" in err and "llamacpp" in err


@pytest.mark.parametrize("mode,name,version", [("vllm", "vllm", "0.32.0-fake"),
                                               ("llamacpp", "llamacpp", "0.3.36"),
                                               ("nousage", "generic", None)])
def test_auto_detection_from_what_the_server_answers(mode, name, version):
    with fake_server(mode) as (url, _):
        info = asyncio.run(probe(url, MODEL))
    assert (info.engine.name, info.engine_version) == (name, version)


def test_a_table_line_without_a_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(engines, "ENGINE_MODULES", ["wattprint.serving.engines.base"])
    with pytest.raises(ConfigError, match="has no PROFILE"):
        engines.registry()
