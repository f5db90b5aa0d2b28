"""The IPMI DCMI source against a stub ``ipmitool`` on PATH (the vendor boundary)."""

import os
import stat

import pytest
from fake_hwmon import Clock

from wattprint.errors import MeterError
from wattprint.meters.base import Provenance
from wattprint.meters.hwprobe import Unavailable
from wattprint.meters.ipmi import IpmiMeter, parse_power_reading, probe

READING = """
    Instantaneous power reading:                   {watts} Watts
    Minimum during sampling period:                 60 Watts
    Maximum during sampling period:                322 Watts
    Average power reading over sample period:      214 Watts
    IPMI timestamp:                           Thu Mar 16 12:00:00 2023
    Sampling period:                          00000005 Seconds.
    Power reading state is:                   {state}

"""


def stub_ipmitool(tmp_path, watts=220, state="activated", code=0):
    """A stub ipmitool printing a DCMI reading (watts from a file) and logging argv and env."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (tmp_path / "watts").write_text(str(watts))
    script = bin_dir / "ipmitool"
    body = READING.format(watts="$(cat " + str(tmp_path / "watts") + ")", state=state)
    script.write_text(f"""#!/bin/sh
echo "$@" >> {tmp_path}/argv.log
echo "pw=$IPMI_PASSWORD" >> {tmp_path}/env.log
if [ {code} -ne 0 ]; then echo "Error: Unable to establish IPMI v2 / RMCP+ session" >&2; exit {code}; fi
cat <<END
{body}
END
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_parse_real_output():
    watts, period_s, state = parse_power_reading(READING.format(watts=220, state="activated"))
    assert (watts, period_s, state) == (220.0, 5.0, "activated")
    with pytest.raises(MeterError, match="no 'Instantaneous power reading'"):
        parse_power_reading("Error: DCMI not supported\n")


def test_local_bmc_power_integrated_with_sampling_period(tmp_path):
    env = stub_ipmitool(tmp_path, watts=200)
    clock = Clock(0.0)
    m = IpmiMeter(environ=env, clock=clock)
    (spec,) = m.domains()
    assert spec.name == "node:0" and spec.provenance is Provenance.INTEGRATED
    assert "sampling period 5 s" in spec.source and "in-band" in spec.source
    (tmp_path / "watts").write_text("300")
    clock.t = 4.0
    assert m.read().energy_j["node:0"] == pytest.approx(1000.0)
    assert (tmp_path / "argv.log").read_text().splitlines()[0] == "dcmi power reading"


def test_remote_password_goes_through_the_environment_not_argv(tmp_path):
    env = stub_ipmitool(tmp_path)
    env.update({"WATTPRINT_IPMI_USERNAME": "admin", "WATTPRINT_IPMI_PASSWORD": "hunter2"})
    m = probe({"ipmi_host": "10.0.0.5", "environ": env})
    assert "BMC 10.0.0.5 (lanplus)" in m.domains()[0].source
    argv = (tmp_path / "argv.log").read_text()
    assert "-H 10.0.0.5 -U admin -E dcmi power reading" in argv and "hunter2" not in argv
    assert "pw=hunter2" in (tmp_path / "env.log").read_text()
    assert "hunter2" not in repr(m.domains())


def test_errors_and_reasons(tmp_path):
    assert "not asked for" in probe({"environ": {}}).reason
    got = probe({"ipmi": True, "environ": {"PATH": str(tmp_path)}})
    assert isinstance(got, Unavailable) and "ipmitool not found" in got.reason
    env = stub_ipmitool(tmp_path, state="deactivated")
    with pytest.raises(MeterError, match="'deactivated'; the BMC is not metering"):
        IpmiMeter(environ=env)
    env = stub_ipmitool(tmp_path, code=1)
    with pytest.raises(MeterError, match="exit 1.*RMCP"):
        IpmiMeter(environ=env)
    with pytest.raises(MeterError, match="without credentials"):
        IpmiMeter("10.0.0.5", environ=stub_ipmitool(tmp_path))
