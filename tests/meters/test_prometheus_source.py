"""The Prometheus source scraping a real HTTP server on 127.0.0.1 (a recorded DCGM exporter page)."""

from pathlib import Path

import pytest
from prom_page import Page

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import Provenance
from wattprint.meters.hwprobe import Unavailable
from wattprint.meters.prometheus_source import PrometheusMeter, probe

PAGE = (Path(__file__).parents[1] / "data" / "prometheus" / "dcgm_exporter.txt").read_text()


@pytest.fixture
def dcgm():
    p = Page(PAGE.replace("{e0}", "1180315733").replace("{e1}", "900000000"))
    yield p
    p.close()


def test_dcgm_energy_counter_in_mj_is_measured(dcgm):
    m = PrometheusMeter(dcgm.url)
    specs = m.domains()
    assert [s.name for s in specs] == ["gpu:ip-10-0-1-12/0", "gpu:ip-10-0-1-12/1"]
    assert all(s.provenance is Provenance.MEASURED for s in specs)
    assert "Tesla T4" in specs[0].boundary and "GPU-b8ab3e0b" in specs[0].boundary
    assert m.update_period_s == 30.0
    dcgm.text = PAGE.replace("{e0}", str(1180315733 + 45_500)).replace("{e1}", "900000000")
    r = m.read()
    assert r.energy_j == {"gpu:ip-10-0-1-12/0": pytest.approx(45.5), "gpu:ip-10-0-1-12/1": 0.0}
    dcgm.text = PAGE.replace("{e0}", "12").replace("{e1}", "900000000")
    with pytest.raises(CounterError, match="exporter restarted"):
        m.read()
    dcgm.text = "# nothing here\n"
    with pytest.raises(MeterError, match="no longer exposes"):
        m.read()


def test_probe_reasons(dcgm):
    assert "no endpoint configured" in probe({"environ": {}}).reason
    got = probe({"prometheus_url": dcgm.url.replace("/metrics", "/nope"), "environ": {}})
    assert isinstance(got, Unavailable) and "HTTP 404" in got.reason
    dcgm.text = "# TYPE up gauge\nup 1\n"
    got = probe({"prometheus_url": dcgm.url, "environ": {}})
    assert isinstance(got, Unavailable) and "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" in got.reason
    got = probe({"environ": {"WATTPRINT_PROMETHEUS_URL": "http://127.0.0.1:9/metrics"}})
    assert isinstance(got, Unavailable) and "scrape of http://127.0.0.1:9/metrics failed" in got.reason
