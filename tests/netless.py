"""Run ``python -m wattprint ...`` with no network at all: in a fresh network namespace
(``unshare -n``, as root in CI) where that works, and always with sockets refused inside the
process (a ``sitecustomize`` that makes every non-local connect raise) and HF_HUB_OFFLINE=1."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

GUARD = '''
import socket
_connect = socket.socket.connect
def _refuse(self, address, *a, **k):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")
                                  or host.startswith("/")):
        return _connect(self, address, *a, **k)
    raise OSError("network-less test: connection to %r refused" % (address,))
socket.socket.connect = _refuse
'''


@functools.lru_cache(maxsize=1)
def can_unshare() -> bool:
    """True when ``unshare -n`` can start a process without network here."""
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def run_netless(args: list[str], tmp: Path, env: dict[str, str] | None = None,
                timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``python -m wattprint *args`` without network; returns the finished process."""
    guard = tmp / "netless-site"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD)
    full = {**os.environ, **(env or {}), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1"}
    src = str(Path(__file__).resolve().parents[1] / "src")
    full["PYTHONPATH"] = os.pathsep.join([str(guard), src, full.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "wattprint", *args]
    if can_unshare():
        cmd = ["unshare", "-n", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=full, timeout=timeout,
                          cwd=tmp)
