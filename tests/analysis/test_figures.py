"""Figures: written when data allows, skipped with a note otherwise, never crashing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from report_fixtures import cpu_est, make_result

from wattprint.analysis.figures import all_figures, emissions_vs_parameters, primary_provenance
from wattprint.analysis.frame import results_frame


def _names(figs):
    return {f.name: f for f in figs}


def test_no_data_gives_a_note_not_a_crash(tmp_path):
    figs = all_figures(results_frame([make_result(status="failed")]), tmp_path)
    assert len(figs) == 1 and figs[0].path is None and "no successful" in figs[0].note


def test_figures_written_and_skipped(tmp_path):
    rs = []
    for i, m in enumerate(("a", "flan-t5-base", "c")):
        for rep in range(2):
            rs.append(make_result(model=m, rep=rep, energy_j=3600.0 * (i + 1),
                                  output_tokens=1000 * (i + 1), quality={"accuracy": 0.5 + i / 10},
                                  extra={"parameters": 1e8 * (i + 1)} if m != "c" else {}))
    rs.append(make_result(model="e", domains=(cpu_est(100.0),)))
    figs = _names(all_figures(results_frame(rs), tmp_path))
    assert primary_provenance(results_frame(rs)) == "measured"
    for name in ("energy_per_task_measured", "energy_per_task_estimated", "emissions_vs_parameters",
                 "task_specific_vs_multi_purpose", "output_tokens_vs_energy", "quality_vs_energy"):
        f = figs[name]
        assert f.path is not None and f.path.exists(), (name, f.note)
        ET.parse(f.path)  # well-formed SVG
        assert not f.svg_text().lstrip().startswith("<?xml")
    # model "c" has no parameter count: left out and counted
    assert "1 left out" in figs["emissions_vs_parameters"].note


def test_energy_vs_parameters_uses_emissions_when_stored(tmp_path):
    rs = [make_result(model="a", energy_j=3600.0, carbon={"emissions_g": 10.0},
                      extra={"parameters": 1e8})]
    f = emissions_vs_parameters(results_frame(rs), tmp_path, "measured")
    assert f.path is not None and f.title.startswith("Emissions")


def test_dollar_signs_in_names_do_not_break_mathtext(tmp_path):
    rs = [make_result(model="m", task="$weird$ task", dataset="$x", energy_j=3600.0)]
    figs = _names(all_figures(results_frame(rs), tmp_path))
    assert figs["energy_per_task_measured"].path is not None
