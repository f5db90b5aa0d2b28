"""Measurement windows of a load point and the flags that make a result invalid or suspect.

* **whole**: from the first scheduled send to the last request's end.
* **steady**: excludes ramp-up and drain.

  - Closed loop (saturation, as ML.ENERGY measures): from the send of the request that first
    fills every concurrency slot to the send of the last request (after it, slots are no longer
    refilled and the batch drains).
  - Open loop and traces (the equivalent for a fixed offered rate): from the end of the first
    completed request (the system has reached its working occupancy one latency after the
    start) to the last scheduled arrival (after it, nothing arrives and the queue drains).
"""

from __future__ import annotations

from dataclasses import dataclass

from wattprint.serving.generator import LoadRun

MIN_STEADY_S = 20.0
"""A steady window shorter than this is flagged ``steady_window_short``."""


@dataclass(frozen=True)
class Window:
    """A time window on the client's monotonic clock (s)."""

    label: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        """Window length, seconds (never negative)."""
        return max(0.0, self.end_s - self.start_s)


def whole_window(run: LoadRun) -> Window:
    """From the first scheduled send to the last end."""
    return Window("whole", run.started_s, run.ended_s)


def steady_window(run: LoadRun) -> Window | None:
    """The steady-state window (module docstring); None when there is none (too few requests)."""
    sent = sorted(r.sent_s for r in run.records if r.sent_s is not None)
    if len(sent) < 2:
        return None
    if run.arrivals.kind == "closed":
        c = run.arrivals.concurrency or 1
        if len(sent) <= c:
            return None
        start, end = sent[c - 1], sent[-1]
    else:
        ends = [r.end_s for r in run.records if r.ok and r.end_s is not None]
        if not ends:
            return None
        start, end = min(ends), max(r.scheduled_s for r in run.records)
    return Window("steady", start, end) if end > start else None


def validity_flags(run: LoadRun, steady: Window | None, *, fixed_length: bool,
                   length_forced: bool, max_lag_s: float) -> list[str]:
    """Flags that qualify a load point (empty when nothing is wrong).

    ``steady_window_short``/``no_steady_window``, ``failed_requests``, ``truncated_requests``
    (streams that ended early: :mod:`~wattprint.serving.completeness`), ``length_capped`` (outputs
    hit ``max_tokens`` when the length was not forced, so the engine, not the model, ended them),
    ``length_not_forced`` (fixed lengths asked but the engine cannot force them, and outputs
    ended early), ``client_lag`` (p99 send lag over ``max_lag_s``), ``interrupted`` (Ctrl-C).
    """
    flags = []
    if steady is None:
        flags.append("no_steady_window")
    elif steady.duration_s < MIN_STEADY_S:
        flags.append("steady_window_short")
    if any(not r.ok and not r.truncated for r in run.records):
        flags.append("failed_requests")
    if any(r.truncated for r in run.records):
        flags.append("truncated_requests")
    ok = [r for r in run.records if r.ok]
    if not fixed_length and any(r.finish_reason == "length" for r in ok):
        flags.append("length_capped")
    if fixed_length and not length_forced and any(
            r.requested_output_tokens and r.output_tokens < r.requested_output_tokens for r in ok):
        flags.append("length_not_forced")
    lags = sorted(run.send_lags_s())
    if lags and percentile(lags, 99) > max_lag_s:
        flags.append("client_lag")
    if run.interrupted:
        flags.append("interrupted")
    return flags


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation) of a non-empty list."""
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q))
