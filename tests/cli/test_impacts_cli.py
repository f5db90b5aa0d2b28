"""Impact flags (water, embodied carbon) of ``carbon``, ``measure``, ``run`` and ``load``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wattprint.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_carbon_reproduces_the_ecologits_example_from_its_inputs(capsys):
    # 0.19834 Wh IT energy (EcoLogits' model for Mistral Large 2, 400 tokens), PUE 1.16,
    # Sweden (35.82 g/kWh, 6.0315 L/kWh), WUE 0.09, 4 H100 for 8.23 s at a 1/64 share (their
    # batch of 64)
    d = _json(capsys, ["carbon", "--energy-j", str(0.198341 * 3600), "--pue", "1.16",
                       "--intensity", "35.82", "--water-intensity", "6.0315", "--wue", "0.09",
                       "--gpu-model", "h100", "--gpu-count", "4", "--busy-s", str(400 / 48.6),
                       "--device-share", str(1 / 64), "--requests", "1", "--json"])
    imp = d["impacts"]
    assert imp["carbon"]["value"] == pytest.approx(0.013007, rel=1e-3)
    assert imp["carbon"]["embodied"] == pytest.approx(0.0047657, rel=1e-3)
    assert imp["carbon"]["provenance"] == "estimated"
    # wattprint's water (WUE on IT energy, PUE once) = EcoLogits' 1.63 mL / PUE
    assert imp["water"]["value"] * 1000 == pytest.approx(1.6304 / 1.16, rel=1e-3)
    assert imp["per"]["request"]["water"]["value"] == pytest.approx(imp["water"]["value"])
    assert imp["per"]["1,000 inferences"]["carbon"]["value"] == \
        pytest.approx(imp["carbon"]["value"] * 1000)
    params = imp["carbon"]["parameters"]
    assert params["device_share"] == pytest.approx(1 / 64) and params["gpu_count"] == 4
    assert params["lifetime_years"] == pytest.approx(3.0)


def test_provider_gives_wue_and_pue_unless_pue_is_given(capsys):
    d = _json(capsys, ["carbon", "--kwh", "1", "--provider", "google", "--json"])
    assert d["pue"] == pytest.approx(1.09)
    assert d["impacts"]["water"]["factors"][0]["key"] == "google"
    d = _json(capsys, ["carbon", "--kwh", "1", "--provider", "google", "--pue", "1.3", "--json"])
    assert d["pue"] == pytest.approx(1.3)
    d = _json(capsys, ["carbon", "--kwh", "1", "--cloud", "gcp:us-central1", "--json"])
    assert d["pue"] == 1.0  # --cloud never changes the PUE (nor existing carbon figures)
    assert d["impacts"]["water"]["factors"][0]["key"] == "google"


def test_text_shows_dash_and_reason_for_unknown_embodied(capsys):
    assert main(["carbon", "--kwh", "1"]) == 0
    out = capsys.readouterr().out
    assert "carbon per run: — [estimated]" in out and "no GPU was measured" in out
    assert "[default: nothing given]" in out and "drops of water" in out


@pytest.mark.parametrize("argv,err", [
    (["--wue", "-1"], "--wue: expected a number >= 0 L/kWh"),
    (["--wue", "nan"], "--wue"),
    (["--water-intensity", "-2"], "--water-intensity"),
    (["--gpu-model", "rtx4090"], "unknown --gpu-model"),
    (["--provider", "ibm"], "unknown --provider 'ibm'"),
    (["--lifetime-years", "0"], "--lifetime-years"),
    (["--device-share", "2"], "--device-share"),
    (["--gpu-count", "2"], "--gpu-count needs --gpu-model"),
    (["--gpu-model", "h100", "--gpu-count", "0"], "--gpu-count: expected a whole number"),
    (["--requests", "x"], "--requests"),
    (["--busy-s", "-3"], "--busy-s"),
])
def test_bad_impact_flags_exit_2(capsys, argv, err):
    assert main(["carbon", "--kwh", "1", *argv]) == 2
    captured = capsys.readouterr()
    assert err in captured.err and "Traceback" not in captured.err and captured.out == ""


def test_broken_wue_csv_names_file_and_line(tmp_path, capsys):
    p = tmp_path / "wue.csv"
    p.write_text("timestamp,wue\n2024-01-01T00:00:00Z,0.2\n2024-01-01T01:00:00Z,0.3,7\n")
    assert main(["carbon", "--kwh", "1", "--wue-csv", str(p), "--start",
                 "2024-01-01T00:10:00Z"]) == 2
    err = capsys.readouterr().err
    assert f"{p}: line 3: expected 2 columns" in err


def test_run_refuses_a_wue_series(tmp_path, capsys):
    p = tmp_path / "wue.csv"
    p.write_text("timestamp,wue\n2024-01-01T00:00:00Z,0.2\n2024-01-01T01:00:00Z,0.3\n")
    assert main(["run", "--task", "text-classification", "--wue-csv", str(p), "--no-store"]) == 2
    assert "--wue-csv: a time series is applied per window" in capsys.readouterr().err


def test_measure_json_has_impacts_per_total_and_bad_flags_fail_first(tmp_path):
    p = subprocess.run([sys.executable, "-m", "wattprint", "measure", "--json", "--intensity",
                        "100", "--wue", "0.5", "--water-intensity", "2", "--", sys.executable,
                        "-c", "sum(range(10**6))"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    totals = {(t["provenance"], t["scope"]): t["energy_j"] for t in out["totals"]}
    impacts = {(i["provenance"], i["scope"]): i for i in out["impacts"]}
    assert set(impacts) == set(totals)
    for key, i in impacts.items():
        kwh = totals[key] / 3.6e6  # hand computation, PUE 1: 0.5 + 2 L per kWh
        assert i["water"]["value"] == pytest.approx(kwh * 2.5)
        assert i["carbon"]["usage"] == pytest.approx(kwh * 100.0)
        assert i["carbon"]["parameters"]["energy_j"] == pytest.approx(totals[key])
    marker = tmp_path / "ran"
    bad = subprocess.run([sys.executable, "-m", "wattprint", "measure", "--wue", "-1", "--",
                          sys.executable, "-c", f"open({str(marker)!r}, 'w').write('x')"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--wue" in bad.stderr and not marker.exists()


def test_carbon_factors_lists_the_tables(capsys):
    rows = _json(capsys, ["carbon", "factors", "--json"])
    tables = {r["table"] for r in rows}
    assert tables == {"facilities", "embodied", "water_offsite"}
    assert all(r["source"] and r["unit"] for r in rows)
    assert main(["carbon", "factors", "--search", "zzz-nothing"]) == 1
