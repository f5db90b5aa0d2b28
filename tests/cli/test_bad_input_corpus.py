"""The bad-input corpus: every command against missing files, folders, binary garbage, non-UTF-8,
empty files, huge/NaN/negative numbers, unknown names, busy ports and read-only stores.

Each case asserts the exit code (2 for bad input, or the command's documented code), a message
on stderr, no traceback, and that no input file (the results store above all) changed.
Most cases call ``main([...])`` in-process (fast); a representative set runs the real console
entry point as a subprocess: a closed stdout pipe, a busy port, a read-only store.

A case whose fix belongs to another developer's slice and still fails here is marked
``xfail(strict=True)`` with the owner in the reason, so it turns into a failure once fixed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from wattprint.cli import EXIT_BROKEN_PIPE, command_paths, main

DATA = Path(__file__).resolve().parents[1] / "data" / "co2_inference"
SRC = Path(__file__).resolve().parents[2] / "src"
START = "2024-03-01T00:00:00Z"
TC = ("--task", "text-classification")
FAILING_MODEL = ("--model", "callable:cli_markup_fakes:shape_error")


@dataclass(frozen=True)
class Case:
    """One bad input: argv with ``{name}`` placeholders, the exit code, a stderr fragment."""

    argv: tuple[str, ...]
    code: int = 2
    err: str = "error"
    xfail: str | None = None


def _xf(owner_and_reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"fixed by {owner_and_reason}")


CASES: dict[str, Case] = {
    # -- meters / measure
    "meters-extra-arg": Case(("meters", "extra"), err="unrecognized arguments"),
    "measure-no-command": Case(("measure",), err="no command given"),
    "exporter-port-text": Case(("exporter", "--port", "abc"), err="--port"),
    "measure-gpus-bogus": Case(("measure", "--gpus", "first", "--", "true"), err="--gpus"),
    "estimate-cpu-utilisation-percent": Case(("estimate", "cpu", "--cpu-model", "AMD EPYC 7763",
                                              "--logical-cpus", "2", "--utilisation", "50"),
                                             err="--utilisation"),
    "estimate-cpu-logical-cpus-huge": Case(("estimate", "cpu", "--cpu-model", "AMD EPYC 7763",
                                            "--logical-cpus", "1e20", "--utilisation", "1"),
                                           err="--logical-cpus: logical CPUs must be more than 0 "
                                               "and at most 8192"),
    "estimate-cpu-model-empty": Case(("estimate", "cpu", "--cpu-model", " ", "--logical-cpus",
                                      "2", "--utilisation", "1"),
                                     err="--cpu-model: CPU model name is empty"),
    "estimate-cpu-socket-threads-huge": Case(("estimate", "cpu", "--cpu-model", "AMD EPYC 7763",
                                              "--logical-cpus", "2", "--utilisation", "1",
                                              "--socket-threads", "100000"),
                                             err="--socket-threads: expected at most 8192"),
    "estimate-llm-negative-tokens": Case(("estimate", "llm", "--model", "gpt-4o",
                                          "--input-tokens", "-1", "--output-tokens", "5"),
                                         err="--input-tokens"),
    "estimate-llm-fraction-tokens": Case(("estimate", "llm", "--model", "gpt-4o",
                                          "--input-tokens", "1", "--output-tokens", "2.5"),
                                         err="--output-tokens"),
    "estimate-llm-unknown-model": Case(("estimate", "llm", "--model", "mystery-7b",
                                        "--input-tokens", "1", "--output-tokens", "5"),
                                       err="--active-params"),
    "estimate-llm-garbage-fit": Case(("estimate", "llm", "--fit", "{garbage}", "--model",
                                      "gpt-4o", "--input-tokens", "1", "--output-tokens", "5"),
                                     err="--fit"),
    "estimate-fit-garbage-store": Case(("estimate", "fit", "--store", "{garbage}", "--out",
                                        "{out}"), err="not a usable results store"),
    "estimate-fit-no-serving-points": Case(("estimate", "fit", "--store", "{store}", "--out",
                                            "{out}"), err="a fit needs at least 3"),
    "estimate-fit-params-latin1": Case(("estimate", "fit", "--store", "{store}", "--params",
                                        "{latin1_csv}", "--out", "{out}"), err="--params"),
    "measure-missing-command": Case(("measure", "--", "{missing}"), code=127,
                                    err="command not found"),
    "measure-directory-command": Case(("measure", "--", "{adir}"), code=126,
                                      err="not executable"),
    "measure-interval-nan": Case(("measure", "--interval", "nan", "--", "true"),
                                 err="--interval: expected a finite number"),
    "measure-interval-negative": Case(("measure", "--interval", "-1", "--", "true"),
                                      err="--interval: expected a number > 0"),
    "measure-interval-huge": Case(("measure", "--interval", "1e400", "--", "true"),
                                  err="--interval: expected a finite number"),
    "measure-interval-tiny": Case(("measure", "--interval", "1e-300", "--", "true"),
                                  err="--interval: expected at least 0.001 s"),
    "measure-idle-huge": Case(("measure", "--idle", "1e300", "--", "true"),
                              err="--idle: expected at most 604800 s"),
    "measure-intensity-csv-latin1": Case(("measure", "--intensity-csv", "{latin1_csv}", "--",
                                          "true"), err="line 2: not UTF-8"),
    # -- carbon / carbon regions / parity
    "carbon-no-energy": Case(("carbon",), err="give the energy"),
    "carbon-kwh-nan": Case(("carbon", "--kwh", "nan"), err="--kwh: expected a finite number"),
    "carbon-kwh-negative": Case(("carbon", "--kwh", "-1"), err="--kwh"),
    "carbon-kwh-not-a-number": Case(("carbon", "--energy-j", "lots"), err="--energy-j"),
    "carbon-kwh-overflow": Case(("carbon", "--kwh", "1e306"), err="--kwh: 1e306 overflows"),
    "carbon-pue-overflow": Case(("carbon", "--energy-j", "1.7e308", "--pue", "2"),
                                err="overflows"),
    "carbon-pue-nan": Case(("carbon", "--kwh", "1", "--pue", "nan"), err="--pue"),
    "carbon-intensity-negative": Case(("carbon", "--kwh", "1", "--intensity", "-5"),
                                      err="--intensity"),
    "carbon-unknown-country": Case(("carbon", "--kwh", "1", "--country", "Atlantis"),
                                   err="unknown country 'Atlantis'"),
    "carbon-bad-start": Case(("carbon", "--kwh", "1", "--start", "yesterday"),
                             err="--start: 'yesterday' is not an ISO-8601 time"),
    "carbon-start-past-year-9999": Case(("carbon", "--kwh", "1", "--start",
                                         "9999-12-31T23:00:00-14:00"),
                                        err="not an ISO-8601 time in the years 1-9999"),
    "carbon-csv-past-year-9999": Case(("carbon", "--kwh", "1", "--intensity-csv", "{far_csv}",
                                       "--start", START), err="far.csv: line 2"),
    "carbon-csv-latin1": Case(("carbon", "--kwh", "1", "--intensity-csv", "{latin1_csv}",
                               "--start", START), err="latin1.csv: line 2: not UTF-8 text"),
    "carbon-csv-garbage": Case(("carbon", "--kwh", "1", "--intensity-csv", "{garbage}",
                                "--start", START), err="garbage.bin: line 1: not UTF-8"),
    "carbon-csv-empty": Case(("carbon", "--kwh", "1", "--intensity-csv", "{empty}",
                              "--start", START), err="empty file"),
    "carbon-csv-directory": Case(("carbon", "--kwh", "1", "--intensity-csv", "{adir}",
                                  "--start", START), err="Is a directory"),
    "carbon-csv-missing": Case(("carbon", "--kwh", "1", "--intensity-csv", "{missing}",
                                "--start", START), err="No such file"),
    "carbon-regions-no-match": Case(("carbon", "regions", "--search", "[/]"), code=1,
                                    err="no row matches '[/]'"),
    "carbon-factors-no-match": Case(("carbon", "factors", "--search", "[/]"), code=1,
                                    err="no factor matches '[/]'"),
    "carbon-wue-negative": Case(("carbon", "--kwh", "1", "--wue", "-1"), err="--wue"),
    "carbon-gpu-model-unknown": Case(("carbon", "--kwh", "1", "--gpu-model", "tpu"),
                                     err="unknown --gpu-model 'tpu'"),
    "parity-nan": Case(("parity", "--training-kwh", "nan", "--per-inference-kwh", "1"),
                       err="--training-kwh"),
    "parity-zero": Case(("parity", "--training-kwh", "1", "--per-inference-kwh", "0"),
                        err="--per-inference-kwh: expected a number > 0"),
    "parity-overflow": Case(("parity", "--training-kwh", "1e308", "--finetune-kwh", "1e308",
                             "--per-inference-kwh", "1"), err="overflows"),
    "parity-negative-rate": Case(("parity", "--training-kwh", "1", "--per-inference-kwh", "1",
                                  "--queries-per-day", "-3"), err="--queries-per-day"),
    # -- tasks / zoo
    "tasks-unknown": Case(("tasks", "text-clasification",), err="did you mean"),
    "zoo-no-action": Case(("zoo",), err="usage: wattprint zoo"),
    "load-no-arrivals": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model", "m"),
                             err="give --rate"),
    "load-rate-nan": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model", "m",
                           "--rate", "nan"), err="rate"),
    "load-endpoint-down": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model", "m",
                                "--rate", "1", "--requests", "1", "--store", "{store}"),
                               err="cannot connect to http://127.0.0.1:9"),
    "load-timeout-nan": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model", "m",
                              "--rate", "1", "--timeout", "nan"),
                             err="--timeout: expected a finite number"),
    "load-idle-negative": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model", "m",
                                "--rate", "1", "--idle", "-1"), err="--idle: expected a number >= 0"),
    "load-requests-huge": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model", "m",
                                "--rate", "1", "--requests", "100000000"),
                               err="--requests: expected a whole number <= 100000"),
    "load-extra-body-not-object": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model",
                                        "m", "--rate", "1", "--extra-body", "[1]"),
                                       err="--extra-body: expected a JSON object"),
    "load-prompts-latin1": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model", "m",
                                 "--rate", "1", "--prompts", "{latin1_csv}", "--store", "{store}"),
                                err="latin1.csv: line 2: not UTF-8 text"),
    "load-intensity-csv": Case(("load", "--endpoint", "http://127.0.0.1:9", "--model", "m",
                                "--rate", "1", "--requests", "1", "--store", "{store}",
                                "--intensity-csv", "{far_csv}"),
                               err="--intensity-csv: a time series is applied per window"),
    "agent-no-token": Case(("agent", "--host", "127.0.0.1", "--token", ""), err="needs a token"),
    "agent-port-out-of-range": Case(("agent", "--host", "127.0.0.1", "--port", "99999",
                                     "--token", "t"), err="--port 99999"),
    "exporter-port-out-of-range": Case(("exporter", "--port", "99999"), err="--port"),
    "exporter-interval-negative": Case(("exporter", "--port", "0", "--interval", "-1"),
                                       err="--interval"),
    "proxy-upstream-not-http": Case(("proxy", "--upstream", "ftp://x"), err="--upstream"),
    "proxy-garbage-tenants": Case(("proxy", "--upstream", "http://127.0.0.1:9", "--tenants",
                                   "{garbage}", "--energy", "estimate", "--estimate-model",
                                   "gpt-4o"), err="--tenants"),
    "zoo-list-extra": Case(("zoo", "list", "extra"), err="unrecognized arguments"),
    "zoo-build-unknown": Case(("zoo", "build", "nope"), err="unknown zoo model 'nope'"),
    "zoo-build-bad-size": Case(("zoo", "build", "--size", "huge"), err="unknown zoo size"),
    # -- run / validate / suites
    "run-missing-suite": Case(("run", "{missing}", "--no-store"), err="does not exist"),
    "run-directory-suite": Case(("run", "{adir}", "--no-store"), err="does not exist"),
    "run-unknown-suite": Case(("run", "nosuchsuite", "--no-store"), err="unknown suite"),
    "run-garbage-suite": Case(("run", "{garbage}", "--dry-run", "--no-store"),
                              err="not UTF-8"),
    "run-unknown-task": Case(("run", "--task", "nope", "--no-store"), err="unknown task"),
    "run-unknown-zoo-model": Case(("run", *TC, "--model", "zoo:nope", "--no-store"),
                                  err="unknown zoo model"),
    "run-n-huge": Case(("run", *TC, "-n", "99999999999999999999", "--dry-run", "--no-store"),
                       err="-n"),
    "run-n-nan": Case(("run", *TC, "-n", "nan", "--dry-run", "--no-store"), err="-n"),
    "run-warmup-negative": Case(("run", *TC, "--warmup", "-5", "--dry-run", "--no-store"),
                                err="--warmup"),
    "run-idle-huge": Case(("run", *TC, "--idle", "1e300", "--dry-run", "--no-store"),
                          err="--idle: Input should be less than or equal to 604800"),
    "run-warmup-huge": Case(("run", *TC, "--warmup", "99999999999", "--dry-run", "--no-store"),
                            err="--warmup: Input should be less than or equal to 1000000"),
    "validate-infinite-idle": Case(("validate", "{inf_suite}"),
                                   err="defaults.idle_s: Input should be a finite number"),
    "run-timeout-inf": Case(("run", *TC, "--timeout", "1e400", "--dry-run", "--no-store"),
                            err="--timeout: expected a finite number"),
    "run-gpus-nan": Case(("run", *TC, "--gpus-per-job", "nan", "--dry-run", "--no-store"),
                         err="--gpus-per-job"),
    "run-unknown-device": Case(("run", *TC, "--device", "tpu", "--dry-run", "--no-store"),
                               err="unknown device 'tpu'"),
    "run-unknown-executor": Case(("run", *TC, "--executor", "nope", "--dry-run",
                                  "--no-store"), err="unknown executor"),
    "run-intensity-csv": Case(("run", *TC, "--intensity-csv", "{latin1_csv}", "--no-store"),
                              err="--intensity-csv"),
    "run-unknown-model-with-store": Case(("run", *TC, "--model", "zoo:nope", "--store",
                                          "{store}"), err="unknown zoo model"),
    "run-bad-carbon-flag-with-store": Case(("run", *TC, *FAILING_MODEL, "--country", "[/]",
                                            "--store", "{store}"), err="unknown country '[/]'"),
    "run-garbage-store": Case(("run", *TC, "--dry-run", "--store", "{garbage}"),
                              err="not a usable results store"),
    "run-directory-store": Case(("run", *TC, *FAILING_MODEL, "--store", "{adir}"),
                                err="is a folder"),
    "run-not-a-store": Case(("run", *TC, "--dry-run", "--store", "{notstore}"),
                            err="not a wattprint"),
    "run-out-is-a-directory": Case(("run", *TC, *FAILING_MODEL, "--no-store", "--out",
                                    "{adir}"), err="Is a directory"),
    # a bad local dataset is a pre-flight error: nothing runs, nothing is stored
    "run-dataset-garbage": Case(("run", *TC, *FAILING_MODEL, "-n", "2", "--dataset",
                                 "{garbage}", "--store", "{store}"),
                                err="garbage.bin: unsupported file type '.bin'; valid: .jsonl"),
    "run-dataset-garbage-jsonl": Case(("run", *TC, *FAILING_MODEL, "-n", "2", "--dataset",
                                       "{garbage_jsonl}", "--store", "{store}"),
                                      err="garbage.jsonl:1: not UTF-8 text"),
    "run-dataset-directory": Case(("run", *TC, *FAILING_MODEL, "-n", "2", "--dataset", "{adir}",
                                   "--store", "{store}"),
                                  err="adir is a folder; text-classification reads a file"),
    "run-dataset-empty": Case(("run", *TC, *FAILING_MODEL, "-n", "2", "--dataset",
                               "{empty_jsonl}", "--store", "{store}"),
                              err="empty.jsonl: the file is empty; expected a .jsonl file"),
    "run-dataset-latin1": Case(("run", *TC, *FAILING_MODEL, "-n", "2", "--dataset",
                                "{latin1_csv}", "--store", "{store}"),
                               err="latin1.csv:2: not UTF-8 text (byte 0xe9"),
    "run-dataset-broken-line": Case(("run", *TC, *FAILING_MODEL, "-n", "2", "--dataset",
                                     "{broken_jsonl}", "--store", "{store}"),
                                    err="broken.jsonl:2: invalid JSON"),
    "run-suite-bad-dataset": Case(("run", "{bad_dataset_suite}", "--store", "{store}"),
                                  err="bad-dataset.yaml, point jobs[0].dataset at"),
    "run-dry-run-bad-dataset": Case(("run", "{bad_dataset_suite}", "--dry-run", "--store",
                                     "{store}"), err="bad-dataset.yaml, point jobs[0].dataset at"),
    "validate-here-bad-dataset": Case(("validate", "{bad_dataset_suite}", "--here"),
                                      err="bad-dataset.yaml, point jobs[0].dataset at"),
    "validate-missing": Case(("validate", "{missing}"), err="does not exist"),
    "validate-directory": Case(("validate", "{adir}"), err="does not exist"),
    "validate-empty": Case(("validate", "{empty}"), err="a suite must be a mapping"),
    "validate-garbage": Case(("validate", "{garbage}"), err="not UTF-8"),
    "validate-latin1": Case(("validate", "{latin1_yaml}"),
                            err="latin1.yaml:2: the suite file is not UTF-8"),
    "validate-duplicate-key": Case(("validate", "{dup_suite}"), err="duplicate"),
    "suites-extra-arg": Case(("suites", "extra"), err="unrecognized arguments"),
    # -- store / export / import
    "store-garbage": Case(("store", "--store", "{garbage}"), err="not a usable results store"),
    "store-directory": Case(("store", "--store", "{adir}"), err="is a folder"),
    "store-not-a-store": Case(("store", "--store", "{notstore}"), err="not a wattprint"),
    "store-empty-file": Case(("store", "--store", "{empty}"), err="is empty, not a wattprint"),
    "export-missing": Case(("export", "--store", "{missing}"), err="no results store"),
    "export-serving-missing": Case(("export", "--kind", "serving", "--store", "{missing}"),
                                   err="no results store at"),
    "export-serving-parquet-to-stdout": Case(("export", "--kind", "serving", "--store",
                                              "{store}", "--format", "parquet"),
                                             err="give --out FILE.parquet"),
    "export-bad-kind": Case(("export", "--kind", "servings", "--store", "{store}"),
                            err="--kind: invalid choice: 'servings'"),
    "export-garbage": Case(("export", "--store", "{garbage}"), err="not a usable results store"),
    "export-not-a-store": Case(("export", "--store", "{notstore}"), err="not a wattprint"),
    "export-bad-format": Case(("export", "--store", "{store}", "--format", "xml"),
                              err="invalid choice"),
    "export-out-is-a-directory": Case(("export", "--store", "{store}", "--out", "{adir}"),
                                      err="Is a directory"),
    "import-no-kind": Case(("import",), err="usage: wattprint import"),
    "import-garbage": Case(("import", "codecarbon", "{garbage}", "--store", "{store}"), code=1,
                           err="garbage.bin:1: cannot read: not UTF-8"),
    "import-missing": Case(("import", "codecarbon", "{missing}", "--store", "{store}"), code=1,
                           err="no such file"),
    "import-latin1": Case(("import", "codecarbon", "{latin1_csv}", "--store", "{store}"),
                          code=1, err="latin1.csv"),
    "import-empty": Case(("import", "codecarbon", "{empty}", "--store", "{store}"), code=1,
                         err="empty.txt"),
    "import-n-negative": Case(("import", "codecarbon", "{logs}", "--store", "{store}", "--n",
                               "-1"), err="--n: expected a whole number >= 0"),
    "import-n-huge": Case(("import", "codecarbon", "{logs}", "--store", "{store}", "--n",
                           "1" + "0" * 30), err="--n: expected a whole number <="),
    "import-jobs-zero": Case(("import", "codecarbon", "{logs}", "--store", "{store}", "--jobs",
                              "0"), err="--jobs: expected a whole number >= 1"),
    "import-unknown-task": Case(("import", "codecarbon", "{logs}", "--store", "{store}",
                                 "--task", "nope"), err="unknown task 'nope'"),
    "import-into-garbage-store": Case(("import", "codecarbon", "{logs}", "--store",
                                       "{garbage}"), err="not a usable results store"),
    # -- study
    "study-no-action": Case(("study",), err="usage: wattprint study"),
    "study-missing-dir": Case(("study", "reproduce", "{missing}", "--no-store"),
                              err="does not have the study's layout"),
    "study-file-not-dir": Case(("study", "reproduce", "{garbage}", "--store", "{store}"),
                               err="does not have the study's layout"),
    # -- report / serve
    "report-missing-store": Case(("report", "--store", "{missing}", "--out", "{out}"),
                                 err="no results store at"),
    "report-missing-export": Case(("report", "--store", "{missing_jsonl}", "--out", "{out}"),
                                  err="no results export at"),
    "serve-missing-store": Case(("serve", "--store", "{missing}", "--out", "{out}", "--port",
                                 "0"), err="no results store at"),
    "report-garbage-store": Case(("report", "--store", "{garbage}", "--out", "{out}"),
                                 err="not a usable results store"),
    "report-directory-store": Case(("report", "--store", "{adir}", "--out", "{out}"),
                                   err="is a folder"),
    "report-not-a-store": Case(("report", "--store", "{notstore}", "--out", "{out}"),
                               err="not a wattprint"),
    "report-out-is-a-file": Case(("report", "--store", "{store}", "--out", "{garbage}"),
                                 err="--out"),
    "report-thresholds-garbage": Case(("report", "--store", "{store}", "--out", "{out}",
                                       "--thresholds", "{garbage}"),
                                      err="rating threshold table"),
    "report-thresholds-missing": Case(("report", "--store", "{store}", "--out", "{out}",
                                       "--thresholds", "{missing}"),
                                      err="rating threshold table"),
    "report-parameters-latin1": Case(("report", "--store", "{store}", "--out", "{out}",
                                      "--model-parameters", "{latin1_csv}"),
                                     err="model parameters file"),
    "serve-port-too-large": Case(("serve", "--store", "{store}", "--out", "{out}", "--port",
                                  "99999"), err="--port: expected a whole number <= 65535"),
    "serve-port-negative": Case(("serve", "--store", "{store}", "--out", "{out}", "--port",
                                 "-1"), err="--port"),
    "serve-port-nan": Case(("serve", "--store", "{store}", "--out", "{out}", "--port", "nan"),
                           err="--port"),
    "serve-garbage-store": Case(("serve", "--store", "{garbage}", "--out", "{out}", "--port",
                                 "0"), err="not a usable results store"),
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bad inputs, plus a real store holding five imported results."""
    d = tmp_path_factory.mktemp("corpus")
    logs = d / "logs"
    shutil.copytree(DATA, logs)
    for extra in ("LICENSE", "README.md"):
        (logs / extra).unlink()
    store = d / "store" / "results.db"
    store.parent.mkdir()
    assert main(["import", "codecarbon", str(logs), "--store", str(store), "--project-as-model",
                 "--task", "text-classification", "--n", "1000"]) == 0
    (d / "adir").mkdir()
    (d / "garbage.bin").write_bytes(bytes(range(255, -1, -1)) * 8)
    (d / "latin1.csv").write_bytes("timestamp,carbon_intensity\n2024-03-01T00:00:00Z,1é0\n"
                                   .encode("latin-1"))
    (d / "latin1.yaml").write_bytes("name: x\ndescription: d\u00e9j\u00e0 vu\n"
                                    "jobs: [{task: text-classification}]\n".encode("latin-1"))
    (d / "far.csv").write_text("timestamp,carbon_intensity\n9999-12-31T23:00:00-14:00,100\n"
                               "9999-12-31T23:30:00-14:00,100\n")
    (d / "inf.yaml").write_text("name: x\ndefaults:\n  idle_s: .inf\njobs:\n"
                                "  - task: text-classification\n"
                                "    model: zoo:distilbert-sst2@tiny\n")
    (d / "empty.txt").write_bytes(b"")
    (d / "dup.yaml").write_text("name: one\nname: two\njobs:\n  - task: text-classification\n"
                                "    model: zoo:distilbert-sst2@tiny\n")
    (d / "garbage.jsonl").write_bytes(bytes(range(255, -1, -1)) * 8)
    (d / "empty.jsonl").write_bytes(b"")
    (d / "broken.jsonl").write_text('{"text": "a"}\n{"text": broken}\n{"text": "c"}\n')
    (d / "bad-dataset.yaml").write_text(
        "name: bad-dataset\njobs:\n  - task: text-classification\n"
        f"    model: {FAILING_MODEL[1]}\n    n: 2\n    dataset: {d / 'broken.jsonl'}\n")
    foreign = sqlite3.connect(d / "notstore.db")
    foreign.execute("CREATE TABLE notes (body TEXT)")
    foreign.execute("INSERT INTO notes VALUES ('mine')")
    foreign.commit()
    foreign.close()
    return {"store": store, "logs": logs, "adir": d / "adir", "garbage": d / "garbage.bin",
            "latin1_csv": d / "latin1.csv", "latin1_yaml": d / "latin1.yaml",
            "empty": d / "empty.txt", "far_csv": d / "far.csv",
            "inf_suite": d / "inf.yaml", "dup_suite": d / "dup.yaml", "notstore": d / "notstore.db",
            "garbage_jsonl": d / "garbage.jsonl", "empty_jsonl": d / "empty.jsonl",
            "broken_jsonl": d / "broken.jsonl", "bad_dataset_suite": d / "bad-dataset.yaml",
            "missing": d / "no-such-file.csv", "missing_jsonl": d / "no-such-export.jsonl",
            "out": d / "report-out"}


