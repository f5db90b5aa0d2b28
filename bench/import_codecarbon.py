"""Benchmark: import a 300,000-row CodeCarbon CSV — before (the code this branch started
from) and after (this tree), in one run.

The CSV is made from the study's real per-run rows (``data/emissions/complete/*.csv`` of
sashavor/co2_inference): its rows are repeated in order until there are ``--rows`` of them,
each copy given a fresh ``run_id`` (seeded) and a timestamp one second later so that every
row is a distinct run, as in a long campaign's log. Everything else in a row is the study's.

Each import runs ``wattprint import codecarbon CSV --store DB`` in a fresh interpreter (AFTER
twice: with its default worker processes, and with ``--jobs 1``); wall time, CPU time (the
process and its workers, ``wait4`` rusage), the largest process's peak RSS, and the peak of
the RSS summed over the process and its workers (sampled every 0.25 s with psutil; shared
library pages are counted once per process, so this errs high) are taken, and the store's
size (database + WAL) is compared with the CSV's. BEFORE runs the command from a copy of
``--before-commit`` (``git archive``), AFTER from this tree's ``src``.

Targets (issue 10, item 8): AFTER ≥ 5× faster than BEFORE, peak memory < 300 MB (all
processes together), store < 3× the CSV. Nothing is asserted; the numbers go to ``bench/results/import_codecarbon.json``, with
the CPU cost per row of each stage of AFTER (plan, read + parse + typed record, encode, write)
measured in this process on the first 30,000 rows.

Usage::

    PYTHONPATH=src python bench/import_codecarbon.py [--rows 300000] [--skip-before]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

from study_import import _default_dir  # the study folder (bench/ is on sys.path)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BEFORE_COMMIT = "acf8cfb"
"""main when this work began: the importer that read the whole file and stored every result
in one transaction (2 min 30 s and 2.4 GB for 300k rows in the issue)."""


def make_csv(study: Path, rows: int, out: Path, seed: int = 0) -> int:
    """Write ``rows`` CodeCarbon rows made from the study's real per-run rows; returns bytes."""
    complete = study / "data" / "emissions" / "complete"
    header: list[str] | None = None
    source: list[dict[str, str]] = []
    for f in sorted(complete.glob("*.csv")):
        with open(f, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if header is None:
                header = list(reader.fieldnames or [])
            if list(reader.fieldnames or []) != header:
                continue
            source.extend(reader)
    if not header or not source:
        sys.exit(f"no per-run CodeCarbon rows in {complete}")
    rng = random.Random(seed)
    t = datetime(2024, 1, 1)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for i in range(rows):
            row = dict(source[i % len(source)])
            row["run_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            row["timestamp"] = (t + timedelta(seconds=i)).isoformat()
            w.writerow(row)
    return out.stat().st_size


def _checkout(commit: str, dest: Path) -> Path:
    """``src`` of ``commit`` unpacked into ``dest`` (``git archive``)."""
    blob = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def _store_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())


def run_import(src: Path, csv_path: Path, db: Path,
               extra: tuple[str, ...] = ()) -> dict[str, float | int | str]:
    """One ``wattprint import codecarbon`` in a fresh interpreter: wall s, CPU s (its own and
    its worker processes'), peak RSS, store size."""
    env = {**os.environ, "PYTHONPATH": str(src), "TERM": "dumb"}
    cmd = [sys.executable, "-m", "wattprint", "import", "codecarbon", str(csv_path),
           "--store", str(db), "--json", *extra]
    out_path, err_path = db.parent / "stdout.json", db.parent / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, cwd=db.parent)
        done = threading.Event()
        tree_peak = [0]
        sampler = threading.Thread(target=_sample_tree_rss, args=(proc.pid, done, tree_peak))
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # the child's rusage, its workers' included
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"import failed ({code}): {err_path.read_text()[-2000:]}")
    summary = json.loads(out_path.read_text())
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "peak_rss_all_processes_mb": round(tree_peak[0] / 2**20, 1),
            "store_bytes": _store_bytes(db), "stored": summary.get("stored"),
            "errors": len(summary.get("errors") or []), "workers": summary.get("workers", 0)}


