"""Fake Linux hwmon trees in a temporary folder, laid out as the kernel lays them out.

Only the sysfs boundary is simulated: the real meter code reads these files unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def hwmon(root: Path, index: int, name: str, files: dict[str, object],
          device: str | None = None, device_files: dict[str, object] | None = None) -> Path:
    """Create ``root/hwmon<index>`` with ``name``, ``files`` and a ``device`` folder.

    Args:
        root: The fake hwmon class directory.
        index: N of hwmonN.
        name: The driver's ``name`` file.
        files: File name → content (written with a trailing newline).
        device: Name of the device folder the ``device`` link points to (a PCI or I2C address).
        device_files: Files inside the device folder (``power1_oem_info`` ...).
    """
    d = root / f"hwmon{index}"
    d.mkdir(parents=True)
    (d / "name").write_text(name + "\n")
    for k, v in files.items():
        (d / k).write_text(f"{v}\n")
    if device is not None:
        dev = root.with_name(root.name + "-devices") / device  # beside the tree, not inside it
        dev.mkdir(parents=True, exist_ok=True)
        for k, v in (device_files or {}).items():
            (dev / k).write_text(f"{v}\n")
        (d / "device").symlink_to(dev)
    return d


def write(d: Path, name: str, value: object) -> None:
    """Change one sensor file (what the kernel does between reads).

    The new value replaces the file in one step (write aside, then rename), as a kernel
    attribute changes atomically: a reader thread never sees a half-written, empty file.
    """
    tmp = d / f".{name}.new"
    tmp.write_text(f"{value}\n")
    os.replace(tmp, d / name)
