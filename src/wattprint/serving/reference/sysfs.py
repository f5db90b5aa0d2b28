"""A simulated machine that wattprint's real meters read: a RAPL-shaped powercap tree and a
``/proc/stat``, both in a folder, rewritten from an :class:`~.ledger.EnergyLedger` every
``period_s`` by a background thread.

Layout (``root``)::

    powercap/intel-rapl:0/name                  package-0
    powercap/intel-rapl:0/energy_uj             cumulative µJ, wraps at max_energy_range_uj
    powercap/intel-rapl:0/max_energy_range_uj
    proc/stat                                   "cpu  BUSY 0 0 IDLE 0 0 0 0 0 0" in clock ticks

Point :class:`~wattprint.meters.rapl.RaplMeter` at ``powercap_root`` and
:class:`~wattprint.meters.energy_meter.EnergyMeter` at ``proc_root``. Files are rewritten in
place at offset 0 with a fixed width (the meter keeps ``energy_uj`` open and re-reads it, as
it does on sysfs), never replaced.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from wattprint.serving.reference.ledger import EnergyLedger

ZONE = "intel-rapl:0"
WIDTH = 20


class SimulatedMachine:
    """Write the ledger's energy as a RAPL counter (and its busy time as ``/proc/stat``).

    Args:
        root: Folder to create the tree in (created if missing).
        ledger: Where the energy comes from.
        period_s: Update period of the counter, s.
        max_energy_range_uj: Wrap point of ``energy_uj``, µJ.
    """

    def __init__(self, root: str | Path, ledger: EnergyLedger, *, period_s: float,
                 max_energy_range_uj: int) -> None:
        self.root = Path(root)
        self.ledger = ledger
        self.period_s = period_s
        self.max_energy_range_uj = max_energy_range_uj
        zone = self.powercap_root / ZONE
        zone.mkdir(parents=True, exist_ok=True)
        (zone / "name").write_text("package-0\n")
        (zone / "max_energy_range_uj").write_text(f"{max_energy_range_uj}\n")
        self.proc_root.mkdir(parents=True, exist_ok=True)
        self._tck = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._energy_fd = os.open(zone / "energy_uj", os.O_RDWR | os.O_CREAT, 0o644)
        self._stat_fd = os.open(self.proc_root / "stat", os.O_RDWR | os.O_CREAT, 0o644)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
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
        """Write the counter and ``/proc/stat`` once, now."""
        t, energy_j, busy_s = self.ledger.read()
        uj = int(energy_j * 1e6) % self.max_energy_range_uj
        os.pwrite(self._energy_fd, f"{uj:0{WIDTH}d}\n".encode(), 0)
        wall = max(t - self.ledger.t0_s, 0.0)
        busy = int(busy_s * self._tck)
        idle = int(max(wall - busy_s, 0.0) * self._tck)
        os.pwrite(self._stat_fd, f"cpu  {busy:0{WIDTH}d} 0 0 {idle:0{WIDTH}d} 0 0 0 0 0 0\n"
                  .encode(), 0)

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):
            self.write()

    def start(self) -> None:
        """Start rewriting the files every ``period_s``."""
        self._thread = threading.Thread(target=self._loop, name="reference-counter", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (one last write first) and close the files. Idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._energy_fd >= 0:
            self.write()
            os.close(self._energy_fd)
            os.close(self._stat_fd)
            self._energy_fd = self._stat_fd = -1
