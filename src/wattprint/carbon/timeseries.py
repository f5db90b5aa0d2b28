"""Time-resolved grid intensity: a CSV of timestamp -> g CO2eq/kWh, integrated over a run.

The file is what a grid operator or a service such as Electricity Maps exports: one row per
interval, an ISO-8601 timestamp (the interval's start) and an intensity in g CO2eq/kWh. Each
value holds from its timestamp until the next one (a step function); the last value holds for
one median step. Timestamps without a UTC offset are read as UTC (Electricity Maps exports
name the column ``Datetime (UTC)``).

Checks, each reported with the file and line: unparsable timestamps or values, negative
values, unsorted or duplicate timestamps, gaps longer than ``max_gap_factor`` × the median
step, and values that all look like kg/kWh (all below 5).

Integration: a run's energy timeline is a list of segments ``(t_start_s, t_end_s, energy_j)``
(Unix seconds); the energy of a segment is spread evenly over its duration, and
``carbon_g = Σ_segments Σ_intervals energy_j × overlap_s / duration_s / 3.6e6 × g_per_kwh``.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wattprint.carbon.intensity import KIND_TIMESERIES, MAX_PLAUSIBLE_G_PER_KWH
from wattprint.errors import ConfigError, decode_utf8
from wattprint.units import J_PER_KWH

#: Accepted timestamp column names, compared after lower-casing and dropping non-letters.
TIME_COLUMNS: tuple[str, ...] = ("datetime (UTC)", "datetime", "timestamp", "time", "date",
                                 "datetime_utc", "timestamp_utc", "from", "period_start",
                                 "start", "ts")
#: Accepted value columns, in order of preference (Electricity Maps: LCA before direct).
VALUE_COLUMNS: tuple[str, ...] = (
    "carbon_intensity", "carbon_intensity_g_per_kwh", "intensity_g_per_kwh",
    "Carbon intensity gCO₂eq/kWh (LCA)", "Carbon Intensity gCO₂eq/kWh (LCA)",
    "Carbon intensity gCO₂eq/kWh (Life cycle)",
    "Carbon intensity gCO₂eq/kWh (direct)", "Carbon Intensity gCO₂eq/kWh (direct)",
    "carbon_intensity_avg", "intensity", "g_per_kwh", "gco2_per_kwh", "gco2eq_per_kwh",
    "actual", "value",
)

#: All values below this look like kg/kWh rather than g/kWh.
KG_SUSPICION_G_PER_KWH: float = 5.0


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9₂]", "", name.lower()).replace("₂", "2")


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO-8601 timestamp (``Z`` and offsets accepted); naive means UTC.

    Raises:
        ValueError: not ISO-8601, or outside the years 1-9999 once in UTC.
    """
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        dt.astimezone(timezone.utc)
    except OverflowError:  # e.g. 9999-12-31T23:00-14:00 is in the year 10000 in UTC
        raise ValueError(f"{text!r} falls outside the years 1-9999 in UTC") from None
    return dt


@dataclass(frozen=True)
class IntensitySeries:
    """A step function of grid intensity over time.

    Attributes:
        times_s: Interval starts, Unix seconds, strictly increasing.
        values_g_per_kwh: Intensity of each interval, g CO2eq/kWh.
        step_s: Median step between timestamps, s (the last value holds this long).
        source: Where the series came from (file and column).
        end_s: End of coverage, Unix seconds (last timestamp + step).
    """

    times_s: tuple[float, ...]
    values_g_per_kwh: tuple[float, ...]
    step_s: float
    source: str
    end_s: float = field(default=0.0)

    kind: str = KIND_TIMESERIES

    def __post_init__(self) -> None:
        if not self.end_s:
            object.__setattr__(self, "end_s", self.times_s[-1] + self.step_s)

    def value_at(self, t_s: float) -> float:
        """Intensity in force at Unix time ``t_s`` (g CO2eq/kWh).

        Raises:
            ConfigError: ``t_s`` is outside the series' coverage.
        """
        self._check_covered(t_s, t_s)
        idx = _bisect_right(self.times_s, t_s) - 1
        return self.values_g_per_kwh[idx]

    def _check_covered(self, start_s: float, end_s: float) -> None:
        if start_s < self.times_s[0] or end_s > self.end_s:
            raise ConfigError(
                f"{self.source}: covers {iso_utc(self.times_s[0])} to {iso_utc(self.end_s)}, "
                f"but the run spans {iso_utc(start_s)} to {iso_utc(end_s)}; export a longer range")

    def carbon_g(self, segments: Sequence[tuple[float, float, float]]) -> float:
        """Emissions of an energy timeline, g CO2eq.

        Args:
            segments: ``(t_start_s, t_end_s, energy_j)`` in Unix seconds and joules; a segment
                of zero duration is charged at the intensity in force at its instant.

        Raises:
            ConfigError: a segment is reversed, has negative energy, or falls outside the series.
        """
        total = 0.0
        for i, (a, b, e) in enumerate(segments):
            if b < a:
                raise ConfigError(f"energy segment {i}: ends ({b}) before it starts ({a})")
            if not e >= 0:
                raise ConfigError(f"energy segment {i}: energy must be >= 0 J, got {e}")
            self._check_covered(a, b)
            if b == a:
                total += e / J_PER_KWH * self.value_at(a)
                continue
            for t0, t1, g in self._intervals():
                overlap = min(b, t1) - max(a, t0)
                if overlap > 0:
                    total += e * (overlap / (b - a)) / J_PER_KWH * g
        return total

    def mean_g_per_kwh(self, start_s: float, end_s: float) -> float:
        """Time-weighted mean intensity over ``[start_s, end_s]`` (constant power assumed)."""
        if end_s <= start_s:
            return self.value_at(start_s)
        return self.carbon_g([(start_s, end_s, J_PER_KWH)])

    def _intervals(self) -> list[tuple[float, float, float]]:
        ends = [*self.times_s[1:], self.end_s]
        return list(zip(self.times_s, ends, self.values_g_per_kwh))

    def to_dict(self) -> dict[str, Any]:
        """Summary for JSON (not the whole series)."""
        return {"source": self.source, "points": len(self.times_s), "step_s": self.step_s,
                "start": iso_utc(self.times_s[0]), "end": iso_utc(self.end_s)}


