"""What a CodeCarbon emissions row means (2.x and 3.x; per-run rows and task-mode rows).

The importer reads a log in two passes: :mod:`~wattprint.results.importers.codecarbon_plan`
checks each file and cuts it into chunks of whole runs; :mod:`~wattprint.results.importers.codecarbon`
reads the chunks. This module is what both rely on: the header check, the per-file facts,
and the parsing of one row into energy domains and of a run's rows into one record.

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

A **partial row** leaves some component columns empty (CodeCarbon's own ``examples/emissions.csv``
has rows with GPU and RAM energy but empty ``cpu_energy``, ``energy_consumed`` and ``run_id``):
it is imported with the domains it has, its total is unknown (``energy_consumed_kwh`` None in
``extra``, never a sum of the parts it has), and its warnings say which components are missing.
A row with every component empty is refused.

A task-mode file (``task_name`` column) groups the rows of one ``run_id``: the row named
``query_task`` (default ``"query model"``) is the result's own window and the others (``load
model`` …) become its ``phases``. Without a query row, each row is its own result.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from wattprint.carbon.record import CarbonRecord
from wattprint.meters.base import DomainEnergy, EnergyResult, EstimateModel, Provenance
from wattprint.results.schema import STATUS_OK, JobResult, job_id_for
from wattprint.units import J_PER_KWH

SOURCE = "codecarbon"
BACKEND = "codecarbon-import"

REQUIRED_COLUMNS = ("timestamp", "project_name", "run_id", "duration", "emissions",
                    "energy_consumed", "cpu_energy", "gpu_energy", "ram_energy")
"""Columns every CodeCarbon 2.x/3.x emissions CSV has."""

COMPONENT_COLUMNS = ("cpu_energy", "gpu_energy", "ram_energy")

LEGACY_REQUIRED_COLUMNS = ("timestamp", "project_name", "duration", "energy_consumed")
"""What a CodeCarbon 1.x log (no per-component columns) must have to be imported, as a total."""

SIGNATURE_COLUMNS = frozenset(REQUIRED_COLUMNS) | {"emissions_rate", "cpu_power", "gpu_power",
                                                    "ram_power", "codecarbon_version",
                                                    "country_iso_code", "tracking_mode",
                                                    "experiment_id", "country_name", "on_cloud"}
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

_APPLE_SILICON = re.compile(r"\bApple\s+M\d", re.I)
"""CPU/GPU model of an Apple silicon Mac (M1, M2 Pro ...): CodeCarbon reads its CPU and GPU
power from ``powermetrics`` samples, not from NVML or RAPL counters."""

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

LEGACY_TOTAL_MODEL = EstimateModel(
    name="codecarbon-1x-total",
    formula="energy_consumed as logged: CPU + GPU + RAM, each read or modelled by CodeCarbon "
            "1.x; the split between components and how each part was obtained are not recorded",
    constants={},
    source="CodeCarbon 1.x emissions CSV (no cpu_energy / gpu_energy / ram_energy columns); "
           "kept whole and marked estimated because it includes modelled parts",
)
LEGACY_TOTAL_UNCERTAINTY = 0.5
"""±50 %: the total includes CodeCarbon's modelled CPU/RAM parts, whose share is unknown."""

MAX_KEPT_ISSUES = 1000
"""A report keeps this many issues verbatim and counts the rest (bounded memory)."""


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
        errors: Problems, with file and line (the first :data:`MAX_KEPT_ISSUES`); the rows
            concerned were not imported.
        files: CSV files read.
        rows: Data rows read.
        n_errors: How many problems there were in all (``len(errors)`` or more).
    """

    results: list[JobResult] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    files: int = 0
    rows: int = 0
    n_errors: int = 0

    def add_issue(self, issue: ImportIssue) -> None:
        """Count an issue; keep it while fewer than :data:`MAX_KEPT_ISSUES` are kept."""
        self.n_errors += 1
        if len(self.errors) < MAX_KEPT_ISSUES:
            self.errors.append(issue)


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


class RowError(Exception):
    """A data row that cannot be imported; the message says which column and why."""


# Rows reach the parsers with every value already stripped (see chunk_records).


def _number(raw: str | None, col: str, *, required: bool = True) -> float | None:
    """Column ``col``'s text as a finite number; None when empty and not ``required``."""
    if not raw:
        if required:
            raise RowError(f"column {col!r} is empty")
        return None
    try:
        value = float(raw)
    except ValueError:
        raise RowError(f"column {col!r} is not a number: {raw!r}") from None
    if not math.isfinite(value):
        raise RowError(f"column {col!r} is not finite: {raw!r}")
    return value


