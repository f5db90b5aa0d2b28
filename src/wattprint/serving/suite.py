"""Suites of kind ``serving``: engine x configuration x load sweeps as one ``wattprint run``.

A serving suite is a YAML file with ``kind: serving`` at the top and a list of ``jobs``; each job
is one served model (an endpoint, or a ``launch`` command wattprint starts and stops) and the
loads to put on it. Validated strictly (unknown keys are errors naming the file, line and key).

Placeholders in ``endpoint``, ``model`` and ``launch``: ``{port}`` (the job's ``port``; without
one, a free port picked just before launching: the default, so that no fixed port can be taken),
``{model_dir}`` (the folder of ``build``), ``{bin}`` (the folder of this Python's scripts, where
``transformers`` is installed). ``build: chat-lm@tiny`` (or ``@small``) builds the offline chat
Llama of :mod:`wattprint.serving.zoo_lm` (random weights) into the zoo cache first;
``build: wattprint-zoo/smollm2-135m-instruct`` gives the snapshot folder of that real-weights
model (:mod:`wattprint.backends.weights`), built on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, model_validator

from wattprint.errors import ConfigError
from wattprint.serving.arrivals import Arrivals
from wattprint.serving.lengths import parse_length
from wattprint.serving.limits import (
    MAX_CONCURRENCY,
    MAX_FACTOR,
    MAX_RATE_RPS,
    MAX_REQUESTS,
    MAX_SECONDS,
    MAX_SWEEP_POINTS,
    MIN_INTERVAL_S,
    PORT_PLACEHOLDER,
    check_extra_body,
)
from wattprint.serving.session import ServingConfig
from wattprint.suite_file import StrictModel, load_yaml, validate


class LoadEntry(StrictModel):
    """One load point: ``rate`` (open loop, req/s, with ``burstiness``) or ``concurrency``."""

    rate: float | None = Field(default=None, gt=0, le=MAX_RATE_RPS)
    burstiness: float = Field(default=1.0, gt=0, le=MAX_FACTOR)
    concurrency: int | None = Field(default=None, ge=1, le=MAX_CONCURRENCY)

    @model_validator(mode="after")
    def _one(self) -> LoadEntry:
        if (self.rate is None) == (self.concurrency is None):
            raise ValueError("give exactly one of 'rate' or 'concurrency'")
        return self

    def arrivals(self) -> Arrivals:
        """The arrival process of this entry."""
        if self.concurrency is not None:
            return Arrivals("closed", concurrency=self.concurrency)
        return Arrivals("poisson" if self.burstiness == 1 else "gamma", rate_rps=self.rate,
                        burstiness=self.burstiness)


class ServingJob(StrictModel):
    """One served model and its loads (see :class:`ServingConfig` for the meanings).

    ``device`` says where the engine computes; it only decides the resources a job asks for on
    Ray (``cuda``: one GPU; ``cpu``: a whole node) and is not part of the measured config.
    ``port`` 0 (the default) picks a free port just before launching (needs ``launch``).
    ``extra_body`` is a mapping of fields added to every request (``--extra-body``).
    """

    name: str
    endpoint: str = "http://127.0.0.1:{port}"
    model: str
    launch: str | None = None
    build: str | None = None
    port: int = Field(default=0, ge=0, le=65535)
    api: Literal["chat", "completions"] = "chat"
    engine: str = "auto"
    device: Literal["cpu", "cuda"] = "cpu"
    loads: list[LoadEntry] = Field(default_factory=list)
    sweep: bool = False
    sweep_start_rps: float = Field(default=1.0, gt=0, le=MAX_RATE_RPS)
    sweep_max_points: int = Field(default=6, ge=1, le=MAX_SWEEP_POINTS)
    requests: int = Field(default=50, ge=1, le=MAX_REQUESTS)
    input_len: str | None = None
    output_len: str = "64"
    fixed_length: bool = True
    prompts: str = "builtin"
    idle_s: float = Field(default=5.0, ge=0, le=MAX_SECONDS)
    interval_s: float = Field(default=0.1, ge=MIN_INTERVAL_S, le=MAX_SECONDS)
    max_lag_s: float = Field(default=0.05, gt=0, le=MAX_SECONDS)
    slo: dict[Literal["ttft_s", "itl_s", "latency_s"],
              Annotated[float, Field(gt=0, le=MAX_SECONDS)]] = Field(default_factory=dict)
    timeout_s: float = Field(default=300.0, gt=0, le=MAX_SECONDS)
    ready_timeout_s: float = Field(default=300.0, gt=0, le=MAX_SECONDS)
    whole_window: bool = False
    seed: int = 0
    extra_body: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _loads(self) -> ServingJob:
        if not self.loads and not self.sweep:
            raise ValueError("give 'loads' (a list of {rate: R} or {concurrency: N}) or 'sweep: true'")
        if self.port == 0 and PORT_PLACEHOLDER in self.endpoint and not self.launch:
            raise ValueError("give 'port' (where your engine listens) or 'launch' (port 0, the "
                             "default, picks a free port for the launched engine)")
        try:
            check_extra_body(self.extra_body, "extra_body")
        except ConfigError as err:
            raise ValueError(str(err)) from None
        return self


class ServingSuiteFile(StrictModel):
    """A serving suite file."""

    name: str
    kind: Literal["serving"]
    description: str = ""
    jobs: list[ServingJob] = Field(min_length=1)


@dataclass(frozen=True)
class ServingSuite:
    """A validated serving suite and where it came from."""

    name: str
    source: str
    spec: ServingSuiteFile


def is_serving_text(text: str) -> bool:
    """True when YAML text declares ``kind: serving`` at its top level."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and data.get("kind") == "serving"


