"""The plan cuts a file into chunks that cover it exactly and never split a run, and reading
the chunks gives the records and problems of the file whatever the chunk size: plain and
quoted CSV, BOM, CR LF, blank, short and long rows, no last line break, bytes that are not
UTF-8."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from wattprint.results.importers.codecarbon import ImportReport, chunk_records, read_file
from wattprint.results.importers.codecarbon_plan import plan_file
from wattprint.results.importers.codecarbon_rows import ImportIssue

HEADER = ["timestamp", "project_name", "run_id", "duration", "emissions", "cpu_power",
          "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy",
          "energy_consumed", "region", "task_name"]


def _rows(n: int, rng: random.Random, *, task_mode: bool, power: str | None = None
          ) -> list[list[str]]:
    rows = []
    run = 0
    left = 0
    for i in range(n):
        if left == 0:
            run, left = run + 1, rng.randint(1, 4)
        left -= 1
        cpu, gpu, ram = (round(rng.uniform(0.001, 0.01), 6) for _ in range(3))
        run_id = "" if task_mode and rng.random() < 0.05 else f"run-{run:04d}"
        row = [f"2024-01-01T00:00:{i % 60:02d}", "proj", run_id, "12.5", "0.0001",
               power or f"{rng.choice([42.5, 40.0])}", "300.0", "3.0", str(cpu), str(gpu),
               str(ram), str(round(cpu + gpu + ram, 6)), "oregon"]
        rows.append([*row, rng.choice(["load model", "query model"])] if task_mode else row)
    return rows


def _write(path: Path, rows: list[list[str]], *, terminator: str = "\n", bom: bool = False,
           last_break: bool = True) -> Path:
    header = HEADER if len(rows[0]) == len(HEADER) else HEADER[:-1]  # per-run: no task_name
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows([header, *rows])
    text = out.getvalue()
    if not last_break:
        text = text[:-len(terminator)]
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def _variants(tmp: Path) -> dict[str, Path]:
    rng = random.Random(7)
    plain = _rows(400, rng, task_mode=False)
    task = _rows(400, rng, task_mode=True)
    quoted = [list(r) for r in task]
    quoted[250][12] = "Zürich,\nwith a newline"  # quotes from row 250 on: the slow path
    short = [list(r) for r in plain]
    short[100] = short[100][:4]  # too few fields, and no cpu_power
    spaced = [list(r) for r in plain]
    for r in spaced:
        r[5] = " 42.5 "
    spaced[20].append("an extra field")
    files = {
        "per-run": _write(tmp / "per-run.csv", plain),
        "task-mode": _write(tmp / "task.csv", task, bom=True),
        "no last line break": _write(tmp / "nolast.csv", task, last_break=False),
        "quoted field midway": _write(tmp / "quoted.csv", quoted),
        "CR LF": _write(tmp / "crlf.csv", plain, terminator="\r\n"),
        "short row": _write(tmp / "short.csv", short),
        "constant power, spaces": _write(tmp / "spaced.csv", spaced),
        "constant power": _write(tmp / "const.csv", _rows(300, rng, task_mode=True,
                                                           power="42.5")),
        "non-ASCII": _write(tmp / "utf8.csv", [[*r[:12], "Zürich — ü", r[13]] for r in task]),
        "non-ASCII, per run": _write(tmp / "utf8-run.csv", [[*r[:12], "Zürich"] for r in plain]),
    }
    blank = tmp / "blank.csv"
    text = files["per-run"].read_text().splitlines(keepends=True)
    blank.write_text("".join(text[:50] + ["\n", "\n"] + text[50:]))
    files["blank lines"] = blank
    latin = tmp / "latin1.csv"
    latin.write_bytes(files["per-run"].read_bytes()
                      .replace(b"2024-01-01T00:00:10", b"2024-01-01T00:00:1\xe9", 1))
    files["not UTF-8 midway"] = latin
    return files


@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
def test_chunks_cover_the_file_and_read_as_the_whole_file_reads(tmp_path: Path,
                                                                chunk_rows: int) -> None:
    for name, path in _variants(tmp_path).items():
        plan = plan_file(path, chunk_rows=chunk_rows)
        if isinstance(plan, ImportIssue):
            assert name == "not UTF-8 midway" and plan.line == 12  # the 11th row
            continue
        ends = [c.offset + c.length for c in plan.chunks]
        assert [c.offset for c in plan.chunks[1:]] == ends[:-1], name   # no gap, no overlap
        assert ends[-1] == path.stat().st_size, name
        assert sum(c.rows for c in plan.chunks) == plan.rows, name
        assert all(c.rows <= chunk_rows for c in plan.chunks) or plan.task_mode, name
        report = ImportReport()
        records = [r for c in plan.chunks for r in chunk_records(plan, c, report)]
        whole = read_file(path)
        assert (report.rows, report.errors) == (whole.rows, whole.errors), name
        assert records == whole.results and records, name


def test_a_chunk_never_splits_a_run(tmp_path: Path) -> None:
    path = _variants(tmp_path)["task-mode"]
    plan = plan_file(path, chunk_rows=3)
    assert not isinstance(plan, ImportIssue)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))[1:]
    runs = [r[2] for r in rows]
    start = 0
    for chunk in plan.chunks:
        end = start + chunk.rows
        if end < len(runs) and runs[end]:
            assert runs[end] != runs[end - 1]   # the next chunk starts a new run
        start = end


def test_the_variants_are_what_they_claim(tmp_path: Path) -> None:
    """Guard for the tests above: the files differ where they should."""
    files = _variants(tmp_path)
    plans = {name: plan_file(p) for name, p in files.items()}
    assert plans["constant power"].context.cpu_constant  # type: ignore[union-attr]
    assert plans["constant power, spaces"].context.cpu_constant  # type: ignore[union-attr]
    assert not plans["per-run"].context.cpu_constant  # type: ignore[union-attr]
    assert not plans["short row"].context.cpu_constant  # type: ignore[union-attr]
    assert plans["blank lines"].rows == plans["per-run"].rows + 2  # type: ignore[union-attr]
    assert isinstance(plans["not UTF-8 midway"], ImportIssue)
    assert "not UTF-8" in plans["not UTF-8 midway"].message
    report = read_file(files["quoted field midway"])
    assert any("Zürich,\nwith a newline" in str(r.environment) or
               r.extra.get("region") == "Zürich,\nwith a newline" for r in report.results)
