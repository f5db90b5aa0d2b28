"""Import CodeCarbon emissions logs (2.x and 3.x; per-run rows and task-mode rows).

Each CodeCarbon row becomes energy per component with an honest provenance. What a row can
and cannot tell (checked against CodeCarbon's source, 2.x and 3.x):

* **GPU** — CodeCarbon ≥ 2.0 reads NVML's total-energy counter
  (``nvmlDeviceGetTotalEnergyConsumption``, mJ) at each measurement and sums the deltas over
  every GPU it tracks (``GPU.measure_power_and_energy``). That is a hardware counter, so the
  GPU domain is ``measured``, with the boundary "all ``gpu_count`` GPUs of the node" (CodeCarbon
  sums all visible GPUs, busy or idle). Exceptions marked ``integrated``: CodeCarbon < 2.0
  (not verified here), and pre-Volta GPUs (K/M/P series), where CodeCarbon 3.x falls back to
  integrating sampled power because the counter does not exist.
* **CPU** — CodeCarbon reads RAPL counters when it can, otherwise it *estimates*: with no
  usable interface and an unknown CPU it uses 50 % of a default 85 W TDP = **42.5 W**,
  constant. A row whose ``cpu_power`` is exactly 42.5 W is that fallback (``estimated``).
  A ``cpu_power`` identical in every row of a file is a constant TDP model (``estimated``).
  Otherwise the CSV does not say whether RAPL (a counter) or CodeCarbon 3's ``cpu_load``
  model (an estimate) produced it: the domain is then marked ``estimated`` with a model that
  says exactly that, unless the caller states ``cpu_measured=True`` (they know RAPL was used).
* **RAM** — CodeCarbon 2.x estimates 3 W per 8 GB of *installed* RAM, constant:
  ``ram_power = 3 × ram_total_size / 8``. A row matching that is ``estimated`` with that model;
  any other ``ram_power`` (CodeCarbon 3's per-slot model) is ``estimated`` with the constants
  it can read.

Energy is converted at this boundary: kWh → J, kg CO2eq → g. ``energy_consumed`` must equal
the sum of the components (or that sum × ``pue``) within 0.1 % (CSV rounding), or the row is
rejected with its file and line.

A task-mode file (``task_name`` column) groups the rows of one ``run_id``: the row named
``query_task`` (default ``"query model"``) is the result's own window and the others (``load
model`` …) become its ``phases``. Without a query row, each row is its own result.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wattprint.meters.base import DomainEnergy, EnergyResult, EstimateModel, Provenance
from wattprint.results.schema import STATUS_OK, JobResult, job_id_for
from wattprint.units import J_PER_KWH

SOURCE = "codecarbon"
BACKEND = "codecarbon-import"

REQUIRED_COLUMNS = ("timestamp", "project_name", "run_id", "duration", "emissions",
                    "energy_consumed", "cpu_energy", "gpu_energy", "ram_energy")
"""Columns every CodeCarbon 2.x/3.x emissions CSV has and this importer needs."""

SIGNATURE_COLUMNS = frozenset(REQUIRED_COLUMNS) | {"emissions_rate", "cpu_power", "gpu_power",
                                                    "ram_power", "codecarbon_version",
                                                    "country_iso_code", "tracking_mode"}
"""Columns that identify a CodeCarbon log (at least 4 must be present to call it one)."""

SUM_TOLERANCE = 1e-3
"""Relative tolerance of ``energy_consumed`` against the sum of components (CSV rounding)."""

CC_CPU_FALLBACK_W = 42.5
"""CodeCarbon's constant CPU power for an unknown CPU: 50 % of its default 85 W TDP."""

CC_RAM_W_PER_GB = 3.0 / 8.0
"""CodeCarbon 2.x RAM model: 3 W per 8 GB of installed RAM."""

QUERY_TASK = "query model"
PHASE_LABELS = {"load model": "load", "transfer model to GPU": "transfer"}
"""Task names mapped to wattprint phase labels; others keep their name."""