@contextmanager
def _inputs_unchanged(corpus: dict[str, Path]) -> Iterator[None]:
    """Assert every input file (and the set of files beside it) is the same afterwards; then
    put them back as they were, so a case that changed one cannot affect the next."""
    files = [p for p in corpus.values() if p.is_file()]
    before = {p: p.read_bytes() for p in files}
    folders = {p.parent: {x.name for x in p.parent.iterdir()} for p in files}
    try:
        yield
        changed = [p.name for p in files if p.read_bytes() != before[p]]
        assert not changed, f"input files changed: {changed}"
        appeared = {x.name for d, names in folders.items() for x in d.iterdir()
                    if x.name not in names and not _empty_wal_of_a_read(x)}
        assert not appeared, f"files appeared beside the inputs: {sorted(appeared)}"
    finally:
        for p, data in before.items():
            p.write_bytes(data)
        for d, names in folders.items():
            for x in d.iterdir():
                if x.name not in names:
                    shutil.rmtree(x) if x.is_dir() else x.unlink()


def _empty_wal_of_a_read(path: Path) -> bool:
    """SQLite's empty ``-wal`` and its ``-shm`` index, left beside a WAL-mode store that was
    only read: they hold no data (the store file itself is compared byte for byte)."""
    for suffix in ("-wal", "-shm"):
        if path.name.endswith(suffix):
            wal = path.with_name(path.name[: -len(suffix)] + "-wal")
            return not wal.exists() or wal.stat().st_size == 0
    return False


