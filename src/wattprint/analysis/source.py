"""Where the report's records come from: the results store, or a JSON-lines export.

The analysis reads stored records only. A store that does not exist is an error naming the
path (a report of nothing would hide a mistyped ``--store``); it is never created here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from wattprint.errors import ConfigError, StoreError
from wattprint.results.schema import JobResult
from wattprint.results.serving_record import ServingPoint

FALLBACK_STORE = Path("wattprint-results") / "results.db"


def default_path() -> Path:
    """The store's default path (``wattprint.results.store.default_store_path`` when present)."""
    try:
        from wattprint.results.store import default_store_path
    except ImportError:
        return FALLBACK_STORE
    return Path(default_store_path())


def read_jsonl(path: Path) -> list[JobResult]:
    """Job results from a JSON-lines file (one :meth:`JobResult.to_dict` per line).

    Raises:
        ConfigError: naming the file and line of a bad record.
    """
    out = []
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                out.append(JobResult.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as err:
                raise ConfigError(f"{path}: line {i}: not a job result ({err})") from err
    return out


@dataclass(frozen=True)
class Stored:
    """What a store (or export) holds for the report.

    Attributes:
        path: The file read.
        results: Every job result, ok and failed.
        serving_points: Served load points (none in a ``.jsonl`` export).
    """

    path: Path
    results: list[JobResult]
    serving_points: list[ServingPoint] = field(default_factory=list)


def load_stored(path: str | Path | None = None) -> Stored:
    """Every stored result (ok and failed) and serving point, the store opened once.

    Args:
        path: A results store (SQLite, via ``wattprint.results.store.ResultStore``) or a
            ``.jsonl`` export; None for the default store.

    Raises:
        StoreError: no store at the path, or it cannot be read.
        ConfigError: a bad line of a ``.jsonl`` export.
    """
    p = Path(path) if path is not None else default_path()
    if p.suffix in (".jsonl", ".ndjson"):
        if not p.exists():
            raise StoreError(f"no results export at {p} (give --store PATH of a results store "
                             "or a .jsonl export)")
        return Stored(p, read_jsonl(p))
    from wattprint.results.serving_store import read_points
    from wattprint.results.store import ResultStore

    with ResultStore(p, read_only=True) as store:  # raises, naming the path, when absent
        return Stored(p, list(store.results()), read_points(store))
