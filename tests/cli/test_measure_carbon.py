"""``wattprint measure`` with carbon flags: emissions per energy total, never of a mixed sum."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _measure(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wattprint", "measure", *args],
                          capture_output=True, text=True, timeout=120)


def test_json_carries_emissions_for_each_provenance_total():
    p = _measure("--json", "--intensity", "100", "--", sys.executable, "-c", "sum(range(10**6))")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    totals = {(t["provenance"], t["scope"]): t["energy_j"] for t in out["totals"]}
    carbon = {(c["provenance"], c["scope"]): c for c in out["carbon"]}
    assert set(carbon) == set(totals)
    for key, c in carbon.items():
        # hand computation: g = J / 3.6e6 J/kWh * 100 g/kWh
        assert c["emissions_g"] == pytest.approx(totals[key] / 3.6e6 * 100.0)
        assert c["intensity_g_per_kwh"] == 100.0
        if key[0] == "estimated":
            assert c["uncertainty_g"] > 0


def test_unknown_country_fails_before_the_command_runs(tmp_path):
    marker = tmp_path / "ran"
    p = _measure("--country", "Frnace", "--", sys.executable, "-c",
                 f"open({str(marker)!r}, 'w').write('x')")
    assert p.returncode == 2
    assert "France" in p.stderr  # the close match is offered
    assert not marker.exists()


def test_text_report_says_when_the_world_average_was_used():
    p = _measure("--", sys.executable, "-c", "pass")
    assert p.returncode == 0
    assert "world average was used" in p.stderr
