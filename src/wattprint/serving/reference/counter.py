"""The simulated machine's energy counter, written by a process of its own.

The engine's ledger state (a few numbers: start time, idle power, energy of finished steps,
the running step) is mirrored into a small shared file (:class:`LedgerMirror`, a seqlock over
8 doubles). A separate writer process (this file run as a script: standard library only, so
it starts fast) reads it every ``period_s`` and rewrites the RAPL ``energy_uj`` and
``/proc/stat`` files. Being alone in its process, the writer never waits for the engine's
interpreter lock, which, on a loaded machine, can be held by a descheduled thread for tens of
milliseconds: the counter stays about as punctual as a hardware one.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
import time

FIELDS = 8
"""seq, t0_s, idle_power_w, done_j, busy_done_s, step_start_s (-1: none), step_j, step_s."""
FMT = f"<{FIELDS}d"
SIZE = struct.calcsize(FMT)
WIDTH = 20


def energy_at(state: tuple[float, ...], t: float) -> tuple[float, float]:
    """(cumulative energy J, cumulative busy s) at ``t`` from a mirrored state (a step's energy
    is added at a constant rate over its planned duration)."""
    _, t0, idle_w, done_j, busy_s, start, step_j, planned = state
    e = idle_w * (t - t0) + done_j
    if start >= 0:
        frac = 1.0 if planned <= 0 else min(1.0, max(0.0, (t - start) / planned))
        e += step_j * frac
        busy_s += max(0.0, t - start)
    return e, busy_s


class LedgerMirror:
    """The shared state file (created by the engine, read by the writer)."""

    def __init__(self, path: str, create: bool = False) -> None:
        self.path = path
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        self._fd = os.open(path, flags, 0o644)
        if create:
            os.ftruncate(self._fd, SIZE)
        self._map = mmap.mmap(self._fd, SIZE)
        self._seq = 0.0

    def write(self, *values: float) -> None:
        """Publish a new state (the 7 fields after ``seq``)."""
        self._seq += 1
        struct.pack_into("<d", self._map, 0, self._seq)          # odd: being written
        struct.pack_into(f"<{FIELDS - 1}d", self._map, 8, *values)
        self._seq += 1
        struct.pack_into("<d", self._map, 0, self._seq)          # even: consistent

    def read(self) -> tuple[float, ...]:
        """A consistent state (retries while a write is under way)."""
        while True:
            s1 = struct.unpack_from("<d", self._map, 0)[0]
            if int(s1) % 2 == 0:
                state = struct.unpack_from(FMT, self._map, 0)
                if struct.unpack_from("<d", self._map, 0)[0] == s1:
                    return tuple(state)
            time.sleep(0)

    def close(self) -> None:
        """Unmap and close. Idempotent."""
        if self._fd >= 0:
            self._map.close()
            os.close(self._fd)
            self._fd = -1


def write_files(energy_fd: int, stat_fd: int, energy_j: float, busy_s: float, wall_s: float,
                max_range_uj: int, tck: int) -> None:
    """Rewrite ``energy_uj`` and ``/proc/stat`` in place (fixed width, offset 0)."""
    uj = int(energy_j * 1e6) % max_range_uj
    os.pwrite(energy_fd, f"{uj:0{WIDTH}d}\n".encode(), 0)
    busy = int(busy_s * tck)
    idle = int(max(wall_s - busy_s, 0.0) * tck)
    os.pwrite(stat_fd, f"cpu  {busy:0{WIDTH}d} 0 0 {idle:0{WIDTH}d} 0 0 0 0 0 0\n".encode(), 0)


def run_writer(state_path: str, energy_path: str, stat_path: str, period_s: float,
               max_range_uj: int) -> None:
    """The writer loop (until the parent ends or SIGTERM)."""
    mirror = LedgerMirror(state_path)
    efd = os.open(energy_path, os.O_RDWR)
    sfd = os.open(stat_path, os.O_RDWR)
    tck = os.sysconf("SC_CLK_TCK")
    parent = os.getppid()
    while os.getppid() == parent:
        state = mirror.read()
        t = time.monotonic()
        e, busy = energy_at(state, t)
        write_files(efd, sfd, e, busy, t - state[1], max_range_uj, tck)
        time.sleep(period_s)


if __name__ == "__main__":
    run_writer(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
