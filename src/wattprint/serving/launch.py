"""Start a serving engine (``--launch "CMD"``), wait until it is ready, measure its process
tree, and stop it cleanly.

wattprint measures only an engine it started: before launching, a port that already answers
is refused (another server would be load-tested in its place); once ``GET /v1/models`` answers
200, the launched process tree must own the socket listening on the endpoint's port (psutil),
else the launch is refused too. The engine runs in its own process group with its output in a
log file. Stopping sends SIGTERM to the group, waits, then SIGKILL.

:class:`EngineTreeMeter` reports ``cpu:engine``: the CPU time of the engine's process tree
(psutil, children included; exited children keep their last reading) times the CPU power
model's watts per busy CPU, the same model as ``cpu:process`` (estimated, scope ``process``).
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

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
        self.host, self.port = endpoint_address(self.endpoint)

    @property
    def pid(self) -> int | None:
        """Process id of the launched command (the root of the engine's process tree)."""
        return None if self.proc is None else self.proc.pid

    def start(self) -> None:
        """Start the engine and block until it is ready (and owns the endpoint's port).

        Raises:
            ConfigError: the port already answers, the command cannot start, exits, is not
                ready in time (with the last lines of its log), or the server that answers is
                not in the launched process tree.
        """
        if answers(self.host, self.port):
            owner = port_owner(self.port)
            raise ConfigError(
                f"--launch: {self.host}:{self.port} already answers{f' ({owner})' if owner else ''}"
                ": wattprint measures only an engine it starts, and would load-test that server "
                "instead; stop it, or give a free port (--endpoint "
                "http://127.0.0.1:{port} with {port} in the launch command picks one)")
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
                if self.port not in tree_listening_ports(self.proc.pid):
                    owner = port_owner(self.port)
                    self.stop()
                    raise ConfigError(
                        f"--launch: {self.endpoint} answers, but no process started by "
                        f"{self.command!r} listens on port {self.port}"
                        f"{f' ({owner} does)' if owner else ''}: that is another server, not the "
                        "launched engine. (An engine in a container listens through the "
                        "container runtime: start it yourself and give --endpoint without "
                        "--launch.)")
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


def endpoint_address(endpoint: str) -> tuple[str, int]:
    """``(host, port)`` of an ``http(s)://HOST[:PORT]`` URL (port 80 or 443 when absent).

    Raises:
        ConfigError: not such a URL.
    """
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as err:
        raise ConfigError(f"--endpoint {endpoint!r}: {err}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--endpoint {endpoint!r}: expected a URL such as http://127.0.0.1:8000")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def answers(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """Whether something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now (the system's pick)."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def tree_listening_ports(pid: int) -> set[int]:
    """TCP ports on which process ``pid`` or one of its descendants listens."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return set()
    ports: set[int] = set()
    for p in procs:
        try:
            conns = p.net_connections(kind="tcp")
        except psutil.Error:
            continue
        ports |= {c.laddr.port for c in conns if c.status == psutil.CONN_LISTEN and c.laddr}
    return ports


def port_owner(port: int) -> str | None:
    """``pid N (name)`` of the process listening on ``port``, when this user may see it."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    for c in conns:
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
            try:
                return f"pid {c.pid} ({psutil.Process(c.pid).name()})"
            except psutil.Error:
                return f"pid {c.pid}"
    return None


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
