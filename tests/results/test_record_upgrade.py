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