def _text(row: Mapping[str, str], col: str) -> str | None:
    return row.get(col) or None


@functools.lru_cache(maxsize=256)
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


class ParsedRow(NamedTuple):
    """One data row, checked and turned into energy domains (its text kept in ``row``)."""

    line: int
    task_name: str | None
    run_id: str | None
    project: str
    timestamp: str
    duration_s: float
    domains: tuple[DomainEnergy, ...]
    energy_kwh: float | None
    emissions_kg: float | None
    pue: float | None
    row: Mapping[str, str]
    missing: tuple[str, ...] = ()
    """Component columns left empty in a partial row (``cpu_energy`` ...)."""


@dataclass(frozen=True)
class FileContext:
    """Per-file facts that decide provenance (constant CPU power across rows ...).

    Attributes:
        cpu_constant: Every row has the same, non-empty ``cpu_power`` (2+ rows).
        legacy: A CodeCarbon 1.x log: no per-component energy columns.
        options: The import's options.
    """

    cpu_constant: bool
    legacy: bool
    options: ImportOptions


@functools.lru_cache(maxsize=256)
def _is_apple_silicon(cpu_model: str, gpu_model: str) -> bool:
    return bool(_APPLE_SILICON.search(cpu_model) or _APPLE_SILICON.search(gpu_model))


@functools.lru_cache(maxsize=256)
def _pre_volta(gpu_model: str) -> bool:
    return bool(_PRE_VOLTA.search(gpu_model))


def _gpu_domain(row: Mapping[str, str], energy_j: float, version: tuple[int, ...]) -> DomainEnergy | None:
    named, desc = _gpu_description(row.get("gpu_count") or "", row.get("gpu_model") or "",
                                   row.get("cpu_model") or "", version)
    if not named and energy_j == 0.0:
        return None  # no GPU tracked
    return DomainEnergy(*desc, energy_j, scope="machine")


@functools.lru_cache(maxsize=1024)
def _gpu_description(count_text: str, model: str, cpu_model: str, version: tuple[int, ...]
                     ) -> tuple[bool, tuple[str, str, str, Provenance, str]]:
    """Whether the row names a GPU (count or model), and ``(name, component, boundary,
    provenance, source)`` of its GPU domain, from the columns that decide it."""
    count = _number(count_text, "gpu_count", required=False)
    n = int(count) if count else None
    what = f"all {n} GPUs of the node (gpu_count={n})" if n and n > 1 else "the node's GPU(s)"
    boundary = f"{what}{': ' + model if model else ''}, summed by CodeCarbon whether busy or idle"
    if _is_apple_silicon(cpu_model, model):
        boundary = (f"the Apple silicon GPU{' (' + model + ')' if model else ''}, as "
                    "powermetrics reports it")
        prov, src = Provenance.INTEGRATED, "codecarbon:powermetrics gpu power samples (Apple silicon)"
    elif version and version < (2,):
        prov, src = Provenance.INTEGRATED, "codecarbon<2:gpu power (not verified)"
    elif model and _pre_volta(model):
        prov, src = Provenance.INTEGRATED, "codecarbon:nvml power samples (no energy counter before Volta)"
    else:
        prov, src = Provenance.MEASURED, "codecarbon:nvml:nvmlDeviceGetTotalEnergyConsumption deltas"
    return bool(count or model), ("gpu:all", "gpu", boundary, prov, src)


def _cpu_domain(row: Mapping[str, str], energy_j: float, ctx: FileContext) -> DomainEnergy:
    desc = _cpu_description(row.get("cpu_power") or "", row.get("cpu_model") or "",
                            row.get("cpu_count") or "", row.get("tracking_mode") or "",
                            row.get("gpu_model") or "", ctx)
    return DomainEnergy("cpu:all", "cpu", desc[0], desc[1], desc[2], energy_j,
                        uncertainty=desc[3], model=desc[4], scope=desc[5])


