"""A job's run settings: the layers a suite, its entries and the CLI flags set, and the result.

:class:`Settings` is one layer (every field optional: unset leaves the value below);
:class:`JobSettings` is a job's complete settings, built from :data:`BUILTIN_DEFAULTS` by
applying the layers in order (the task's defaults, the suite's ``defaults``, the job entry, the
command line) with :meth:`JobSettings.layered`. One model validates the YAML and the flags, so
a value refused in one is refused in the other; numbers must be finite
(:class:`~wattprint.suite_file.StrictModel`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, ValidationError, field_validator

from wattprint.errors import ConfigError, did_you_mean
from wattprint.suite_file import MAX_SECONDS, StrictModel

__all__ = ["BUILTIN_DEFAULTS", "CLI_FLAGS", "DTYPES", "MAX_SECONDS", "MAX_WARMUP", "SETTING_KEYS",
           "JobSettings", "Settings", "cli_settings", "unknown", "valid_device"]

DTYPES = ("float32", "float16", "bfloat16", "auto")
"""Model dtypes the backends accept (``auto``: the checkpoint's own)."""

#: Most warm-up inferences a job may ask for (as many as the largest measured window).
MAX_WARMUP = 1_000_000


def _check_device(value: str | None) -> str | None:
    if value is not None and not valid_device(value):
        raise ValueError(f"unknown device {value!r}; valid: cpu, cuda, cuda:N, mps, auto")
    return value


def _check_dtype(value: str | None) -> str | None:
    if value is not None and value not in DTYPES:
        raise ValueError(unknown("dtype", value, DTYPES))
    return value


def valid_device(value: str) -> bool:
    """True for ``cpu``, ``cuda``, ``cuda:N``, ``mps``, ``mps:N`` and ``auto``."""
    if value in ("cpu", "cuda", "mps", "auto"):
        return True
    head, _, idx = value.partition(":")
    return head in ("cuda", "mps") and idx.isdigit()


def unknown(kind: str, value: str, choices: Sequence[str] | set[str]) -> str:
    """``unknown KIND 'value' (did you mean ...); valid: a, b, c``."""
    choices = sorted(choices)
    return f"unknown {kind} {value!r}{did_you_mean(value, choices)}; valid: {', '.join(choices)}"


class Settings(StrictModel):
    """One layer of run settings: a suite's ``defaults``, a job entry, or the CLI flags.

    Every field is optional: an unset (None) field leaves the value of the layer below. The
    same model validates the YAML and the command line, so a value refused in one is refused
    in the other.

    Attributes:
        n: Inferences per measured window (the study: 1,000).
        repeat: Repetitions of the window (the study: 10).
        batch_size: Inputs per model call (the study: 1).
        device: ``cpu``, ``cuda``, ``cuda:1`` ...
        dtype: ``float32``, ``float16``, ``bfloat16``, ``auto``, or None for the model's default.
        warmup: Unmeasured inferences before the first window.
        idle_s: Length of the idle baseline, seconds (0 to skip it).
        generation: Generation settings (``max_new_tokens``, ``min_new_tokens`` ...); merged
            key by key over the layers below (the task's defaults first).
        split, config: Dataset split and configuration, None for the recipe's.
        seed: Seed for built-in inputs and sampling.
        settings: Backend options (``trust_remote_code`` ...), merged key by key over the
            layers below and checked against the backend's typed options when the plan is made.
        timeout_s: Wall-clock limit of one job's worker process, seconds (None: no limit).
    """

    n: int | None = Field(default=None, ge=1)
    repeat: int | None = Field(default=None, ge=1)
    batch_size: int | None = Field(default=None, ge=1)
    device: str | None = None
    dtype: str | None = None
    warmup: int | None = Field(default=None, ge=0, le=MAX_WARMUP)
    idle_s: float | None = Field(default=None, ge=0, le=MAX_SECONDS)
    generation: dict[str, Any] | None = None
    split: str | None = None
    config: str | None = None
    seed: int | None = None
    settings: dict[str, Any] | None = None
    timeout_s: float | None = Field(default=None, gt=0, le=MAX_SECONDS)

    _device = field_validator("device")(_check_device)
    _dtype = field_validator("dtype")(_check_dtype)


class JobSettings(StrictModel):
    """A job's complete settings: every field has its built-in default (the study's values).

    Built as ``JobSettings()`` and then each layer applied with :meth:`layered`
    (``model_copy(update=...)``), from the task's defaults up to the CLI flags. Field meanings
    as in :class:`Settings`; ``settings`` holds the backend options.
    """

    n: int = Field(default=1000, ge=1)
    repeat: int = Field(default=10, ge=1)
    batch_size: int = Field(default=1, ge=1)
    device: str = "cpu"
    dtype: str | None = None
    warmup: int = Field(default=3, ge=0, le=MAX_WARMUP)
    idle_s: float = Field(default=2.0, ge=0, le=MAX_SECONDS)
    generation: dict[str, Any] = Field(default_factory=dict)
    split: str | None = None
    config: str | None = None
    seed: int = 0
    settings: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(default=None, gt=0, le=MAX_SECONDS)

    _device = field_validator("device")(_check_device)
    _dtype = field_validator("dtype")(_check_dtype)

    def layered(self, layer: Settings) -> JobSettings:
        """These settings with ``layer``'s set fields on top (dict fields merged key by key).

        ``layer`` was validated by the same constraints, so the copy stays valid.
        """
        update = {k: getattr(layer, k) for k in layer.model_fields_set & set(Settings.model_fields)
                  if getattr(layer, k) is not None}
        for k in ("generation", "settings"):
            if k in update:
                update[k] = {**getattr(self, k), **update[k]}
        return self.model_copy(update=update)


BUILTIN_DEFAULTS = JobSettings()
"""Defaults when neither the suite nor the CLI sets a value (the study's n, repeat, batch size)."""

SETTING_KEYS: tuple[str, ...] = tuple(Settings.model_fields)

CLI_FLAGS: dict[str, str] = {
    "n": "-n", "repeat": "--repeat", "batch_size": "--batch-size", "device": "--device",
    "dtype": "--dtype", "warmup": "--warmup", "idle_s": "--idle", "timeout_s": "--timeout",
}
"""Setting name → the ``wattprint run`` flag that sets it."""


def cli_settings(values: Mapping[str, Any]) -> Settings:
    """The CLI's setting flags as a :class:`Settings` layer, validated like a suite's YAML.

    Args:
        values: Setting name → value given on the command line (None: flag not given).

    Raises:
        ConfigError: a value the suite format would refuse, naming the flag
            (``--warmup: Input should be greater than or equal to 0 (got -5)``).
    """
    given = {k: v for k, v in values.items() if v is not None}
    try:
        return Settings.model_validate(given)
    except ValidationError as err:
        msgs = []
        for e in err.errors():
            key = str(e["loc"][0]) if e["loc"] else ""
            flag = CLI_FLAGS.get(key, key)
            text = e["msg"].removeprefix("Value error, ")
            msgs.append(f"{flag}: {text} (got {e.get('input')!r})")
        raise ConfigError("; ".join(msgs)) from None