def _sample_tree_rss(pid: int, done: threading.Event, peak: list[int]) -> None:
    """Every 0.25 s until ``done``: the RSS of process ``pid`` and its descendants, summed;
    the largest sum goes to ``peak[0]`` (bytes)."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not done.wait(0.25):
        total = 0
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)


def stage_costs(csv_path: Path, db: Path, rows: int = 30_000) -> dict[str, float]:
    """CPU µs per row of each stage of this tree's import, in this process, one stage after
    the other over the file's first ``rows`` rows (cycle collector paused, as the import
    does): where the time goes."""
    import gc

    from wattprint.results.codec import RecordCodec
    from wattprint.results.importers.bulk import WRITE_ROWS
    from wattprint.results.importers.codecarbon import (
        CHUNK_ROWS,
        FilePlan,
        ImportReport,
        chunk_records,
        plan_file,
    )
    from wattprint.results.store import ResultStore

    head = db.parent / "head.csv"
    with open(csv_path, "rb") as src, open(head, "wb") as out:
        for i, line in enumerate(src):
            if i > rows:
                break
            out.write(line)
    gc.disable()
    try:
        t0 = time.process_time()
        plan = plan_file(head)
        assert isinstance(plan, FilePlan)
        t1 = time.process_time()
        records = [list(chunk_records(plan, c, ImportReport())) for c in plan.chunks]
        t2 = time.process_time()
        codec = RecordCodec()
        batches = [codec.encode_batch(r) for r in records]
        t3 = time.process_time()
        per = max(1, WRITE_ROWS // CHUNK_ROWS)  # records per transaction, as the import
        with ResultStore(db) as store:
            for i in range(0, len(batches), per):
                store.write_encoded(*batches[i:i + per])
        t4 = time.process_time()
    finally:
        gc.enable()
    n = plan.rows
    return {"rows": n, "plan_us": round((t1 - t0) / n * 1e6, 1),
            "read_parse_record_us": round((t2 - t1) / n * 1e6, 1),
            "encode_us": round((t3 - t2) / n * 1e6, 1), "write_us": round((t4 - t3) / n * 1e6, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--before-commit", default=BEFORE_COMMIT)
    ap.add_argument("--skip-before", action="store_true", help="measure AFTER only")
    ap.add_argument("--out", default=str(HERE / "results" / "import_codecarbon.json"))
    args = ap.parse_args(argv)
    load_at_start = round(os.getloadavg()[0], 1)
    study = _default_dir()
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        csv_path = tmpd / "emissions.csv"
        csv_bytes = make_csv(study, args.rows, csv_path)
        print(f"CSV: {args.rows:,} rows, {csv_bytes / 1e6:.1f} MB", flush=True)
        runs: dict[str, dict[str, float | int | str]] = {}
        for name, src, extra in (
                ("after", REPO / "src", ()),
                ("after_one_process", REPO / "src", ("--jobs", "1")),
                *(() if args.skip_before else
                  (("before", _checkout(args.before_commit, tmpd / "before"), ()),))):
            d = tmpd / name
            d.mkdir(exist_ok=True)
            r = run_import(src, csv_path, d / "results.db", extra)
            r["store_vs_csv"] = round(int(r["store_bytes"]) / csv_bytes, 2)
            runs[name] = r
            print(f"{name}: {r}", flush=True)
        (tmpd / "stages").mkdir()
        stages = stage_costs(csv_path, tmpd / "stages" / "results.db")
        print(f"stages (CPU µs/row, one process): {stages}", flush=True)
    result: dict[str, object] = {
        "rows": args.rows, "csv_bytes": csv_bytes, "csv_mb": round(csv_bytes / 1e6, 1),
        "stages_one_process": stages,
        "before_commit": None if args.skip_before else args.before_commit, **runs,
        "targets": {"speedup_min": 5.0, "peak_rss_mb_max": 300, "store_vs_csv_max": 3.0},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform(), "load_average_1m_at_start": load_at_start,
                    "load_average_1m_at_end": round(os.getloadavg()[0], 1)},
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    if "before" in runs:
        b, a = runs["before"], runs["after"]
        result["speedup_wall"] = round(float(b["wall_s"]) / float(a["wall_s"]), 2)
        result["speedup_cpu"] = round(float(b["cpu_s"]) / float(a["cpu_s"]), 2)
        one = runs["after_one_process"]
        result["speedup_wall_one_process"] = round(float(b["wall_s"]) / float(one["wall_s"]), 2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("rows", "csv_mb", "speedup_wall", "speedup_cpu",
                                             "speedup_wall_one_process")
                      if k in result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