def _bisect_right(a: Sequence[float], x: float) -> int:
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def iso_utc(t_s: float) -> str:
    """Unix seconds to an ISO-8601 UTC string ending in Z (``<t_s> s (Unix time)`` outside the
    years 1-9999, which ISO-8601 cannot write)."""
    try:
        return datetime.fromtimestamp(t_s, tz=timezone.utc).isoformat().replace("+00:00", "Z")
    except (OverflowError, ValueError, OSError):
        return f"{t_s:.0f} s (Unix time)"


def _pick(header: Sequence[str], wanted: Sequence[str], given: str | None, what: str,
          path: Path) -> int:
    keys = [_key(h) for h in header]
    if given is not None:
        if _key(given) in keys:
            return keys.index(_key(given))
        raise ConfigError(f"{path}: line 1: no {what} column {given!r}; columns: "
                          f"{', '.join(header)}")
    for w in wanted:
        if _key(w) in keys:
            return keys.index(_key(w))
    raise ConfigError(f"{path}: line 1: no {what} column; expected one of "
                      f"{', '.join(repr(w) for w in wanted)} (or pass the column name); "
                      f"columns: {', '.join(header)}")


def load_intensity_csv(path: str | Path, *, time_column: str | None = None,
                       value_column: str | None = None,
                       max_gap_factor: float = 2.0) -> IntensitySeries:
    """Load and validate a time series of grid intensity.

    Args:
        path: CSV file with a header row.
        time_column: Timestamp column; default: the first of :data:`TIME_COLUMNS` present.
        value_column: Intensity column (g CO2eq/kWh); default: the first of
            :data:`VALUE_COLUMNS` present (Electricity Maps: LCA preferred over direct).
        max_gap_factor: A step longer than this × the median step is a gap (an error).

    Raises:
        ConfigError: the file is missing, empty or not UTF-8, or a line is bad; the message
            names the file and the line (1 = header).
    """
    return load_series_csv(path, SeriesKind("intensity time series", "carbon-intensity",
                                            "intensity", "g CO2eq/kWh", VALUE_COLUMNS,
                                            MAX_PLAUSIBLE_G_PER_KWH,
                                            "is the file in g/MWh or lb/MWh?",
                                            KG_SUSPICION_G_PER_KWH, KIND_TIMESERIES,
                                            "use --intensity for a single value"),
                           time_column=time_column, value_column=value_column,
                           max_gap_factor=max_gap_factor)


@dataclass(frozen=True)
class SeriesKind:
    """What a time-series CSV holds, for its checks and messages.

    Attributes:
        what: The file's kind in messages (``intensity time series``).
        value_name: The value column's kind (``carbon-intensity``).
        value_word: A value in a line's message (``intensity``).
        unit: The values' unit (``g CO2eq/kWh``).
        value_columns: Accepted value columns, in order of preference.
        max_value: Largest plausible value.
        max_hint: Said when a value is above ``max_value``.
        kilo_suspicion: All values below this look like a unit 1,000 times too large
            (kg/kWh for g/kWh); 0 disables the check.
        kind: ``kind`` of the series made.
        single_hint: What to use instead of a one-row file.
    """

    what: str
    value_name: str
    value_word: str
    unit: str
    value_columns: tuple[str, ...]
    max_value: float
    max_hint: str
    kilo_suspicion: float
    kind: str
    single_hint: str


