import numpy as np
import pytest

from wattprint.serving.weights import SliceRows, fit_weights


def _rows(n, a, b, noise_j, seed=0, prefill_every=4):
    rng = np.random.default_rng(seed)
    p = np.where(np.arange(n) % prefill_every == 0, rng.uniform(50, 400, n), 0.0)
    d = rng.uniform(0, 8, n)
    y = a * p + b * d + rng.normal(0, noise_j, n)
    return SliceRows(p, d, y)


def test_recovers_known_weights_with_intervals_that_hold_them():
    w = fit_weights(_rows(400, 0.02, 0.25, 0.05))
    assert w.source == "measured" and w.reason == ""
    assert w.prefill_j_per_token == pytest.approx(0.02, rel=0.05)
    assert w.decode_j_per_token == pytest.approx(0.25, rel=0.05)
    assert w.prefill_ci_j[0] <= 0.02 <= w.prefill_ci_j[1]
    assert w.decode_ci_j[0] <= 0.25 <= w.decode_ci_j[1]
    assert w.prefill_weight == pytest.approx(0.08, rel=0.08)
    assert 0 < w.residual_rel < 0.2 and w.slices == 400


def test_a_sweep_joins_its_points():
    rows = SliceRows.join([_rows(50, 0.02, 0.25, 0.05, seed=1), _rows(50, 0.02, 0.25, 0.05, seed=2)])
    w = fit_weights(rows, points=2)
    assert len(rows) == 100 and w.points == 2 and w.source == "measured"


def test_fallback_when_the_data_cannot_separate_the_phases():
    # no prompt token anywhere
    rows = _rows(100, 0.02, 0.25, 0.05)
    flat = SliceRows(np.zeros(100), rows.decode_tokens, rows.dynamic_j - 0.02 * rows.prefill_tokens)
    w = fit_weights(flat)
    assert w.source == "fallback" and "no slice with prompt tokens" in w.reason
    assert w.prefill_weight == 1.0 and w.decode_j_per_token == pytest.approx(0.25, rel=0.05)
    # too few busy slices
    assert "only 5 slices" in fit_weights(_rows(5, 0.02, 0.25, 0.0)).reason
    # prompt tokens whose energy is lost in the noise: the interval reaches 0
    w = fit_weights(_rows(60, 0.0001, 0.25, 2.0, prefill_every=10))
    assert w.source == "fallback" and "reaches 0" in w.reason and w.prefill_ci_j is not None


def test_fallback_measures_each_phase_where_it_ran_alone():
    # 12 slices (too few for the fit): 4 with only prompt tokens, 4 with only decoded tokens,
    # 4 with both; 0.03 J per prompt token, 0.25 per decoded token
    p = np.array([60, 70, 50, 65, 0, 0, 0, 0, 40, 30, 20, 10], dtype=float)
    d = np.array([0, 0, 0, 0, 4, 3, 4, 5, 1, 2, 3, 4], dtype=float)
    w = fit_weights(SliceRows(p, d, 0.03 * p + 0.25 * d))
    assert w.source == "fallback" and "only 12 slices" in w.reason
    assert "ran alone (4 prefill, 4 decode)" in w.reason
    assert w.prefill_j_per_token == pytest.approx(0.03) and w.decode_j_per_token == pytest.approx(0.25)
    # no slice where the prompt ran alone: every token the same
    both = SliceRows(p[4:], d[4:], 0.03 * p[4:] + 0.25 * d[4:])
    w = fit_weights(both)
    assert w.prefill_weight == 1.0 and "every token the same" in w.reason


def test_describe_weights_line():
    from wattprint.serving.weights import describe_weights

    line = describe_weights(fit_weights(_rows(400, 0.02, 0.25, 0.05)))
    assert line.startswith("energy per token: 0.0") and "J/prompt token [0.0" in line and "(measured, 400 slices of 1 point(s))" in line
    assert "; only 5 slices" in describe_weights(fit_weights(_rows(5, 0.02, 0.25, 0.0)))
