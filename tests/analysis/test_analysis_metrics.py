"""Aggregates and intervals against hand-computed values."""

from __future__ import annotations

import math

import pytest
from report_fixtures import cpu_est, gpu, make_result

from wattprint.analysis.frame import results_frame
from wattprint.analysis.metrics import MODEL_KEYS, aggregate, pareto_front, task_summary

T_975_2 = 4.302652729911275  # Student t, 0.975 quantile, 2 degrees of freedom (printed tables: 4.303)


def _three_reps():
    # 3600, 7200, 10800 J over 1,000 inferences = 0.001, 0.002, 0.003 kWh per 1,000
    return [make_result(rep=i, energy_j=e) for i, e in enumerate((3600.0, 7200.0, 10800.0))]


def _cox(values):
    """Modified-Cox 95 % interval of a log-normal mean, by hand for n = 3 (t from tables)."""
    y = [math.log(v) for v in values]
    m = sum(y) / 3
    v = sum((a - m) ** 2 for a in y) / 2
    half = T_975_2 * math.sqrt(v / 3 + v * v / 4)
    return math.exp(m + v / 2 - half), math.exp(m + v / 2 + half)


def test_mean_std_and_repetition_interval_by_hand():
    agg = aggregate(results_frame(_three_reps()))
    assert len(agg) == 1
    row = agg.iloc[0]
    assert row["n_reps"] == 3
    assert row["kwh_per_1k_mean"] == pytest.approx(0.002)
    # sample std of (1, 2, 3) × 0.001 is 0.001
    assert row["kwh_per_1k_std"] == pytest.approx(0.001)
    low, high = _cox([0.001, 0.002, 0.003])
    assert row["kwh_per_1k_rep_low"] == pytest.approx(low)
    assert row["kwh_per_1k_rep_high"] == pytest.approx(high)
    # the Student-t interval 0.002 ± 0.00248 had a negative lower bound; this one never does
    assert 0 < row["kwh_per_1k_rep_low"] < 0.002 < row["kwh_per_1k_rep_high"]
    assert row["kwh_per_1k_rep_note"] == ""
    assert row["wh_per_1k_mean"] == pytest.approx(2.0)
    assert row["wh_per_1k_rep_high"] == pytest.approx(high * 1000)
    assert row["j_per_inference_mean"] == pytest.approx(7.2)


def test_single_repetition_has_no_spread_not_zero():
    agg = aggregate(results_frame([make_result(energy_j=3600.0)]))
    row = agg.iloc[0]
    assert row["kwh_per_1k_mean"] == pytest.approx(0.001)
    assert math.isnan(row["kwh_per_1k_std"])
    assert math.isnan(row["kwh_per_1k_rep_low"]) and math.isnan(row["kwh_per_1k_rep_high"])


def test_two_repetitions_say_too_few():
    rs = [make_result(rep=i, energy_j=e) for i, e in enumerate((3600.0, 7200.0))]
    row = aggregate(results_frame(rs)).iloc[0]
    assert math.isnan(row["wh_per_1k_rep_low"])
    assert row["wh_per_1k_rep_note"] == "too few repetitions for an interval (2 < 3)"


def test_negative_dynamic_energy_is_flagged_not_clipped():
    rs = [make_result(rep=i, domains=(gpu(3600.0, dynamic_j=d),))
          for i, d in enumerate((-360.0, 720.0, 1080.0))]
    row = aggregate(results_frame(rs)).iloc[0]
    assert row["dynamic_negative"] == 1
    assert row["dynamic_kwh_per_1k_mean"] == pytest.approx(0.0001 * 4 / 3)
    assert math.isnan(row["dynamic_kwh_per_1k_rep_low"])
    assert "1 of 3 value(s) ≤ 0" in row["dynamic_kwh_per_1k_rep_note"]
    assert row["kwh_per_1k_rep_low"] > 0  # the total still has its interval


def test_datasets_are_not_pooled_as_repetitions():
    # 3 datasets × 3 repetitions: a repetition interval per dataset, one across datasets at
    # the model level, and no repetition interval over the 9 pooled rows
    rs = [make_result(dataset=ds, rep=i, energy_j=base * (1 + 0.01 * i))
          for ds, base in (("a", 3600.0), ("b", 7200.0), ("c", 10800.0)) for i in range(3)]
    df = results_frame(rs)
    detail = aggregate(df)
    assert len(detail) == 3 and (detail["kwh_per_1k_rep_low"] > 0).all()
    model = aggregate(df, MODEL_KEYS).iloc[0]
    assert math.isnan(model["kwh_per_1k_rep_low"])
    assert "several datasets" in model["kwh_per_1k_rep_note"]
    means = [base * 1.01 / 3.6e6 for base in (3600.0, 7200.0, 10800.0)]
    low, high = _cox(means)
    assert model["kwh_per_1k_ds_low"] == pytest.approx(low)
    assert model["kwh_per_1k_ds_high"] == pytest.approx(high)
    assert model["wh_per_1k_ds_note"] == ""


