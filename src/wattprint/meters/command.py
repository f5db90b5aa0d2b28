"""Measure the energy of an external command, as ``perf stat`` does.

The parent starts the command, blocks in ``wait()`` (no polling loop), and reads the meters
before and after. The command inherits stdin/stdout/stderr; its exit status is returned so the
CLI can forward it (a signal-killed command gives ``128 + signal``, as a shell does).
"""

from __future__ import annotations

import dataclasses
import shlex
import subprocess
from collections.abc import Sequence
from typing import IO, Any

from wattprint.errors import WattprintError
from wattprint.meters.base import DEFAULT_MAX_FOREIGN_SHARE, EnergyResult
from wattprint.meters.energy_meter import DEFAULT_COMPONENTS, EnergyMeter
from wattprint.meters.probe import HardwareOptions


class CommandError(WattprintError):
    """The command could not be started. ``exit_code`` is what a shell would return
    (127 not found, 126 not executable)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


GPU_MODES: tuple[str, ...] = ("used", "all", "none")


def measure_command(argv: Sequence[str], *, interval_s: float = 0.1,
                    powercap_root: str = "/sys/class/powercap", idle_s: float = 0.0,
                    gpus: list[int] | str | None = None,
                    components: tuple[str, ...] = DEFAULT_COMPONENTS,
                    meter: EnergyMeter | None = None,
                    stdout: IO[Any] | int | None = None,
                    cgroup_root: str = "/sys/fs/cgroup",
                    max_foreign_share: float = DEFAULT_MAX_FOREIGN_SHARE,
                    hardware: HardwareOptions | None = None) -> tuple[int, EnergyResult]:
    """Run ``argv`` and measure the energy used while it runs.

    Args:
        argv: The command and its arguments.
        interval_s: Power-sampling interval for sources without a counter, seconds.
        powercap_root: The powercap class directory (RAPL).
        idle_s: When > 0, measure idle power for this many seconds first, so the result
            carries idle and dynamic energy.
        gpus: Visible GPU indices to measure, or ``"used"`` (the GPUs on which NVML's
            per-process list shows the command or its children; the default of
            ``wattprint measure``), ``"all"`` / None (every visible GPU) or ``"none"``.
        components: Components to measure.
        meter: An existing meter to use instead of building one (tests).
        stdout: Where the command's standard output goes (a file object or descriptor);
            inherited when None. ``measure --json`` sends it to stderr so that stdout holds
            only the JSON document.
        cgroup_root: The cgroup mount (the job's CPU/memory share), settable for tests.
        max_foreign_share: Flag the window as shared when other processes used more than
            this fraction of the CPU time the figures cover (see
            :class:`~wattprint.meters.base.HostActivity`).
        hardware: Where the hardware sources outside the default paths are (the CLI's flags).

    Returns:
        (exit code, EnergyResult labelled with the command). The ``cpu:process`` domain
        covers the command (a reaped child) plus this process's own small overhead; the
        result's ``host_activity`` says who else used the host, and its headline leads with
        the command's own share when others did.

    Raises:
        CommandError: The command does not exist or cannot be executed.
        MeterError: Measuring failed.
    """
    if not argv:
        raise CommandError("no command given (usage: wattprint measure -- CMD ARGS...)", 2)
    mode = gpus if isinstance(gpus, str) else "list" if gpus is not None else "all"
    if mode not in (*GPU_MODES, "list"):
        raise CommandError(f"--gpus {gpus!r}: expected used, all, none or indices like 0,1", 2)
    if mode == "none":
        components = tuple(c for c in components if c != "gpu")
    own = meter is None
    m = meter if meter is not None else EnergyMeter(
        gpus=gpus if mode == "list" else None,  # type: ignore[arg-type]
        powercap_root=powercap_root, interval_s=interval_s, components=components,
        cgroup_root=cgroup_root, max_foreign_share=max_foreign_share, hardware=hardware)
    watch = _GpuUse(m) if mode == "used" else None
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
        code = _wait(proc, watch)
        result = m.end(label)
    finally:
        if own:
            m.close()
    if watch is not None:
        result = watch.keep_used(result)
    if code < 0:  # killed by a signal: report it as a shell does
        code = 128 - code
    return code, result


def _wait(proc: subprocess.Popen[bytes], watch: _GpuUse | None) -> int:
    """Wait for the command (blocking in waitpid, no spinning); with ``watch``, wake every
    0.1 s to read NVML's process lists. Ctrl-C reaches the child too: keep waiting for it."""
    while True:
        try:
            if watch is None:
                return proc.wait()
            watch.look(proc.pid)
            try:
                return proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
        except KeyboardInterrupt:
            continue


class _GpuUse:
    """Which GPUs a command used, from NVML's per-process lists sampled while it runs."""

    def __init__(self, meter: EnergyMeter) -> None:
        self._sources = [x for x in meter.meters if hasattr(x, "processes")]
        self.used: set[str] = set()
        self.unmatched_pids = False

    def look(self, pid: int) -> None:
        if not self._sources:
            return
        tree = {pid}
        try:
            import psutil

            tree.update(c.pid for c in psutil.Process(pid).children(recursive=True))
            exists = psutil.pid_exists
        except Exception:  # noqa: BLE001 - the command just exited, or no psutil
            exists = None
        for src in self._sources:
            for dom, pids in src.processes().items():
                if pids & tree:
                    self.used.add(dom)
                elif exists is not None and any(not exists(p) for p in pids):
                    self.unmatched_pids = True  # host PIDs seen from inside a container

    def keep_used(self, result: EnergyResult) -> EnergyResult:
        gpu = [d.name for d in result.domains if d.component == "gpu"]
        if not gpu:
            return result
        if not self.used and self.unmatched_pids:
            note = (f"GPUs: measured all of {', '.join(gpu)}: NVML lists processes this PID "
                    "namespace cannot see (a container), so the command's GPUs are unknown; "
                    "use --gpus to choose")
            return dataclasses.replace(result, warnings=(*result.warnings, note))
        dropped = [g for g in gpu if g not in self.used]
        kept = [g for g in gpu if g in self.used]
        note = (f"GPUs: measured {', '.join(kept) or 'none'} (used by the command, from NVML's "
                f"per-process list); not measured: {', '.join(dropped) or 'none'} (present, not "
                "used by the command; outside every total); --gpus all measures every GPU")
        return dataclasses.replace(
            result, domains=tuple(d for d in result.domains if d.name not in dropped),
            timeline=tuple(s for s in result.timeline if s.domain not in dropped),
            validity={k: v for k, v in result.validity.items() if k not in dropped},
            warnings=(*result.warnings, note))
