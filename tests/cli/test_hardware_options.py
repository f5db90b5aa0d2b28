"""Hardware flags reach the sources as typed options, never through the process environment."""

from __future__ import annotations

import json
import os

from wattprint.cli import main
from wattprint.cli.hardware_options import hardware_options
from wattprint.meters.hwprobe import option
from wattprint.meters.probe import HardwareOptions, ProbeOptions


def test_flags_become_typed_options_and_unset_ones_stay_none():
    import argparse

    from wattprint.cli.hardware_options import add_hardware_arguments

    p = argparse.ArgumentParser()
    add_hardware_arguments(p)
    hw = hardware_options(p.parse_args(["--redfish-url", "https://bmc", "--redfish-verify", "no"]))
    assert hw == HardwareOptions(redfish_url="https://bmc", redfish_verify="no")
    assert hardware_options(p.parse_args(["--ipmi"])).ipmi is True
    assert hardware_options(p.parse_args([])) == HardwareOptions()  # the environment decides


def test_a_probe_reads_the_typed_option_before_its_settings():
    opts = ProbeOptions(frozenset({"gpu"}), settings={"hwmon_root": "/from/settings"},
                        hardware=HardwareOptions(hwmon_root="/from/flag"))
    assert option(opts, "hwmon_root", "/sys/class/hwmon") == "/from/flag"
    assert option(ProbeOptions(frozenset()), "hwmon_root", "/sys/class/hwmon") == "/sys/class/hwmon"


def test_meters_with_a_flag_finds_the_source_and_leaves_the_environment_alone(tmp_path, capsys):
    card = tmp_path / "hwmon" / "hwmon0"   # an Intel GPU's card energy counter (fake sysfs)
    card.mkdir(parents=True)
    for name, value in {"name": "xe", "energy1_input": 5_000_000, "energy1_label": "card"}.items():
        (card / name).write_text(f"{value}\n")
    before = dict(os.environ)
    assert main(["meters", "--json", "--hwmon-root", str(tmp_path / "hwmon"),
                 "--powercap-root", str(tmp_path / "none")]) == 0
    assert dict(os.environ) == before
    sources = {s["source"]: s for s in json.loads(capsys.readouterr().out)["sources"]}
    assert sources["intel-gpu"]["chosen"] and "gpu:xpu0" in sources["intel-gpu"]["reason"]
