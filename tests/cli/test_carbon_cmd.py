"""``wattprint carbon``, ``carbon regions`` and ``parity``, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wattprint.cli import main

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_module_entry_point_offline():
    env = {**os.environ, "PYTHONPATH": SRC, "NO_PROXY": "*", "http_proxy": "http://0.0.0.0:9",
           "https_proxy": "http://0.0.0.0:9"}
    out = subprocess.run([sys.executable, "-m", "wattprint", "carbon", "--kwh", "1",
                          "--country", "FR", "--json"], capture_output=True, text=True,
                         env=env, check=True, timeout=60).stdout
    d = json.loads(out)
    assert d["emissions_g"] == 56.0  # 1 kWh × 56 g/kWh (Ember 2023, France)
    assert d["intensity_g_per_kwh"] == 56.0
    assert d["intensity_source"].startswith("Ember")
    assert {e["key"] for e in d["equivalents"]} >= {"smartphone_charges", "car_km"}


def test_study_figures_through_cli(capsys):
    d = _json(capsys, ["carbon", "--kwh", "11.49", "--intensity", "138.75", "--phone-kwh",
                       "0.012", "--car-factor", "study", "--json"])
    eq = {e["key"]: e["value"] for e in d["equivalents"]}
    assert eq["smartphone_charges_epa_pre2024"] == pytest.approx(957.5)
    assert eq["car_miles_study"] == pytest.approx(1594.2375 / (1594 / 4.1))
    assert d["intensity_kind"] == "user"


def test_pue_and_cloud(capsys):
    d = _json(capsys, ["carbon", "--energy-j", "3600000", "--cloud", "aws:us-west-2",
                       "--pue", "1.5", "--json"])
    assert d["pue"] == 1.5 and d["emissions_g"] == pytest.approx(1.5 * 275)
    assert d["intensity"]["code"] == "US-NWPP"


def test_default_world_text(capsys):
    assert main(["carbon", "--kwh", "2"]) == 0
    out = capsys.readouterr().out
    assert "972 g CO2eq" in out  # 2 kWh × 486 g/kWh
    assert "world average" in out


def test_timeseries_cli(tmp_path, capsys):
    p = tmp_path / "ci.csv"
    p.write_text("datetime,carbon_intensity\n2024-03-01T00:00:00Z,100\n"
                 "2024-03-01T01:00:00Z,300\n", encoding="utf-8")
    d = _json(capsys, ["carbon", "--kwh", "1", "--intensity-csv", str(p), "--start",
                       "2024-03-01T00:30:00Z", "--end", "2024-03-01T01:30:00Z", "--json"])
    assert d["emissions_g"] == pytest.approx(200.0)  # half at 100, half at 300
    assert d["intensity"]["points"] == 2


@pytest.mark.parametrize("argv, fragment", [
    (["carbon", "--kwh", "1", "--country", "Frnace"], "did you mean 'France'"),
    (["carbon", "--kwh", "-1"], "--kwh"),
    (["carbon", "--kwh", "abc"], "--kwh"),
    (["carbon"], "--kwh"),
    (["carbon", "--kwh", "1", "--pue", "0.5"], "--pue"),
    (["carbon", "--kwh", "1", "--intensity", "-3"], "--intensity"),
    (["carbon", "--kwh", "1", "--intensity-csv", "missing.csv", "--start",
      "2024-01-01T00:00:00Z"], "missing.csv"),
    (["parity", "--training-kwh", "-5", "--per-inference-kwh", "1e-4"], "--training-kwh"),
])
def test_errors_exit_2_with_message(capsys, argv, fragment):
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err


def test_regions(capsys):
    assert main(["carbon", "regions", "--search", "oregon"]) == 0
    out = capsys.readouterr().out
    assert "aws:us-west-2" in out and "US-OR" in out
    rows = _json(capsys, ["carbon", "regions", "--search", "FRA", "--json"])
    assert any(r["key"] == "FR" for r in rows)


def test_parity_cli(capsys):
    d = _json(capsys, ["parity", "--training-kwh", "51686", "--finetune-kwh", "7571",
                       "--per-inference-kwh", "1.0e-4", "--json"])
    assert d["inferences_to_parity"] == pytest.approx(592_570_000)
    assert d["days_to_parity"] is None
    d = _json(capsys, ["parity", "--training-kwh", "51686", "--finetune-kwh", "7571",
                       "--per-inference-kwh", "1.0e-4", "--queries-per-day", "1000000",
                       "--json"])
    assert d["days_to_parity"] == pytest.approx(592.57)
    assert main(["parity", "--training-kwh", "51686", "--finetune-kwh", "7571",
                 "--per-inference-kwh", "1.0e-4"]) == 0
    assert "592,570,000" in capsys.readouterr().out


def test_shared_helpers_on_another_parser():
    import argparse

    from wattprint.cli.carbon_cmd import add_carbon_arguments, carbon_from_args, carbon_json
    from wattprint.cli.carbon_options import format_carbon_lines

    p = argparse.ArgumentParser()
    add_carbon_arguments(p)
    args = p.parse_args(["--region", "US-CAMX", "--pue", "1.1"])
    intensity, pue = carbon_from_args(args)
    assert intensity.code == "US-CAMX" and pue == 1.1
    d = carbon_json(3.6e6, intensity, pue, args=args)
    assert d["emissions_g"] == pytest.approx(1.1 * 226)
    assert any("226 g CO2eq/kWh" in line for line in format_carbon_lines(3.6e6, intensity, pue))
    intensity, pue = carbon_from_args(p.parse_args([]))
    assert intensity.defaulted and pue == 1.0