def parse_serving_suite(text: str, source: str = "<string>") -> ServingSuite:
    """Validate a serving suite (the format's rules: :mod:`wattprint.suite_file`).

    Raises:
        ConfigError: naming the file, line and key of every problem (a key given twice, an
            unknown key with the closest valid one, a number out of range or not finite).
    """
    spec = validate(ServingSuiteFile, load_yaml(text, source), what="serving suite")
    for i, job in enumerate(spec.jobs):
        for field_name in ("input_len", "output_len"):
            value = getattr(job, field_name)
            if value is not None:
                parse_length(value, f"{source}: jobs[{i}].{field_name}")
    return ServingSuite(spec.name, source, spec)


def _build(spec: str) -> Path:
    from wattprint.backends.weights import REAL_MODELS, ensure
    from wattprint.backends.zoo import default_cache_dir
    from wattprint.serving.zoo_lm import SIZES, build_chat_lm

    if spec in REAL_MODELS:   # a real-weights model: its snapshot in wattprint's hub-layout cache
        return ensure(spec).path
    name, _, size = spec.partition("@")
    if name != "chat-lm":
        raise ConfigError(f"build: {spec!r}: only 'chat-lm@SIZE' (sizes: {', '.join(SIZES)}) or a "
                          f"real-weights model ({', '.join(REAL_MODELS)}) can be built")
    return build_chat_lm(Path(default_cache_dir()) / f"serving-chat-lm-{size or 'tiny'}", size or "tiny")


def job_config(job: ServingJob, log: Callable[[str], None] = print) -> ServingConfig:
    """The :class:`ServingConfig` of a job (builds its model when it has ``build``)."""
    port = str(job.port) if job.port else PORT_PLACEHOLDER   # {port} stays: picked at launch
    values = {"port": port, "bin": str(Path(sys.executable).parent), "model_dir": ""}
    if job.build:
        log(f"{job.name}: building {job.build}")
        values["model_dir"] = str(_build(job.build))

    def sub(s: str) -> str:
        try:
            return s.format(**values)
        except (KeyError, IndexError) as err:
            raise ConfigError(f"job {job.name!r}: unknown placeholder {err} in {s!r} "
                              f"(valid: {{port}}, {{bin}}, {{model_dir}})") from None

    return ServingConfig(
        endpoint=sub(job.endpoint), model=sub(job.model),
        loads=tuple(entry.arrivals() for entry in job.loads), api=job.api, engine=job.engine,
        requests=job.requests, input_len=parse_length(job.input_len) if job.input_len else None,
        output_len=parse_length(job.output_len), fixed_length=job.fixed_length,
        prompts=job.prompts, launch=sub(job.launch) if job.launch else None,
        ready_timeout_s=job.ready_timeout_s, idle_s=job.idle_s, interval_s=job.interval_s,
        max_lag_s=job.max_lag_s, slo={str(k): v for k, v in job.slo.items()},
        timeout_s=job.timeout_s, sweep=job.sweep, sweep_start_rps=job.sweep_start_rps,
        sweep_max_points=job.sweep_max_points, use_steady=not job.whole_window, seed=job.seed,
        extra=dict(job.extra_body))


def suite_run_id(suite: str, job: str, cfg: ServingConfig) -> str:
    """Run id of a suite job's points (stable for the same config, so a rerun resumes)."""
    return f"{suite}-{job}-{cfg.key()}"