@functools.lru_cache(maxsize=1024)
def _cpu_description(power_text: str, cpu_model_text: str, count: str, tracking_mode: str,
                     gpu_model: str, ctx: FileContext
                     ) -> tuple[str, Provenance, str, float | None, EstimateModel | None, str]:
    """``(boundary, provenance, source, uncertainty, model, scope)`` of a row's CPU domain,
    from the columns that decide it."""
    power = _number(power_text, "cpu_power", required=False)
    cpu_model = cpu_model_text or "unknown CPU"
    scope = "process" if tracking_mode == "process" else "machine"
    boundary = f"CPU ({cpu_model}, cpu_count={count or None}) as CodeCarbon tracked it ({scope})"
    if _is_apple_silicon(cpu_model_text, gpu_model):
        return (boundary, Provenance.INTEGRATED,
                "codecarbon:powermetrics cpu power samples (Apple silicon)", None, None, scope)
    if power is not None and abs(power - CC_CPU_FALLBACK_W) < 1e-9:
        return (boundary, Provenance.ESTIMATED, "codecarbon:cpu constant fallback",
                CPU_FALLBACK_UNCERTAINTY, CPU_FALLBACK_MODEL, scope)
    if power is not None and ctx.cpu_constant:
        return (boundary, Provenance.ESTIMATED, "codecarbon:cpu constant TDP", 0.5,
                _cpu_constant_model(power, cpu_model), scope)
    if ctx.options.cpu_measured:
        return (boundary, Provenance.MEASURED,
                "codecarbon:rapl energy_uj (stated by the importer's caller)", None, None, scope)
    return (boundary, Provenance.ESTIMATED, "codecarbon:cpu (mode unknown)", 0.5,
            CPU_UNKNOWN_MODE_MODEL, scope)


CPU_UNKNOWN_MODE_MODEL = EstimateModel(
    name="codecarbon-cpu-unknown-mode",
    formula="RAPL counter deltas, or P = TDP × CPU load (CodeCarbon 3 cpu_load mode); "
            "the CSV does not say which",
    constants={},
    source="CodeCarbon emissions CSV (each row's mean power is its cpu_power column, kept in "
           "extra); marked estimated because a counter cannot be confirmed from the columns "
           "(import with cpu_measured=True if RAPL was used)")


@functools.lru_cache(maxsize=256)
def _cpu_constant_model(power: float, cpu_model: str) -> EstimateModel:
    return EstimateModel(
        name="codecarbon-cpu-constant-tdp",
        formula="P_cpu = 0.5 × TDP, constant (same cpu_power in every row of the file)",
        constants={"power_w": power, "tdp_w": 2 * power, "utilisation": 0.5},
        source=f"CodeCarbon constant mode, TDP of {cpu_model} from its CPU table; "
               "detected from a cpu_power that never changes")


def _ram_domain(row: Mapping[str, str], energy_j: float) -> DomainEnergy:
    desc = _ram_description(row.get("ram_power") or "", row.get("ram_total_size") or "",
                            row.get("tracking_mode") or "")
    return DomainEnergy("ram:all", "ram", desc[0], Provenance.ESTIMATED, desc[1], energy_j,
                        uncertainty=RAM_2X_UNCERTAINTY, model=desc[2], scope=desc[3])


@functools.lru_cache(maxsize=1024)
def _ram_description(power_text: str, total_text: str, tracking_mode: str
                     ) -> tuple[str, str, EstimateModel, str]:
    """``(boundary, source, model, scope)`` of a row's RAM domain (always estimated)."""
    power = _number(power_text, "ram_power", required=False)
    total_gb = _number(total_text, "ram_total_size", required=False)
    scope = "process" if tracking_mode == "process" else "machine"
    boundary = (f"RAM of the machine ({total_gb:g} GB installed)" if total_gb
                else "RAM as CodeCarbon tracked it")
    if power is not None and total_gb and abs(power - CC_RAM_W_PER_GB * total_gb) <= 1e-6 * power:
        return boundary, "codecarbon:ram 3W/8GB", _ram_3w_model(total_gb, power), scope
    return boundary, "codecarbon:ram model", _ram_other_model(total_gb), scope


