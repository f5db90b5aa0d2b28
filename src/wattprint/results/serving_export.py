"""Export stored serving load points (``wattprint export --kind serving``).

JSON: one object per point per line (``ServingPoint.to_dict()``, lossless), with its impacts
added (``impacts``: carbon and water per window, per request and per 1,000 requests, with the
factors; see :mod:`wattprint.results.serving_impacts`). CSV and Parquet: one flat row per
point with units in the column names: counts, energy and latency figures, the whole window's J
per output token part by part (``cost.<part>.j_per_output_token`` and ``.share``; see
:mod:`wattprint.results.serving_costs`), the checks (``check.<name>.passed`` ...), the
per-token weights (``weights.*``) and the impacts (``impact.*``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from wattprint.errors import ConfigError, unknown_choice
from wattprint.results.export import parquet_safe
from wattprint.results.serving_costs import no_stack_reason, token_stack
from wattprint.results.serving_impacts import serving_impact_columns, serving_impacts_json
from wattprint.results.serving_record import ServingPoint

FORMATS = ("json", "csv", "parquet")

_SCALARS = ("point_id", "run_id", "suite", "endpoint", "model", "arrivals", "offered_rps",
            "achieved_rps", "requests_ok", "requests_failed", "requests_truncated",
            "failures_omitted", "output_tokens", "output_token_source", "prompt_tokens",
            "prompt_token_source", "j_per_output_token", "j_per_request", "whole_j_per_request",
            "p50_attributed_j", "p90_attributed_j", "p99_attributed_j", "p50_ttft_s",
            "p95_ttft_s", "p50_itl_s", "p95_itl_s", "goodput_rps", "steady_window_s",
            "whole_window_s", "energy_window", "energy_j", "avg_power_w", "idle_power_w",
            "energy_provenance", "provenance", "attribution_model", "phase_source",
            "attribution_residual", "created_at")


def flatten_point(p: ServingPoint) -> dict[str, Any]:
    """One flat row for a load point (module docstring lists the column groups)."""
    row: dict[str, Any] = {k: getattr(p, k) for k in _SCALARS}
    row["energy_domains"] = ";".join(p.energy_domains)
    row["valid"] = p.valid
    row["flags"] = ";".join(p.flags)
    row["engine"] = p.engine.get("name")
    row["engine_version"] = p.engine.get("version")
    for k, v in p.attributed_j_by_status.items():
        row[f"attributed_j.{k}"] = v
    stack = token_stack(p)
    row["cost.note"] = no_stack_reason(p)
    if stack is not None:
        row["cost.model"] = stack.model
        row["cost.whole_window_j_per_output_token"] = stack.j_per_output_token
        for part in stack.parts:
            row[f"cost.{part.name}_j"] = part.energy_j
            row[f"cost.{part.name}.j_per_output_token"] = part.j_per_output_token
            row[f"cost.{part.name}.share"] = part.share
    for c in p.checks:
        row[f"check.{c.name}.passed"] = c.passed
        row[f"check.{c.name}.value"] = c.value
        row[f"check.{c.name}.tolerance"] = c.tolerance
    w = p.weights
    if w is not None:
        row["weights.source"] = w.source
        row["weights.prefill_j_per_token"] = w.prefill_j_per_token
        row["weights.decode_j_per_token"] = w.decode_j_per_token
        for name, ci in (("prefill", w.prefill_ci_j), ("decode", w.decode_ci_j)):
            row[f"weights.{name}_ci_low_j"] = None if ci is None else ci[0]
            row[f"weights.{name}_ci_high_j"] = None if ci is None else ci[1]
        row["weights.residual_rel"] = w.residual_rel
        row["weights.points"] = w.points
        row["weights.reason"] = w.reason or None
    row.update(serving_impact_columns(p))
    return row


def points_json_lines(points: Sequence[ServingPoint]) -> str:
    """One JSON object per point per line, each with its ``impacts``."""
    return "".join(json.dumps({**p.to_dict(), "impacts": serving_impacts_json(p)}, default=str)
                   + "\n" for p in points)


def export_points(points: Sequence[ServingPoint], fmt: str, out: str | Path | None = None) -> None:
    """Write points in one format to a file, or to stdout when ``out`` is None.

    Raises:
        ConfigError: an unknown format, or parquet without a file.
    """
    if fmt not in FORMATS:
        raise unknown_choice("export format", fmt, FORMATS)
    if fmt == "parquet" and out is None:
        raise ConfigError("--format parquet writes a binary file: give --out FILE.parquet")
    if fmt == "json":
        text = points_json_lines(points)
        if out is None:
            sys.stdout.write(text)
        else:
            Path(out).write_text(text, encoding="utf-8")
        return
    df = pd.DataFrame([flatten_point(p) for p in points], columns=None if points else list(_SCALARS))
    if fmt == "csv":
        df.to_csv(sys.stdout if out is None else out, index=False)
        return
    parquet_safe(df).to_parquet(out, index=False)
