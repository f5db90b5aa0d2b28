"""Apple silicon parsing against recorded-shape samples; powermetrics through a real subprocess."""

import json
import sys
import time
from pathlib import Path

import pytest

from wattprint.errors import MeterError
from wattprint.meters.apple import (
    ChannelValue,
    IOReportMeter,
    PowermetricsMeter,
    energy_by_domain,
    parse_powermetrics_text,
    probe,
    sample_energy,
    split_plists,
)
from wattprint.meters.base import Provenance
from wattprint.meters.hwprobe import Unavailable

DATA = Path(__file__).parents[1] / "data" / "apple"


def test_ioreport_energy_model_sample_gives_cpu_gpu_ane_dram_in_joules():
    rows = [ChannelValue(**r) for r in json.loads((DATA / "ioreport_energy_model.json").read_text())]
    got = energy_by_domain(rows)
    # per-cluster channels (EACC_CPU, PACC0_CPU ...), GPU SRAM0/GPU0 and DCS/DISP are not added
    assert got == {"cpu:0": pytest.approx(3.388), "gpu:0": pytest.approx(9.120),
                   "ane:0": 0.0, "dram:0": pytest.approx(1.462)}
    ultra = [ChannelValue("Energy Model", "", "DIE_0_CPU Energy", "uJ", 2_000_000),
             ChannelValue("Energy Model", "", "DIE_1_CPU Energy", "uJ", 1_500_000)]
    assert energy_by_domain(ultra) == {"cpu:0": pytest.approx(3.5)}
    with pytest.raises(MeterError, match="'kJ'; known units"):
        energy_by_domain([ChannelValue("Energy Model", "", "GPU Energy", "kJ", 1)])


def test_powermetrics_plist_stream_and_text():
    stream = (DATA / "powermetrics.plist.stream").read_bytes()
    samples, rest = split_plists(stream[:-40])
    assert len(samples) == 1 and rest  # the second sample is not complete yet
    samples, rest = split_plists(stream)
    assert len(samples) == 2 and rest == b""
    got, prov = sample_energy(samples[0])
    assert prov is Provenance.MEASURED
    assert got == {"cpu:0": pytest.approx(3.381), "gpu:0": pytest.approx(9.104), "ane:0": 0.0}
    for k in ("cpu_energy", "gpu_energy", "ane_energy"):
        del samples[1]["processor"][k]
    got, prov = sample_energy(samples[1])  # an older macOS: power only
    assert prov is Provenance.INTEGRATED
    assert got["cpu:0"] == pytest.approx(3.513 * 1.001987125)
    text = parse_powermetrics_text((DATA / "powermetrics.txt").read_text())
    assert text == [(pytest.approx(1.00345), {"cpu:0": 3.37, "gpu:0": 9.073, "ane:0": 0.0}),
                    (pytest.approx(1.00199), {"cpu:0": 3.513, "gpu:0": 9.293, "ane:0": 0.012})]


def test_powermetrics_meter_adds_sample_energy_from_a_running_process(tmp_path):
    stub = tmp_path / "powermetrics_stub.py"
    stub.write_text(f"""import sys, time
data = open({str(DATA / 'powermetrics.plist.stream')!r}, 'rb').read()
sys.stdout.buffer.write(data); sys.stdout.buffer.flush()
time.sleep(30)
""")
    m = PowermetricsMeter(argv=[sys.executable, str(stub)])
    try:
        specs = {s.name: s for s in m.domains()}
        assert set(specs) == {"cpu:0", "gpu:0", "ane:0"}
        assert specs["gpu:0"].provenance is Provenance.MEASURED and "energy model" in specs["gpu:0"].boundary
        for _ in range(200):  # the second sample may arrive a moment after the first
            r = m.read()
            if r.energy_j["ane:0"] > 0:
                break
            time.sleep(0.05)
        assert r.energy_j == {"cpu:0": pytest.approx(6.901), "gpu:0": pytest.approx(18.415),
                              "ane:0": pytest.approx(0.012)}
    finally:
        m.close()


def test_powermetrics_without_root_is_a_meter_error(tmp_path):
    stub = tmp_path / "deny.py"
    stub.write_text("import sys; sys.stderr.write('powermetrics must be invoked as the superuser\\n'); sys.exit(1)\n")
    with pytest.raises(MeterError, match="superuser"):
        PowermetricsMeter(argv=[sys.executable, str(stub)])


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the probe opens the real source")
def test_probe_off_macos():
    got = probe({})
    assert isinstance(got, Unavailable) and "not macOS" in got.reason
    with pytest.raises(MeterError, match="only on macOS"):
        IOReportMeter()
