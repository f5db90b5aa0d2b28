"""``import wattprint`` + an EnergyMeter load only what a meter needs (modules, not timings).

Start-up time is measured in bench/start_cost.py; this test guards what makes it: no heavy
library (pandas, pydantic, rich, torch ...) and no module of a source that cannot apply here
(a gate in the detection table says so without importing it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

HEAVY = ("pandas", "numpy", "scipy", "pydantic", "rich", "yaml", "torch", "matplotlib",
         "pyarrow", "orjson", "zstandard", "sqlite3", "requests", "psutil", "aiohttp")
"""Libraries the core meter does not need (the harness, results and report use them)."""

CODE = """
import json, sys
before = set(sys.modules)
import wattprint
meter = wattprint.EnergyMeter(powercap_root=sys.argv[1])
meter.start(); meter.stop(); meter.close()
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _modules_loaded(tmp_path: Path, **env: str) -> set[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    environ.update(PYTHONPATH=SRC, **env)
    out = subprocess.run([sys.executable, "-c", CODE, str(tmp_path / "no-powercap")],
                         capture_output=True, text=True, env=environ, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_meter_loads_no_heavy_library(tmp_path):
    loaded = _modules_loaded(tmp_path)
    assert "wattprint.meters.energy_meter" in loaded   # the probe below sees real imports
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    assert not {m for m in loaded if m.startswith(("wattprint.harness", "wattprint.results",
                                                   "wattprint.analysis", "wattprint.cli",
                                                   "wattprint.carbon", "wattprint.estimates",
                                                   "wattprint.serving"))}


def test_sources_that_cannot_apply_are_not_imported(tmp_path):
    loaded = _modules_loaded(tmp_path, WATTPRINT_HWMON_ROOT=str(tmp_path / "no-hwmon"))
    gated = {"redfish", "ipmi", "prometheus_source", "rapl", "attribution", "intel_gpu",
             "gaudi", "jetson", "grace", "kepler", "dcgm", "prom_series", "k8s"}
    if sys.platform != "darwin":
        gated.add("apple")
    assert not {f"wattprint.meters.{m}" for m in gated} & loaded
    if sys.platform != "darwin":   # nothing on this path runs a program or parses a URL
        assert not {"subprocess", "urllib.parse", "shutil"} & loaded
    # a source named by its option is imported and probed
    assert "wattprint.meters.redfish" in _modules_loaded(
        tmp_path, WATTPRINT_REDFISH_URL="http://127.0.0.1:9")
