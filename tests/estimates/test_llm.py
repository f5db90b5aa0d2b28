import math

import pytest

from wattprint.errors import ConfigError
from wattprint.estimates.catalog import Range
from wattprint.estimates.llm import (
    DEFAULT_BATCH,
    PREFILL_RATIO,
    LlmRequest,
    devices_for,
    estimate_llm,
)
from wattprint.estimates.reference import reference_fit


@pytest.fixture(scope="module")
def fit():
    return reference_fit()


def test_exact_assumptions_give_the_held_out_interval_and_nothing_wider(fit):
    req = LlmRequest("meta-llama/Llama-3.1-70B-Instruct", 0, 300, hardware=("H100",),
                     batch=Range(64, 64), devices=4)
    e = estimate_llm(req, fit)
    f = fit.holdout.factor(0.9)
    assert e.prefill.central_j == 0.0 and e.prefill.high_j == 0.0
    assert e.decode.low_j == pytest.approx(e.decode.central_j / f)
    assert e.decode.high_j == pytest.approx(e.decode.central_j * f)
    # the measured ML.ENERGY point for this configuration (lm-arena-chat, 4 x H100,
    # max_num_seqs 64): 0.797 J/output token; the estimate's interval holds it
    assert e.energy.low_j / 300 <= 0.797 <= e.energy.high_j / 300
    assert e.model.kind == "open" and e.devices == 4


def test_ranges_widen_the_interval_and_hold_the_exact_cases(fit):
    wide = estimate_llm(LlmRequest("gpt-4o", 200, 300), fit)
    assert wide.model.kind == "api" and not wide.model.active_params_b.exact
    assert wide.batch == DEFAULT_BATCH
    for active, total, nbytes, batch in ((44, 200, 1, 16), (200, 440, 2, 256)):
        exact = estimate_llm(LlmRequest("gpt-4o", 200, 300, active_params_b=Range(active, active),
                                        total_params_b=Range(total, total),
                                        bytes_per_param=Range(nbytes, nbytes),
                                        batch=Range(batch, batch)), fit)
        assert wide.energy.low_j <= exact.energy.low_j * 1.0000001
        assert exact.energy.high_j <= wide.energy.high_j * 1.0000001
    assert wide.energy.low_j < wide.energy.central_j < wide.energy.high_j


def test_prefill_is_the_stated_share_of_the_compute_bound_decode(fit):
    req = LlmRequest("meta-llama/Llama-3.1-8B-Instruct", 1000, 1, hardware=("H100",),
                     batch=Range(64, 64), devices=1)
    e = estimate_llm(req, fit)
    top = fit.hardware["H100"].batch_range[1]
    at_top = estimate_llm(LlmRequest(req.model, 0, 1, hardware=("H100",),
                                     batch=Range(top, top), devices=1), fit)
    assert e.prefill.central_j == pytest.approx(1000 * 0.5 * at_top.decode.central_j)
    f = fit.holdout.factor(0.9)
    assert e.prefill.low_j == pytest.approx(1000 * PREFILL_RATIO.lo * at_top.decode.central_j / f)
    assert e.prefill.high_j == pytest.approx(1000 * PREFILL_RATIO.hi * at_top.decode.central_j * f)


def test_more_output_costs_more_and_a_bigger_model_costs_more(fit):
    def central(model, out):
        return estimate_llm(LlmRequest(model, 100, out, hardware=("H100",)), fit).energy.central_j

    assert central("meta-llama/Llama-3.1-8B-Instruct", 400) > \
        central("meta-llama/Llama-3.1-8B-Instruct", 100)
    assert central("meta-llama/Llama-3.1-70B-Instruct", 100) > \
        central("meta-llama/Llama-3.1-8B-Instruct", 100)


def test_the_provider_sets_hardware_and_notes(fit):
    e = estimate_llm(LlmRequest("claude-3-5-sonnet", 10, 10), fit)
    assert e.provider is not None and e.provider.name == "anthropic"
    assert set(e.hardware) == {"H100", "B200"}
    assert any("TPU" in w for w in e.warnings)
    assert e.host is not None and 0 < e.host.central_j < e.energy.central_j


def test_devices_follow_memory_as_ecologits_assumes():
    assert devices_for(8 * 2, "H100", None) == 1          # 19.2 GB
    assert devices_for(70 * 2, "H100", None) == 4         # 168 GB -> 3 -> 4
    assert devices_for(405 * 2, "H100", None) == 16       # 972 GB -> 13 -> 16
    assert devices_for(405 * 2, "cpu:x", None) == 1       # unknown memory
    assert devices_for(405 * 2, "H100", 8) == 8           # given


@pytest.mark.parametrize("req, message", [
    (LlmRequest("no-such-model", 1, 1), "--active-params"),
    (LlmRequest("gpt-4o", -1, 1), "--input-tokens"),
    (LlmRequest("gpt-4o", 1, 0), "--output-tokens"),
    (LlmRequest("gpt-4o", 1.5, 1), "whole number"),            # type: ignore[arg-type]
    (LlmRequest("gpt-4o", True, 1), "whole number"),           # type: ignore[arg-type]
    (LlmRequest("gpt-4o", 1, 10**9), "--output-tokens"),
    (LlmRequest("gpt-4o", 1, 1, hardware=("A100",)), "not in the fit"),
    (LlmRequest("gpt-4o", 1, 1, provider="nobody"), "unknown --provider"),
    (LlmRequest("gpt-4o", 1, 1, level=0.77), "coverage level 0.77"),
])
def test_bad_requests_are_config_errors(fit, req, message):
    with pytest.raises(ConfigError, match=message):
        estimate_llm(req, fit)


def test_an_unknown_model_with_a_size_is_estimated_and_says_so(fit):
    e = estimate_llm(LlmRequest("my-model", 10, 10, active_params_b=Range(7, 7)), fit)
    assert e.model.kind == "user" and e.model.bytes_per_param == Range(2, 2)
    d = e.to_dict()
    assert d["provenance"] == "estimated" and d["data_version"] == fit.data_version
    assert "held-out" in d["method"] and d["assumptions"]["sources"] == ["--active-params"]
    assert math.isclose(d["energy_kwh"], d["energy_j"] / 3.6e6)
