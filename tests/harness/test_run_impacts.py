"""``wattprint run`` records the impact factors with every result; store and export read them."""

from __future__ import annotations

import json

import pytest

from wattprint.cli import main
from wattprint.results.impacts import record_impacts
from wattprint.results.store import ResultStore


def test_run_records_impact_factors_and_export_shows_them(tmp_path, capsys):
    db = tmp_path / "s.db"
    argv = ["run", "--task", "text-classification", "--model", "callable:harness_fakes:always_one",
            "-n", "2", "--repeat", "1", "--idle", "0", "--store", str(db), "--no-progress",
            "--provider", "aws", "--country", "DE", "--lifetime-years", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "impacts per 1,000 inferences (estimated" in out
    with ResultStore(db, read_only=True) as store:
        (r,) = store.results()
    s = r.carbon.impacts
    assert s is not None and s.wue.key == "aws" and s.water_intensity.key == "DE"
    assert s.pue is not None and r.carbon.pue == pytest.approx(1.15)  # the provider's PUE
    assert s.lifetime_s == pytest.approx(4 * 365 * 24 * 3600)
    prov = next(p for p in ("measured", "integrated", "estimated") if r.energy_j(p) is not None)
    fig = record_impacts(r, prov)
    assert fig is not None
    kwh = r.energy_j(prov) / 3.6e6
    assert fig.water.value == pytest.approx(kwh * (0.15 + 1.15 * 1.947))
    # no GPU here: embodied is missing with its reason, the operational part is there
    assert fig.carbon.embodied is None and fig.carbon.usage > 0
    assert main(["export", "--store", str(db), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc[0]["impacts"][prov]["water"]["value"] == pytest.approx(fig.water.value)
    assert doc[0]["carbon"]["impacts"]["wue"]["source"].startswith("Amazon Web Services")
