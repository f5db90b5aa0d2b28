"""Node wall power (scope ``node``, from a BMC) covers every component: never added to them."""

from wattprint.harness.summary import machine_energy_j
from wattprint.meters.base import DomainEnergy, DomainSpec, Provenance
from wattprint.results.schema import JobResult


def measured(name, component, e, scope):
    spec = DomainSpec(name, component, "b", Provenance.MEASURED, "s", scope=scope)
    return DomainEnergy.from_spec(spec, e, 10.0)


def test_job_total_sums_components_and_keeps_the_node_apart():
    r = JobResult("j", 0, "t", "m", "d", n=10, status="ok", duration_s=10.0,
                  domains=(measured("gpu:0", "gpu", 3000.0, "device"),
                           measured("cpu:0", "cpu", 1000.0, "device"),
                           measured("node:0", "node", 5200.0, "node")))
    assert r.energy_j("measured") == 4000.0
    assert r.energy_j("measured", scope="node") == 5200.0
    assert machine_energy_j(r, Provenance.MEASURED) == 4000.0
    node_only = r.with_(domains=(measured("node:0", "node", 5200.0, "node"),))
    assert node_only.energy_j("measured") is None
    assert node_only.energy_j("measured", scope="node") == 5200.0
