"""What the BMC sources (Redfish, IPMI DCMI) share: credentials and the node-power meter.

Credentials never travel on a command line or into a result: they come from a file (one
line ``user:password``, or two lines ``user`` and ``password``; the file should be mode 0600)
or from environment variables, and only the user name ever appears in a message.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wattprint.errors import ConfigError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.meters.hwprobe import MonotonicCounter
from wattprint.meters.sampled import PowerIntegrator

NODE_BOUNDARY = "whole node at the wall (power supply input) as its BMC reports it"


@dataclass(frozen=True)
class Credentials:
    """A BMC user and password. ``repr`` never shows the password."""

    username: str
    password: str
    origin: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=***, origin={self.origin!r})"


def load_credentials(path: str | None, environ: Mapping[str, str], prefix: str) -> Credentials | None:
    """Credentials from ``path`` or from ``<prefix>_USERNAME`` / ``<prefix>_PASSWORD``.

    Args:
        path: A credentials file, or None to use the environment.
        environ: The environment.
        prefix: The environment variable prefix (``WATTPRINT_REDFISH``).

    Returns:
        The credentials, or None when neither a file nor the variables are given.

    Raises:
        ConfigError: The file is unreadable or malformed (named, without its content).
    """
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                lines = [ln.strip() for ln in f.read().splitlines() if ln.strip()]
        except OSError as err:
            raise ConfigError(f"credentials file {path}: {err.strerror or err}") from err
        if len(lines) == 1 and ":" in lines[0]:
            user, pw = lines[0].split(":", 1)
        elif len(lines) == 2:
            user, pw = lines
        else:
            raise ConfigError(f"credentials file {path}: expected one line 'user:password' or two "
                              f"lines (user, then password), found {len(lines)} non-empty lines")
        return Credentials(user, pw, f"file {path}")
    env_user, env_pw = environ.get(f"{prefix}_USERNAME"), environ.get(f"{prefix}_PASSWORD")
    if env_user and env_pw is not None:
        return Credentials(env_user, env_pw, f"${prefix}_USERNAME/${prefix}_PASSWORD")
    return None


class NodePowerMeter(Meter):
    """One ``node:<i>`` domain from a BMC: an energy counter (measured) or power (integrated).

    Args:
        name: The source name (``redfish``, ``ipmi``).
        spec: The domain reported.
        read_energy_j: Returns the BMC's cumulative energy counter in J (measured domains).
        read_power_w: Returns the BMC's power reading in W (integrated domains).
        interval_s: Power sampling interval, seconds (BMCs update about once a second).
        update_period_s: How often the BMC's reading changes, seconds.
        clock: Monotonic clock, seconds.
    """

    def __init__(self, name: str, spec: DomainSpec, *,
                 read_energy_j: Callable[[], float] | None = None,
                 read_power_w: Callable[[], float] | None = None, interval_s: float = 1.0,
                 update_period_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._spec = spec
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        self._energy = read_energy_j
        self._counter: MonotonicCounter | None = None
        self._integrator: PowerIntegrator | None = None
        if spec.provenance is Provenance.MEASURED:
            if read_energy_j is None:
                raise ValueError("a measured BMC domain needs read_energy_j")
            self._counter = MonotonicCounter(f"{name} energy counter", read_energy_j())
        else:
            if read_power_w is None:
                raise ValueError("an integrated BMC domain needs read_power_w")
            self._integrator = PowerIntegrator(read_power_w, clock)
        self.poll_interval_s: float | None = interval_s if self._integrator else None
        self.update_period_s = update_period_s

    def domains(self) -> Sequence[DomainSpec]:
        """The domains this meter reports."""
        return [self._spec]

    def poll(self) -> None:
        """Sampler-thread entry: one power reading."""
        if self._integrator is not None:
            self._integrator.poll()

    def read(self) -> Reading:
        """Cumulative energy per domain (J) since the meter was opened."""
        if self._closed:
            raise MeterError(f"{self.name} meter is closed")
        with self._lock:
            t = self._clock()
            if self._counter is not None:
                assert self._energy is not None
                value = self._counter.update(self._energy())
            else:
                assert self._integrator is not None
                value = self._integrator.energy_j()[1]
        return Reading(t, {self._spec.name: value})

    def close(self) -> None:
        """Release resources. Idempotent."""
        self._closed = True


def env_path(environ: Mapping[str, str], var: str) -> str | None:
    """A path from the environment, or None; expands ``~``."""
    value = environ.get(var)
    return os.path.expanduser(value) if value else None
