"""Energy from Linux hwmon sensors: energy counters (µJ) read as ``measured``, power (µW, or
voltage × current) sampled and integrated as ``integrated``.

Several sources share this layer, each choosing its channels: Intel ``xe``/``i915`` GPUs and
Gaudi (``intel_gpu``, ``gaudi``), Jetson INA3221/INA238 rails (``jetson``), and the ACPI power
meter of Grace Hopper / Grace Blackwell modules (``grace``). The hwmon class directory is
settable (``hwmon_root``, default ``/sys/class/hwmon``) for containers and tests.

Units (Documentation/hwmon/sysfs-interface.rst): ``energyN_input`` µJ, ``powerN_input`` and
``powerN_average`` µW, ``inN_input`` mV, ``currN_input`` mA, ``powerN_average_interval`` ms.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, Meter, Reading
from wattprint.meters.gates import HWMON_ROOT, hwmon_root
from wattprint.meters.hwprobe import MonotonicCounter
from wattprint.meters.sampled import PowerIntegrator

__all__ = ["HWMON_ROOT", "hwmon_root"]  # and the sensor helpers below


def read_text(path: str) -> str:
    """One sysfs file, stripped; MeterError naming the file when unreadable."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read().strip()
    except PermissionError as err:
        raise MeterError(f"cannot read {path}: permission denied (run as root or grant read "
                         "access to the sensor file)") from err
    except OSError as err:
        raise MeterError(f"cannot read {path}: {err.strerror or err}") from err


def read_int(path: str) -> int:
    """One integer sysfs file; MeterError naming the file and the text otherwise."""
    text = read_text(path)
    try:
        return int(text)
    except ValueError as err:
        raise MeterError(f"{path}: expected an integer, got {text!r}") from err


def optional_text(path: str) -> str:
    """A sysfs file's text, or "" when it does not exist or cannot be read."""
    try:
        return read_text(path)
    except MeterError:
        return ""


@dataclass(frozen=True)
class HwmonDevice:
    """One ``hwmonN`` directory.

    Attributes:
        path: The directory (``/sys/class/hwmon/hwmon3``).
        name: Its ``name`` file (``xe``, ``ina3221``, ``power_meter`` ...).
        device: The resolved ``device`` link (PCI address, I2C address ...), "" when absent.
        files: The file names in the directory (and in ``device/`` prefixed ``device/``).
    """

    path: str
    name: str
    device: str
    files: frozenset[str] = field(default_factory=frozenset)

    def has(self, name: str) -> bool:
        """Whether the directory (or ``device/``) has file ``name``."""
        return name in self.files

    def file(self, name: str) -> str:
        """The path of file ``name`` in this directory."""
        return os.path.join(self.path, name)

    def label(self, prefix: str) -> str:
        """The ``<prefix>_label`` text (``in1``, ``energy2``), "" when there is none."""
        return optional_text(self.file(f"{prefix}_label")) if self.has(f"{prefix}_label") else ""


def list_devices(hwmon_root: str = HWMON_ROOT) -> list[HwmonDevice]:
    """Every hwmon device under ``hwmon_root``, sorted by directory name.

    Raises:
        MeterError: The root does not exist or cannot be listed.
    """
    try:
        entries = sorted(os.listdir(hwmon_root), key=lambda e: (len(e), e))
    except FileNotFoundError as err:
        raise MeterError(f"no hwmon directory at {hwmon_root} (not Linux, or not mounted in this "
                         "container; see --hwmon-root)") from err
    except OSError as err:
        raise MeterError(f"cannot list {hwmon_root}: {err.strerror or err}") from err
    out = []
    for e in entries:
        path = os.path.join(hwmon_root, e)
        if not os.path.isdir(path):
            continue
        try:
            files = set(os.listdir(path))
        except OSError:
            continue
        dev = os.path.join(path, "device")
        if os.path.isdir(dev):
            try:
                files |= {f"device/{f}" for f in os.listdir(dev)}
            except OSError:
                pass
        out.append(HwmonDevice(path, optional_text(os.path.join(path, "name")),
                               os.path.basename(os.path.realpath(dev)) if os.path.exists(dev) else "",
                               frozenset(files)))
    return out


@dataclass(frozen=True)
class Channel:
    """One hwmon quantity reported as one domain.

    Attributes:
        spec: The domain reported (its provenance must match ``kind``: energy → measured,
            power/vi → integrated).
        kind: ``energy`` (µJ counter), ``power`` (µW), or ``vi`` (mV × mA).
        files: The file(s) read: one for energy/power, (voltage, current) for ``vi``.
    """

    spec: DomainSpec
    kind: str
    files: tuple[str, ...]


def _power_fn(ch: Channel) -> Callable[[], float]:
    if ch.kind == "power":
        return lambda: read_int(ch.files[0]) / 1e6
    if ch.kind == "vi":
        return lambda: read_int(ch.files[0]) * read_int(ch.files[1]) / 1e6
    raise ValueError(f"not a power channel: {ch.kind}")


class HwmonMeter(Meter):
    """Cumulative energy (J) of hwmon channels: counters unwrapped, power integrated.

    Args:
        name: The source name (``intel-gpu``, ``jetson`` ...).
        channels: What to report.
        interval_s: Sampling interval of power channels, seconds.
        update_period_s: How often the sensors themselves update, seconds.
        clock: Monotonic clock, seconds.

    Raises:
        MeterError: No channel, or a sensor file cannot be read.
    """

    def __init__(self, name: str, channels: Sequence[Channel], *, interval_s: float = 0.1,
                 update_period_s: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not channels:
            raise MeterError(f"{name}: no sensor channel to read")
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        self._channels = list(channels)
        self._counters: dict[str, MonotonicCounter] = {}
        self._integrators: dict[str, PowerIntegrator] = {}
        for ch in self._channels:
            if ch.kind == "energy":
                self._counters[ch.spec.name] = MonotonicCounter(ch.files[0], read_int(ch.files[0]))
            else:
                self._integrators[ch.spec.name] = PowerIntegrator(_power_fn(ch), clock)
        self.poll_interval_s: float | None = interval_s if self._integrators else None
        self.update_period_s = max(update_period_s, 2 * interval_s) if self._integrators \
            else update_period_s

    def domains(self) -> Sequence[DomainSpec]:
        """The domains this meter reports."""
        return [ch.spec for ch in self._channels]

    def describe(self) -> str:
        """What this meter reports and how, and which sensors it leaves out and why."""
        notes = list(getattr(self, "notes", []))
        return super().describe() + (f"; {'; '.join(notes)}" if notes else "")

    def poll(self) -> None:
        """Sampler-thread entry: one sample of every power channel."""
        for integ in self._integrators.values():
            integ.poll()

    def read(self) -> Reading:
        """Cumulative energy per domain (J) since the meter was opened."""
        if self._closed:
            raise MeterError(f"{self.name} meter is closed")
        out: dict[str, float] = {}
        with self._lock:
            t = self._clock()
            for ch in self._channels:
                if ch.kind == "energy":
                    out[ch.spec.name] = self._counters[ch.spec.name].update(read_int(ch.files[0])) / 1e6
                else:
                    out[ch.spec.name] = self._integrators[ch.spec.name].energy_j()[1]
        return Reading(t, out)

    def close(self) -> None:
        """Release resources. Idempotent."""
        self._closed = True