def test_two_datasets_get_no_interval_across_datasets():
    rs = [make_result(dataset=ds, rep=i, energy_j=3600.0 + i) for ds in "ab" for i in range(3)]
    model = aggregate(results_frame(rs), MODEL_KEYS).iloc[0]
    assert math.isnan(model["kwh_per_1k_ds_low"])
    assert model["kwh_per_1k_ds_note"] == "too few datasets for an interval (2 < 3)"


def test_provenances_kept_apart():
    r = make_result(domains=(gpu(3600.0), cpu_est(1800.0)))
    agg = aggregate(results_frame([r]))
    by = dict(zip(agg["provenance"], agg["kwh_per_1k_mean"]))
    assert by == {"measured": pytest.approx(0.001), "estimated": pytest.approx(0.0005)}


def test_process_scope_not_added_to_machine_scope():
    from dataclasses import replace
    proc = replace(cpu_est(100.0), name="cpu:process", scope="process")
    r = make_result(domains=(cpu_est(1800.0), proc))
    df = results_frame([r])
    assert list(df["energy_j"]) == [1800.0]
    assert list(df["scope"]) == ["machine"]


def test_failed_counted_and_never_zero():
    rs = [make_result(rep=0, energy_j=3600.0), make_result(rep=1, status="failed"),
          make_result(model="broken", rep=0, status="failed")]
    agg = aggregate(results_frame(rs))
    ok = agg[agg["model"] == "m"].iloc[0]
    assert ok["n_reps"] == 1 and ok["n_failed"] == 1
    assert ok["kwh_per_1k_mean"] == pytest.approx(0.001)  # the failure did not pull it down
    broken = agg[agg["model"] == "broken"].iloc[0]
    assert broken["n_failed"] == 1 and broken["n_reps"] == 0
    assert math.isnan(broken["kwh_per_1k_mean"])
    assert "out of memory" in broken["last_error"]


def test_dynamic_per_unit_and_energy_per_correct():
    # 3600 J total, 1800 J dynamic, 1000 inferences, 500 generated tokens, 80 % accuracy
    r = make_result(domains=(gpu(3600.0, dynamic_j=1800.0),), work_unit="token", work_units=500,
                    output_tokens=500, quality={"accuracy": 0.8})
    row = aggregate(results_frame([r])).iloc[0]
    assert row["dynamic_kwh_per_1k_mean"] == pytest.approx(0.0005)
    assert row["j_per_unit_mean"] == pytest.approx(7.2)
    assert row["output_tokens_per_inference_mean"] == pytest.approx(0.5)
    assert row["quality_mean"] == pytest.approx(0.8)
    assert row["j_per_correct_mean"] == pytest.approx(3600.0 / 800)


def test_missing_fields_stay_missing():
    row = aggregate(results_frame([make_result(energy_j=3600.0)])).iloc[0]
    for c in ("dynamic_kwh_per_1k_mean", "j_per_unit_mean", "quality_mean", "j_per_correct_mean",
              "g_per_1k_mean", "num_params"):
        assert math.isnan(row[c]), c


def test_model_level_pools_datasets_and_task_summary():
    rs = [make_result(dataset="a", energy_j=3600.0), make_result(dataset="b", energy_j=10800.0)]
    df = results_frame(rs)
    agg = aggregate(df, MODEL_KEYS)
    assert len(agg) == 1 and agg.iloc[0]["datasets"] == 2
    assert agg.iloc[0]["kwh_per_1k_mean"] == pytest.approx(0.002)
    ts = task_summary(df).iloc[0]
    assert ts["min"] == pytest.approx(0.001) and ts["max"] == pytest.approx(0.003)
    assert ts["std"] == pytest.approx(math.sqrt(2) * 0.001)


def test_pareto_front():
    energy = [1.0, 2.0, 3.0, 2.5, float("nan"), 1.0]
    quality = [0.5, 0.7, 0.9, 0.6, 0.99, 0.4]
    # (1,0.5) on; (1,0.4) dominated; (2,0.7) on; (2.5,0.6) dominated; (3,0.9) on; NaN never
    assert pareto_front(energy, quality) == [0, 1, 2]


def test_model_parameters_fill():
    df = results_frame([make_result(model="x")], model_parameters={"x": 66e6})
    assert df["num_params"].iloc[0] == 66e6
