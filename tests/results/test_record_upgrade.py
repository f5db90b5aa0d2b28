"""Records stored before the typed fields existed read back with them filled in."""

from __future__ import annotations

import json
import sqlite3

from wattprint.meters.base import DomainEnergy, Provenance
from wattprint.results.schema import JobResult
from wattprint.results.store import ResultStore


def _result():
    d = DomainEnergy(name="cpu", component="cpu", boundary="package", provenance=Provenance.MEASURED,
                     source="rapl", scope="machine", energy_j=5.0)
    return JobResult(job_id="j", repetition=0, task="text-generation", model="./my-causal-lm",
                     dataset="d", n=1, status="ok", duration_s=1.0, domains=(d,),
                     mode="zero-shot", parameters=123, warnings=("clock drift",),
                     model_fingerprint="files:abc", carbon={"intensity_g_per_kwh": 475.0})


def test_an_old_style_record_in_a_store_reads_into_the_new_fields(tmp_path):
    db = tmp_path / "s.db"
    with ResultStore(str(db)) as store:
        store.write(_result())
    # rewrite the stored JSON as the previous wattprint wrote it
    conn = sqlite3.connect(db)
    (blob,) = conn.execute("SELECT record_json FROM results").fetchone()
    old = json.loads(blob)
    for k in ("mode", "parameters", "warnings", "model_fingerprint"):
        old.pop(k)
    old["settings"] = {**(old.get("settings") or {}), "mode": "zero-shot"}
    old["extra"] = {"parameters": 123, "window_warnings": ["clock drift"], "model_info": {"x": 1}}
    conn.execute("UPDATE results SET record_json = ?", (json.dumps(old),))
    conn.commit()
    conn.close()
    with ResultStore(str(db)) as store:
        (r,) = store.results()
    assert (r.mode, r.parameters, r.warnings) == ("zero-shot", 123, ("clock drift",))
    assert r.model_fingerprint is None  # not known for old records, never invented
    assert r.extra == {"model_info": {"x": 1}}
    assert r.carbon is not None and r.carbon.intensity_g_per_kwh == 475.0


def test_new_fields_round_trip_through_the_store(tmp_path):
    with ResultStore(str(tmp_path / "s.db")) as store:
        store.write(_result())
        (r,) = store.results()
    assert r == _result()


def _mixed_scopes_result():
    """A record as wattprint wrote it before the RAM estimate followed the job's CPU share: a
    1-CPU affinity share of the CPU beside the whole host's RAM."""
    from wattprint.meters.base import EstimateModel

    model = EstimateModel("m", "P = c", {"c": 1.0}, "test")
    cpu = DomainEnergy(name="cpu:machine", component="cpu", boundary="1 of 2 CPUs",
                       provenance=Provenance.ESTIMATED, source="estimate", scope="affinity",
                       energy_j=0.17, uncertainty=0.5, model=model)
    ram = DomainEnergy(name="ram:machine", component="ram", boundary="installed RAM",
                       provenance=Provenance.ESTIMATED, source="estimate", scope="host",
                       energy_j=0.43, uncertainty=0.75, model=model)
    return JobResult(job_id="old", repetition=0, task="text-classification", model="m",
                     dataset="d", n=40, status="ok", duration_s=0.05, domains=(cpu, ram))


def test_an_old_record_that_added_a_share_to_the_host_reads_with_its_totals_apart_and_says_so(
        tmp_path):
    db = tmp_path / "s.db"
    with ResultStore(str(db)) as store:
        store.write(_mixed_scopes_result())
    conn = sqlite3.connect(db)
    # written today, the per-provenance column holds the job's boundary ...
    assert conn.execute("SELECT estimated_j FROM results").fetchone() == (0.17,)
    # ... and as the code of that time wrote it, the mixed sum
    conn.execute("UPDATE results SET estimated_j = 0.60")
    conn.commit()
    conn.close()
    with ResultStore(str(db)) as store:
        (r,) = store.results()
    assert r.energy_j("estimated") == 0.17  # the job's share, no longer + the host's RAM
    assert r.energy_j("estimated", scope="host") == 0.43  # kept apart, still readable
    note = [w for w in r.warnings if w.startswith("read by a newer wattprint")]
    assert len(note) == 1 and "ram:machine (scope host)" in note[0]
    assert "cpu:machine, scope affinity" in note[0]
    h = r.headline()
    assert h.beside_j[Provenance.ESTIMATED] == 0.43 and "kept apart" in h.reason
    d = r.to_dict()
    assert d["per_inference"]["estimated"]["energy_j"] == 0.17 / 40
    assert {t["scope"]: t["energy_j"] for t in d["totals"]} == {"affinity": 0.17, "host": 0.43}
    # read and written again: the note is not repeated
    again = JobResult.from_dict(r.to_dict())
    assert again.warnings == r.warnings
