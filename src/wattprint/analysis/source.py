"""Where the report's records come from: the results store, or a JSON-lines export.

The analysis reads stored records only. A store file that does not exist yet is an empty
store (the report then says how to get results); it is never created here.
"""

from __future__ import annotations

import json
from pathlib import Path

from wattprint.errors import ConfigError, StoreError
from wattprint.results.schema import JobResult

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


def load_results(path: str | Path | None = None) -> tuple[list[JobResult], Path]:
    """Every stored result (ok and failed) and the path read.

    Args:
        path: A results store (SQLite, via ``wattprint.results.store.ResultStore``) or a
            ``.jsonl`` export; None for the default store.

    Returns:
        (results, path). A path that does not exist gives no results.

    Raises:
        StoreError: when the store cannot be read or the store module is missing.
    """
    p = Path(path) if path is not None else default_path()
    if not p.exists():
        return [], p
    if p.suffix in (".jsonl", ".ndjson"):
        return read_jsonl(p), p
    try:
        from wattprint.results.store import ResultStore
    except ImportError as err:
        raise StoreError(f"cannot read {p}: the results store module is not installed "
                         "(pass a .jsonl export instead)") from err
    store = ResultStore(p, read_only=True)
    try:
        return list(store.results()), p
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()
