"""Impacts of stored results: figures from the recorded factors, store round trip, old records."""

from __future__ import annotations

import pytest

from wattprint.carbon.impact_settings import resolve_impact_settings
from wattprint.carbon.record import CarbonRecord
from wattprint.meters.base import DomainEnergy, DomainSpec, Provenance
from wattprint.results.impacts import (
    NOT_RECORDED,
    impact_columns,
    not_recorded_reason,
    record_impacts,
    record_rates,
)
from wattprint.results.schema import JobResult
from wattprint.results.store import ResultStore

KWH = 3.6e6
SETTINGS = resolve_impact_settings(wue=0.5, water_intensity=2.0)


def _gpu(name: str = "NVIDIA H100 80GB HBM3", e: float = KWH) -> DomainEnergy:
    return DomainEnergy.from_spec(
        DomainSpec("gpu:0", "gpu", f"whole GPU {name} (visible index 0)", Provenance.MEASURED,
                   "nvml:total_energy"), e, 3600.0)


def _cpu(e: float = 0.5 * KWH) -> DomainEnergy:
    from wattprint.meters.base import EstimateModel

    model = EstimateModel("cpu-tdp", "P = 0.5 * TDP", {"tdp_w": 85.0}, "test")
    return DomainEnergy.from_spec(
        DomainSpec("cpu:0", "cpu", "CPU package", Provenance.ESTIMATED, "estimate:cpu-tdp",
                   uncertainty=0.5, model=model, scope="machine"), e, 3600.0)


def _result(settings=SETTINGS, gpu: str = "NVIDIA H100 80GB HBM3", **kw) -> JobResult:
    carbon = CarbonRecord(intensity_g_per_kwh=100.0, intensity_source="test", pue=1.5,
                          impacts=settings)
    return JobResult("job", 0, "text-generation", "m", "d", n=1000, status="ok",
                     duration_s=3600.0, domains=(_gpu(gpu), _cpu()), carbon=carbon, **kw)


def test_figures_from_the_recorded_factors():
    r = _result()
    s = record_impacts(r, "measured")
    assert s is not None
    assert s.carbon.usage == pytest.approx(1 * 1.5 * 100.0)   # 1 kWh x PUE x g/kWh
    emb = (164 + 5700 / 8) * 1000 * 3600 / (3 * 365 * 24 * 3600)  # one H100, one hour
    assert s.carbon.embodied == pytest.approx(emb)
    assert s.water.value == pytest.approx(0.5 + 1.5 * 2.0)
    per = dict((c.per, (c, w)) for c, w in s.scaled)
    assert per["inference"][1].value == pytest.approx(3.5 / 1000)
    assert per["1,000 inferences"][1].value == pytest.approx(3.5)
    # estimated CPU energy: its own figures, with the estimate's band, never summed with GPU
    est = record_impacts(r, "estimated")
    assert est is not None and est.water.value == pytest.approx(0.5 * 3.5)
    assert est.water.low < est.water.value < est.water.high
    assert est.carbon.embodied == pytest.approx(emb)  # devices x busy time: the same
    assert record_impacts(r, "integrated") is None


def test_store_round_trip_keeps_settings(tmp_path):
    r = _result()
    with ResultStore(tmp_path / "r.db") as store:
        store.write(r)
        back = store.results()[0]
    assert back.carbon == r.carbon or back.carbon.to_dict() == r.carbon.to_dict()
    assert back.carbon.impacts == SETTINGS
    assert record_impacts(back, "measured").to_dict() == record_impacts(r, "measured").to_dict()


def test_old_and_failed_records_have_no_figure_and_say_why():
    old = _result(settings=None)
    assert record_impacts(old, "measured") is None
    assert not_recorded_reason(old) == NOT_RECORDED
    assert record_rates(old) == (None, None)
    cols = impact_columns(old)
    assert cols["impact.note"] == NOT_RECORDED and "impact.water_l.measured" not in cols
    failed = JobResult("j", 0, "t", "m", "d", n=1, status="failed", duration_s=None, error="x")
    assert record_impacts(failed, "measured") is None


def test_unknown_gpu_and_shared_machine_give_no_embodied_figure():
    r = _result(gpu="NVIDIA GeForce RTX 4090")
    water, embodied = record_rates(r)
    assert water == pytest.approx(3.5) and embodied is None
    cols = impact_columns(r)
    assert cols["impact.carbon_embodied_g"] is None and cols["impact.carbon_g.measured"] is None
    assert cols["impact.carbon_operational_g.measured"] == pytest.approx(150.0)
    assert "RTX 4090" in cols["impact.note"]
    shared = _result(shared=True)
    assert record_rates(shared)[1] is None
    assert "--device-share" in impact_columns(shared)["impact.note"]


def test_export_columns_cite_factors():
    cols = impact_columns(_result())
    assert cols["impact.water_l.measured"] == pytest.approx(3.5)
    assert cols["impact.busy_s"] == 3600.0 and cols["impact.device_share"] == 1.0
    src = cols["impact.factor.GPU embodied carbon: NVIDIA H100 (SXM or PCIe).source"]
    assert "HGX H100" in src
    assert cols["impact.factor.on-site WUE"] == 0.5


def test_exports_carry_impacts(tmp_path):
    import json

    import pandas as pd

    from wattprint.results.export import export

    rs = [_result(), _result(settings=None)]
    export(rs, "csv", tmp_path / "r.csv")
    df = pd.read_csv(tmp_path / "r.csv")
    assert df.loc[0, "impact.water_l.measured"] == pytest.approx(3.5)
    assert pd.isna(df.loc[1, "impact.water_l.measured"])  # missing, not zero
    assert df.loc[1, "impact.note"] == NOT_RECORDED
    export(rs, "json", tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc[0]["impacts"]["measured"]["water"]["value"] == pytest.approx(3.5)
    assert doc[0]["impacts"]["measured"]["carbon"]["provenance"] == "estimated"
    assert doc[1]["impacts"] == {"note": NOT_RECORDED}
