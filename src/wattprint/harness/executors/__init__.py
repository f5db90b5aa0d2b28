"""Executors run jobs somewhere (local worker processes, later a Ray cluster) and stream their
results back to the driver, which alone writes them to sinks.

:func:`get_executor` builds one by name; a new executor (e.g. ``ray``) registers itself in
:data:`EXECUTORS` as ``name -> "module:Class"`` and is imported only when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from wattprint.errors import unknown_choice
from wattprint.harness.executors.base import Executor, PhaseCallback, ResultCallback

EXECUTORS: dict[str, str] = {
    "local": "wattprint.harness.executors.local:LocalExecutor",
    "inprocess": "wattprint.harness.executors.local:InProcessExecutor",
    "ray": "wattprint.harness.executors.ray:RayExecutor",
}
"""Executor name → ``module:Class``; the class takes ``toolkit=`` and keyword options."""


def get_executor(name: str, **options: Any) -> Executor:
    """Build the executor called ``name`` (importing its module only now).

    Raises:
        ConfigError: unknown name (lists the valid ones).
    """
    if name not in EXECUTORS:
        raise unknown_choice("executor", name, EXECUTORS)
    module, _, cls = EXECUTORS[name].partition(":")
    executor: Executor = getattr(importlib.import_module(module), cls)(**options)
    return executor


__all__ = ["EXECUTORS", "Executor", "PhaseCallback", "ResultCallback", "get_executor"]
