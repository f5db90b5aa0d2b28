"""When requests arrive: open-loop Poisson or gamma schedules, closed loop, and trace replay.

Open-loop schedules follow vLLM's benchmark client: inter-arrival gaps are gamma-distributed
with shape ``burstiness`` and mean ``1/rate`` (scale ``1/(rate*burstiness)``); burstiness 1 is a
Poisson process, below 1 burstier, above 1 more regular. Arrival times do not depend on when
answers come back (open loop). Closed loop keeps ``concurrency`` requests in flight.

Traces: Azure's LLM inference traces (``TIMESTAMP``, ``ContextTokens``, ``GeneratedTokens``)
and BurstGPT (``Timestamp`` in seconds, ``Request tokens``, ``Response tokens``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from wattprint.errors import ConfigError


@dataclass(frozen=True)
class Arrivals:
    """An arrival process.

    Attributes:
        kind: ``poisson``, ``gamma``, ``closed`` or ``trace``.
        rate_rps: Mean offered rate, requests per second (open loop); None for closed loop
            and traces (their rate is what the trace gives).
        burstiness: Gamma shape (1 = Poisson).
        concurrency: Requests kept in flight (closed loop).
    """

    kind: str
    rate_rps: float | None = None
    burstiness: float = 1.0
    concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.kind in ("poisson", "gamma") and not (self.rate_rps and self.rate_rps > 0):
            raise ConfigError(f"{self.kind} arrivals need a rate > 0 requests/s, got {self.rate_rps!r}")
        if not self.burstiness > 0:
            raise ConfigError(f"--burstiness must be > 0, got {self.burstiness!r}")
        if self.kind == "closed" and not (self.concurrency and self.concurrency >= 1):
            raise ConfigError(f"closed-loop arrivals need --concurrency >= 1, got {self.concurrency!r}")

    @property
    def label(self) -> str:
        """The arrival process in words, e.g. ``poisson 2 req/s``."""
        if self.kind == "closed":
            return f"closed-loop concurrency {self.concurrency}"
        if self.kind == "trace":
            return "trace replay"
        b = "" if self.burstiness == 1 else f", burstiness {self.burstiness:g}"
        return f"{self.kind} {self.rate_rps:g} req/s{b}"


def open_loop_offsets(n: int, rate_rps: float, burstiness: float = 1.0,
                      seed: int = 0) -> list[float]:
    """Arrival offsets (s) of ``n`` requests: cumulative gamma gaps, the first at 0."""
    rng = random.Random(seed)
    scale = 1.0 / (rate_rps * burstiness)
    t, out = 0.0, []
    for _ in range(n):
        out.append(t)
        t += rng.gammavariate(burstiness, scale)
    return out


@dataclass(frozen=True)
class TraceRow:
    """One request of a trace: arrival offset (s) and lengths (tokens)."""

    offset_s: float
    input_tokens: int
    output_tokens: int


_FORMATS = {
    "azure": ("TIMESTAMP", "ContextTokens", "GeneratedTokens"),
    "burstgpt": ("Timestamp", "Request tokens", "Response tokens"),
}


def read_trace(path: str | Path, *, limit: int | None = None, speedup: float = 1.0,
               skip_zero_output: bool = True) -> tuple[str, list[TraceRow]]:
    """Read an Azure or BurstGPT CSV trace.

    Args:
        path: CSV file.
        limit: Keep the first ``limit`` requests.
        speedup: Divide arrival offsets by this (2 = twice the trace's rate).
        skip_zero_output: Drop rows with 0 output tokens (BurstGPT's failed requests).

    Returns:
        (format name, rows sorted by arrival, offsets starting at 0).

    Raises:
        ConfigError: unreadable file, unknown columns, or bad values (naming file, line, column).
    """
    import pandas as pd

    p = Path(path)
    if not speedup > 0:
        raise ConfigError(f"--trace-speedup must be > 0, got {speedup!r}")
    try:
        df = pd.read_csv(p, nrows=None if limit is None else limit * 2 + 10)
    except (OSError, ValueError) as err:
        raise ConfigError(f"--trace {p}: cannot read as CSV ({err})") from None
    fmt = next((k for k, cols in _FORMATS.items() if set(cols) <= set(df.columns)), None)
    if fmt is None:
        raise ConfigError(f"--trace {p}: unknown columns {list(df.columns)}; expected Azure "
                          f"({', '.join(_FORMATS['azure'])}) or BurstGPT "
                          f"({', '.join(_FORMATS['burstgpt'])})")
    t_col, in_col, out_col = _FORMATS[fmt]
    if fmt == "azure":
        ts = pd.to_datetime(df[t_col], errors="coerce")
        bad = ts.isna()
        secs = (ts - ts.min()).dt.total_seconds()
    else:
        secs = pd.to_numeric(df[t_col], errors="coerce")
        bad = secs.isna()
    for col in (in_col, out_col):
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = bad | vals.isna() | (vals < 0)
    if bad.any():
        i = int(bad.idxmax())
        raise ConfigError(f"{p}:{i + 2}: bad value in {t_col!r}/{in_col!r}/{out_col!r}: "
                          f"{df.iloc[i][[t_col, in_col, out_col]].to_dict()}")
    rows = [TraceRow(float(s), int(a), int(b))
            for s, a, b in zip(secs, df[in_col], df[out_col]) if not (skip_zero_output and int(b) == 0)]
    rows.sort(key=lambda r: r.offset_s)
    if limit is not None:
        rows = rows[:limit]
    if not rows:
        raise ConfigError(f"--trace {p}: no requests")
    t0 = rows[0].offset_s
    return fmt, [TraceRow((r.offset_s - t0) / speedup, max(1, r.input_tokens), max(1, r.output_tokens))
                 for r in rows]