_PRE_VOLTA = re.compile(r"\b(?:Tesla\s+)?[KMP]\d{2,3}\b|GTX\s*(?:9|10)\d\d|TITAN\s+X\b", re.I)

CPU_FALLBACK_MODEL = EstimateModel(
    name="codecarbon-cpu-fallback",
    formula="P_cpu = 0.5 × TDP, constant; TDP = 85 W (CodeCarbon's default for a CPU "
            "missing from its table)",
    constants={"tdp_w": 85.0, "utilisation": 0.5, "power_w": CC_CPU_FALLBACK_W},
    source="CodeCarbon external/hardware.py (POWER_CONSTANT = 85, "
           "CONSUMPTION_PERCENTAGE_CONSTANT = 0.5); detected from cpu_power = 42.5 W",
)
CPU_FALLBACK_UNCERTAINTY = 1.0
"""±100 %: the constant is not this CPU's TDP nor its load; real power may be half or double."""

RAM_2X_UNCERTAINTY = 0.5
"""±50 %: 3 W/8 GB is a rule of thumb for loaded DRAM; idle DIMMs draw less."""


@dataclass(frozen=True)
class ImportIssue:
    """One problem found while importing: the file, its line (1 = header) and what is wrong."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What an import produced.

    Attributes:
        results: One record per run (task-mode) or per row (per-run logs).
        errors: Every problem, with file and line; the rows concerned were not imported.
        files: CSV files read.
        rows: Data rows read.
    """

    results: list[JobResult] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    files: int = 0
    rows: int = 0


@dataclass(frozen=True)
class ImportOptions:
    """How imported rows are labelled.

    Attributes:
        task, dataset: Labels for the records (CodeCarbon does not record them).
        model: Model label; when None, ``project_name`` if ``project_as_model`` else "unknown".
        project_as_model: Use CodeCarbon's ``project_name`` as the model id.
        n: Inferences per query window (0 = unknown; per-inference figures are then absent).
        query_task: Task-mode task name that is the measured (query) window.
        cpu_measured: The caller knows CodeCarbon read RAPL counters for the CPU: mark CPU
            energy ``measured`` when it is not an identified constant estimate.
        run_id: Id of the import invocation, stored on every record.
    """

    task: str = "unknown"
    dataset: str = "unknown"
    model: str | None = None
    project_as_model: bool = False
    n: int = 0
    query_task: str = QUERY_TASK
    cpu_measured: bool = False
    run_id: str | None = None


class _RowError(Exception):
    pass


def _num(row: Mapping[str, str], col: str, *, required: bool = True) -> float | None:
    raw = row.get(col)
    if raw is None or raw.strip() == "":
        if required:
            raise _RowError(f"column {col!r} is empty")
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _RowError(f"column {col!r} is not a number: {raw!r}") from None
    if not math.isfinite(value):
        raise _RowError(f"column {col!r} is not finite: {raw!r}")
    return value


def _text(row: Mapping[str, str], col: str) -> str | None:
    raw = row.get(col)
    if raw is None:
        return None
    raw = raw.strip()
    return raw or None


def _version_tuple(version: str | None) -> tuple[int, ...]:
    if not version:
        return ()
    parts = []
    for p in version.split("."):
        m = re.match(r"\d+", p)
        if not m:
            break
        parts.append(int(m.group()))
    return tuple(parts)


@dataclass(frozen=True)
class _Parsed:
    line: int
    task_name: str | None
    run_id: str
    project: str
    timestamp: str
    duration_s: float
    domains: tuple[DomainEnergy, ...]
    energy_kwh: float
    emissions_kg: float
    row: Mapping[str, str]


class _FileContext:
    """Per-file facts that decide provenance (constant CPU power across rows ...)."""

    def __init__(self, rows: Sequence[Mapping[str, str]], options: ImportOptions) -> None:
        powers = {(r.get("cpu_power") or "").strip() for r in rows}
        self.cpu_constant = len(rows) >= 2 and len(powers) == 1 and "" not in powers
        self.options = options


