"""Measure the energy of an external command, as ``perf stat`` does.

The parent starts the command, blocks in ``wait()`` (no polling loop), and reads the meters
before and after. The command inherits stdin/stdout/stderr; its exit status is returned so the
CLI can forward it (a signal-killed command gives ``128 + signal``, as a shell does).
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from typing import IO, Any

from wattprint.errors import WattprintError
from wattprint.meters.base import EnergyResult
from wattprint.meters.energy_meter import DEFAULT_COMPONENTS, EnergyMeter


class CommandError(WattprintError):
    """The command could not be started. ``exit_code`` is what a shell would return
    (127 not found, 126 not executable)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def measure_command(argv: Sequence[str], *, interval_s: float = 0.1,
                    powercap_root: str = "/sys/class/powercap", idle_s: float = 0.0,
                    gpus: list[int] | None = None,
                    components: tuple[str, ...] = DEFAULT_COMPONENTS,
                    meter: EnergyMeter | None = None,
                    stdout: IO[Any] | int | None = None,
                    cgroup_root: str = "/sys/fs/cgroup") -> tuple[int, EnergyResult]:
    """Run ``argv`` and measure the energy used while it runs.

    Args:
        argv: The command and its arguments.
        interval_s: Power-sampling interval for sources without a counter, seconds.
        powercap_root: The powercap class directory (RAPL).
        idle_s: When > 0, measure idle power for this many seconds first, so the result
            carries idle and dynamic energy.
        gpus: Visible GPU indices to measure; all when None.
        components: Components to measure.
        meter: An existing meter to use instead of building one (tests).
        stdout: Where the command's standard output goes (a file object or descriptor);
            inherited when None. ``measure --json`` sends it to stderr so that stdout holds
            only the JSON document.
        cgroup_root: The cgroup mount (the job's CPU/memory share), settable for tests.

    Returns:
        (exit code, EnergyResult labelled with the command). The ``cpu:process`` domain
        covers the command (a reaped child) plus this process's own small overhead.

    Raises:
        CommandError: The command does not exist or cannot be executed.
        MeterError: Measuring failed.
    """
    if not argv:
        raise CommandError("no command given (usage: wattprint measure -- CMD ARGS...)", 2)
    own = meter is None
    m = meter if meter is not None else EnergyMeter(
        gpus=gpus, powercap_root=powercap_root, interval_s=interval_s, components=components,
        cgroup_root=cgroup_root)
    try:
        if idle_s > 0:
            m.measure_idle(idle_s)
        label = shlex.join(argv)
        m.begin(label)
        try:
            proc = subprocess.Popen(list(argv), stdout=stdout)
        except FileNotFoundError as err:
            m.end(label)
            raise CommandError(f"command not found: {argv[0]!r}", 127) from err
        except PermissionError as err:
            m.end(label)
            raise CommandError(f"command not executable: {argv[0]!r} ({err.strerror})", 126) from err
        except OSError as err:
            m.end(label)
            raise CommandError(f"cannot run {argv[0]!r}: {err.strerror or err}", 126) from err
        while True:
            try:
                code = proc.wait()  # blocks in waitpid(); no spinning
                break
            except KeyboardInterrupt:  # the child got the SIGINT too; wait for it to finish
                continue
        result = m.end(label)
    finally:
        if own:
            m.close()
    if code < 0:  # killed by a signal: report it as a shell does
        code = 128 - code
    return code, result
