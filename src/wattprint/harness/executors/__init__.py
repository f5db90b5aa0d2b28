"""Executors run jobs somewhere (local worker processes, later a Ray cluster) and stream their
results back to the driver, which alone writes them to sinks."""

from wattprint.harness.executors.base import Executor, ResultCallback, PhaseCallback

__all__ = ["Executor", "ResultCallback", "PhaseCallback"]