@functools.lru_cache(maxsize=256)
def _ram_3w_model(total_gb: float, power: float) -> EstimateModel:
    return EstimateModel(
        name="codecarbon-ram-3w-per-8gb",
        formula="P_ram = 3 W × ram_total_size_gb / 8, constant",
        constants={"w_per_8gb": 3.0, "ram_total_size_gb": total_gb, "power_w": power},
        source="CodeCarbon 2.x RAM model (3 W per 8 GB of installed memory); "
               "detected from ram_power = 3 × ram_total_size / 8")


@functools.lru_cache(maxsize=256)
def _ram_other_model(total_gb: float | None) -> EstimateModel:
    return EstimateModel(
        name="codecarbon-ram-model",
        formula="CodeCarbon RAM power model (per-slot or per-GB; not identifiable from the CSV)",
        constants={"ram_total_size_gb": total_gb},
        source="CodeCarbon emissions CSV (each row's mean power is its ram_power column, kept "
               "in extra); RAM power is always modelled, never measured")


def _legacy_domain(row: Mapping[str, str], energy_j: float) -> DomainEnergy:
    where = _text(row, "cloud_provider") or ("cloud" if _text(row, "on_cloud") == "Y" else None)
    boundary = ("everything CodeCarbon 1.x tracked on the machine (CPU, GPU, RAM); the split "
                "between components is unknown" + (f"; {where}" if where else ""))
    return DomainEnergy("total:codecarbon", "total", boundary, Provenance.ESTIMATED,
                        "codecarbon<2:energy_consumed (component split unknown)", energy_j,
                        uncertainty=LEGACY_TOTAL_UNCERTAINTY, model=LEGACY_TOTAL_MODEL,
                        scope="machine")


def parse_row(row: Mapping[str, str], line: int, ctx: FileContext) -> ParsedRow:
    """One data row (column name → stripped text) checked and turned into energy domains.

    Raises:
        RowError: a missing, empty, non-numeric or negative value, or components that do
            not add up to ``energy_consumed``; the message names the column.
    """
    get = row.get
    needed = LEGACY_REQUIRED_COLUMNS if ctx.legacy else REQUIRED_COLUMNS
    if None in map(get, needed):
        absent = [c for c in needed if get(c) is None]
        raise RowError(f"too few fields (no value for {', '.join(absent)})")
    duration = _number(get("duration"), "duration")
    emissions = _number(get("emissions"), "emissions", required=False)  # empty in some logs
    parts: tuple[float | None, ...] = () if ctx.legacy else tuple(
        _number(get(c), c, required=False) for c in COMPONENT_COLUMNS)
    missing = tuple(c for c, v in zip(COMPONENT_COLUMNS, parts) if v is None)
    if parts and len(missing) == len(parts):
        raise RowError(f"columns {', '.join(COMPONENT_COLUMNS)} are all empty: no energy to import")
    # a partial row (a component empty) may leave the total empty too: it is then unknown
    total = _number(get("energy_consumed"), "energy_consumed", required=not missing)
    assert duration is not None
    named = (("duration", duration), ("emissions", emissions), ("energy_consumed", total),
             *zip(COMPONENT_COLUMNS, parts))
    if any(v is not None and v < 0 for _, v in named):
        name, value = next((n, v) for n, v in named if v is not None and v < 0)
        raise RowError(f"column {name!r} is negative: {value}")
    pue = _number(get("pue"), "pue", required=False)
    if ctx.legacy:
        assert total is not None
        domains = [_legacy_domain(row, total * J_PER_KWH)]
    else:
        cpu, gpu, ram = parts
        if not missing:
            assert cpu is not None and gpu is not None and ram is not None and total is not None
            _check_sum(cpu + gpu + ram, total, pue)
        version = _version_tuple(get("codecarbon_version") or None)
        domains = []
        if gpu is not None and (gpu_domain := _gpu_domain(row, gpu * J_PER_KWH, version)):
            domains.append(gpu_domain)
        if cpu is not None:
            domains.append(_cpu_domain(row, cpu * J_PER_KWH, ctx))
        if ram is not None:
            domains.append(_ram_domain(row, ram * J_PER_KWH))
        if not domains:
            raise RowError(f"columns {', '.join(missing)} are empty and the GPU column names "
                           "no GPU: no energy to import")
    return ParsedRow(line=line, task_name=get("task_name") or None,
                     run_id=get("run_id") or None, project=get("project_name") or "",
                     timestamp=get("timestamp") or "",
                     duration_s=duration, domains=tuple(domains),
                     energy_kwh=None if missing else total,
                     emissions_kg=emissions, pue=pue, row=row, missing=missing)


