"""dcgm-exporter in MIG mode (a recorded page): one counter per GPU, and MIG instance shares."""

from pathlib import Path

import pytest
from prom_page import Page

from wattprint.meters.base import Provenance
from wattprint.meters.prometheus_source import PrometheusMeter

TEMPLATE = (Path(__file__).parents[1] / "data" / "prometheus" / "dcgm_mig_exporter.txt"
            ).read_text()
GPU0 = "gpu:msxf-hpc-64-35-ai/0"


def page(e0_mj, e1_mj, a3, a5, a6):
    return (TEMPLATE.replace("{e0}", str(e0_mj)).replace("{e1}", str(e1_mj))
            .replace("{a3}", str(a3)).replace("{a5}", str(a5)).replace("{a6}", str(a6)))


@pytest.fixture
def dcgm():
    p = Page(page(257858316, 187554325, 0.6, 0.2, 0.0))
    yield p
    p.close()


def test_a_mig_gpu_is_one_measured_domain_plus_attributed_instances(dcgm):
    m = PrometheusMeter(dcgm.url)
    specs = {s.name: s for s in m.domains()}
    # the page repeats GPU 0's counter for each of its 3 instances: read once, not three times
    assert [n for n in specs if n.count("/") == 1] == [GPU0, "gpu:msxf-hpc-64-35-ai/1"]
    assert specs[GPU0].provenance is Provenance.MEASURED
    migs = sorted(n for n in specs if "/mig" in n)
    assert migs == [f"{GPU0}/mig3", f"{GPU0}/mig5", f"{GPU0}/mig6"]
    assert all(specs[n].provenance is Provenance.ATTRIBUTED and specs[n].scope == "mig"
               for n in migs)
    assert "2g.20gb" in specs[f"{GPU0}/mig3"].boundary


def test_instances_share_the_gpu_energy_by_slices_times_activity(dcgm):
    m = PrometheusMeter(dcgm.url)
    dcgm.text = page(257858316 + 120_000, 187554325 + 50_000, 0.6, 0.2, 0.0)
    r = m.read().energy_j
    assert r[GPU0] == pytest.approx(120.0)
    # equal slices (2g each): shares 0.6 : 0.2 : 0 -> 0.75, 0.25, 0
    assert r[f"{GPU0}/mig3"] == pytest.approx(90.0)
    assert r[f"{GPU0}/mig5"] == pytest.approx(30.0)
    assert r[f"{GPU0}/mig6"] == 0.0
    # all idle at both ends of the next interval: the energy is split by slices
    dcgm.text = page(257858316 + 120_000, 187554325 + 50_000, 0.0, 0.0, 0.0)
    m.read()
    dcgm.text = page(257858316 + 150_000, 187554325 + 50_000, 0.0, 0.0, 0.0)
    r = m.read().energy_j
    assert r[f"{GPU0}/mig6"] == pytest.approx(10.0)
    assert sum(r[f"{GPU0}/mig{i}"] for i in (3, 5, 6)) == pytest.approx(r[GPU0])  # nothing lost
