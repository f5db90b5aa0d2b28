"""Energy label SVG: well-formed, escaped, missing values shown as missing."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from report_fixtures import XSS

from wattprint.analysis.labels import LabelData, energy_label_svg, label_filename, write_label

NS = "{http://www.w3.org/2000/svg}"


def _data(**kw) -> LabelData:
    base = dict(model=XSS, task="text-classification", wh_per_1k=2.5, low_wh=2.0,
                high_wh=3.0, n_reps=3, boundary_level="accelerator", abs_boundary="host", stars=4, stars_set_size=7, abs_class="C",
                abs_version="wattprint-abs-v1", hardware="A100 & <friends>", date="2026-11-21",
                provenance="measured", boundary='gpu:0 (board "NVML")')
    base.update(kw)
    return LabelData(**base)


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def test_label_is_well_formed_and_escaped():
    svg = energy_label_svg(_data())
    root = ET.fromstring(svg)  # raises if not well-formed
    assert root.tag == f"{NS}svg" and root.get("width") == "260" and root.get("height") == "364"
    assert "<img" not in svg
    texts = _texts(svg)
    assert XSS in texts  # the name survives as text
    assert "2.50" in texts and "95 % repetition interval: 2.00 – 3.00" in texts
    assert any(t.startswith("Boundary: accelerator only") for t in texts)
    assert "class boundary: accelerator + host CPU and DRAM" in texts
    assert "★★★★☆" in texts and "C" in texts
    assert "Hardware: A100 & <friends>" in texts
    assert any("wattprint-abs-v1" in t for t in texts)
    assert XSS in root.find(f"{NS}title").text


def test_label_missing_values():
    svg = energy_label_svg(_data(wh_per_1k=math.nan, low_wh=None, high_wh=None, stars=None,
                                 abs_class=None, hardware=None, n_reps=2,
                                 interval_note="too few repetitions"))
    texts = _texts(svg)
    assert "—" in texts and "0" not in texts
    assert "repetition interval: — (too few repetitions)" in texts
    assert "Hardware: —" in texts


def test_label_file_name_is_safe(tmp_path):
    d = _data(model="../../etc/passwd <x>")
    name = label_filename(d)
    assert "/" not in name and "<" not in name and name.endswith(".svg")
    p = write_label(d, tmp_path)
    assert p.parent == tmp_path and ET.parse(p).getroot().tag == f"{NS}svg"


def test_label_from_row_uses_the_interval_across_datasets_when_several():
    from wattprint.analysis.labels import label_from_row

    row = {"model": "m", "task": "t", "wh_per_1k_mean": 2.0, "datasets": 3, "n_reps": 9,
           "wh_per_1k_rep_low": math.nan, "wh_per_1k_rep_note": "several datasets",
           "wh_per_1k_ds_low": 1.5, "wh_per_1k_ds_high": 2.9, "wh_per_1k_ds_note": "",
           "boundary_level": "host", "abs_boundary": "host", "abs_version": "v"}
    d = label_from_row(row)
    assert (d.low_wh, d.high_wh, d.interval_kind) == (1.5, 2.9, "across 3 datasets")
    assert "95 % across 3 datasets: 1.50 – 2.90" in _texts(energy_label_svg(d))
