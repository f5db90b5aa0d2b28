"""Local inputs: JSONL, JSON, CSV and Parquet files, and image folders.

Each row becomes a raw record through the column mapping of :mod:`wattprint.tasks.columns`,
then the task's recipe. Errors name the file, the line (JSONL and CSV) and the columns.
Relative image paths are resolved against the file's folder.

Image folders follow the ImageFolder layout: ``root/<class>/<image>`` gives labelled
images (class names sorted, ids in that order); images directly in ``root`` are unlabelled.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError
from wattprint.tasks.columns import decode_cell, resolve_columns

FILE_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".pq")
"""File name endings read as tabular inputs."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
"""File name endings read as images in an image folder."""

Row = tuple[str, dict[str, Any]]  # (location for messages, "file:line" or "file row k"; values)

FORMATS = {".jsonl": "a .jsonl file: one JSON object per line",
           ".ndjson": "a .ndjson file: one JSON object per line",
           ".json": "a .json file: a list of JSON objects",
           ".csv": "a .csv file: a header line, then one row per record",
           ".parquet": "a .parquet table: one row per record",
           ".pq": "a .pq (Parquet) table: one row per record"}
"""What a valid file of each kind holds (for error messages)."""

BOM = "\ufeff"

PARQUET_BATCH_ROWS = 1024
"""Rows of a Parquet file decoded at a time."""

MAX_LINE_BYTES = 64 * 1024 * 1024
"""Longest line read from a JSON Lines or CSV file (a longer one is not a record: it is a
binary file, or one with no line breaks, and is refused without reading it whole)."""


def _not_utf8(path: Path, lineno: int, byte: int, column: int) -> ConfigError:
    return ConfigError(f"{path}:{lineno}: not UTF-8 text (byte 0x{byte:02x} at column {column}); "
                       "save the file as UTF-8")


def _text_lines(path: Path) -> Generator[str, None, None]:
    """The file's lines decoded as UTF-8 (a byte-order mark is dropped), one at a time.

    Raises:
        ConfigError: a line that is not UTF-8 or is longer than :data:`MAX_LINE_BYTES`
            (named with its line number).
    """
    with path.open("rb") as fh:
        lineno = 0
        while raw := fh.readline(MAX_LINE_BYTES + 1):
            lineno += 1
            if len(raw) > MAX_LINE_BYTES:
                raise ConfigError(f"{path}:{lineno}: line longer than {MAX_LINE_BYTES >> 20} MiB; "
                                  f"expected {FORMATS.get(path.suffix.lower(), 'text lines')}")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise _not_utf8(path, lineno, raw[err.start], err.start + 1) from None
            yield line.removeprefix(BOM) if lineno == 1 else line


def _jsonl_rows(path: Path) -> Iterator[Row]:
    for lineno, line in enumerate(_text_lines(path), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}:{lineno}: invalid JSON ({err.msg} at column {err.colno}); "
                              "expected one JSON object per line") from err
        if not isinstance(obj, dict):
            raise ConfigError(f"{path}:{lineno}: expected a JSON object per line, "
                              f"got {type(obj).__name__}")
        yield f"{path}:{lineno}", obj


def _json_rows(path: Path) -> Iterator[Row]:
    raw = path.read_bytes()  # one JSON document: read whole (use .jsonl for big inputs)
    try:
        text = raw.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        raise _not_utf8(path, raw.count(b"\n", 0, err.start) + 1, raw[err.start],
                        err.start - line_start + 1) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}:{err.lineno}: invalid JSON ({err.msg})") from err
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise ConfigError(f"{path}: expected a JSON list of objects (or use .jsonl, one per line)")
    for i, obj in enumerate(data):
        yield f"{path} item {i}", obj


def _csv_rows(path: Path) -> Iterator[Row]:
    with contextlib.closing(_text_lines(path)) as lines:
        reader = csv.reader(lines)
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
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no type information

    try:  # read batch by batch: a check or a small n does not load the whole table
        batches = pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH_ROWS)
        i = 0
        for batch in batches:
            for row in batch.to_pandas().to_dict(orient="records"):
                yield f"{path} row {i}", row
                i += 1
    except Exception as err:  # pyarrow raises several unrelated types
        raise ConfigError(f"{path}: cannot read Parquet: {err}") from err


def _rows(path: Path) -> Iterator[Row]:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"{path}: unsupported file type {suffix!r}; valid: "
                          f"{', '.join(FILE_SUFFIXES)} or a folder of images")
    if path.stat().st_size == 0:
        raise ConfigError(f"{path}: the file is empty; expected {FORMATS[suffix]}")
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(path)
    if suffix == ".json":
        return _json_rows(path)
    if suffix == ".csv":
        return _csv_rows(path)
    return _parquet_rows(path)


def count_rows(path: Path, limit: int) -> int:
    """How many records a file holds, counted by streaming it, stopping at ``limit``.

    Raises:
        ConfigError: an unsupported, empty or malformed file (named with its line).
    """
    count = 0
    for _ in _rows(path):
        count += 1
        if count >= limit:
            break
    return count


def iter_file_records(path: Path, task_id: str, record_fields: tuple[str, ...], n: int,
                      columns: Mapping[str, str] | None = None
                      ) -> Iterator[tuple[str, dict[str, Any]]]:
    """The first ``n`` rows of a file as ``(location, record)`` pairs with canonical fields,
    read one at a time (the file is read only as far as the ``n``-th record).

    Raises:
        ConfigError: unreadable, empty or unsupported file, bad line, missing columns, or
            fewer than ``n`` rows (raised once the file is exhausted).
    """
    if not path.is_file():
        raise ConfigError(f"input file {path} does not exist" if not path.exists() else
                          f"input {path} is not a regular file; expected "
                          f"{' or '.join(FILE_SUFFIXES)} file")
    mapping: dict[str, str] | None = None
    is_csv = path.suffix.lower() == ".csv"
    count = 0
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
        count += 1
        yield where, record
        if count >= n:
            return
    if count == 0:
        raise ConfigError(f"{path} holds no records; expected {FORMATS[path.suffix.lower()]}")
    if count < n:
        raise ConfigError(f"{path} has only {count} records; ask for n <= {count}")


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