def load_series_csv(path: str | Path, spec: SeriesKind, *, time_column: str | None = None,
                    value_column: str | None = None,
                    max_gap_factor: float = 2.0) -> IntensitySeries:
    """Load and validate a time series of a per-kWh factor (grid intensity, WUE ...).

    Each value holds from its timestamp until the next one (a step function); see the module
    docstring for the checks.

    Args:
        path: CSV file with a header row.
        spec: What the file holds (bounds, units, accepted columns).
        time_column: Timestamp column; default: the first of :data:`TIME_COLUMNS` present.
        value_column: Value column; default: the first of ``spec.value_columns`` present.
        max_gap_factor: A step longer than this × the median step is a gap (an error).

    Raises:
        ConfigError: the file is missing, empty or not UTF-8, or a line is bad; the message
            names the file and the line (1 = header).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise ConfigError(f"{p}: cannot read {spec.what}: {err.strerror or err}") from err
    text = decode_utf8(data, str(p))
    reader = csv.reader(text.splitlines())
    try:
        rows = list(reader)
    except csv.Error as err:
        raise ConfigError(f"{p}: line {reader.line_num}: not a CSV row ({err})") from None
    if not rows:
        raise ConfigError(f"{p}: empty file; expected a header and timestamp,{spec.unit} rows")
    header = rows[0]
    ti = _pick(header, TIME_COLUMNS, time_column, "timestamp", p)
    vi = _pick(header, spec.value_columns, value_column, spec.value_name, p)
    times: list[float] = []
    values: list[float] = []
    lines: list[int] = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise ConfigError(f"{p}: line {line_no}: expected {len(header)} columns (as the "
                              f"header), got {len(row)}")
        try:
            t = parse_timestamp(row[ti]).timestamp()
        except ValueError:
            raise ConfigError(f"{p}: line {line_no}: {header[ti]!r} = {row[ti]!r} is not an "
                              f"ISO-8601 timestamp in the years 1-9999 (e.g. "
                              f"2024-03-01T12:00:00Z)") from None
        try:
            v = float(row[vi])
        except ValueError:
            raise ConfigError(f"{p}: line {line_no}: {header[vi]!r} = {row[vi]!r} is not a "
                              f"number of {spec.unit}") from None
        if not math.isfinite(v) or v < 0:
            raise ConfigError(f"{p}: line {line_no}: {spec.value_word} {row[vi]!r} must be a "
                              f"finite number >= 0 {spec.unit}")
        if v > spec.max_value:
            raise ConfigError(f"{p}: line {line_no}: {spec.value_word} {v:g} is above any "
                              f"plausible value ({spec.max_value:g} {spec.unit}); "
                              f"{spec.max_hint}")
        if times:
            if t == times[-1]:
                raise ConfigError(f"{p}: line {line_no}: duplicate timestamp {row[ti]!r} "
                                  f"(also on line {lines[-1]})")
            if t < times[-1]:
                raise ConfigError(f"{p}: line {line_no}: timestamp {row[ti]!r} is earlier than "
                                  f"line {lines[-1]}; the file must be sorted by time")
        times.append(t)
        values.append(v)
        lines.append(line_no)
    if not times:
        raise ConfigError(f"{p}: no data rows after the header")
    if spec.kilo_suspicion and max(values) < spec.kilo_suspicion:
        raise ConfigError(f"{p}: line {lines[values.index(max(values))]}: every value is below "
                          f"{spec.kilo_suspicion:g} (max {max(values):g}); this looks like "
                          f"kg/kWh; convert to g/kWh (× 1000)")
    if len(times) == 1:
        raise ConfigError(f"{p}: line {lines[0]}: only one data row; a time series needs at "
                          f"least two ({spec.single_hint})")
    steps = [b - a for a, b in zip(times, times[1:])]
    step = statistics.median(steps)
    for i, s in enumerate(steps):
        if s > max_gap_factor * step:
            raise ConfigError(f"{p}: line {lines[i + 1]}: gap of {s / 3600:g} h after line "
                              f"{lines[i]} (median step {step / 3600:g} h, limit "
                              f"{max_gap_factor:g}×); fill the gap or export a complete range")
    return IntensitySeries(times_s=tuple(times), values_g_per_kwh=tuple(values), step_s=step,
                           source=f"time series {p.name} (column {header[vi]!r}, "
                                  f"{len(times)} points)", kind=spec.kind)


def segments_from_power(times_s: Sequence[float], power_w: Sequence[float]
                        ) -> list[tuple[float, float, float]]:
    """Turn sampled power into energy segments by the trapezoidal rule.

    Args:
        times_s: Sample times, Unix seconds, increasing.
        power_w: Power at each sample, W.

    Returns:
        ``(t_start_s, t_end_s, energy_j)`` for each pair of consecutive samples.

    Raises:
        ConfigError: lengths differ, fewer than two samples, times not increasing, power < 0.
    """
    if len(times_s) != len(power_w):
        raise ConfigError(f"power series: {len(times_s)} times but {len(power_w)} power values")
    if len(times_s) < 2:
        raise ConfigError("power series: need at least two samples to integrate")
    out = []
    for i in range(1, len(times_s)):
        a, b = times_s[i - 1], times_s[i]
        if b <= a:
            raise ConfigError(f"power series: sample {i} time {b} is not after {a}")
        if power_w[i - 1] < 0 or power_w[i] < 0:
            raise ConfigError(f"power series: negative power at sample {i}")
        out.append((a, b, (power_w[i - 1] + power_w[i]) / 2 * (b - a)))
    return out
