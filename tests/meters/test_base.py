import pytest

from wattprint.meters.base import (
    DomainEnergy,
    DomainSpec,
    EnergyResult,
    EstimateModel,
    Provenance,
)

MODEL = EstimateModel("m", "P = c", {"c_w": 10.0}, "test")


def _d(name, prov, e, scope="device", unc=None, model=None, idle=None, dur=2.0):
    spec = DomainSpec(name, name.split(":")[0], "b", prov, "s", uncertainty=unc, model=model, scope=scope)
    return DomainEnergy.from_spec(spec, e, dur, idle_power_w=idle)


def test_totals_never_mix_provenances():
    r = EnergyResult("w", 0.0, 2.0, (
        _d("gpu:0", Provenance.MEASURED, 100.0),
        _d("gpu:1", Provenance.MEASURED, 50.0),
        _d("cpu:0", Provenance.ESTIMATED, 20.0, unc=0.5, model=MODEL, scope="machine"),
        _d("cpu:process", Provenance.ESTIMATED, 5.0, unc=0.5, model=MODEL, scope="process"),
    ))
    totals = {(t.provenance, t.scope): t for t in r.totals()}
    assert totals[(Provenance.MEASURED, "device")].energy_j == 150.0
    assert totals[(Provenance.ESTIMATED, "machine")].energy_j == 20.0
    assert totals[(Provenance.ESTIMATED, "machine")].uncertainty_j == 10.0
    assert totals[(Provenance.ESTIMATED, "process")].energy_j == 5.0
    assert r.total_j("measured") == 150.0
    assert r.total_j("integrated") is None
    assert r.average_power_w()["gpu:0"] == 50.0


def test_idle_and_dynamic():
    d = _d("gpu:0", Provenance.MEASURED, 100.0, idle=30.0, dur=2.0)
    assert d.idle_energy_j == 60.0
    assert d.dynamic_energy_j == 40.0


def test_estimate_must_state_model_and_uncertainty():
    with pytest.raises(ValueError, match="model and uncertainty"):
        DomainSpec("cpu:0", "cpu", "b", Provenance.ESTIMATED, "s")


def test_negative_or_nan_energy_rejected():
    spec = DomainSpec("gpu:0", "gpu", "b", Provenance.MEASURED, "s")
    with pytest.raises(ValueError):
        DomainEnergy.from_spec(spec, -1.0, 1.0)
    with pytest.raises(ValueError):
        DomainEnergy.from_spec(spec, float("nan"), 1.0)


def test_result_round_trip():
    r = EnergyResult("w", 1.5, 2.0, (_d("cpu:0", Provenance.ESTIMATED, 20.0, unc=0.4, model=MODEL),),
                     ("short window",))
    back = EnergyResult.from_dict(r.to_dict())
    assert back == r


def test_totals_carry_bands_multiplicative_for_estimates_additive_for_counters():
    r = EnergyResult("w", 0.0, 2.0, (
        _d("gpu:0", Provenance.MEASURED, 100.0, unc=0.1),
        _d("cpu:0", Provenance.ESTIMATED, 20.0, unc=1.0, model=MODEL, scope="host"),
    ))
    totals = {t.provenance: t for t in r.totals()}
    est = totals[Provenance.ESTIMATED]
    assert (est.low_j, est.high_j) == (10.0, 40.0)  # x/÷2: the low end never reaches 0 J
    gpu = totals[Provenance.MEASURED]
    assert (gpu.low_j, gpu.high_j, gpu.uncertainty_j) == (90.0, 110.0, 10.0)
    assert r.to_dict()["totals"][0]["low_j"] == 90.0


def test_window_totals_do_not_add_overlapping_scopes() -> None:
    """A process's share and the node's wall reading overlap the machine's domains: the
    default total is the physical boundary, each overlapping scope is summed only alone."""
    from wattprint.meters.base import DomainEnergy, EnergyResult, EstimateModel, Provenance

    model = EstimateModel("m", "P = c", {}, "test")
    cpu = DomainEnergy("cpu:0", "cpu", "package", Provenance.ESTIMATED, "est", 100.0,
                       uncertainty=0.5, model=model, scope="machine")
    share = DomainEnergy("cpu:process", "cpu", "the process's share", Provenance.ESTIMATED,
                         "est", 40.0, uncertainty=0.5, model=model, scope="process")
    wall = DomainEnergy("node:bmc", "node", "node at the wall", Provenance.ESTIMATED, "est",
                        300.0, uncertainty=0.5, model=model, scope="node")
    w = EnergyResult("load", 0.0, 1.0, (cpu, share, wall))
    assert w.total_j("estimated") == 100.0
    assert w.total_j("estimated", scope="process") == 40.0
    assert w.total_j("estimated", scope="node") == 300.0
