import numpy as np
import pytest

from wattprint.serving.slices import mean_over, spread


def _brute_spread(starts, ends, amounts, edges):
    out = np.zeros(len(edges) - 1)
    for s, e, a in zip(starts, ends, amounts):
        for j, (t0, t1) in enumerate(zip(edges, edges[1:])):
            if e - s <= 1e-9:
                out[j] += a if t0 <= s < t1 else 0.0
            else:
                out[j] += a * max(0.0, min(e, t1) - max(s, t0)) / (e - s)
    return out


def test_spread_matches_the_overlap_definition_and_drops_what_lies_outside():
    rng = np.random.default_rng(3)
    edges = np.cumsum(rng.uniform(0.05, 0.2, 40))
    starts = rng.uniform(edges[0] - 1, edges[-1] + 0.5, 60)
    ends = starts + np.where(rng.random(60) < 0.2, 0.0, rng.uniform(0, 1.5, 60))
    amounts = rng.uniform(0.1, 10, 60)
    got = spread(starts, ends, amounts, edges)
    assert got == pytest.approx(_brute_spread(starts, ends, amounts, edges), abs=1e-9)
    inside = spread(np.array([edges[2]]), np.array([edges[5]]), np.array([3.0]), edges)
    assert inside.sum() == pytest.approx(3.0) and inside[:2].sum() == 0 and inside[5:].sum() == 0


def test_mean_over_conserves_what_a_per_slice_price_splits():
    rng = np.random.default_rng(5)
    edges = np.linspace(0.0, 4.0, 41)
    price = rng.uniform(0, 5, 40)
    starts = rng.uniform(-0.5, 4.2, 50)
    ends = starts + np.where(rng.random(50) < 0.3, 0.0, rng.uniform(0, 1, 50))
    amounts = rng.uniform(1, 3, 50)
    shares = amounts * mean_over(starts, ends, price, edges)
    assert shares.sum() == pytest.approx((price * spread(starts, ends, amounts, edges)).sum())
    # an interval inside one slice gets that slice's price; a point gets its slice's price
    m = mean_over(np.array([0.12, 0.25]), np.array([0.18, 0.25]), price, edges)
    assert m == pytest.approx([price[1], price[2]])


def test_empty_inputs():
    assert spread(np.zeros(0), np.zeros(0), np.zeros(0), np.array([0.0, 1.0])).tolist() == [0.0]
    assert mean_over(np.zeros(0), np.zeros(0), np.zeros(1), np.array([0.0, 1.0])).size == 0
    assert spread(np.array([0.5]), np.array([0.6]), np.array([1.0]), np.array([0.0])).size == 0
