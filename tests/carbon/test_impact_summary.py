import pytest

from wattprint.carbon.impact_settings import resolve_impact_settings
from wattprint.carbon.impact_summary import impact_summary, intensity_factor

KWH = 3.6e6


def _s(**kw):
    return resolve_impact_settings(wue=0.5, water_intensity=2.0, **kw)


def test_usage_embodied_split_and_per_request():
    s = impact_summary(1 * KWH, _s(gpu_model="h100"), pue=1.5,
                       intensity=intensity_factor(100.0, "t"), busy_s=3600.0, gpu_count=2)
    c, w = s.carbon, s.water
    assert c.usage == pytest.approx(150.0)  # 1 kWh x 1.5 x 100 g/kWh
    emb = 2 * (164 + 5700 / 8) * 1000 * 3600 / (3 * 365 * 24 * 3600)
    assert c.embodied == pytest.approx(emb)
    assert c.value == pytest.approx(150.0 + emb) and c.provenance == "estimated"
    assert w.value == pytest.approx(0.5 + 1.5 * 2.0)
    assert c.parameters["allocation_rule"].startswith("busy-time share")
    assert c.parameters["busy_s"] == 3600.0 and c.parameters["device_share"] == 1.0
    per = s.per_inferences(500)
    (c1, w1), (ck, wk) = per.scaled
    assert c1.per == "request" and c1.value == pytest.approx(c.value / 500)
    assert wk.per == "1,000 inferences" and wk.value == pytest.approx(w.value * 2)
    d = per.to_dict()
    assert d["carbon"]["usage"] == pytest.approx(150.0)
    assert d["per"]["request"]["water"]["value"] == pytest.approx(w.value / 500)
    assert {f["key"] for f in d["carbon"]["factors"]} >= {"nvidia-h100", "aws-p5.48xlarge"}
    assert any("drops" in e["label"] for e in d["water_equivalents"])


def test_unknown_gpu_cpu_only_and_shared_give_dash_not_zero():
    kw = dict(pue=1.0, intensity=intensity_factor(100.0, "t"), busy_s=10.0)
    rtx = impact_summary(KWH, _s(), gpu_names=["NVIDIA GeForce RTX 4090"], gpu_count=1, **kw)
    assert rtx.carbon.embodied is None and rtx.carbon.value is None
    assert rtx.carbon.usage == pytest.approx(100.0)
    assert "RTX 4090" in " ".join(rtx.carbon.missing_reasons())
    text = "\n".join(rtx.lines())
    assert "embodied —" in text and "no embodied-carbon factor" in text
    cpu = impact_summary(KWH, _s(), **kw)
    assert cpu.carbon.embodied is None and "no GPU was measured" in cpu.carbon.missing_reasons()[0]
    shared = impact_summary(KWH, _s(), gpu_names=["NVIDIA H100"], gpu_count=1, shared=True, **kw)
    assert shared.carbon.embodied is None and "--device-share" in shared.carbon.missing_reasons()[0]
    ok = impact_summary(KWH, _s(device_share=0.25), gpu_names=["NVIDIA H100"], gpu_count=1,
                        shared=True, **kw)
    assert ok.carbon.parameters["device_share"] == 0.25 and ok.carbon.embodied > 0
    # the water total never needs the embodied part (outside the boundary)
    assert rtx.water.value == pytest.approx(0.5 + 2.0)


def test_lines_cite_every_factor():
    s = impact_summary(KWH, resolve_impact_settings(provider="google", gpu_model="h100"),
                       pue=1.09, intensity=intensity_factor(100.0, "t"), busy_s=60.0,
                       gpu_count=1)
    text = "\n".join(s.lines())
    for word in ("arXiv:2508.15734", "HGX H100", "p5.48xlarge", "EcoLogits", "[estimated]",
                 "[default: nothing given]", "busy 60 s (measured)"):
        assert word in text, word