def _gpu_domain(row: Mapping[str, str], energy_j: float, version: tuple[int, ...]) -> DomainEnergy | None:
    count = _num(row, "gpu_count", required=False)
    model = _text(row, "gpu_model")
    if energy_j == 0.0 and not count and not model:
        return None  # no GPU tracked
    n = int(count) if count else None
    what = f"all {n} GPUs of the node (gpu_count={n})" if n and n > 1 else "the node's GPU(s)"
    boundary = f"{what}{': ' + model if model else ''}, summed by CodeCarbon whether busy or idle"
    if version and version < (2,):
        prov, src = Provenance.INTEGRATED, "codecarbon<2:gpu power (not verified)"
    elif model and _PRE_VOLTA.search(model):
        prov, src = Provenance.INTEGRATED, "codecarbon:nvml power samples (no energy counter before Volta)"
    else:
        prov, src = Provenance.MEASURED, "codecarbon:nvml:nvmlDeviceGetTotalEnergyConsumption deltas"
    return DomainEnergy(name="gpu:all", component="gpu", boundary=boundary, provenance=prov,
                        source=src, energy_j=energy_j, scope="machine")


def _cpu_domain(row: Mapping[str, str], energy_j: float, ctx: _FileContext) -> DomainEnergy:
    power = _num(row, "cpu_power", required=False)
    cpu_model = _text(row, "cpu_model") or "unknown CPU"
    count = _text(row, "cpu_count")
    scope = "process" if (_text(row, "tracking_mode") or "machine") == "process" else "machine"
    boundary = f"CPU ({cpu_model}, cpu_count={count}) as CodeCarbon tracked it ({scope})"
    if power is not None and abs(power - CC_CPU_FALLBACK_W) < 1e-9:
        return DomainEnergy("cpu:all", "cpu", boundary, Provenance.ESTIMATED,
                            "codecarbon:cpu constant fallback", energy_j,
                            uncertainty=CPU_FALLBACK_UNCERTAINTY, model=CPU_FALLBACK_MODEL,
                            scope=scope)
    if power is not None and ctx.cpu_constant:
        model = EstimateModel(
            name="codecarbon-cpu-constant-tdp",
            formula="P_cpu = 0.5 × TDP, constant (same cpu_power in every row of the file)",
            constants={"power_w": power, "tdp_w": 2 * power, "utilisation": 0.5},
            source=f"CodeCarbon constant mode, TDP of {cpu_model} from its CPU table; "
                   "detected from a cpu_power that never changes")
        return DomainEnergy("cpu:all", "cpu", boundary, Provenance.ESTIMATED,
                            "codecarbon:cpu constant TDP", energy_j, uncertainty=0.5,
                            model=model, scope=scope)
    if ctx.options.cpu_measured:
        return DomainEnergy("cpu:all", "cpu", boundary, Provenance.MEASURED,
                            "codecarbon:rapl energy_uj (stated by the importer's caller)",
                            energy_j, scope=scope)
    model = EstimateModel(
        name="codecarbon-cpu-unknown-mode",
        formula="RAPL counter deltas, or P = TDP × CPU load (CodeCarbon 3 cpu_load mode); "
                "the CSV does not say which",
        constants={"mean_power_w": power},
        source="CodeCarbon emissions CSV; marked estimated because a counter cannot be "
               "confirmed from the columns (import with cpu_measured=True if RAPL was used)")
    return DomainEnergy("cpu:all", "cpu", boundary, Provenance.ESTIMATED,
                        "codecarbon:cpu (mode unknown)", energy_j, uncertainty=0.5, model=model,
                        scope=scope)


