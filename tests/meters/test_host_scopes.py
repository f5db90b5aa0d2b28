"""No total adds a share of the host to the whole host; the job's RAM follows its CPU share."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from wattprint.meters.base import (
    DomainEnergy,
    EnergyResult,
    EstimateModel,
    Provenance,
    boundary_split,
    headline,
)
from wattprint.meters.cgroup import cpu_share
from wattprint.meters.estimate import RamEstimateMeter

MODEL = EstimateModel("m", "P = c", {"c": 1.0}, "test")


def dom(name, scope, energy_j, prov=Provenance.ESTIMATED, component=None):
    return DomainEnergy(name, component or name.split(":")[0], name, prov, "test", energy_j,
                        uncertainty=0.5 if prov is Provenance.ESTIMATED else None,
                        model=MODEL if prov is Provenance.ESTIMATED else None, scope=scope)


def test_a_share_is_never_added_to_the_whole_host():
    cpu = dom("cpu:machine", "affinity", 0.17)
    ram = dom("ram:machine", "host", 0.43)  # a record written before RAM followed the share
    gpu = dom("gpu:0", "device", 5.0, Provenance.MEASURED)
    proc = dom("cpu:process", "process", 0.13)
    inside, apart = boundary_split([gpu, cpu, proc, ram])
    assert inside == [gpu, cpu] and apart == [ram]
    r = EnergyResult("w", 0.0, 1.0, (gpu, cpu, proc, ram))
    assert r.total_j("estimated") == pytest.approx(0.17)  # was 0.60: RAM 72 % of it
    assert r.total_j("measured") == 5.0
    assert r.total_j("estimated", scope="host") == pytest.approx(0.43)  # reported apart
    h = headline(r.domains, None)
    assert h.energy_j[Provenance.ESTIMATED] == pytest.approx(0.17)
    assert h.beside_j[Provenance.ESTIMATED] == pytest.approx(0.43) and "ram:machine" in h.reason
    # the same scopes add up: a share and a share, or the host and the host
    both = [dom("cpu:machine", "affinity", 0.17), dom("ram:machine", "affinity", 0.2)]
    assert boundary_split(both) == (both, [])


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_ram_follows_the_cpu_share_when_there_is_no_memory_limit(tmp_path):
    proc = tmp_path / "proc"
    write(proc / "self" / "cgroup", "0::/\n")
    share = cpu_share(str(tmp_path / "nocgroup"), str(proc), host_cpus=256, affinity=(0,))
    ram = RamEstimateMeter(share=share)
    spec = ram.domains()[0]
    assert spec.scope == "affinity"
    assert ram.ram_gb == pytest.approx(ram.installed_gb / 256)
    assert spec.model.constants["cpu_share"] == pytest.approx(1 / 256)
    assert "no memory limit" in spec.boundary and "1/256" in spec.boundary
    host = RamEstimateMeter(share=cpu_share(str(tmp_path / "nocgroup"), str(proc),
                                            host_cpus=2, affinity=(0, 1)))
    assert host.domains()[0].scope == "host" and host.ram_gb == host.installed_gb


def test_taskset_run_keeps_one_scope_in_every_total():
    """The issue's reproduction: a 1-CPU pin's CPU share was added to the whole host's RAM."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        pytest.skip("needs taskset and 2+ CPUs")
    p = subprocess.run(["taskset", "-c", "0", sys.executable, "-m", "wattprint", "run", "--task",
                        "text-classification", "--model", "zoo:distilbert-sst2@tiny", "-n", "8",
                        "--repeat", "1", "--idle", "0", "--no-store", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)["results"][0]
    scopes = {d["name"]: d["scope"] for d in r["domains"]}
    assert scopes["cpu:machine"] == scopes["ram:machine"] == "affinity"
    job = {d["name"]: d["energy_j"] for d in r["domains"] if d["scope"] == "affinity"}
    h = r["headline"]
    job_j = h["energy_j"] if h["basis"] == "job" else h["beside_j"]
    assert job_j["estimated"] == pytest.approx(job["cpu:machine"] + job["ram:machine"])
    for t in r["totals"]:
        assert len({scopes[n] for n in t["domains"]}) == 1
