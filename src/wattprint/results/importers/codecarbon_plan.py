"""The first pass over CodeCarbon CSV files: check each and cut it into chunks of whole runs.

:func:`plan_file` reads a file once with ``csv.reader`` (quoted fields, line breaks inside
them, CR LF line ends), checks its header, notes the per-file facts that decide provenance
(:class:`~wattprint.results.importers.codecarbon_rows.FileContext`) and cuts the rows into
:class:`Chunk` s of about :data:`CHUNK_ROWS` rows, never splitting a run. It keeps only the
chunk boundaries, so memory stays bounded whatever the file's size; the rows are parsed later,
chunk by chunk (:func:`wattprint.results.importers.codecarbon.chunk_records`), in this process
or in worker processes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattprint.results.importers.codecarbon_rows import (
    FileContext,
    ImportIssue,
    ImportOptions,
    ImportReport,
    header_problem,
    is_legacy,
)

CHUNK_ROWS = 2000
"""Data rows per chunk of a file: what one worker parses at a time (an import writes several
chunks per store transaction, :data:`wattprint.results.importers.bulk.WRITE_ROWS`)."""


@dataclass(frozen=True)
class Chunk:
    """A run of whole data rows of one CSV file, read on its own.

    Attributes:
        offset: Byte offset of its first row in the file.
        length: Its length, bytes.
        first_line: Line number of its first row (the header is line 1).
        rows: Data rows in it.
    """

    offset: int
    length: int
    first_line: int
    rows: int


@dataclass(frozen=True)
class FilePlan:
    """One CodeCarbon CSV checked and cut into chunks by a first pass over it.

    Attributes:
        file: The CSV file.
        header: Its column names (stripped).
        context: Per-file facts that decide provenance.
        task_mode: The file has a ``task_name`` column (rows are grouped by ``run_id``).
        chunks: The file's rows in order, cut where a run's rows end (a run never spans two
            chunks).
        rows: Data rows in the file.
    """

    file: Path
    header: tuple[str, ...]
    context: FileContext
    task_mode: bool
    chunks: tuple[Chunk, ...]
    rows: int


class _LineReader:
    """The file's lines decoded as UTF-8 (a BOM at the start of the file is dropped),
    counting the bytes read from ``offset`` on: a ``csv.reader`` over it reads one row at a
    time, so after each row :attr:`offset` is where the next row starts."""

    def __init__(self, fh: Any, offset: int = 0) -> None:
        self._fh = fh
        self.offset = offset

    def __iter__(self) -> Iterator[str]:
        first = self.offset == 0
        for raw in self._fh:
            self.offset += len(raw)
            if first:
                first = False
                if raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
            yield raw.decode("utf-8")


class _Planner:
    """The state of a plan's pass over the data rows: where the open chunk starts, its rows,
    the ``cpu_power`` values seen (two are enough to know it is not constant), and the run
    of the last row (a chunk ends only where a run does)."""

    def __init__(self, offset: int, line: int, chunk_rows: int, power_at: int | None,
                 run_at: int | None) -> None:
        self.chunk_rows = chunk_rows
        self.power_at = power_at
        self.run_at = run_at
        self.chunks: list[Chunk] = []
        self.start, self.first_line, self.in_chunk, self.rows = offset, line, 0, 0
        self.powers: set[str] = set()
        self.last_run = ""
        self.offset, self.line = offset, line  # where the next row starts

    def cut(self) -> None:
        """End the open chunk before the next row."""
        self.chunks.append(Chunk(self.start, self.offset - self.start, self.first_line,
                                 self.in_chunk))
        self.start, self.first_line, self.in_chunk = self.offset, self.line, 0

    def csv_rows(self, fh: Any) -> None:
        """Plan the rest of the file from :attr:`offset`, one CSV row at a time (any CSV:
        quoted fields, line breaks inside them, CR LF line ends).

        Raises:
            UnicodeDecodeError, csv.Error, OSError: as ``csv.reader`` over the file does;
                :attr:`line` is then the line of the row that could not be read.
        """
        fh.seek(self.offset)
        lines = _LineReader(fh, self.offset)
        reader = csv.reader(lines)
        base = self.line - 1
        run_at, power_at = self.run_at, self.power_at
        try:
            for row in reader:
                run = ""
                if run_at is not None and run_at < len(row):
                    run = row[run_at].strip()
                # a chunk may end before this row when it does not continue the last row's run
                if self.in_chunk >= self.chunk_rows and (not run or run != self.last_run):
                    self.cut()
                self.last_run = run
                if power_at is not None and len(self.powers) < 2:
                    self.powers.add(row[power_at].strip() if power_at < len(row) else "")
                self.in_chunk += 1
                self.rows += 1
                self.offset, self.line = lines.offset, base + reader.line_num + 1
        finally:
            self.line = base + reader.line_num + 1  # on an error: the line that failed


def plan_file(path: str | Path, options: ImportOptions | None = None,
              chunk_rows: int = CHUNK_ROWS) -> FilePlan | ImportIssue:
    """First pass over one CSV: header, provenance facts, and chunks of about ``chunk_rows``
    rows (bounded memory: nothing is kept but the chunk boundaries).

    Returns:
        The plan, or the issue that makes the whole file unusable (unreadable, not UTF-8,
        not a CodeCarbon log), naming the file and, where it applies, the line.
    """
    file = Path(path)
    opts = options or ImportOptions()
    planner: _Planner | None = None
    try:
        with open(file, "rb") as fh:
            lines = _LineReader(fh)
            reader = csv.reader(lines)
            raw_header = next(reader, None)
            header = [h.strip() for h in raw_header] if raw_header is not None else None
            problem = header_problem(header)
            if problem:
                return ImportIssue(str(file), 1, problem)
            assert header is not None
            task_mode = "task_name" in header
            planner = _Planner(
                lines.offset, reader.line_num + 1, chunk_rows,
                header.index("cpu_power") if "cpu_power" in header else None,
                header.index("run_id") if task_mode and "run_id" in header else None)
            planner.csv_rows(fh)
            if planner.in_chunk:
                planner.cut()
    except UnicodeDecodeError as err:
        where = reader.line_num + 1 if planner is None else planner.line
        return ImportIssue(str(file), where, f"cannot read: not UTF-8 text ({err})")
    except (OSError, csv.Error) as err:
        return ImportIssue(str(file), None, f"cannot read: {err}")
    powers = planner.powers
    ctx = FileContext(cpu_constant=planner.rows >= 2 and len(powers) == 1 and "" not in powers,
                       legacy=is_legacy(set(header)), options=opts)
    return FilePlan(file, tuple(header), ctx, task_mode, tuple(planner.chunks), planner.rows)


def plan_counted(path: str | Path, options: ImportOptions | None, report: ImportReport,
                  chunk_rows: int) -> FilePlan | None:
    """:func:`plan_file`, counting the file in ``report`` and its problem there, if any."""
    report.files += 1
    plan = plan_file(path, options, chunk_rows)
    if isinstance(plan, ImportIssue):
        report.add_issue(plan)
        return None
    return plan


def plan_paths(paths: Iterable[str | Path], options: ImportOptions | None, report: ImportReport,
               chunk_rows: int = CHUNK_ROWS) -> Iterator[FilePlan]:
    """:func:`plan_file` over files and folders (recursive ``*.csv``, sorted): the plans of
    the usable files, in order; each file and each problem (a missing path, an unusable
    file) is counted in ``report``."""
    files, issues = expand_paths(paths)
    for issue in issues:
        report.add_issue(issue)
    for f in files:
        plan = plan_counted(f, options, report, chunk_rows)
        if plan is not None:
            yield plan


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[ImportIssue]]:
    """Files as given, folders searched recursively for ``*.csv`` (sorted).

    Returns:
        The CSV files, and an issue for each path that does not exist.
    """
    files: list[Path] = []
    issues: list[ImportIssue] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*.csv") if x.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            issues.append(ImportIssue(str(p), None, "no such file or folder"))
    return files, issues
