"""Both rating rules on small hand-computed sets, including one with an outlier."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from wattprint.analysis.ratings import (
    aies_stars,
    load_thresholds,
    rate,
    stars_from_values,
    threshold_table_from_dict,
)
from wattprint.errors import ConfigError
from wattprint.tasks.base import TASK_IDS


def test_equal_width_bins_by_hand():
    # min 1, max 11, bin width 2: [1,3) 5★, [3,5) 4★, [5,7) 3★, [7,9) 2★, [9,11] 1★
    got = aies_stars({"a": 1.0, "b": 2.0, "c": 3.5, "d": 6.0, "e": 8.9, "f": 11.0})
    assert got == {"a": 5, "b": 5, "c": 4, "d": 3, "e": 2, "f": 1}


def test_outlier_pushes_everyone_else_to_five_stars():
    base = {"a": 1.0, "b": 1.25, "c": 1.5}
    # width 0.1: a 0 → 5★; b (0.25/0.1 = 2.5) → 3★; c (max) → 1★
    assert aies_stars(base) == {"a": 5, "b": 3, "c": 1}
    # an outlier at 100 stretches the width to 19.8: a, b, c all fall in the first bin
    assert aies_stars({**base, "outlier": 100.0}) == {"a": 5, "b": 5, "c": 5, "outlier": 1}


def test_edge_cases_single_ties_missing():
    assert aies_stars({"only": 3.0}) == {"only": 5}
    assert aies_stars({"x": 2.0, "y": 2.0}) == {"x": 5, "y": 5}
    assert aies_stars({"x": 1.0, "y": 1.0, "z": 2.0}) == {"x": 5, "y": 5, "z": 1}
    assert aies_stars({"x": 1.0, "gone": None, "z": 2.0}) == {"x": 5, "gone": None, "z": 1}
    assert aies_stars({}) == {}
    assert all(math.isnan(s) for s in stars_from_values([math.nan, math.nan]))


TABLE = {"version": "test-v9", "classes": ["A", "B", "C"], "boundary": "host",
         "tasks": {"t": {"thresholds_wh_per_1k": [1.0, 10.0]}}}


def test_star_bins_are_exact_at_their_edges():
    # width (1.1 − 0.1) / 5 = 0.2: 0.3 is exactly on the 4★ edge, 0.5 on 3★, 0.7 on 2★ ...
    # ((0.3 − 0.1) × 5 / 1.0 is 0.9999999999999998 in floats, which gave 5★)
    got = aies_stars({"a": 0.1, "b": 0.3, "c": 0.5, "d": 0.7, "e": 0.9, "f": 1.1})
    assert got == {"a": 5, "b": 4, "c": 3, "d": 2, "e": 1, "f": 1}
    agg = pd.DataFrame({"task": "t", "hardware_id": "h", "provenance": "measured",
                        "boundary_level": "host", "model": list("abcdef"),
                        "wh_per_1k_mean": [0.1, 0.3, 0.5, 0.7, 0.9, 1.1]})
    assert list(rate(agg, threshold_table_from_dict(TABLE))["stars"]) == [5, 4, 3, 2, 1, 1]


def test_random_weights_are_not_rated():
    agg = pd.DataFrame({"task": "t", "hardware_id": "h", "provenance": "measured",
                        "boundary_level": "host", "model": ["trained", "arch"],
                        "weights": ["pretrained", "random"], "wh_per_1k_mean": [5.0, 0.5]})
    out = rate(agg, threshold_table_from_dict(TABLE))
    assert out["stars"].iloc[0] == 5 and pd.isna(out["stars"].iloc[1])
    assert out["abs_class"].iloc[0] == "B" and pd.isna(out["abs_class"].iloc[1])
    assert "random weights" in out["rating_note"].iloc[1]
    assert out["stars_set_size"].iloc[0] == 1  # the random one is not in the compared set


def test_classes_only_at_the_tables_boundary_and_stars_per_boundary():
    agg = pd.DataFrame({"task": "t", "hardware_id": "h", "provenance": "measured",
                        "model": list("abc"), "boundary_level": ["host", "accelerator", "host"],
                        "wh_per_1k_mean": [0.5, 0.6, 5.0]})
    out = rate(agg, threshold_table_from_dict(TABLE))
    assert [None if pd.isna(c) else c for c in out["abs_class"]] == ["A", None, "B"]
    assert "accelerator only" in out["rating_note"].iloc[1]
    assert set(out["abs_boundary"]) == {"host"}
    # the GPU-only figure is its own compared set: 5★, not ranked against whole-host ones
    assert list(out["stars"]) == [5, 5, 1]


def test_table_must_state_a_known_boundary():
    bad = {k: v for k, v in TABLE.items() if k != "boundary"}
    with pytest.raises(ConfigError, match="boundary"):
        threshold_table_from_dict(bad, "x.json")
    with pytest.raises(ConfigError, match="one of accelerator, host, idle, facility"):
        threshold_table_from_dict({**TABLE, "boundary": "wall"}, "x.json")
    assert load_thresholds().boundary == "host"


def test_absolute_class_by_hand_and_stable_under_outlier():
    table = threshold_table_from_dict(TABLE)
    assert [table.classify("t", v) for v in (0.5, 1.0, 5.0, 10.0, 50.0)] == ["A", "A", "B", "B", "C"]
    assert table.classify("t", math.nan) is None
    assert table.classify("unknown-task", 1.0) is None
    agg = pd.DataFrame({"task": ["t"] * 3, "hardware_id": ["h"] * 3,
                        "provenance": ["measured"] * 3, "model": ["a", "b", "c"],
                        "boundary_level": ["host"] * 3, "wh_per_1k_mean": [1.0, 1.25, 1.5]})
    before = rate(agg, table)
    after = rate(pd.concat([agg, agg.iloc[[0]].assign(model="outlier", wh_per_1k_mean=100.0)]),
                 table)
    assert list(before["abs_class"]) == ["A", "B", "B"]
    assert list(after["abs_class"])[:3] == ["A", "B", "B"]  # classes did not move
    assert list(before["stars"]) == [5, 3, 1]
    assert list(after["stars"]) == [5, 5, 5, 1]               # stars did
    assert set(after["abs_version"]) == {"test-v9"}
    assert list(after["stars_set_size"]) == [4, 4, 4, 4]


def test_rate_sets_are_per_hardware_and_provenance_and_skip_missing():
    agg = pd.DataFrame({"task": ["t"] * 4, "hardware_id": ["h1", "h1", "h2", "h1"],
                        "provenance": ["measured", "measured", "measured", None],
                        "boundary_level": "host",
                        "model": list("abcd"), "wh_per_1k_mean": [1.0, 3.0, 50.0, math.nan]})
    out = rate(agg, threshold_table_from_dict(TABLE))
    assert list(out["stars"][:3]) == [5, 1, 5]
    assert out["stars"].isna().iloc[3] and pd.isna(out["abs_class"].iloc[3])


def test_packaged_table_covers_the_ten_tasks_and_is_log_spaced():
    table = load_thresholds()
    assert table.version == "wattprint-abs-v1"
    assert set(TASK_IDS) <= set(table.thresholds_wh_per_1k)
    for th in table.thresholds_wh_per_1k.values():
        ratios = [b / a for a, b in zip(th, th[1:])]
        assert all(2.9 < r < 3.4 for r in ratios)  # half a decade each (√10 ≈ 3.16), rounded


def test_bad_table_names_the_field(tmp_path):
    bad = {**TABLE, "tasks": {"t": {"thresholds_wh_per_1k": [10.0, 1.0]}}}
    with pytest.raises(ConfigError, match=r"tasks\.t\.thresholds_wh_per_1k"):
        threshold_table_from_dict(bad, "x.json")
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"classes": ["A", "B"], "tasks": {}, "boundary": "host"}))
    with pytest.raises(ConfigError, match="version"):
        load_thresholds(p)
    p.write_text("{not json")
    with pytest.raises(ConfigError, match="line 1"):
        load_thresholds(p)


def test_text_generation_stars_within_size_classes():
    # AI Energy Score computes text-generation stars per size class (A ≤ 20 B, B ≤ 66 B, C)
    agg = pd.DataFrame({"task": ["text-generation"] * 4, "hardware_id": ["h"] * 4,
                        "provenance": ["measured"] * 4, "model": list("abcd"),
                        "boundary_level": "host", "num_params": [1e9, 8e9, 34e9, 70e9],
                        "wh_per_1k_mean": [1.0, 20.0, 60.0, 1600.0]})
    out = rate(agg, threshold_table_from_dict(TABLE))
    assert list(out["stars_size_class"]) == ["A", "A", "B", "C"]
    # class A: a 5★, b 1★; B and C have one model each → 5★ (not 5★/1★ across all four)
    assert list(out["stars"]) == [5, 1, 5, 5]


def test_reproduces_published_ai_energy_score_stars():
    # AI Energy Score Feb-2025 leaderboard, text generation class A (peer-benchmarks.md §9.1):
    # range 1.31 (distilgpt2) – 28.74 (phi-4) Wh/1k; published stars in the comments.
    class_a = {"distilgpt2": 1.31,          # 5★
               "SmolLM-1.7B": 7.64,         # 4★
               "Llama-3.1-8B": 17.38,       # 3★
               "Mistral-7B-v0.1": 19.13,    # 2★
               "phi-4": 28.74}              # 1★
    assert aies_stars(class_a) == {"distilgpt2": 5, "SmolLM-1.7B": 4, "Llama-3.1-8B": 3,
                                   "Mistral-7B-v0.1": 2, "phi-4": 1}
    # class B: QwQ-32B 54.56 (5★), Yi-1.5-34B 56.08 (5★), Mixtral-8x7B 615.39 (1★)
    assert aies_stars({"qwq": 54.56, "yi": 56.08, "mixtral": 615.39}) == {
        "qwq": 5, "yi": 5, "mixtral": 1}
