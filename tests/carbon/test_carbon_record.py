"""CarbonRecord: the typed carbon facts of a result, built by the carbon package."""

from __future__ import annotations

import pytest

from wattprint.carbon.intensity import world_average
from wattprint.carbon.record import CarbonRecord, run_carbon_record
from wattprint.meters.base import DomainEnergy, Provenance
from wattprint.results.schema import JobResult


def _result(**kw):
    d = DomainEnergy(name="cpu", component="cpu", boundary="package", provenance=Provenance.MEASURED,
                     source="rapl", scope="machine", energy_j=5.0)
    return JobResult(job_id="j", repetition=0, task="t", model="m", dataset="d", n=1,
                     status="ok", duration_s=1.0, domains=(d,), **kw)


def test_run_record_from_the_world_average_says_it_was_defaulted():
    rec = run_carbon_record(world_average(), 1.2)
    assert rec.intensity_defaulted and rec.pue == 1.2
    assert rec.intensity_g_per_kwh == world_average().value_g_per_kwh
    assert rec.emissions_g is None and "emissions_g" not in rec


def test_round_trip_and_mapping_reads():
    rec = CarbonRecord(intensity_g_per_kwh=400.0, intensity_source="x", pue=1.1, emissions_g=3.0)
    assert CarbonRecord.from_dict(rec.to_dict()) == rec
    assert rec.get("emissions_g") == 3.0 and rec["pue"] == 1.1 and rec.get("nope") is None
    assert dict(rec) == rec.to_dict()


def test_a_result_reads_a_mapping_into_a_record_and_serialises_it_back():
    r = _result(carbon={"intensity_g_per_kwh": "400", "intensity_source": "log", "pue": None})
    assert isinstance(r.carbon, CarbonRecord) and r.carbon.intensity_g_per_kwh == 400.0
    back = JobResult.from_dict(r.to_dict())
    assert back.carbon == r.carbon


def test_a_bad_value_names_the_field():
    with pytest.raises(ValueError, match="carbon.pue must be a number"):
        CarbonRecord.from_dict({"pue": "high"})
