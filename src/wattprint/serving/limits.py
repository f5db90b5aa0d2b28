"""Bounds on the numbers of a serving measurement, the same for ``wattprint load`` flags, serving
suite fields and :class:`~wattprint.serving.session.ServingConfig` built in Python.

Every number must be finite (``--timeout nan`` would never time out, ``idle_s: .inf`` would
sleep forever) and in range; request counts are bounded so that a typo such as
``--requests 100000000`` is refused with a message rather than spending minutes building
prompts before the first request.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from wattprint.errors import ConfigError, unknown_choice

if TYPE_CHECKING:
    from wattprint.serving.session import ServingConfig

MAX_SECONDS = 7 * 24 * 3600.0
"""Longest duration (timeouts, idle measurement, objectives), s: 7 days."""
MIN_INTERVAL_S = 0.001
"""Shortest power-timeline period, s."""
MAX_REQUESTS = 100_000
"""Most requests per load point (building 100,000 prompts takes about 3 s and 32 MB)."""
MAX_CONCURRENCY = 10_000
"""Most requests in flight (each holds a connection)."""
MAX_RATE_RPS = 1_000_000.0
"""Highest offered rate, requests/s."""
MAX_SWEEP_POINTS = 20
"""Most points of a rate sweep (the rate doubles at each)."""
MAX_FACTOR = 1_000_000.0
"""Largest burstiness or trace speed-up."""


def check_number(name: str, value: float, *, low: float, high: float,
                 low_open: bool = False) -> None:
    """Refuse a number that is not finite or not in ``[low, high]`` (``(low, high]`` when
    ``low_open``).

    Raises:
        ConfigError: naming ``name`` (the flag or field) and the valid range.
    """
    sign = ">" if low_open else ">="
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if low_open else value >= low) and value <= high)
    if not ok:
        raise ConfigError(f"{name}: expected a finite number {sign} {low:g} and <= {high:g}, "
                          f"got {value!r}")


def parse_extra_body(text: str, name: str = "--extra-body") -> dict[str, Any]:
    """A JSON object of extra request fields, from text.

    Raises:
        ConfigError: not JSON, or JSON that is not an object.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{name}: not JSON ({err.msg} at column {err.colno}); expected an "
                          "object such as '{\"temperature\": 0, \"top_k\": 1}'") from None
    return check_extra_body(value, name)


def check_extra_body(value: object, name: str = "--extra-body") -> dict[str, Any]:
    """``value`` as extra request fields: a JSON object whose keys are not wattprint's own.

    Raises:
        ConfigError: not an object, not JSON-encodable, or a reserved key.
    """
    from wattprint.serving.engines import RESERVED_FIELDS

    if not isinstance(value, dict):
        raise ConfigError(f"{name}: expected a JSON object such as '{{\"temperature\": 0}}', "
                          f"got {type(value).__name__} {value!r}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{name}: not encodable as JSON ({err})") from None
    reserved = sorted(k for k in value if k in RESERVED_FIELDS)
    if reserved:
        raise ConfigError(f"{name}: {', '.join(map(repr, reserved))} is set by wattprint itself "
                          f"(reserved: {', '.join(RESERVED_FIELDS)})")
    return dict(value)


def check_config(cfg: ServingConfig) -> None:
    """Check every number and name of a configuration (:class:`ServingConfig` calls it).

    Raises:
        ConfigError: naming the field (and its ``wattprint load`` flag) and what is valid.
    """
    from wattprint.serving.engines import API_PATHS, names

    def num(field: str, flag: str, value: float, low: float, high: float,
            low_open: bool = False) -> None:
        check_number(f"{field} ({flag})", value, low=low, high=high, low_open=low_open)

    num("requests", "--requests", cfg.requests, 1, MAX_REQUESTS)
    for a in cfg.loads:
        if a.rate_rps is not None:
            num("rate", "--rate", a.rate_rps, 0, MAX_RATE_RPS, low_open=True)
        if a.concurrency is not None:
            num("concurrency", "--concurrency", a.concurrency, 1, MAX_CONCURRENCY)
        num("burstiness", "--burstiness", a.burstiness, 0, MAX_FACTOR, low_open=True)
    num("trace_speedup", "--trace-speedup", cfg.trace_speedup, 0, MAX_FACTOR, low_open=True)
    num("ready_timeout_s", "--ready-timeout", cfg.ready_timeout_s, 0, MAX_SECONDS, low_open=True)
    num("idle_s", "--idle", cfg.idle_s, 0, MAX_SECONDS)
    num("interval_s", "--interval", cfg.interval_s, MIN_INTERVAL_S, MAX_SECONDS)
    num("max_lag_s", "--max-lag", cfg.max_lag_s, 0, MAX_SECONDS, low_open=True)
    num("timeout_s", "--timeout", cfg.timeout_s, 0, MAX_SECONDS, low_open=True)
    num("sweep_start_rps", "--sweep-start", cfg.sweep_start_rps, 0, MAX_RATE_RPS, low_open=True)
    num("sweep_max_points", "--sweep-max-points", cfg.sweep_max_points, 1, MAX_SWEEP_POINTS)
    for key, value in cfg.slo.items():
        num(f"slo.{key}", f"--slo-{key.removesuffix('_s').replace('_', '-')}", value, 0,
            MAX_SECONDS, low_open=True)
    if cfg.engine not in names():
        raise unknown_choice("engine", cfg.engine, names())
    if cfg.api not in API_PATHS:
        raise unknown_choice("api", cfg.api, tuple(API_PATHS))
    check_extra_body(cfg.extra, "extra_body (--extra-body)")
    if PORT_PLACEHOLDER in cfg.endpoint and not cfg.launch:
        raise ConfigError(f"endpoint {cfg.endpoint!r}: {PORT_PLACEHOLDER} (a free port picked at "
                          "launch) needs --launch (a suite job: 'launch'), whose command takes "
                          f"{PORT_PLACEHOLDER} too; give the port your engine listens on")


PORT_PLACEHOLDER = "{port}"
"""In an endpoint and a launch command: a free port wattprint picks just before launching."""
