"""Import CodeCarbon emissions logs (2.x and 3.x; per-run rows and task-mode rows).

Reading a log takes two passes: :func:`~wattprint.results.importers.codecarbon_plan.plan_file`
checks each file and cuts it into chunks of whole runs (:mod:`.codecarbon_plan`), then
:func:`chunk_records` parses a chunk's rows into records (what a row means:
:mod:`.codecarbon_rows`). :func:`stream_file` and :func:`stream_paths` do both in this process
with bounded memory; :mod:`wattprint.results.importers.bulk` hands the chunks to worker
processes and writes them to a store.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from wattprint.results.importers.codecarbon_plan import (
    CHUNK_ROWS,
    Chunk,
    FilePlan,
    expand_paths,
    plan_counted,
    plan_file,
    plan_paths,
)
from wattprint.results.importers.codecarbon_rows import (
    ImportIssue,
    ImportOptions,
    ImportReport,
    ParsedRow,
    RowError,
    group_records,
    header_problem,
    make_record,
    parse_row,
)
from wattprint.results.schema import JobResult

__all__ = ["CHUNK_ROWS", "Chunk", "FilePlan", "ImportIssue", "ImportOptions", "ImportReport",
           "chunk_records", "expand_paths", "header_problem", "plan_file", "plan_paths",
           "read_file", "read_paths", "stream_file", "stream_paths"]


def chunk_records(plan: FilePlan, chunk: Chunk, report: ImportReport) -> Iterator[JobResult]:
    """The records of one chunk of a planned file, in file order; problems go to ``report``
    (each naming the file and line; a bad row is skipped, the others still come)."""
    file, header, ctx, opts = plan.file, plan.header, plan.context, plan.context.options
    width = len(header)
    group: list[ParsedRow] = []
    try:
        with open(file, "rb") as fh:
            fh.seek(chunk.offset)
            text = fh.read(chunk.length).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        report.add_issue(ImportIssue(str(file), chunk.first_line, f"cannot read: {err}"))
        return
    base = chunk.first_line - 1
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for values in reader:
            line = base + reader.line_num
            report.rows += 1
            try:
                if len(values) > width:
                    raise RowError(f"{len(values) - width} more field(s) than the header has")
                row = dict(zip(header, map(str.strip, values)))  # short rows: keys missing
                p = parse_row(row, line, ctx)
            except (RowError, ValueError) as err:  # ValueError: record validation
                report.add_issue(ImportIssue(str(file), line, str(err)))
                continue
            if not plan.task_mode:
                yield make_record(file, p, (), opts)
                continue
            if group and (p.run_id is None or p.run_id != group[0].run_id):
                yield from group_records(file, group, opts)
                group = []
            group.append(p)
    except csv.Error as err:
        report.add_issue(ImportIssue(str(file), base + reader.line_num, f"cannot read: {err}"))
    if group:
        yield from group_records(file, group, opts)


def stream_file(path: str | Path, options: ImportOptions | None = None,
                report: ImportReport | None = None) -> Iterator[JobResult]:
    """Read one CodeCarbon emissions CSV chunk by chunk, yielding records as they are complete.

    Memory stays bounded whatever the file's size: a per-run log yields one record per row; a
    task-mode log yields a run's record when its ``run_id`` changes (CodeCarbon writes a run's
    task rows together; a run whose rows are not consecutive is imported as separate records).

    Args:
        path: The CSV file.
        options: Labels and detection switches (defaults: see :class:`ImportOptions`).
        report: Counts rows and files and collects problems (each naming file and line);
            a bad file yields no records, a bad row is reported and the others still come.

    Yields:
        The records, in file order.
    """
    rep = report if report is not None else ImportReport()
    plan = plan_counted(path, options, rep, CHUNK_ROWS)
    if plan is not None:
        for chunk in plan.chunks:
            yield from chunk_records(plan, chunk, rep)


def read_file(path: str | Path, options: ImportOptions | None = None) -> ImportReport:
    """Read one CodeCarbon emissions CSV into memory (see :func:`stream_file`).

    Returns:
        The records and the problems found (each naming its file and line).
    """
    report = ImportReport()
    report.results.extend(stream_file(path, options, report))
    return report


def stream_paths(paths: Iterable[str | Path], options: ImportOptions | None = None,
                 report: ImportReport | None = None) -> Iterator[JobResult]:
    """:func:`stream_file` over files and folders (recursive ``*.csv``, sorted).

    Args:
        paths: Files or folders.
        options: See :class:`ImportOptions`.
        report: Counts and problems (a missing path is one problem).
    """
    rep = report if report is not None else ImportReport()
    for plan in plan_paths(paths, options, rep):
        for chunk in plan.chunks:
            yield from chunk_records(plan, chunk, rep)


def read_paths(paths: Iterable[str | Path], options: ImportOptions | None = None) -> ImportReport:
    """Read CodeCarbon CSVs from files and folders into memory (see :func:`stream_paths`).

    Returns:
        All records and the problems found (each naming its file and line).
    """
    report = ImportReport()
    report.results.extend(stream_paths(paths, options, report))
    return report
