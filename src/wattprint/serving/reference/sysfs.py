"""A simulated machine that wattprint's real meters read: a RAPL-shaped powercap tree and a
``/proc/stat``, both in a folder, rewritten from the engine's :class:`~.ledger.EnergyLedger`
every ``period_s`` by a writer process of its own (:mod:`.counter`).

Layout (``root``)::

    powercap/intel-rapl:0/name                  package-0
    powercap/intel-rapl:0/energy_uj             cumulative µJ, wraps at max_energy_range_uj
    powercap/intel-rapl:0/max_energy_range_uj
    proc/stat                                   "cpu  BUSY 0 0 IDLE 0 0 0 0 0 0" in clock ticks
    ledger.bin                                  the engine's state, shared with the writer

Point :class:`~wattprint.meters.rapl.RaplMeter` at ``powercap_root`` and
:class:`~wattprint.meters.energy_meter.EnergyMeter` at ``proc_root``. Files are rewritten in
place at offset 0 with a fixed width (the meter keeps ``energy_uj`` open and re-reads it, as
it does on sysfs), never replaced.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wattprint.serving.reference import counter
from wattprint.serving.reference.counter import LedgerMirror, write_files
from wattprint.serving.reference.ledger import EnergyLedger

ZONE = "intel-rapl:0"


class SimulatedMachine:
    """The counter files of a simulated machine and the process that keeps them current.

    Args:
        root: Folder to create the tree in (created if missing).
        idle_power_w: The machine's idle power, W.
        period_s: Update period of the counter, s.
        max_energy_range_uj: Wrap point of ``energy_uj``, µJ.
    """

    def __init__(self, root: str | Path, idle_power_w: float, *, period_s: float,
                 max_energy_range_uj: int) -> None:
        self.root = Path(root)
        self.period_s = period_s
        self.max_energy_range_uj = max_energy_range_uj
        zone = self.powercap_root / ZONE
        zone.mkdir(parents=True, exist_ok=True)
        (zone / "name").write_text("package-0\n")
        (zone / "max_energy_range_uj").write_text(f"{max_energy_range_uj}\n")
        self.proc_root.mkdir(parents=True, exist_ok=True)
        self._tck = os.sysconf("SC_CLK_TCK")
        self._energy_fd = os.open(zone / "energy_uj", os.O_RDWR | os.O_CREAT, 0o644)
        self._stat_fd = os.open(self.proc_root / "stat", os.O_RDWR | os.O_CREAT, 0o644)
        self.mirror = LedgerMirror(str(self.root / "ledger.bin"), create=True)
        self.ledger = EnergyLedger(idle_power_w, self.mirror)
        self._writer: subprocess.Popen[bytes] | None = None
        self.write()

    @property
    def powercap_root(self) -> Path:
        """The powercap class folder (``--powercap-root``)."""
        return self.root / "powercap"

    @property
    def proc_root(self) -> Path:
        """The procfs folder holding ``stat``."""
        return self.root / "proc"

    def write(self) -> None:
        """Write the counter and ``/proc/stat`` once, now, from this process."""
        t, energy_j, busy_s = self.ledger.read()
        write_files(self._energy_fd, self._stat_fd, energy_j, busy_s, t - self.ledger.t0_s,
                    self.max_energy_range_uj, self._tck)

    def start(self) -> None:
        """Start the writer process."""
        self._writer = subprocess.Popen(
            [sys.executable, counter.__file__, str(self.root / "ledger.bin"),
             str(self.powercap_root / ZONE / "energy_uj"), str(self.proc_root / "stat"),
             repr(self.period_s), str(self.max_energy_range_uj)])

    def stop(self) -> None:
        """Stop the writer (then one last write from here) and close the files. Idempotent."""
        if self._writer is not None:
            self._writer.terminate()
            self._writer.wait(10)
            self._writer = None
        if self._energy_fd >= 0:
            self.write()
            os.close(self._energy_fd)
            os.close(self._stat_fd)
            self._energy_fd = self._stat_fd = -1
            self.mirror.close()