def _ram_domain(row: Mapping[str, str], energy_j: float) -> DomainEnergy:
    power = _num(row, "ram_power", required=False)
    total_gb = _num(row, "ram_total_size", required=False)
    scope = "process" if (_text(row, "tracking_mode") or "machine") == "process" else "machine"
    boundary = (f"RAM of the machine ({total_gb:g} GB installed)" if total_gb
                else "RAM as CodeCarbon tracked it")
    if power is not None and total_gb and abs(power - CC_RAM_W_PER_GB * total_gb) <= 1e-6 * power:
        return DomainEnergy("ram:all", "ram", boundary, Provenance.ESTIMATED,
                            "codecarbon:ram 3W/8GB", energy_j, uncertainty=RAM_2X_UNCERTAINTY,
                            model=_ram_3w_model(total_gb, power), scope=scope)
    return DomainEnergy("ram:all", "ram", boundary, Provenance.ESTIMATED, "codecarbon:ram model",
                        energy_j, uncertainty=RAM_2X_UNCERTAINTY,
                        model=_ram_other_model(power, total_gb), scope=scope)


@functools.lru_cache(maxsize=256)
def _ram_3w_model(total_gb: float, power: float) -> EstimateModel:
    return EstimateModel(
        name="codecarbon-ram-3w-per-8gb",
        formula="P_ram = 3 W × ram_total_size_gb / 8, constant",
        constants={"w_per_8gb": 3.0, "ram_total_size_gb": total_gb, "power_w": power},
        source="CodeCarbon 2.x RAM model (3 W per 8 GB of installed memory); "
               "detected from ram_power = 3 × ram_total_size / 8")


@functools.lru_cache(maxsize=256)
def _ram_other_model(power: float | None, total_gb: float | None) -> EstimateModel:
    return EstimateModel(
        name="codecarbon-ram-model",
        formula="CodeCarbon RAM power model (per-slot or per-GB; not identifiable from the CSV)",
        constants={"mean_power_w": power, "ram_total_size_gb": total_gb},
        source="CodeCarbon emissions CSV; RAM power is always modelled, never measured")


def _parse_row(row: Mapping[str, str], line: int, ctx: _FileContext) -> _Parsed:
    if None in row:  # csv.DictReader puts surplus fields under the None key
        raise _RowError(f"{len(row[None])} more field(s) than the header has")  # type: ignore[index]
    missing = [c for c in REQUIRED_COLUMNS if row.get(c) is None]
    if missing:
        raise _RowError(f"too few fields (no value for {', '.join(missing)})")
    duration = _num(row, "duration")
    emissions = _num(row, "emissions")
    total = _num(row, "energy_consumed")
    parts = {c: _num(row, f"{c}_energy") for c in ("cpu", "gpu", "ram")}
    assert duration is not None and emissions is not None and total is not None
    for name, value in (("duration", duration), ("emissions", emissions),
                        ("energy_consumed", total), *((f"{c}_energy", v) for c, v in parts.items())):
        if value is not None and value < 0:
            raise _RowError(f"column {name!r} is negative: {value}")
    s = sum(v for v in parts.values() if v is not None)
    pue = _num(row, "pue", required=False) or 1.0
    tol = SUM_TOLERANCE * max(total, s) + 1e-12
    if abs(s - total) > tol and abs(s * pue - total) > tol:
        raise _RowError(
            f"energy_consumed ({total:.6g} kWh) is not the sum of cpu_energy + gpu_energy + "
            f"ram_energy ({s:.6g} kWh) within {SUM_TOLERANCE:.1%}; the units do not add up")
    run_id = _text(row, "run_id")
    if not run_id:
        raise _RowError("column 'run_id' is empty")
    version = _version_tuple(_text(row, "codecarbon_version"))
    domains = [d for d in (_gpu_domain(row, parts["gpu"] * J_PER_KWH, version),  # type: ignore[operator]
                           _cpu_domain(row, parts["cpu"] * J_PER_KWH, ctx),  # type: ignore[operator]
                           _ram_domain(row, parts["ram"] * J_PER_KWH)) if d is not None]  # type: ignore[operator]
    return _Parsed(line=line, task_name=_text(row, "task_name"), run_id=run_id,
                   project=_text(row, "project_name") or "", timestamp=_text(row, "timestamp") or "",
                   duration_s=duration, domains=tuple(domains), energy_kwh=total,
                   emissions_kg=emissions, row=row)


