"""The proxy in front of an upstream it cannot measure (``--energy estimate``, a remote API):
every request gets ``wattprint estimate llm`` for its tokens, in the headers, the record, the
counters and, when the client asks (``x-wattprint-energy: 1``), as ``usage.energy``; the body
changes in nothing else."""

import json

import pytest
from proxy_helpers import chat, fetch, lookup, metrics, proxy, series
from serving_fakes import MODEL, fake_server

from wattprint.estimates.catalog import Range
from wattprint.estimates.llm import LlmRequest, estimate_llm
from wattprint.estimates.reference import reference_fit
from wattprint.serving.proxy.relay import ENERGY_REQUEST_HEADER, ESTIMATE_HEADER, ID_HEADER

ROUTE = "/v1/chat/completions"
NAME = "gpt-4o"


def _expected_j(n_in, n_out):
    e = estimate_llm(LlmRequest(model=NAME, input_tokens=n_in, output_tokens=n_out,
                                provider="openai"), reference_fit())
    return e.energy.central_j, e.energy.low_j, e.energy.high_j


def _events(body):
    return [json.loads(line[5:]) for line in body.decode().splitlines()
            if line.startswith("data:") and line.strip() != "data: [DONE]"]


@pytest.mark.parametrize("stream", [False, True])
def test_estimates_for_an_upstream_that_cannot_be_measured(stream, tmp_path):
    ask = {ENERGY_REQUEST_HEADER: "1"}
    body = chat(MODEL, 6, stream, stream_options={"include_usage": True} if stream else None)
    with fake_server("vllm") as (url, _), proxy(url, tmp_path, energy="estimate",
                                                estimate_model=NAME,
                                                estimate_provider="openai") as p:
        _, _, direct = fetch("POST", url + ROUTE, body)
        _, h_plain, plain = fetch("POST", p.url + ROUTE, body)
        status, h, asked = fetch("POST", p.url + ROUTE, body, ask)
        rec = lookup(p, h[ID_HEADER])
        m = metrics(p)
    assert status == 200 and plain == direct            # not asked: the same bytes
    central, low, high = _expected_j(7, 6)              # the fake's usage: 7 prompt, 6 output
    got = rec["estimate"]
    assert got["provenance"] == "estimated"
    assert got["joules"] == pytest.approx(central) and low <= central <= high
    assert (got["low_j"], got["high_j"]) == (pytest.approx(low), pytest.approx(high))
    assert rec["attributed"] is None                    # nothing measured, nothing attributed
    if stream:                                          # a stream's headers go before its end
        assert ESTIMATE_HEADER not in h
        events = _events(asked)
        carrier = [e for e in events if "energy" in (e.get("usage") or {})]
        assert len(carrier) == 1
        energy = carrier[0]["usage"].pop("energy")
        assert events == _events(direct)                # nothing else changed
    else:
        assert float(h[ESTIMATE_HEADER]) == pytest.approx(central, rel=1e-5)
        assert float(h_plain[ESTIMATE_HEADER]) == pytest.approx(central, rel=1e-5)
        obj = json.loads(asked)
        energy = obj["usage"].pop("energy")
        assert obj == json.loads(direct)                # nothing else changed
    assert energy["provenance"] == "estimated" and energy["request_id"] == h[ID_HEADER]
    assert energy["joules"] == pytest.approx(central)
    who = {"model": MODEL, "route": ROUTE, "tenant": "-"}
    total = sum(m[series("wattprint_proxy_energy_joules_total", **who, phase=ph,
                         provenance="estimated")] for ph in ("prefill", "decode"))
    assert total == pytest.approx(2 * (got["prefill_j"] + got["decode_j"]))
    assert m[series("wattprint_proxy_requests_total", **who, status="ok")] == 2


def test_a_model_the_tables_do_not_know_needs_its_size_and_gets_a_figure_with_it():
    from wattprint.errors import ConfigError
    from wattprint.serving.proxy.figures import LlmEstimator

    with pytest.raises(ConfigError, match="--estimate-model: unknown model.*--active-params"):
        LlmEstimator("my-private-model-9000")
    est = LlmEstimator("my-private-model-9000", active_params_b=(8.0, 8.0))
    fig = est.figure(None, 100, 20)
    want = estimate_llm(LlmRequest(model="my-private-model-9000", input_tokens=100,
                                   output_tokens=20, active_params_b=Range(8.0, 8.0)),
                        reference_fit())
    assert not isinstance(fig, str) and fig.provenance == "estimated"
    assert fig.energy_j == pytest.approx(want.energy.central_j)
