"""The study reproduced from its raw logs matches its published values (study.md §3):
typed tables and findings of :mod:`wattprint.analysis.study_tables`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wattprint.analysis.study_findings import Finding, IntensityFinding
from wattprint.analysis.study_tables import StudyReproduction, reproduce
from wattprint.results.study import load_study


def _study_dir() -> Path | None:
    env = os.environ.get("WATTPRINT_STUDY_DIR")
    cands = [Path(env)] if env else [p / "shared" / "reference" / "co2_inference"
                                     for p in Path(__file__).resolve().parents]
    return next((c for c in cands if (c / "data" / "emissions" / "base").is_dir()), None)


# Paper's Table 2 (mean kWh/1k, 3 decimals) and the exact recomputation of study.md §3.1
# (REPRO mean, std, min run, max run; 5 significant places).
TABLE2 = {
    "text-classification": (0.002, 0.00229, 0.00093, 0.00128, 0.00473),
    "question-answering": (0.003, 0.00328, 0.00155, 0.00163, 0.00578),
    "fill-mask": (0.003, 0.00338, 0.00108, 0.00174, 0.00582),
    "token-classification": (0.004, 0.00358, 0.00175, 0.00141, 0.00814),
    "image-classification": (0.007, 0.00707, 0.00122, 0.00507, 0.01047),
    "object-detection": (0.038, 0.03775, 0.02688, 0.01229, 0.10871),
    "text-generation": (0.047, 0.04690, 0.02662, 0.01365, 0.10023),
    "summarization": (0.049, 0.04919, 0.01542, 0.02601, 0.07103),
    "image-to-text": (0.063, 0.06298, 0.02228, 0.02812, 0.10368),
    "text-to-image": (2.907, 2.90718, 3.30884, 0.74356, 11.49032),
}
# Paper's std column where it is rounded (not truncated, study.md §3.1 note).
PAPER_STD = {"text-classification": 0.001, "fill-mask": 0.001, "token-classification": 0.002,
             "image-classification": 0.001, "text-generation": 0.03, "image-to-text": 0.02,
             "text-to-image": 3.31}
# Paper's Table 3: g CO2eq and kWh per 1,000 queries.
TABLE3 = {
    "google/flan-t5-base": (3.67, 0.026), "google/flan-t5-large": (7.68, 0.055),
    "google/flan-t5-xl": (8.08, 0.058), "google/flan-t5-xxl": (11.48, 0.083),
    "bigscience/bloomz-560m": (7.50, 0.054), "bigscience/bloomz-1b7": (8.66, 0.062),
    "bigscience/bloomz-3b": (10.17, 0.073), "bigscience/bloomz-7b1": (14.46, 0.104),
}


@pytest.fixture(scope="module")
def rep() -> StudyReproduction:
    d = _study_dir()
    if d is None:
        pytest.skip("the study's logs are not here; set WATTPRINT_STUDY_DIR")
    data = load_study(d)
    assert data.errors == []
    return reproduce(data)


@pytest.fixture(scope="module")
def out(rep: StudyReproduction) -> dict:
    return rep.to_dict()


def test_table2_matches_the_paper(out: dict) -> None:
    t2 = out["table2"]
    assert set(t2) == set(TABLE2)
    for task, (paper_mean, mean, std, lo, hi) in TABLE2.items():
        row = t2[task]
        assert row["mean_kwh"] == pytest.approx(paper_mean, abs=0.0005), task
        tol = 5e-6 if mean < 0.1 else 5e-5
        assert row["mean_kwh"] == pytest.approx(mean, abs=tol), task
        assert row["std_kwh"] == pytest.approx(std, abs=tol), task
        assert row["min_kwh"] == pytest.approx(lo, abs=tol), task
        assert row["max_kwh"] == pytest.approx(hi, abs=tol), task
        assert row["n_models"] == 8 and row["n_runs"] == 240, task
        if task in PAPER_STD:
            digits = len(str(PAPER_STD[task]).split(".")[1])
            assert round(row["std_kwh"], digits) == PAPER_STD[task], task


def test_table3_matches_the_paper(out: dict) -> None:
    t3 = out["table3"]
    assert set(t3) == set(TABLE3)
    for model, (g, kwh) in TABLE3.items():
        # paper kWh at 3 decimals; Flan-T5-base's 0.026 is its 3.67 g / 138.75 (the logs give
        # 0.02652 kWh, 3.68 g), hence half a unit of slack beyond rounding
        assert t3[model]["kwh"] == pytest.approx(kwh, abs=6e-4), model
        # within ±0.01 g except BLOOMz-560m, whose published 7.50 g is 0.03 below the logs'
        # 7.53 (its 9 per-dataset values match study.md §3.5 exactly)
        assert t3[model]["g_co2eq"] == pytest.approx(g, abs=0.035 if "560m" in model else 0.011), model
        assert t3[model]["n_runs"] == 90
    assert t3["bigscience/bloomz-560m"]["per_dataset"]["xsum"]["g_co2eq"] == pytest.approx(18.37, abs=0.005)
    assert t3["google/flan-t5-xxl"]["per_task"]["summarization"]["kwh"] == pytest.approx(0.1360, abs=5e-5)


def test_table4_and_length_fit(out: dict) -> None:
    t4 = out["table4"]
    cell = {(r["dataset"], r["model"]): r for r in t4["rows"]}
    assert cell[("imdb", "bigscience/bloomz-1b7")]["output_tokens"] == pytest.approx(2.61, abs=0.005)
    assert cell[("sciq", "google/flan-t5-large")]["output_tokens"] == pytest.approx(5.41, abs=0.005)
    assert cell[("cnn_dailymail", "bigscience/bloomz-7b1")]["g_co2eq"] == pytest.approx(33.30, abs=0.005)
    assert t4["input_tokens"]["squad"] == pytest.approx(134.00, abs=0.005)
    fit = t4["summarization_fit"]
    assert fit["bloomz"]["g_per_token"] == pytest.approx(4.0, abs=0.05)
    assert fit["bloomz"]["r"] == pytest.approx(0.63, abs=0.01)
    assert fit["flan-t5"]["g_per_token"] == pytest.approx(1.2, abs=0.05)


def test_table5_parity(out: dict) -> None:
    t5 = out["table5"]
    # paper: (51,686 + 7,571) kWh / 1.0e-4 kWh per query = 592,570,000
    assert t5["bigscience/bloomz-7b1"]["parity_inferences_2sf"] == pytest.approx(592_570_000)
    assert t5["bigscience/bloomz-560m"]["parity_inferences_2sf"] == pytest.approx(204_592_592, rel=1e-8)
    q = t5["bigscience/bloomz-7b1"]["inference_kwh_per_query"]
    assert t5["bigscience/bloomz-7b1"]["parity_inferences"] == pytest.approx((51686 + 7571) / q)


def test_findings_are_computed(out: dict) -> None:
    f = {x["id"]: x["value"] for x in out["findings"]}
    assert f["intensity"]["implied_g_per_kwh"] == pytest.approx(138.75)
    assert f["whole-node"]["gpu_count_values"] == [8]
    assert f["constant-cpu"]["distinct_cpu_power_w"] == [42.5]
    assert f["constant-ram"]["distinct_ram_power_w"] == [pytest.approx(430.77675)]
    assert f["energy-is-time"]["corr_duration_energy"] == pytest.approx(0.9998, abs=1e-4)
    assert f["query-phase-only"]["text_classification_per_run_total_mean_kwh"] == pytest.approx(0.0048, abs=5e-5)
    assert f["vision-resized"]["image-classification"]["native_mean_kwh"] == pytest.approx(0.0053, abs=5e-5)
    assert f["model-lists"]["text_to_image_mean_all_models_kwh"] == pytest.approx(2.586, abs=5e-4)
    assert f["ethics-total"]["gpu_energy_all_rows_kwh"] == pytest.approx(754.66, abs=0.005)
    assert f["ethics-total"]["total_emissions_all_rows_kg"] == pytest.approx(178.97, abs=0.01)
    assert f["ethics-total"]["total_energy_all_rows_kwh"] == pytest.approx(1290.04, abs=0.005)




def test_findings_are_typed_with_their_own_summary(rep: StudyReproduction) -> None:
    assert [f.id for f in rep.findings] == [
        "intensity", "whole-node", "constant-cpu", "constant-ram", "energy-is-time",
        "query-phase-only", "vision-resized", "model-lists", "ethics-total"]
    assert all(isinstance(f, Finding) and f.summary() and f.title for f in rep.findings)
    intensity = rep.findings[0]
    assert isinstance(intensity, IntensityFinding)
    assert intensity.implied_g_per_kwh == pytest.approx(138.75)
    assert "138.75 g/kWh" in intensity.summary() and "×2.14" in intensity.summary()
    assert rep.table2["text-to-image"].n_runs == 240
    assert rep.table3["google/flan-t5-xxl"].per_task["summarization"].kwh == pytest.approx(
        0.1360, abs=5e-5)