@pytest.fixture()
def unchanged(corpus: dict[str, Path]) -> Iterator[None]:
    """The inputs are unchanged after the test (checked in teardown; for subprocess tests)."""
    with _inputs_unchanged(corpus):
        yield


def _argv(case: Case, corpus: dict[str, Path]) -> list[str]:
    names = {k: str(v) for k, v in corpus.items()}
    return [a.format(**names) for a in case.argv]


def _params() -> list[object]:
    return [pytest.param(name, case, id=name, marks=[_xf(case.xfail)] if case.xfail else [])
            for name, case in CASES.items()]


@pytest.mark.parametrize("name, case", _params())
def test_bad_input_exits_cleanly(name: str, case: Case, corpus: dict[str, Path],
                                 capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTPRINT_STORE", str(corpus["store"]))
    with _inputs_unchanged(corpus):
        try:
            code = main(_argv(case, corpus))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err + cap.out
    assert code == case.code, cap.err
    assert case.err in cap.err


def test_the_corpus_covers_every_command() -> None:
    commands = set(command_paths())
    assert {("run",), ("import", "codecarbon"), ("carbon", "regions")} <= commands
    covered = {c.argv[:len(cmd)] for c in CASES.values() for cmd in commands}
    missing = sorted(" ".join(c) for c in commands if c not in covered)
    assert not missing, f"commands without a bad-input case: {missing}"


def test_a_suite_with_a_bad_dataset_names_the_suite_file_and_the_dataset(
        corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    with _inputs_unchanged(corpus):
        code = main(["run", str(corpus["bad_dataset_suite"]), "--store", str(corpus["store"])])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"in {corpus['bad_dataset_suite']}, point jobs[0].dataset" in err
    assert f"{corpus['broken_jsonl']}:2: invalid JSON" in err


def test_store_info_on_a_missing_store_says_so_and_creates_nothing(
        corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """``wattprint store`` answers where the store is; a missing one is "not created yet"
    (its documented exit 0), and asking creates nothing."""
    with _inputs_unchanged(corpus):
        code = main(["store", "--store", str(corpus["missing"])])
    assert code == 0
    assert "(not created yet)" in capsys.readouterr().out
    assert not corpus["missing"].exists()


# ------------------------------------------------------------------ real processes
def _wattprint(*args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "wattprint", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.parametrize("argv, codes", [
    (("export", "--store", "{store}", "--format", "json"), {EXIT_BROKEN_PIPE}),
    (("carbon", "regions"), {EXIT_BROKEN_PIPE}),
    (("--help",), {0, EXIT_BROKEN_PIPE}),  # argparse itself ignores a failed write of help
], ids=["export-json", "carbon-regions", "help"])
def test_a_closed_stdout_pipe_exits_quietly(argv: tuple[str, ...], codes: set[int],
                                            corpus: dict[str, Path], unchanged: None) -> None:
    """``wattprint export | head``: the reader went away; no traceback, no message."""
    proc = _wattprint(*[a.format(store=corpus["store"]) for a in argv])
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first write
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) in codes
    assert err == ""


def test_serve_on_a_busy_port_exits_2_before_building(corpus: dict[str, Path],
                                                      tmp_path: Path, unchanged: None) -> None:
    out = tmp_path / "report"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _wattprint("serve", "--store", str(corpus["store"]), "--out", str(out),
                          "--port", str(port))
        stdout, stderr = proc.communicate(timeout=60)
    err = stderr.decode()
    assert proc.returncode == 2, err
    assert f"--port {port}: 127.0.0.1:{port} is already in use" in err
    assert "Traceback" not in err
    assert not out.exists()  # refused before the report was built


def _read_only_runner(store_dir: Path) -> list[str] | None:
    """A command prefix that shows ``store_dir`` read-only to the child, or None.

    As root, file modes do not stop writes, so the folder is bind-mounted read-only in a
    private mount namespace (``unshare -m``), as on a read-only mount; as another user, the
    folder and file lose their write bits.
    """
    if os.geteuid() != 0:
        store_dir.chmod(0o555)
        for p in store_dir.iterdir():
            p.chmod(0o444)
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    script = ('mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"')
    probe = subprocess.run([unshare, "-m", "sh", "-c", script, str(store_dir), "true"],
                           capture_output=True)
    if probe.returncode != 0:
        return None
    return [unshare, "-m", "sh", "-c", script, str(store_dir)]


@pytest.fixture()
def read_only_store(corpus: dict[str, Path], tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    folder = tmp_path / "ro"
    folder.mkdir()
    store = folder / "results.db"
    shutil.copy(corpus["store"], store)
    prefix = _read_only_runner(folder)
    if prefix is None:
        pytest.skip("cannot make a read-only folder here (root without unshare/mount)")
    yield store, prefix
    folder.chmod(0o755)


def _run_read_only(prefix: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([*prefix, sys.executable, "-m", "wattprint", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_import_into_a_read_only_store_exits_2_and_changes_nothing(
        read_only_store: tuple[Path, list[str]], corpus: dict[str, Path]) -> None:
    store, prefix = read_only_store
    before = _sha(store)
    proc = _run_read_only(prefix, "import", "codecarbon", str(corpus["logs"]), "--store",
                          str(store), "--task", "text-classification")
    assert proc.returncode == 2, proc.stderr
    assert str(store) in proc.stderr and "Traceback" not in proc.stderr
    assert _sha(store) == before


@pytest.mark.parametrize("argv", [
    pytest.param(("report", "--out", "{out}"), id="report"),
    pytest.param(("export", "--format", "csv"), id="export"),
    pytest.param(("store",), id="store"),
])
def test_reading_a_read_only_store_works(argv: tuple[str, ...],
                                         read_only_store: tuple[Path, list[str]],
                                         tmp_path: Path) -> None:
    store, prefix = read_only_store
    before = _sha(store)
    args = [a.format(out=tmp_path / "report") for a in argv]
    proc = _run_read_only(prefix, *args, "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert _sha(store) == before
