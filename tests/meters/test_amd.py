import fake_amdsmi
import pytest
from fake_amdsmi import FakeAmdGpu
from fake_hwmon import Clock

from wattprint.errors import CounterError, MeterError
from wattprint.meters.amd import AmdSmiMeter, probe, visible_physical
from wattprint.meters.base import Provenance
from wattprint.meters.hwprobe import Unavailable


def four():
    return [FakeAmdGpu(uuid=f"{i}0ff74a1-0000-1000-80c0-b9b37e5b3f4e", bdf=f"0000:{i + 5:02x}:00.0")
            for i in range(4)]


def test_accumulator_ticks_times_resolution_is_measured_joules():
    g = FakeAmdGpu(ticks=1_000_000, resolution_uj=15.259)
    smi = fake_amdsmi.make([g])
    m = AmdSmiMeter(amdsmi=smi, clock=Clock(), environ={})
    (spec,) = m.domains()
    assert spec.name == "gpu:0" and spec.provenance is Provenance.MEASURED
    assert "15.259" in spec.source and "MI300X" in spec.boundary
    g.ticks += 65_536  # 65 536 ticks × 15.259 µJ = 1.000014... J
    assert m.read().energy_j["gpu:0"] == pytest.approx(65_536 * 15.259e-6)
    m.close()
    m.close()
    assert smi.initialised == 0


def test_rocm_6_0_key_name_power_is_the_accumulator():
    g = FakeAmdGpu(ticks=500, energy_key="power")
    m = AmdSmiMeter(amdsmi=fake_amdsmi.make([g]), environ={})
    g.ticks += 1000
    assert m.read().energy_j["gpu:0"] == pytest.approx(1000 * 15.259e-6)


def test_32_bit_accumulator_wrap_is_unwrapped_and_a_reset_is_an_error():
    clock = Clock(0.0)
    g = FakeAmdGpu(ticks=2**32 - 100)
    m = AmdSmiMeter(amdsmi=fake_amdsmi.make([g]), clock=clock, environ={})
    clock.t = 0.5
    g.ticks = 400  # wrapped: 500 ticks in 0.5 s
    assert m.read().energy_j["gpu:0"] == pytest.approx(500 * 15.259e-6)
    clock.t = 1.0
    g.ticks = 100  # backwards far from a 32-bit edge: a GPU reset
    with pytest.raises(CounterError, match="went backwards"):
        m.read()


def test_64_bit_counter_going_backwards_is_an_error():
    g = FakeAmdGpu(ticks=2**40)
    m = AmdSmiMeter(amdsmi=fake_amdsmi.make([g]), environ={})
    g.ticks = 2**40 - 5
    with pytest.raises(CounterError):
        m.read()


def test_missing_accumulator_falls_back_to_integrated_power():
    clock = Clock(0.0)
    no_counter = FakeAmdGpu(ticks=None, power={"current_socket_power": "N/A",
                                               "average_socket_power": 200, "power_limit": 300})
    stopped = FakeAmdGpu(ticks=0, bdf="0000:06:00.0")
    m = AmdSmiMeter(amdsmi=fake_amdsmi.make([no_counter, stopped]), clock=clock, environ={})
    s0, s1 = m.domains()
    assert s0.provenance is Provenance.INTEGRATED and "average_socket_power" in s0.source
    assert s1.provenance is Provenance.INTEGRATED and "current_socket_power" in s1.source
    assert "NOT_SUPPORTED" in m.notes[0] and "0 ticks" in m.notes[1]
    assert m.poll_interval_s == 0.1
    clock.t = 2.0
    no_counter.power["average_socket_power"] = 400
    r = m.read()
    assert r.energy_j["gpu:0"] == pytest.approx(600.0)  # (200 + 400) / 2 × 2 s
    assert r.energy_j["gpu:1"] == pytest.approx(600.0)  # 300 W × 2 s


def test_vendor_errors_become_meter_errors():
    with pytest.raises(MeterError, match="amdsmi amdsmi_init failed.*INIT_ERROR"):
        AmdSmiMeter(amdsmi=fake_amdsmi.make([FakeAmdGpu()], init_error=18), environ={})
    g = FakeAmdGpu()
    m = AmdSmiMeter(amdsmi=fake_amdsmi.make([g]), environ={})
    g.fail = fake_amdsmi.AMDSMI_STATUS_NO_PERM
    with pytest.raises(MeterError, match="gpu:0.*Permission Denied"):
        m.read()
    no_power = FakeAmdGpu(ticks=None, power={"average_socket_power": "N/A"})
    with pytest.raises(MeterError, match="neither an energy accumulator nor a power reading"):
        AmdSmiMeter(amdsmi=fake_amdsmi.make([no_power]), environ={})


def test_rocr_then_hip_visible_devices_select_like_rocm():
    uuids = [f"{i}0ff74a1-0000" for i in range(4)]
    assert visible_physical(4, uuids, {}) == [0, 1, 2, 3]
    assert visible_physical(4, uuids, {"ROCR_VISIBLE_DEVICES": "3,1,2"}) == [3, 1, 2]
    assert visible_physical(4, uuids, {"ROCR_VISIBLE_DEVICES": "3,1,2",
                                       "HIP_VISIBLE_DEVICES": "1"}) == [1]
    assert visible_physical(4, uuids, {"ROCR_VISIBLE_DEVICES": "GPU-20ff"}) == [2]
    with pytest.raises(MeterError, match="HIP_VISIBLE_DEVICES='7'.*'7' names no visible"):
        visible_physical(4, uuids, {"HIP_VISIBLE_DEVICES": "7"})


def test_hip_order_from_enumeration_info_and_visible_numbering():
    gpus = four()
    for g, hip in zip(gpus, (2, 0, 3, 1)):
        g.hip_id = hip
    m = AmdSmiMeter(amdsmi=fake_amdsmi.make(gpus), environ={"HIP_VISIBLE_DEVICES": "0,2"})
    specs = m.domains()
    assert [s.name for s in specs] == ["gpu:0", "gpu:1"]
    assert gpus[1].bdf in specs[0].boundary  # hip 0
    assert gpus[0].bdf in specs[1].boundary  # hip 2


def test_probe_reasons():
    got = probe({"amdsmi": fake_amdsmi.make([]), "environ": {}})
    assert isinstance(got, Unavailable) and "no AMD GPU visible" in got.reason
    got = probe({"amdsmi": fake_amdsmi.make(four()), "environ": {}, "gpus": [9]})
    assert isinstance(got, Unavailable) and "index 9 is not visible" in got.reason
    m = probe({"amdsmi": fake_amdsmi.make(four()), "environ": {}})
    assert len(m.domains()) == 4
    m.close()