_ENV_COLUMNS = ("cpu_model", "cpu_count", "gpu_model", "gpu_count", "ram_total_size", "os",
                "python_version", "codecarbon_version", "tracking_mode", "on_cloud",
                "cloud_provider", "cloud_region")
_EXTRA_COLUMNS = ("country_name", "country_iso_code", "region", "longitude", "latitude",
                  "emissions_rate", "cpu_power", "gpu_power", "ram_power", "experiment_id",
                  "water_consumed", "wue", "cpu_utilization_percent", "gpu_utilization_percent",
                  "ram_utilization_percent", "ram_used_gb", "pue")


def _environment(row: Mapping[str, str]) -> dict[str, Any]:
    env: dict[str, Any] = {"source": "codecarbon log"}
    for c in _ENV_COLUMNS:
        v = _text(row, c)
        if v is not None:
            env[c] = v
    return env


def _carbon(p: _Parsed) -> dict[str, Any]:
    version = _text(p.row, "codecarbon_version") or "?"
    where = "/".join(x for x in (_text(p.row, "country_iso_code"), _text(p.row, "region")) if x)
    return {
        "emissions_g": p.emissions_kg * 1000.0,
        "intensity_g_per_kwh": (p.emissions_kg * 1000.0 / p.energy_kwh) if p.energy_kwh > 0 else None,
        "intensity_source": f"codecarbon {version} {where or 'unknown region'} "
                            "(implied: emissions / energy_consumed)",
        "pue": _num(p.row, "pue", required=False),
    }


def _started_at(p: _Parsed) -> float:
    """Window start, seconds since the epoch: CodeCarbon's timestamp is the row's end time
    (local time of the machine, no zone; read as UTC), minus its duration. 0.0 if unparseable."""
    try:
        end = datetime.fromisoformat(p.timestamp)
    except ValueError:
        return 0.0
    if end.tzinfo is None:
        end = end.replace(tzinfo=timezone.utc)
    return end.timestamp() - p.duration_s


def _window(p: _Parsed, label: str) -> EnergyResult:
    return EnergyResult(label=label, started_at=_started_at(p), duration_s=p.duration_s,
                        domains=p.domains,
                        warnings=(f"imported from CodeCarbon task {p.task_name!r} "
                                  f"(line {p.line}, timestamp {p.timestamp})",))


def _record(file: Path, main: _Parsed, phases: Sequence[_Parsed], opts: ImportOptions) -> JobResult:
    env = _environment(main.row)
    extra: dict[str, Any] = {"project_name": main.project, "codecarbon_run_id": main.run_id,
                             "energy_consumed_kwh": main.energy_kwh}
    if main.task_name is not None:
        extra["task_name"] = main.task_name
    for c in _EXTRA_COLUMNS:
        v = _text(main.row, c)
        if v is not None:
            extra[c] = v
    labelled: dict[str, EnergyResult] = {}
    for ph in phases:
        label = PHASE_LABELS.get(ph.task_name or "", ph.task_name or "row")
        base, k = label, 2
        while label in labelled:
            label = f"{base}#{k}"
            k += 1
        labelled[label] = _window(ph, label)
    if phases:
        extra["phase_lines"] = {lab: ph.line for lab, ph in zip(labelled, phases)}
        extra["phase_emissions_g"] = {lab: ph.emissions_kg * 1000.0
                                      for lab, ph in zip(labelled, phases)}
    model = opts.model or (main.project if opts.project_as_model and main.project else "unknown")
    job_id = job_id_for({"source": SOURCE, "file": file.name, "run_id": main.run_id,
                         "task_name": main.task_name, "timestamp": main.timestamp})
    hw = {k: env.get(k) for k in ("cpu_model", "gpu_model", "gpu_count", "ram_total_size")}
    return JobResult(
        job_id=job_id, repetition=0, task=opts.task, model=model, dataset=opts.dataset, n=opts.n,
        status=STATUS_OK, duration_s=main.duration_s, domains=main.domains, run_id=opts.run_id,
        backend=BACKEND, phases=labelled, environment=env, hardware_id=job_id_for(hw)[:12],
        carbon=_carbon(main), source=SOURCE, source_file=str(file), source_line=main.line,
        created_at=main.timestamp or None, extra=extra,
    )


