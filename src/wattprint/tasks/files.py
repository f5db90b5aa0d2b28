"""Local inputs: JSONL, JSON, CSV and Parquet files, and image folders.

Each row becomes a raw record through the column mapping of :mod:`wattprint.tasks.columns`,
then the task's recipe. Errors name the file, the line (JSONL and CSV) and the columns.
Relative image paths are resolved against the file's folder.

Image folders follow the ImageFolder layout: ``root/<class>/<image>`` gives labelled
images (class names sorted, ids in that order); images directly in ``root`` are unlabelled.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError
from wattprint.tasks.columns import decode_cell, resolve_columns

FILE_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".pq")
"""File name endings read as tabular inputs."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
"""File name endings read as images in an image folder."""

Row = tuple[str, dict[str, Any]]  # (location for messages, "file:line" or "file row k"; values)


def _jsonl_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise ConfigError(f"{path}:{lineno}: invalid JSON ({err.msg} at column {err.colno})") from err
            if not isinstance(obj, dict):
                raise ConfigError(f"{path}:{lineno}: expected a JSON object per line, "
                                  f"got {type(obj).__name__}")
            yield f"{path}:{lineno}", obj


def _json_rows(path: Path) -> Iterator[Row]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}:{err.lineno}: invalid JSON ({err.msg})") from err
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise ConfigError(f"{path}: expected a JSON list of objects (or use .jsonl, one per line)")
    for i, obj in enumerate(data):
        yield f"{path} item {i}", obj


def _csv_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ConfigError(f"{path}:1: bad CSV header: {err}") from err
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                raise ConfigError(f"{path}:{reader.line_num}: bad CSV: {err}") from err
            if not row:
                continue
            if len(row) != len(header):
                raise ConfigError(f"{path}:{reader.line_num}: {len(row)} fields but the header "
                                  f"has {len(header)} ({', '.join(header)})")
            yield f"{path}:{reader.line_num}", dict(zip(header, row, strict=True))


def _parquet_rows(path: Path) -> Iterator[Row]:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several unrelated types
        raise ConfigError(f"{path}: cannot read Parquet: {err}") from err
    for i, row in enumerate(frame.to_dict(orient="records")):
        yield f"{path} row {i}", row


def _rows(path: Path) -> Iterator[Row]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(path)
    if suffix == ".json":
        return _json_rows(path)
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".parquet", ".pq"):
        return _parquet_rows(path)
    raise ConfigError(f"{path}: unsupported file type {suffix!r}; valid: {', '.join(FILE_SUFFIXES)} "
                      "or a folder of images")


def count_rows(path: Path, limit: int) -> int:
    """How many records a file holds, counted by streaming it, stopping at ``limit``.

    Raises:
        ConfigError: an unsupported or malformed file (named with its line).
    """
    count = 0
    for _ in _rows(path):
        count += 1
        if count >= limit:
            break
    return count


def file_records(path: Path, task_id: str, record_fields: tuple[str, ...], n: int,
                 columns: Mapping[str, str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The first ``n`` rows of a file as ``(location, record)`` pairs with canonical fields.

    Raises:
        ConfigError: unreadable file, bad line, missing columns, or fewer than ``n`` rows.
    """
    if not path.is_file():
        raise ConfigError(f"input file {path} does not exist")
    out: list[tuple[str, dict[str, Any]]] = []
    mapping: dict[str, str] | None = None
    is_csv = path.suffix.lower() == ".csv"
    for where, row in _rows(path):
        if mapping is None:
            mapping = resolve_columns(task_id, record_fields, list(row), columns, str(path))
        record: dict[str, Any] = {}
        for fld, col in mapping.items():
            if col not in row:
                raise ConfigError(f"{where}: missing column {col!r} (needed for {fld!r})")
            value = row[col]
            if is_csv:
                try:
                    value = decode_cell(fld, value)
                except json.JSONDecodeError as err:
                    raise ConfigError(f"{where}: column {col!r} is not valid JSON: {err.msg}") from err
                if value == "" and fld not in ("text", "prompt", "question", "context"):
                    value = None
                elif fld == "label" and isinstance(value, str) and value.lstrip("-").isdigit():
                    value = int(value)
            if fld == "image" and isinstance(value, str) and not Path(value).is_absolute():
                value = str(path.parent / value)
            record[fld] = value
        out.append((where, record))
        if len(out) >= n:
            break
    if len(out) < n:
        raise ConfigError(f"{path} has only {len(out)} records; ask for n <= {len(out)}")
    return out


def image_folder_records(root: Path, n: int) -> list[tuple[str, dict[str, Any]]]:
    """The first ``n`` images of an ImageFolder tree, taking classes in turn.

    Files are sorted by name within each class, and classes (sorted by name, ids in that
    order) take turns, so the first ``n`` images cover the classes evenly.

    Raises:
        ConfigError: no images, or fewer than ``n``.
    """
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    out: list[tuple[str, dict[str, Any]]] = []
    if classes:
        per_class = [[img for img in sorted((root / cls).iterdir())
                      if img.suffix.lower() in IMAGE_SUFFIXES] for cls in classes]
        for k in range(max((len(p) for p in per_class), default=0)):
            for label, images in enumerate(per_class):
                if k < len(images):
                    img = images[k]
                    out.append((str(img), {"image": str(img), "label": label,
                                           "label_names": tuple(classes)}))
    else:
        for img in sorted(root.iterdir()):
            if img.suffix.lower() in IMAGE_SUFFIXES:
                out.append((str(img), {"image": str(img)}))
    if not out:
        raise ConfigError(f"{root}: no images found (expected {', '.join(IMAGE_SUFFIXES)} files "
                          "in class subfolders, or directly in the folder)")
    if len(out) < n:
        raise ConfigError(f"{root} has only {len(out)} images; ask for n <= {len(out)}")
    return out[:n]
