"""The reference engine in its own process (``python -m wattprint.serving.reference``), as a
real engine runs: its simulated counter is then written by a thread that competes for the
interpreter lock only with the engine's own event loop, not with the load generator, so the
counter is as punctual as a hardware one within about a millisecond.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import wattprint
from wattprint.serving.reference.config import ReferenceConfig
from wattprint.serving.reference.truth import RequestTruth, read_truth


class ReferenceProcess:
    """Start the engine in a child process; stop it with SIGTERM.

    Args:
        cfg: The engine.
        folder: Its folder (simulated counter, ``truth.jsonl``, ``tokenizer/``).
        ready_timeout_s: How long to wait for it to print its address, s.
    """

    def __init__(self, cfg: ReferenceConfig, folder: str | Path, *,
                 ready_timeout_s: float = 60.0) -> None:
        self.cfg, self.folder, self.ready_timeout_s = cfg, Path(folder), ready_timeout_s
        self.proc: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    @property
    def url(self) -> str:
        """Base URL."""
        return str(self.info["url"])

    @property
    def powercap_root(self) -> Path:
        """The simulated powercap tree."""
        return Path(self.info["powercap_root"])

    @property
    def proc_root(self) -> Path:
        """The simulated procfs folder."""
        return Path(self.info["proc_root"])

    @property
    def tokenizer(self) -> Path:
        """A tokenizer folder that counts like the engine."""
        return Path(self.info["tokenizer"])

    def truth(self) -> list[RequestTruth]:
        """Every finished request's truth so far."""
        return read_truth(self.folder)

    def start(self) -> ReferenceProcess:
        """Start it; returns when it serves.

        Raises:
            RuntimeError: it exited or said nothing within ``ready_timeout_s``.
        """
        src = str(Path(wattprint.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (src, os.environ.get("PYTHONPATH", "")) if p)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wattprint.serving.reference", "--dir", str(self.folder),
             "--config", json.dumps(self.cfg.to_dict())],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], self.ready_timeout_s)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"the reference engine did not start: {err[-2000:]}")
        self.info = json.loads(line)
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s. Idempotent."""
        p = self.proc
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)

    def __enter__(self) -> ReferenceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
