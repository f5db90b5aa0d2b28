"""Start a serving engine (``--launch "CMD"``), wait until it is ready, measure its process
tree, and stop it cleanly.

The engine runs in its own process group with its output in a log file. Ready means
``GET /v1/models`` answers 200. Stopping sends SIGTERM to the group, waits, then SIGKILL.

:class:`EngineTreeMeter` reports ``cpu:engine``: the CPU time of the engine's process tree
(psutil, children included; exited children keep their last reading) times the CPU power
model's watts per busy CPU, the same model as ``cpu:process`` (estimated, scope ``process``).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import psutil

from wattprint.errors import ConfigError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading


class LaunchedEngine:
    """A serving engine started by wattprint.

    Args:
        command: The shell-like command line (split with :func:`shlex.split`; no shell).
        endpoint: Base URL the engine will listen on.
        ready_timeout_s: How long to wait for readiness, seconds.
        env: Extra environment variables.
        log_path: Where the engine's stdout/stderr go (a temporary file when None).
    """

    def __init__(self, command: str, endpoint: str, *, ready_timeout_s: float = 300.0,
                 env: dict[str, str] | None = None, log_path: str | Path | None = None) -> None:
        self.command = command
        self.argv = shlex.split(command)
        if not self.argv:
            raise ConfigError("--launch: empty command")
        self.endpoint = endpoint.rstrip("/")
        self.ready_timeout_s = ready_timeout_s
        self.env = {**os.environ, **(env or {})}
        self.log_path = Path(log_path) if log_path else Path(
            tempfile.mkstemp(prefix="wattprint-engine-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_after_s: float | None = None

    def start(self) -> None:
        """Start the engine and block until it is ready.

        Raises:
            ConfigError: the command cannot start, exits, or is not ready in time (with the
                last lines of its log).
        """
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         env=self.env, start_new_session=True)
        except OSError as err:
            raise ConfigError(f"--launch {self.command!r}: cannot start ({err.strerror})") from None
        finally:
            log.close()
        t0 = time.monotonic()
        while time.monotonic() - t0 < self.ready_timeout_s:
            if self.proc.poll() is not None:
                raise ConfigError(f"--launch: the engine exited with status {self.proc.returncode} "
                                  f"before it was ready; last log lines:\n{self.log_tail()}")
            if _ready(self.endpoint):
                self.ready_after_s = time.monotonic() - t0
                return
            time.sleep(0.5)
        self.stop()
        raise ConfigError(f"--launch: the engine was not ready at {self.endpoint}/v1/models within "
                          f"{self.ready_timeout_s:g} s; last log lines:\n{self.log_tail()}")

    def log_tail(self, n: int = 15) -> str:
        """The last ``n`` lines of the engine's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self, grace_s: float = 15.0) -> int | None:
        """SIGTERM the process group, then SIGKILL after ``grace_s``. Returns the exit status."""
        p = self.proc
        if p is None or p.poll() is not None:
            return None if p is None else p.returncode
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            try:
                return p.wait(wait_s)
            except subprocess.TimeoutExpired:
                continue
        return p.poll()

    def __enter__(self) -> LaunchedEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _ready(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/v1/models", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


class EngineTreeMeter(Meter):
    """``cpu:engine``: estimated CPU energy of a process tree (see the module docstring).

    Args:
        pid: Root process of the engine.
        w_per_busy_cpu: Watts per fully busy logical CPU (from the CPU power model).
        model: The CPU power model's :class:`EstimateModel`.
        uncertainty: The model's relative uncertainty.
    """

    name = "engine-tree"

    def __init__(self, pid: int, w_per_busy_cpu: float, model: object, uncertainty: float) -> None:
        self._root = psutil.Process(pid)
        self._w = w_per_busy_cpu
        self._cpu: dict[int, float] = {}
        self._lock = threading.Lock()
        self._spec = DomainSpec(
            "cpu:engine", "cpu",
            f"dynamic CPU energy of the served engine's process tree (root pid {pid}): its "
            "CPU time x w_per_busy_cpu; no share of idle power",
            Provenance.ESTIMATED, "estimate:cpu-linear-tdp (psutil process-tree CPU time)",
            uncertainty=uncertainty, model=model, scope="process")  # type: ignore[arg-type]
        self._base = self._tree_cpu_s()

    def _tree_cpu_s(self) -> float:
        with self._lock:
            procs: Sequence[psutil.Process]
            try:
                procs = [self._root, *self._root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    t = p.cpu_times()
                    self._cpu[p.pid] = t.user + t.system
                except psutil.Error:
                    pass  # exited: keep its last reading
            return sum(self._cpu.values())

    def domains(self) -> Sequence[DomainSpec]:
        """The ``cpu:engine`` domain."""
        return [self._spec]

    def read(self) -> Reading:
        """Cumulative estimated CPU energy of the engine tree since this meter was opened, J."""
        return Reading(time.monotonic(), {"cpu:engine": self._w * (self._tree_cpu_s() - self._base)})


def engine_tree_meter(pid: int) -> EngineTreeMeter:
    """An :class:`EngineTreeMeter` with this machine's CPU power model."""
    from wattprint.meters.estimate import cpu_model_name, resolve_cpu_model

    m = resolve_cpu_model(cpu_model_name(), os.cpu_count() or 1)
    return EngineTreeMeter(pid, m.w_per_busy_cpu, m.estimate_model(), m.uncertainty)