def header_problem(header: Sequence[str] | None) -> str | None:
    """Why a CSV header is not a usable CodeCarbon log, or None when it is."""
    if not header:
        return "empty file, not a CodeCarbon emissions log"
    cols = {h.strip() for h in header}
    known = cols & SIGNATURE_COLUMNS
    if len(known) < 4:
        return (f"not a CodeCarbon emissions log (header has {len(cols)} column(s), "
                f"{len(known)} of CodeCarbon's; expected e.g. {', '.join(REQUIRED_COLUMNS)})")
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        return f"CodeCarbon log is missing column(s) {', '.join(missing)}"
    return None


def read_file(path: str | Path, options: ImportOptions | None = None) -> ImportReport:
    """Read one CodeCarbon emissions CSV.

    Args:
        path: The CSV file.
        options: Labels and detection switches (defaults: see :class:`ImportOptions`).

    Returns:
        The records and every problem found (a bad file yields one error and no records; a
        bad row yields an error naming its line, and the other rows are still imported).
    """
    opts = options or ImportOptions()
    file = Path(path)
    report = ImportReport(files=1)
    try:
        with open(file, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            problem = header_problem(header)
            if problem:
                report.errors.append(ImportIssue(str(file), 1, problem))
                return report
            rows: list[tuple[int, dict[str, str]]] = []
            for row in reader:
                rows.append((reader.line_num, row))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        report.errors.append(ImportIssue(str(file), None, f"cannot read: {err}"))
        return report
    report.rows = len(rows)
    if header and header != [h.strip() for h in header]:
        rows = [(n, {k.strip() if isinstance(k, str) else k: v for k, v in r.items()})
                for n, r in rows]
    ctx = _FileContext([r for _, r in rows], opts)
    parsed: list[_Parsed] = []
    for line, row in rows:
        try:
            parsed.append(_parse_row(row, line, ctx))
        except _RowError as err:
            report.errors.append(ImportIssue(str(file), line, str(err)))
        except ValueError as err:  # DomainEnergy / JobResult validation
            report.errors.append(ImportIssue(str(file), line, str(err)))
    task_mode = header is not None and "task_name" in [h.strip() for h in header]
    if not task_mode:
        report.results.extend(_record(file, p, (), opts) for p in parsed)
        return report
    groups: dict[str, list[_Parsed]] = {}
    for p in parsed:
        groups.setdefault(p.run_id, []).append(p)
    for members in groups.values():
        queries = [p for p in members if p.task_name == opts.query_task]
        if len(queries) == 1:
            others = [p for p in members if p is not queries[0]]
            report.results.append(_record(file, queries[0], others, opts))
        else:
            report.results.extend(_record(file, p, (), opts) for p in members)
    return report


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


def read_paths(paths: Iterable[str | Path], options: ImportOptions | None = None) -> ImportReport:
    """Read CodeCarbon CSVs from files and folders (recursive ``*.csv``).

    Args:
        paths: Files or folders.
        options: See :class:`ImportOptions`.

    Returns:
        All records and all problems (each naming its file and line).
    """
    files, issues = expand_paths(paths)
    report = ImportReport(errors=list(issues))
    for f in files:
        one = read_file(f, options)
        report.results.extend(one.results)
        report.errors.extend(one.errors)
        report.files += one.files
        report.rows += one.rows
    return report
