"""Readable hardware names from stored environments."""

from __future__ import annotations

from report_fixtures import XSS, make_result

from wattprint.analysis.hardware import describe_environment, hardware_label, hardware_names
from wattprint.analysis.report import build_report


def test_wattprint_fingerprint():
    env = {"cpu_model": "AMD EPYC 7R13", "gpu": {"available": True, "devices": [
        {"index": 0, "name": "NVIDIA H100"}, {"index": 1, "name": "NVIDIA H100"}]}}
    assert describe_environment(env) == "2 x NVIDIA H100, AMD EPYC 7R13"


def test_codecarbon_environment():
    env = {"gpu_model": "8 x NVIDIA A100-SXM4-80GB", "gpu_count": 8, "cpu_model": "Xeon"}
    assert describe_environment(env) == "8 x NVIDIA A100-SXM4-80GB, Xeon"
    assert describe_environment({"gpu_model": "A100", "gpu_count": 2}) == "2 x A100"
    assert describe_environment({"python": "3.11"}) is None


def test_labels_and_escaping(tmp_path):
    rs = [make_result(hardware_id="h1", environment={"cpu_model": XSS}),
          make_result(model="other", hardware_id="h2")]
    names = hardware_names(rs)
    assert names == {"h1": XSS}
    assert hardware_label("h1", names) == f"{XSS} [h1]" and hardware_label("h2", names) == "h2"
    text = build_report(rs, tmp_path).path.read_text()
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt; [h1]" in text
