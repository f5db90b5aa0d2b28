"""Model parameter counts for figures, from a CSV (e.g. the study's ``data/model_parameters.csv``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from wattprint.errors import ConfigError
from wattprint.results.schema import JobResult

PARAMS_FILE = "model_parameters.csv"
NAME_COLUMNS = ("model_name", "model")
COUNT_COLUMNS = ("num_parameters", "parameters", "num_params")


def load_model_parameters(path: str | Path) -> dict[str, float]:
    """Read model → parameter count from a CSV with a name and a count column.

    Args:
        path: CSV with columns ``model_name`` (or ``model``) and ``num_parameters`` (or
            ``parameters`` / ``num_params``).

    Raises:
        ConfigError: naming the file and the missing column or bad line.
    """
    p = Path(path)
    try:
        df = pd.read_csv(p)
    except (OSError, ValueError) as err:
        raise ConfigError(f"model parameters file {p}: cannot read ({err})") from err
    name = next((c for c in NAME_COLUMNS if c in df.columns), None)
    count = next((c for c in COUNT_COLUMNS if c in df.columns), None)
    if name is None or count is None:
        raise ConfigError(f"model parameters file {p}: needs columns {NAME_COLUMNS[0]!r} and "
                          f"{COUNT_COLUMNS[0]!r}; found {', '.join(map(str, df.columns))}")
    values = pd.to_numeric(df[count], errors="coerce")
    bad = df.index[values.isna() | ~(values > 0)].tolist()
    if bad:
        raise ConfigError(f"model parameters file {p}: line {bad[0] + 2}: column {count!r} "
                          f"must be a positive number, got {df[count].iloc[bad[0]]!r}")
    return {str(k): float(v) for k, v in zip(df[name], values) if not math.isnan(v)}


def find_model_parameters(results: Iterable[JobResult], max_up: int = 4) -> Path | None:
    """Look for ``model_parameters.csv`` above the source files of imported results.

    The study's release keeps it at ``data/model_parameters.csv`` beside
    ``data/emissions/...``; this finds it for results imported from there.

    Returns:
        The first file found, or None.
    """
    seen: set[Path] = set()
    for r in results:
        if not r.source_file:
            continue
        parent = Path(r.source_file).parent
        if parent in seen:
            continue
        seen.add(parent)
        d = parent
        for _ in range(max_up):
            cand = d / PARAMS_FILE
            if cand.is_file():
                return cand
            if d.parent == d:
                break
            d = d.parent
    return None
