import math

import pytest

from wattprint.analysis.correct import (
    NOTE_NONE_CORRECT,
    NOTE_RANDOM,
    NOTE_UNDEFINED,
    per_correct,
    ratio_interval,
    wilson,
)


def test_wilson_matches_the_textbook_value():
    # 30 of 60 right: Wilson 95 % interval 0.3773 .. 0.6227 (symmetric about 0.5)
    low, high = wilson(0.5, 60)
    assert low == pytest.approx(0.3773, abs=1e-4) and high == pytest.approx(0.6227, abs=1e-4)
    # never outside [0, 1], and an all-wrong model's upper bound is above 0
    low, high = wilson(0.0, 20)
    assert low == 0.0 and 0.1 < high < 0.2
    assert all(math.isnan(x) for x in wilson(0.5, 0))


def test_per_correct_divides_energy_by_accuracy_with_a_pessimistic_interval():
    c = per_correct(2.0, 1.8, 2.2, 0.5, 60, weights="pretrained", metric="accuracy")
    assert c.mean == pytest.approx(4.0)
    a_low, a_high = wilson(0.5, 60)
    assert c.low == pytest.approx(1.8 / a_high) and c.high == pytest.approx(2.2 / a_low)
    assert c.low < c.mean < c.high and c.note == ""


def test_random_weights_get_no_figure():
    c = per_correct(2.0, 1.8, 2.2, 0.9, 60, weights="random", metric="accuracy")
    assert c.mean is None and c.accuracy is None and c.note == NOTE_RANDOM and not c.defined


def test_a_model_that_solves_nothing_has_no_finite_figure():
    c = per_correct(2.0, 1.8, 2.2, 0.0, 60, weights="pretrained", metric="exact_match")
    assert math.isinf(c.mean) and c.note == NOTE_NONE_CORRECT and not c.defined


def test_quality_that_is_not_a_share_of_correct_answers_gets_none():
    c = per_correct(2.0, None, None, 0.4, 60, weights="pretrained", metric="rouge1")
    assert c.mean is None and c.note == NOTE_UNDEFINED


def test_ratio_interval_pairs_bounds_pessimistically():
    m, low, high = ratio_interval((10.0, 9.0, 11.0), (2.0, 1.5, 2.5))
    assert m == 5.0 and low == pytest.approx(9.0 / 2.5) and high == pytest.approx(11.0 / 1.5)
    assert ratio_interval((10.0, None, None), (2.0, 1.5, 2.5))[1:] == (None, None)