def _check_sum(s: float, total: float, pue: float | None) -> None:
    """``energy_consumed`` equals the components' sum (or the sum × PUE) within rounding."""
    tol = SUM_TOLERANCE * max(total, s) + 1e-12
    if abs(s - total) > tol and abs(s * (pue or 1.0) - total) > tol:
        raise RowError(
            f"energy_consumed ({total:.6g} kWh) is not the sum of cpu_energy + gpu_energy + "
            f"ram_energy ({s:.6g} kWh) within {SUM_TOLERANCE:.1%}; the units do not add up")


def _partial_note(p: ParsedRow) -> str:
    """The label of a partial row: which components it lacks and that its total is unknown."""
    return (f"partial CodeCarbon row (line {p.line}): {', '.join(p.missing)} empty, so that "
            f"energy is unknown and the row's total is unknown; imported with "
            f"{', '.join(d.name for d in p.domains)} only, which are not the whole machine")


_ENV_COLUMNS = ("cpu_model", "cpu_count", "gpu_model", "gpu_count", "ram_total_size", "os",
                "python_version", "codecarbon_version", "tracking_mode", "on_cloud",
                "cloud_provider", "cloud_region")
_EXTRA_COLUMNS = ("country_name", "country_iso_code", "region", "longitude", "latitude",
                  "emissions_rate", "cpu_power", "gpu_power", "ram_power", "experiment_id",
                  "water_consumed", "wue", "cpu_utilization_percent", "gpu_utilization_percent",
                  "ram_utilization_percent", "ram_used_gb", "pue")


_value_of = operator.itemgetter(1)


def _environment(row: Mapping[str, str]) -> dict[str, Any]:
    """The row's environment. Rows describing the same machine share one dict (the store then
    keeps it once without hashing it again per row); never modify it in place."""
    return _shared_environment(tuple(map(row.get, _ENV_COLUMNS)))


@functools.lru_cache(maxsize=1024)
def _shared_environment(values: tuple[str | None, ...]) -> dict[str, Any]:
    env: dict[str, Any] = {"source": "codecarbon log"}
    env.update((c, v) for c, v in zip(_ENV_COLUMNS, values) if v)
    return env


@functools.lru_cache(maxsize=1024)
def _hardware_id(cpu_model: str | None, gpu_model: str | None, gpu_count: str | None,
                 ram_total_size: str | None) -> str:
    hw = {"cpu_model": cpu_model, "gpu_model": gpu_model, "gpu_count": gpu_count,
          "ram_total_size": ram_total_size}
    return job_id_for(hw)[:12]


def _carbon(p: ParsedRow) -> CarbonRecord:
    row, pue = p.row, p.pue
    if p.emissions_kg is None:
        return CarbonRecord(intensity_source=_intensity_source(
            row.get("codecarbon_version"), row.get("country_iso_code"), row.get("region"), False),
            pue=pue)
    return CarbonRecord(
        emissions_g=p.emissions_kg * 1000.0,
        intensity_g_per_kwh=(p.emissions_kg * 1000.0 / p.energy_kwh)
        if p.energy_kwh is not None and p.energy_kwh > 0 else None,
        intensity_source=_intensity_source(row.get("codecarbon_version"),
                                           row.get("country_iso_code"), row.get("region"), True),
        pue=pue,
    )


