"""``wattprint estimate llm`` and ``wattprint estimate fit`` through the real CLI entry point."""

import json
import math

import pytest

from wattprint.cli import main
from wattprint.results.serving_record import ServingPoint
from wattprint.results.serving_store import write_points
from wattprint.results.store import ResultStore

ENV = {"cpu_model": "Test CPU 9000", "gpu": {"available": False}}
SIZES = {"tiny": 0.0003, "small": 0.0037, "medium": 0.03}


def _law_j(active_b: float, batch: float) -> float:
    """The truth of the synthetic store: J/token = 0.02 * (active/1M)^0.3 * batch^-0.6."""
    return 0.02 * (active_b / 0.001) ** 0.3 * batch ** -0.6


def _point(model, conc, k):
    tokens, window, itl = 640, 10.0, conc / 64.0        # Little's law gives batch = conc
    return ServingPoint(
        point_id=f"{model}-{conc}-{k}", run_id=f"run-{model}", endpoint="http://127.0.0.1:1",
        model=model, arrivals=f"closed-loop concurrency {conc}", offered_rps=None,
        achieved_rps=1.0, requests_ok=10, requests_failed=0, output_tokens=tokens,
        output_token_source="usage", j_per_request=1.0,
        j_per_output_token=_law_j(SIZES[model], conc) * (1.03 if k else 0.97),
        p50_ttft_s=0.1, p95_ttft_s=0.2, p50_itl_s=itl, p95_itl_s=itl * 2, steady_window_s=8.0,
        whole_window_s=window, energy_window="steady", energy_j=10.0, avg_power_w=3.0,
        idle_power_w=1.0, energy_provenance="estimated", energy_domains=("cpu:machine",),
        attribution_residual=0.0, environment=ENV)


@pytest.fixture()
def store(tmp_path):
    path = tmp_path / "r.db"
    with ResultStore(path) as s:
        write_points(s, [_point(m, c, k) for m in SIZES for c in (1, 2, 4) for k in (0, 1)])
    params = tmp_path / "params.csv"
    params.write_text("model,active_params_b,total_params_b,bytes_per_param\n"
                      + "".join(f"{m},{a},{a},4\n" for m, a in SIZES.items()))
    return path, params


def test_fit_then_estimate_with_the_fit(store, tmp_path, capsys):
    path, params = store
    out = tmp_path / "fit.json"
    assert main(["estimate", "fit", "--store", str(path), "--params", str(params),
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "fitted 18 points (3 models) on cpu:Test CPU 9000" in text
    assert "held out by model (3 groups)" in text and str(out) in text
    fit = json.loads(out.read_text())
    assert fit["format"] == "wattprint-llm-energy-fit" and fit["n_points"] == 18
    coef = dict(zip(fit["terms"], fit["coefficients"]))
    assert coef["log_batch"] == pytest.approx(-0.6, abs=0.05)          # the law's exponent
    assert coef["log_weights_gb"] == pytest.approx(0.3, abs=0.05)
    assert main(["estimate", "llm", "--fit", str(out), "--model", "medium", "--input-tokens",
                 "0", "--output-tokens", "100", "--batch", "2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["fit"]["file"] == str(out) and d["assumptions"]["hardware"] == ["cpu:Test CPU 9000"]
    assert d["assumptions"]["model_kind"] == "fitted" and d["host"] is None
    truth = 100 * _law_j(SIZES["medium"], 2)
    assert d["energy_low_j"] <= truth <= d["energy_high_j"]
    assert d["decode"]["j"] == pytest.approx(truth, rel=0.1)
    assert any("estimates an estimate" in w for w in d["warnings"])


def test_llm_json_is_ecologits_compatible_and_says_how(capsys):
    assert main(["estimate", "llm", "--model", "gpt-4o", "--provider", "openai",
                 "--input-tokens", "400", "--output-tokens", "300", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["provenance"] == "estimated" and d["method"].startswith("loglinear-ols-v1")
    assert d["data_version"].startswith("mlenergy-v3@0cd52da")
    assert d["energy_low_j"] < d["energy_j"] < d["energy_high_j"]
    e = d["impacts"]["energy"]
    assert e["unit"] == "kWh" and e["value"]["min"] < e["value"]["max"]
    assert d["impacts"]["usage"]["gwp"]["unit"] == "kgCO2eq"
    assert d["carbon"]["intensity"]["label"].startswith("United States")
    assert math.isclose(d["carbon"]["pue"][0], 1.2)
    assert d["ecologits_formula"]["batch"] == 64


def test_llm_text_output(capsys):
    assert main(["estimate", "llm", "--model", "mistral-large-2", "--input-tokens", "10",
                 "--output-tokens", "20", "--country", "FR", "--pue", "1.3"]) == 0
    out = capsys.readouterr().out
    assert "mistral-large-2 via mistralai: 10 input + 20 output tokens" in out
    assert "90% interval" in out and "PUE 1.3" in out and "France" in out
    assert "EcoLogits' formula on the same inputs" in out


@pytest.mark.parametrize("argv, message", [
    (["--model", "gpt-4o", "--input-tokens", "-3", "--output-tokens", "5"], "--input-tokens"),
    (["--model", "gpt-4o", "--input-tokens", "3", "--output-tokens", "2.5"], "--output-tokens"),
    (["--model", "gpt-4o", "--input-tokens", "3", "--output-tokens", "0"], "--output-tokens"),
    (["--model", "mystery", "--input-tokens", "3", "--output-tokens", "5"], "--active-params"),
    (["--model", "gpt-4o", "--input-tokens", "3", "--output-tokens", "5", "--batch", "0"],
     "--batch"),
    (["--model", "gpt-4o", "--input-tokens", "3", "--output-tokens", "5", "--pue", "0.5"],
     "--pue"),
])
def test_bad_llm_input_exits_2_with_a_message(argv, message, capsys):
    try:
        code = main(["estimate", "llm", *argv])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_a_broken_fit_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "fit.json"
    bad.write_text('{"format": "wattprint-llm-energy-fit", "format_version": 1}')
    assert main(["estimate", "llm", "--fit", str(bad), "--model", "gpt-4o", "--input-tokens",
                 "1", "--output-tokens", "1"]) == 2
    assert f"--fit {bad}: missing field" in capsys.readouterr().err


def test_fit_without_usable_points_exits_2_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "r.db"
    with ResultStore(path) as s:
        write_points(s, [_point("tiny", 1, 0)])       # size unknown without --params
    out = tmp_path / "fit.json"
    assert main(["estimate", "fit", "--store", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "size of 'tiny' unknown" in err and "a fit needs at least 3" in err
    assert not out.exists()
