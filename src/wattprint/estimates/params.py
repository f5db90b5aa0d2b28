"""Model sizes for a user's own serving points: a parameters file, the shipped tables, or the
weights of a local model folder.

A parameters file is a CSV with a header ``model,active_params_b[,total_params_b,bytes_per_param]``
(billions; total defaults to active, bytes per parameter to 2). A local folder is read without
loading the model: the JSON header of each ``*.safetensors`` file gives every tensor's shape and
dtype, hence the parameter count and bytes per parameter (all parameters count as active: a
mixture-of-experts model needs the parameters file).
"""

from __future__ import annotations

import csv
import json
import math
import struct
from pathlib import Path

from wattprint.errors import ConfigError
from wattprint.estimates.catalog import find_model

Size = tuple[float, float, float]
"""Active parameters (B), total parameters (B), bytes per parameter."""

DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I64": 8,
               "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def read_params_file(path: str | Path) -> dict[str, Size]:
    """A parameters CSV, by model name.

    Raises:
        ConfigError: unreadable, missing columns, or a bad number (file and line named).
    """
    p = Path(path)
    try:
        rows = list(csv.DictReader(p.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ConfigError(f"--params {p}: cannot read ({err})") from None
    if not rows or not {"model", "active_params_b"} <= set(rows[0]):
        raise ConfigError(f"--params {p}: needs a header with columns model,active_params_b "
                          "(and optionally total_params_b,bytes_per_param)")
    out: dict[str, Size] = {}
    for i, r in enumerate(rows, start=2):
        try:
            a = float(r["active_params_b"])
            t = float(r.get("total_params_b") or a)
            b = float(r.get("bytes_per_param") or 2.0)
        except ValueError as err:
            raise ConfigError(f"--params {p} line {i}: {err}") from None
        if not all(math.isfinite(v) and v > 0 for v in (a, t, b)) or t < a:
            raise ConfigError(f"--params {p} line {i}: sizes must be > 0 with total >= active")
        out[r["model"]] = (a, t, b)
    return out


def _safetensors_size(path: Path) -> tuple[int, int]:
    """(parameters, bytes) of one safetensors file, from its header."""
    with path.open("rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError("shorter than a safetensors header")
        (n,) = struct.unpack("<Q", raw)
        if n > 100_000_000:
            raise ValueError("implausible header length")
        header = json.loads(f.read(n))
    params = nbytes = 0
    for name, t in header.items():
        if name == "__metadata__":
            continue
        count = math.prod(t["shape"])
        params += count
        nbytes += count * DTYPE_BYTES.get(t["dtype"], 4)
    return params, nbytes


def local_model_size(folder: str | Path) -> Size | None:
    """Size of a model folder from its safetensors headers (None: not a folder with weights)."""
    p = Path(folder)
    files = sorted(p.glob("*.safetensors")) if p.is_dir() else []
    if not files:
        return None
    params = nbytes = 0
    for f in files:
        try:
            n, b = _safetensors_size(f)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ConfigError(f"{f}: not a readable safetensors file ({err})") from None
        params, nbytes = params + n, nbytes + b
    if params == 0:
        return None
    return params / 1e9, params / 1e9, nbytes / params


def model_size(model: str, table: dict[str, Size]) -> Size | str:
    """The size of ``model``, or why it is unknown.

    Order: ``table`` (a parameters file), the shipped tables when they know the size exactly,
    the weights of a local folder named ``model``.
    """
    if model in table:
        return table[model]
    m = find_model(model)
    if m is not None and m.active_params_b.exact and m.total_params_b.exact \
            and m.bytes_per_param.exact:
        return m.active_params_b.lo, m.total_params_b.lo, m.bytes_per_param.lo
    size = local_model_size(model)
    if size is not None:
        return size
    return (f"size of {model!r} unknown: not in --params, not in the shipped tables with an "
            "exact size, not a local folder with safetensors weights")
