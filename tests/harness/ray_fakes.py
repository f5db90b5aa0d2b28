"""Test doubles for the Ray executor, on top of :mod:`harness_fakes`.

``kill-once``: a model whose worker process kills itself (SIGKILL) in the middle of its first
attempt's query window, and works on the next attempt (a marker file says which attempt it is).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from harness_fakes import fake_backend, fake_meter, integer_examples, parity, parity_task

from wattprint.backends.base import Backend
from wattprint.backends.callable import CallableBackend
from wattprint.harness.plan import Job
from wattprint.harness.worker import Toolkit
from wattprint.tasks.base import Prediction


class _KillOnce:
    def __init__(self, marker: str) -> None:
        self.marker = Path(marker)
        self.calls = 0

    def __call__(self, x: Any) -> Prediction:
        self.calls += 1
        if self.calls == 2 and not self.marker.exists():  # mid-window of the first attempt
            self.marker.write_text("killed once\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return parity(x)


def ray_backend(job: Job) -> Backend:
    if job.model == "kill-once":
        return CallableBackend(_KillOnce(str(job.settings.settings["marker"])), name="kill-once")
    return fake_backend(job)


RAY_TOOLKIT = Toolkit(meter_factory=fake_meter, task_loader=parity_task,
                      examples_loader=integer_examples, backend_loader=ray_backend)


def slow_parity(x: Any) -> Prediction:
    """Parity, 0.1 s per inference: long enough for a driver to be killed mid-suite."""
    import time

    time.sleep(0.1)
    return parity(x)


def slow_backend(job: Job) -> Backend:
    if job.model == "slow":
        return CallableBackend(slow_parity, name="slow")
    return ray_backend(job)


SLOW_TOOLKIT = Toolkit(meter_factory=fake_meter, task_loader=parity_task,
                       examples_loader=integer_examples, backend_loader=slow_backend)
