"""Training vs inference parity against the study's Table 5."""

from __future__ import annotations

import pytest

from wattprint.carbon.parity import parity
from wattprint.errors import ConfigError


@pytest.mark.parametrize("training, finetune, per_query, published", [
    (51_686, 7_571, 1.0e-4, 592_570_000),   # BLOOMz-7B
    (17_052, 1_081, 6.2e-5, 292_467_741),   # BLOOMz-1B (1b7)
    (10_505, 543, 5.4e-5, 204_592_592),     # BLOOMz-560M
])
def test_study_table5(training, finetune, per_query, published):
    p = parity(training, per_query, finetune_kwh=finetune)
    assert p.inferences_to_parity == pytest.approx(published, abs=1.0)


def test_bloomz_3b_paper_figure_is_slightly_inconsistent():
    # (25,634 + 3,242) / 7.3e-5 = 395,561,644; the paper prints 395,602,740 (0.01 % more).
    p = parity(25_634, 7.3e-5, finetune_kwh=3_242)
    assert p.inferences_to_parity == pytest.approx(395_561_644, abs=1.0)
    assert p.inferences_to_parity == pytest.approx(395_602_740, rel=2e-4)


def test_days_to_parity():
    p = parity(100.0, 0.001, finetune_kwh=20.0, queries_per_day=1000)
    assert p.inferences_to_parity == pytest.approx(120_000)
    assert p.days_to_parity == pytest.approx(120.0)
    assert p.to_dict()["queries_per_day"] == 1000


@pytest.mark.parametrize("kwargs, fragment", [
    ({"training_kwh": -1, "per_inference_kwh": 1e-4}, "--training-kwh"),
    ({"training_kwh": 1, "per_inference_kwh": 0}, "--per-inference-kwh"),
    ({"training_kwh": 1, "per_inference_kwh": "x"}, "expected a number"),
    ({"training_kwh": 1, "per_inference_kwh": 1e-4, "finetune_kwh": -1}, "--finetune-kwh"),
    ({"training_kwh": 1, "per_inference_kwh": 1e-4, "queries_per_day": 0}, "--queries-per-day"),
])
def test_bad_input(kwargs, fragment):
    with pytest.raises(ConfigError) as info:
        parity(**kwargs)
    assert fragment in str(info.value)


def test_results_that_overflow_a_float_are_refused():
    with pytest.raises(ConfigError, match="inferences to parity overflows"):
        parity(1e308, 1.0, finetune_kwh=1e308)
    with pytest.raises(ConfigError, match="days to parity overflows"):
        parity(1e300, 1.0, queries_per_day=1e-300)
