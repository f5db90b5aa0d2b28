import pytest

from wattprint.carbon.impact_settings import ImpactSettings, resolve_impact_settings
from wattprint.carbon.record import CarbonRecord
from wattprint.errors import ConfigError


def test_settings_round_trip_through_the_carbon_record():
    s = resolve_impact_settings(provider="aws", country="FR", gpu_model="A100",
                                lifetime_years="4", device_share="0.5")
    assert s.wue.value == pytest.approx(0.15) and s.water_intensity.key == "FR"
    assert s.pue is not None and s.pue.value == pytest.approx(1.15)
    assert s.gpu_model == "nvidia-a100" and s.device_share == 0.5
    assert "--lifetime-years" in s.lifetime_source
    rec = CarbonRecord(intensity_g_per_kwh=50.0, pue=1.15, impacts=s)
    back = CarbonRecord.from_dict(rec.to_dict())
    assert back.impacts == s and back.to_dict() == rec.to_dict()
    assert ImpactSettings.from_dict(s.to_dict()) == s


def test_old_records_read_as_before():
    old = {"intensity_g_per_kwh": 138.75, "intensity_source": "x", "pue": 1.0}
    rec = CarbonRecord.from_dict(old)
    assert rec.impacts is None and "impacts" not in rec.to_dict()
    assert rec.to_dict() == {**old, "intensity_defaulted": False}


def test_cloud_gives_the_wue_but_never_the_pue():
    s = resolve_impact_settings(cloud="gcp:us-central1")
    assert s.wue.key == "google" and s.pue is None


@pytest.mark.parametrize("kwargs,match", [
    ({"gpu_model": "tpu-v5"}, "--gpu-model"), ({"wue": "-1"}, "--wue"),
    ({"lifetime_years": "0"}, "--lifetime-years"), ({"device_share": "2"}, "--device-share"),
    ({"provider": "ibm"}, "--provider"), ({"country": "Atlantis"}, "unknown country"),
])
def test_bad_flags(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        resolve_impact_settings(**kwargs)


def test_malformed_stored_settings_name_the_key():
    with pytest.raises(ValueError, match="carbon.impacts"):
        CarbonRecord.from_dict({"impacts": {"wue": {"value": 1, "low": 1, "high": 1}}})
    with pytest.raises(ValueError, match="must be an object"):
        CarbonRecord.from_dict({"impacts": 3})
