"""Export stored results as JSON, CSV or Parquet.

JSON is lossless: an array of :meth:`JobResult.to_dict` objects (every field, ``job_id`` and
``repetition`` included, plus the derived ``totals``, ``per_inference`` and ``model_label``). CSV and Parquet
are flat: one row per result, energy kept apart by provenance (``energy_measured_j`` …) and
by domain (``domain.gpu:0.energy_j`` with ``domain.gpu:0.provenance``), never summed across
provenances. Both carry each result's water and embodied/total carbon (estimated, from the
factors its run recorded) and its energy at the four nested boundaries (accelerator only
→ + host CPU and DRAM → + idle share of provisioned capacity → × PUE; see
:mod:`wattprint.results.boundaries`): JSON as ``boundaries``, CSV/Parquet as ``boundary.*``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from wattprint.errors import ConfigError, unknown_choice
from wattprint.meters.base import Provenance
from wattprint.results.boundaries import boundaries, boundary_columns
from wattprint.results.impacts import impact_columns, impacts_json
from wattprint.results.names import display_model
from wattprint.results.schema import JobResult
from wattprint.results.stats import kwh_per_1k

FORMATS = ("json", "csv", "parquet")

_SCALARS = ("job_id", "repetition", "attempt", "run_id", "suite", "task", "model",
            "model_revision", "weights", "dataset", "dataset_config", "split", "n", "status",
            "error", "duration_s", "backend", "device", "dtype", "batch_size", "work_unit",
            "work_units", "input_tokens", "output_tokens", "hardware_id", "node", "gpu", "shared",
            "source", "source_file", "source_line", "created_at")


def flatten(r: JobResult, idle_share: float = 0.0,
            default_pue: float | None = None) -> dict[str, Any]:
    """One flat row for a result (units in the column names).

    Columns: the record's scalar fields; ``model_label`` (the name shown for the model: the
    project name of an imported log that knows no model); ``shared_host`` and
    ``headline_basis`` (``job``, or ``process`` on a shared host); per provenance the job's
    boundary ``energy_<p>_j``, ``kwh_per_1k_<p>``, ``energy_<p>_j_per_unit`` and the headline's
    ``headline_<p>_j``; ``uncertainty_estimated_j``; carbon (``carbon_g``,
    ``intensity_g_per_kwh``, ``intensity_source``, ``pue``); ``quality.<metric>``;
    ``setting.<name>``; per domain ``domain.<name>.energy_j`` / ``.provenance`` /
    ``.boundary`` / ``.dynamic_energy_j``; per phase ``phase.<label>.duration_s`` and
    ``phase.<label>.energy_<p>_j``; the four boundaries (``boundary.*``, see
    :func:`~wattprint.results.boundaries.boundary_columns`) at the stated ``idle_share`` and
    ``default_pue`` (used where the result recorded no PUE); water and embodied/total carbon
    (``impact.*``, see :func:`~wattprint.results.impacts.impact_columns`).
    """
    row: dict[str, Any] = {k: getattr(r, k) for k in _SCALARS}
    row["model_label"] = display_model(r)
    row["shared_host"] = r.shared_host
    head = r.headline()
    row["headline_basis"] = head.basis
    for p in Provenance:
        e = r.energy_j(p)
        row[f"energy_{p.value}_j"] = e
        row[f"kwh_per_1k_{p.value}"] = None if e is None or not r.n else kwh_per_1k(e, r.n)
        row[f"energy_{p.value}_j_per_unit"] = (None if e is None or not r.work_units
                                               else e / r.work_units)
        row[f"headline_{p.value}_j"] = head.energy_j.get(p)
    unc = [t["uncertainty_j"] for t in r.totals() if t["uncertainty_j"] is not None]
    row["uncertainty_estimated_j"] = sum(unc) if unc else None
    c = r.carbon
    row["carbon_g"] = c.emissions_g if c else None
    row["intensity_g_per_kwh"] = c.intensity_g_per_kwh if c else None
    row["intensity_source"] = c.intensity_source if c else None
    row["pue"] = c.pue if c else None
    for k, v in r.quality.items():
        row[f"quality.{k}"] = v
    for k, v in r.settings.items():
        row[f"setting.{k}"] = v if isinstance(v, (int, float, str, bool)) or v is None else json.dumps(v)
    for d in r.domains:
        pre = f"domain.{d.name}"
        row[f"{pre}.energy_j"] = d.energy_j
        row[f"{pre}.provenance"] = d.provenance.value
        row[f"{pre}.boundary"] = d.boundary
        row[f"{pre}.dynamic_energy_j"] = d.dynamic_energy_j
    for label, w in r.phases.items():
        row[f"phase.{label}.duration_s"] = w.duration_s
        for p in Provenance:
            t = w.total_j(p)
            if t is not None:
                row[f"phase.{label}.energy_{p.value}_j"] = t
    row.update(boundary_columns(boundaries(r, idle_share, default_pue)))
    row.update(impact_columns(r))
    return row


def to_frame(results: Iterable[JobResult], idle_share: float = 0.0,
             default_pue: float | None = None) -> pd.DataFrame:
    """Flat table of results (see :func:`flatten`), one row each, in the given order."""
    rows = [flatten(r, idle_share, default_pue) for r in results]
    if not rows:
        return pd.DataFrame(columns=list(_SCALARS))
    return pd.DataFrame(rows)


def to_json(results: Iterable[JobResult], idle_share: float = 0.0,
            default_pue: float | None = None) -> str:
    """A JSON array of ``to_dict()`` objects, each with its ``boundaries``, its ``impacts``
    (per provenance; see :func:`~wattprint.results.impacts.impacts_json`) and the derived
    ``model_label`` added."""
    return json.dumps([{**r.to_dict(),
                        "boundaries": boundaries(r, idle_share, default_pue).to_dict(),
                        "impacts": impacts_json(r),
                        "model_label": display_model(r)}
                       for r in results], indent=2, default=str)


def export(results: Sequence[JobResult], fmt: str, out: str | Path | None = None, *,
           idle_share: float = 0.0, default_pue: float | None = None) -> None:
    """Write results in one format to a file, or to stdout when ``out`` is None.

    Args:
        results: Records to export.
        fmt: ``json``, ``csv`` or ``parquet``.
        out: Output file; None writes to stdout (not possible for parquet, a binary format).
        idle_share: Stated fraction of provisioned capacity held idle (boundaries).
        default_pue: PUE for results that recorded none (boundaries); None leaves their
            facility level missing.

    Raises:
        ConfigError: for an unknown format or parquet without a file.
    """
    if fmt not in FORMATS:
        raise unknown_choice("export format", fmt, FORMATS)
    if fmt == "parquet" and out is None:
        raise ConfigError("--format parquet writes a binary file: give --out FILE.parquet")
    if fmt == "json":
        text = to_json(results, idle_share, default_pue) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            Path(out).write_text(text, encoding="utf-8")
        return
    df = to_frame(results, idle_share, default_pue)
    if fmt == "csv":
        if out is None:
            df.to_csv(sys.stdout, index=False)
        else:
            df.to_csv(out, index=False)
        return
    parquet_safe(df).to_parquet(out, index=False)


def parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` ready for Parquet, which needs one type per column: an object column of
    booleans with gaps (a check some rows did not run) becomes a nullable boolean column; any
    other mixed-type object column (e.g. a setting that is sometimes a number) is written as
    strings. A gap (None, or the NaN pandas fills in for a key a row lacks) stays empty, never
    the text ``"nan"``. Changes ``df`` in place."""
    for col in [c for c in df.columns if df[c].dtype == object]:
        values = [v for v in df[col] if not _missing(v)]
        if all(isinstance(v, str) for v in values):
            continue
        if all(isinstance(v, bool) for v in values):
            df[col] = df[col].map(lambda v: None if _missing(v) else v).astype("boolean")
            continue
        df[col] = df[col].map(lambda v: None if _missing(v) else str(v))
    return df


def _missing(v: Any) -> bool:
    """None or a float NaN (what pandas puts where a row has no value for a column)."""
    return v is None or (isinstance(v, float) and v != v)

