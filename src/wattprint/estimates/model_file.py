"""The versioned file of a fitted LLM energy model (``wattprint estimate fit`` writes it,
``wattprint estimate llm --fit FILE`` reads it).

JSON with ``format`` = :data:`FORMAT` and ``format_version`` = :data:`FORMAT_VERSION`; every
field of :class:`~wattprint.estimates.fit.FittedModel`. Reading checks the format, the version,
every field's type and that the coefficients match the terms; a broken file raises
:class:`~wattprint.errors.ConfigError` naming the file and the field.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError
from wattprint.estimates.design import NUMERIC_TERMS
from wattprint.estimates.fit import FittedModel, HardwareInfo, Holdout

FORMAT = "wattprint-llm-energy-fit"
FORMAT_VERSION = 1


def to_dict(model: FittedModel) -> dict[str, Any]:
    """The JSON object of a fit (``format`` and ``format_version`` first)."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(model)}


def write_fit(model: FittedModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` atomically (a half-written file never replaces a good one)."""
    p = Path(path)
    text = json.dumps(to_dict(model), indent=1, sort_keys=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=p.name + ".", dir=str(p.parent or Path(".")))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would create it, not mkstemp's 0600
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def _num(where: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(f"{where}: expected a finite number, got {v!r}")
    return float(v)


def _get(d: Any, key: str, where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise ConfigError(f"{where}: missing field {key!r}")
    return d[key]


def _holdout(d: Any, where: str) -> Holdout:
    hw = _get(d, "halfwidth_log", where)
    if not isinstance(hw, dict) or not hw:
        raise ConfigError(f"{where}.halfwidth_log: expected an object of level -> width")
    by_group = d.get("by_group", {})
    if not isinstance(by_group, dict):
        raise ConfigError(f"{where}.by_group: expected an object")
    return Holdout(
        by=str(_get(d, "by", where)), groups=int(_num(f"{where}.groups", _get(d, "groups", where))),
        n=int(_num(f"{where}.n", _get(d, "n", where))),
        rmse_log=_num(f"{where}.rmse_log", _get(d, "rmse_log", where)),
        median_abs_rel=_num(f"{where}.median_abs_rel", _get(d, "median_abs_rel", where)),
        p90_abs_rel=_num(f"{where}.p90_abs_rel", _get(d, "p90_abs_rel", where)),
        halfwidth_log={str(k): _num(f"{where}.halfwidth_log.{k}", v) for k, v in hw.items()},
        by_group={str(g): {str(k): _num(f"{where}.by_group.{g}.{k}", v) for k, v in s.items()}
                  for g, s in by_group.items() if isinstance(s, dict)},
        nested_coverage=_levels(d.get("nested_coverage", {}), f"{where}.nested_coverage"),
        widening=_levels(d.get("widening", {}), f"{where}.widening"))


def _levels(d: Any, where: str) -> dict[str, float]:
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: expected an object of level -> number")
    return {str(k): _num(f"{where}.{k}", v) for k, v in d.items()}


def _hardware(d: Any, where: str) -> dict[str, HardwareInfo]:
    if not isinstance(d, dict) or not d:
        raise ConfigError(f"{where}: expected an object of hardware -> info")
    out = {}
    for h, info in d.items():
        w = f"{where}.{h}"
        br = _get(info, "batch_range", w)
        pw = info.get("power_w_per_device")
        if not isinstance(br, list) or len(br) != 2:
            raise ConfigError(f"{w}.batch_range: expected [low, high]")
        if pw is not None and (not isinstance(pw, list) or len(pw) != 3):
            raise ConfigError(f"{w}.power_w_per_device: expected [p10, p50, p90] or null")
        out[str(h)] = HardwareInfo(
            points=int(_num(f"{w}.points", _get(info, "points", w))),
            batch_range=(_num(f"{w}.batch_range", br[0]), _num(f"{w}.batch_range", br[1])),
            power_w_per_device=None if pw is None else tuple(_num(f"{w}.power_w_per_device", v)
                                                             for v in pw),  # type: ignore[arg-type]
            boundary=str(info.get("boundary", "")),
            energy_provenance={str(k): int(_num(f"{w}.energy_provenance", v))
                               for k, v in dict(info.get("energy_provenance", {})).items()})
    return out


def _sizes(d: Any, where: str) -> dict[str, tuple[float, float, float]]:
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: expected an object of model -> [active, total, bytes]")
    out = {}
    for m, v in d.items():
        if not isinstance(v, list) or len(v) != 3:
            raise ConfigError(f"{where}.{m}: expected [active_params_b, total_params_b, "
                              "bytes_per_param]")
        a, t, b = (_num(f"{where}.{m}", x) for x in v)
        out[str(m)] = (a, t, b)
    return out


def from_dict(d: Any, where: str = "fit") -> FittedModel:
    """Rebuild and validate a fit from its JSON object.

    Raises:
        ConfigError: wrong format or version, a missing or mistyped field, coefficients that do
            not match the terms, an unknown term.
    """
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: expected a JSON object written by `wattprint estimate fit`")
    if d.get("format") != FORMAT:
        raise ConfigError(f"{where}: not a wattprint LLM energy fit (format {d.get('format')!r}, "
                          f"expected {FORMAT!r})")
    if d.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"{where}: format_version {d.get('format_version')!r} is not supported "
                          f"(this wattprint reads {FORMAT_VERSION}); refit with `wattprint "
                          "estimate fit`")
    terms = _get(d, "terms", where)
    coef = _get(d, "coefficients", where)
    if not isinstance(terms, list) or not isinstance(coef, list) or len(terms) != len(coef) \
            or not terms:
        raise ConfigError(f"{where}: terms and coefficients must be lists of the same length")
    for t in terms:
        if not (t == "intercept" or str(t).startswith("hw:") or t in NUMERIC_TERMS):
            raise ConfigError(f"{where}.terms: unknown term {t!r}")
    levels = _get(d, "hardware_levels", where)
    if not isinstance(levels, list) or not levels:
        raise ConfigError(f"{where}.hardware_levels: expected a non-empty list")
    ranges = _get(d, "feature_ranges", where)
    if not isinstance(ranges, dict):
        raise ConfigError(f"{where}.feature_ranges: expected an object")
    return FittedModel(
        method=str(_get(d, "method", where)), terms=tuple(str(t) for t in terms),
        coefficients=tuple(_num(f"{where}.coefficients", c) for c in coef),
        hardware_levels=tuple(str(h) for h in levels),
        residual_sd_log=_num(f"{where}.residual_sd_log", _get(d, "residual_sd_log", where)),
        holdout=_holdout(_get(d, "holdout", where), f"{where}.holdout"),
        n_points=int(_num(f"{where}.n_points", _get(d, "n_points", where))),
        hardware=_hardware(_get(d, "hardware", where), f"{where}.hardware"),
        feature_ranges={str(k): (_num(f"{where}.feature_ranges.{k}", v[0]),
                                 _num(f"{where}.feature_ranges.{k}", v[1]))
                        for k, v in ranges.items() if isinstance(v, list) and len(v) == 2},
        data_version=str(_get(d, "data_version", where)),
        sources=tuple(str(s) for s in d.get("sources", [])),
        models=tuple(str(m) for m in d.get("models", [])),
        model_sizes=_sizes(d.get("model_sizes", {}), f"{where}.model_sizes"),
        created_at=str(d.get("created_at", "")))


def read_fit(path: str | Path) -> FittedModel:
    """Read and validate a fit file.

    Raises:
        ConfigError: unreadable, not JSON, or not a valid fit (the message names the field).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"--fit {p}: cannot read ({err})") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"--fit {p}: not JSON (line {err.lineno}: {err.msg})") from None
    return from_dict(d, where=f"--fit {p}")
