"""End to end on a REAL engine: `transformers serve --continuous-batching` on 127.0.0.1 with a
tiny chat Llama built offline, real load, stored and exported (about 40-60 s).

Deterministic on a loaded machine: wattprint asks for usage (transformers serve 5.25 sends it
only with stream_options.include_usage; counted by chunks, 80 forced tokens read 79, since its
detokenizer sends no chunk for a token that completes no character), every request's forced
length is checked (a shorter one would be `truncated` and make `load` exit 1), and the client
lag limit is loose (the client's lag is not what this test is about)."""

import json
import shutil
import sys
from pathlib import Path

import pytest

from wattprint.cli import main

pytest.importorskip("fastapi")
pytestmark = pytest.mark.slow
EXPECTED = {"offered_rps", "achieved_rps", "requests_ok", "requests_failed", "output_tokens",
            "j_per_request", "j_per_output_token", "p50_ttft_s", "p95_ttft_s", "p50_itl_s",
            "p95_itl_s", "steady_window_s", "avg_power_w", "idle_power_w",
            "attribution_residual", "provenance", "engine", "environment"}


def _transformers_cli() -> str:
    exe = Path(sys.executable).with_name("transformers")
    return str(exe) if exe.exists() else (shutil.which("transformers") or "")


@pytest.fixture(scope="module")
def chat_lm(tmp_path_factory):
    from wattprint.serving.zoo_lm import build_chat_lm

    return build_chat_lm(tmp_path_factory.mktemp("lm") / "chat-lm", "tiny")


def test_real_transformers_serve_under_load(chat_lm, tmp_path, capsys):
    cli = _transformers_cli()
    if not cli:
        pytest.skip("transformers CLI not installed")
    endpoint = "http://127.0.0.1:{port}"       # a free port, picked at launch
    launch = (f"env HF_HUB_OFFLINE=1 {cli} serve {chat_lm} --continuous-batching --cb-block-size 32 "
              "--cb-num-blocks 64 --cb-max-batch-tokens 256 --device cpu --host 127.0.0.1 "
              "--port {port}")
    store = tmp_path / "r.db"
    rc = main(["load", "--endpoint", endpoint, "--model", str(chat_lm), "--launch", launch,
               "--concurrency", "4", "--rate", "3", "--requests", "10", "--output-len", "8",
               "--idle", "1", "--max-lag", "10", "--store", str(store)])
    assert rc == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["export", "--kind", "serving", "--store", str(store)]) == 0
    points = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(points) == 2 and all(p["kind"] == "serving" for p in points)
    for p in points:
        assert EXPECTED <= set(p)
        assert (p["requests_ok"], p["requests_failed"], p["requests_truncated"]) == (10, 0, 0)
        assert p["failures"] == [] and "truncated_requests" not in p["flags"]
        assert p["output_tokens"] == 80 and p["output_token_source"] == "usage"  # length forced
        assert p["attribution_residual"] < 0.01 and p["provenance"] == "attributed"
        # the timeline's window energy agrees with the meter's own begin/end reads (they differ
        # only by the few sample periods at the edges)
        a = p["attribution"]
        assert a["meter_window_j"] > 0 and a["timeline_vs_meter"] < 0.25, a
        assert p["engine"]["name"] == "transformers"
        assert p["j_per_output_token"] > 0 and p["p95_ttft_s"] >= p["p50_ttft_s"]
        assert p["request_energy"]["p50_decode_j"] is not None
        # phase-occupancy-v2 on a real engine: prompts counted by its usage, checks stored
        assert p["attribution_model"] == "phase-occupancy-v2" and p["prompt_token_source"] == "usage"
        assert [c["name"] for c in p["checks"]] == ["meter_vs_timeline", "tokens_vs_engine",
                                                    "phases_vs_engine"]
        pe = p["phase_energy"]
        parts = pe["idle_j"] + pe["queued_j"] + pe["prefill_j"] + pe["decode_j"] + pe["unattributed_j"]
        assert parts == pytest.approx(pe["window_j"], rel=0.01)
        assert set(p["attributed_j_by_status"]) == {"ok"}
        # the engine's own process tree, stored beside the node's domains, never in the basis
        own = [d for d in p["domains"] if d["name"] == "cpu:engine"]
        assert len(own) == 1 and own[0]["scope"] == "process" and own[0]["energy_j"] > 0
        assert "cpu:engine" not in p["energy_domains"]
    # the engine was stopped: nothing listens on its port any more
    import socket
    port = int(points[0]["endpoint"].rsplit(":", 1)[1])
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", port))
