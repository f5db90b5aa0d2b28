import json

import pytest

from wattprint.meters.base import DomainEnergy, DomainSpec, EnergyResult, Provenance
from wattprint.results.schema import JobResult, job_id_for


def _dom(e=3600.0):
    return DomainEnergy.from_spec(DomainSpec("gpu:0", "gpu", "b", Provenance.MEASURED, "nvml"), e, 10.0)


def test_job_id_is_stable_and_order_free():
    a = job_id_for({"task": "t", "model": "m", "n": 10})
    b = job_id_for({"n": 10, "model": "m", "task": "t"})
    assert a == b and len(a) == 16
    assert a != job_id_for({"task": "t", "model": "m", "n": 11})


def test_per_1k_kwh():
    r = JobResult("j", 0, "text-classification", "m", "d", n=1000, status="ok", duration_s=10.0,
                  domains=(_dom(3600.0),))
    # 3600 J over 1000 inferences = 3.6 J each; per 1,000 = 3600 J = 0.001 kWh
    assert r.per_1k_kwh("measured") == pytest.approx(0.001)
    assert r.per_1k_kwh("estimated") is None


def test_failed_needs_reason_and_ok_needs_energy():
    with pytest.raises(ValueError, match="why"):
        JobResult("j", 0, "t", "m", "d", n=1, status="failed", duration_s=None)
    with pytest.raises(ValueError, match="energy domain"):
        JobResult("j", 0, "t", "m", "d", n=1, status="ok", duration_s=1.0)


def test_round_trip_through_json():
    r = JobResult("j", 2, "text-generation", "m", "d", n=5, status="ok", duration_s=10.0,
                  domains=(_dom(),), work_unit="token", work_units=50, output_tokens=50,
                  phases={"load": EnergyResult("load", 0.0, 1.0, (_dom(10.0),))},
                  quality={"accuracy": 0.5}, settings={"max_new_tokens": 10})
    back = JobResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back == r


def test_from_dict_names_missing_fields():
    with pytest.raises(ValueError, match="model"):
        JobResult.from_dict({"job_id": "j", "repetition": 0, "task": "t", "dataset": "d", "n": 1,
                             "status": "ok"})


def test_process_scope_is_never_added_to_the_machine_total():
    from wattprint.meters.base import EstimateModel

    m = EstimateModel("m", "f", {}, "s")

    def est(name, e, scope):
        spec = DomainSpec(name, name.split(":")[0], "b", Provenance.ESTIMATED, "s", 0.5, m, scope)
        return DomainEnergy.from_spec(spec, e, 10.0)

    r = JobResult("j", 0, "t", "m", "d", n=10, status="ok", duration_s=10.0,
                  domains=(est("cpu:machine", 30.0, "machine"), est("ram:machine", 10.0, "machine"),
                           est("cpu:process", 12.0, "process")))
    assert r.energy_j("estimated") == 40.0          # machine: cpu + ram, not the process share
    assert r.energy_j("estimated", scope="process") == 12.0
    assert r.per_inference_j("estimated") == 4.0
    only_process = r.with_(domains=(est("cpu:process", 12.0, "process"),))
    assert only_process.energy_j("estimated") is None