@functools.lru_cache(maxsize=1024)
def _intensity_source(version: str | None, country: str | None, region: str | None,
                      stated: bool) -> str:
    """Where a row's carbon intensity comes from (CodeCarbon version and region)."""
    where = "/".join(x for x in (country, region) if x) or "unknown region"
    if not stated:
        return f"codecarbon {version or '?'} {where}: emissions column empty, intensity unknown"
    return f"codecarbon {version or '?'} {where} (implied: emissions / energy_consumed)"


def _started_at(p: ParsedRow) -> float:
    """Window start, seconds since the epoch: CodeCarbon's timestamp is the row's end time
    (local time of the machine, no zone; read as UTC), minus its duration. 0.0 if unparseable."""
    try:
        end = datetime.fromisoformat(p.timestamp)
    except ValueError:
        return 0.0
    if end.tzinfo is None:
        end = end.replace(tzinfo=timezone.utc)
    return end.timestamp() - p.duration_s


def _window(p: ParsedRow, label: str) -> EnergyResult:
    return EnergyResult(label=label, started_at=_started_at(p), duration_s=p.duration_s,
                        domains=p.domains,
                        warnings=(f"imported from CodeCarbon task {p.task_name!r} "
                                  f"(line {p.line}, timestamp {p.timestamp})",
                                  *((_partial_note(p),) if p.missing else ())))


def make_record(file: Path, main: ParsedRow, phases: Sequence[ParsedRow],
                opts: ImportOptions) -> JobResult:
    """The record of a row (a run's query row with its other rows as ``phases``)."""
    env = _environment(main.row)
    extra: dict[str, Any] = {"project_name": main.project, "codecarbon_run_id": main.run_id,
                             "energy_consumed_kwh": main.energy_kwh}
    if main.run_id is None:
        extra["note"] = "run_id empty in the log: identified by file, line and timestamp"
    if main.missing:
        extra["missing_columns"] = list(main.missing)
    if main.task_name is not None:
        extra["task_name"] = main.task_name
    extra.update(filter(_value_of, zip(_EXTRA_COLUMNS, map(main.row.get, _EXTRA_COLUMNS))))
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
        extra["phase_emissions_g"] = {
            lab: None if ph.emissions_kg is None else ph.emissions_kg * 1000.0
            for lab, ph in zip(labelled, phases)}
    model = opts.model or (main.project if opts.project_as_model and main.project else "unknown")
    key: dict[str, Any] = {"source": SOURCE, "file": file.name, "run_id": main.run_id,
                           "task_name": main.task_name, "timestamp": main.timestamp}
    if main.run_id is None:
        key["line"] = main.line
    job_id = job_id_for(key)
    return JobResult(
        job_id=job_id, repetition=0, task=opts.task, model=model, dataset=opts.dataset, n=opts.n,
        status=STATUS_OK, duration_s=main.duration_s, domains=main.domains, run_id=opts.run_id,
        backend=BACKEND, phases=labelled, environment=env,
        hardware_id=_hardware_id(env.get("cpu_model"), env.get("gpu_model"), env.get("gpu_count"),
                                 env.get("ram_total_size")),
        carbon=_carbon(main), source=SOURCE, source_file=str(file), source_line=main.line,
        created_at=main.timestamp or None, extra=extra,
        warnings=(_partial_note(main),) if main.missing else (),
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
    needed = LEGACY_REQUIRED_COLUMNS if is_legacy(cols) else REQUIRED_COLUMNS
    missing = [c for c in needed if c not in cols]
    if missing:
        return f"CodeCarbon log is missing column(s) {', '.join(missing)}"
    return None


def is_legacy(cols: set[str]) -> bool:
    """A CodeCarbon 1.x log: a total only, none of the per-component energy columns."""
    return not cols & set(COMPONENT_COLUMNS)


def group_records(file: Path, members: list[ParsedRow], opts: ImportOptions) -> Iterator[JobResult]:
    """A task-mode run's rows: one record with phases when it has exactly one query row."""
    queries = [p for p in members if p.task_name == opts.query_task]
    if len(queries) == 1 and members[0].run_id is not None:
        others = [p for p in members if p is not queries[0]]
        yield make_record(file, queries[0], others, opts)
    else:
        for p in members:
            yield make_record(file, p, (), opts)
