"""Suites and jobs: what to run, validated before anything runs.

A *suite* is a YAML file (or a shipped name such as ``smoke``) with ``defaults`` and a list of
``jobs``; each job entry names a task, one or more models and one or more datasets, and may
override any default. :func:`load_suite` validates the file (unknown keys are errors that name
the file, the line, the key path and the closest valid key) and :meth:`Suite.expand` turns it
into concrete :class:`Job` objects, one per (task, model, dataset), each with a stable id.

Validation never needs the network: names are checked against the project's tables
(:mod:`wattprint.harness.catalog`), not against the Hugging Face Hub.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from wattprint.backends.fingerprint import model_fingerprint
from wattprint.backends.model_ref import ModelRef
from wattprint.backends.registry import backend_for, option_problems
from wattprint.errors import ConfigError, did_you_mean
from wattprint.harness.catalog import Catalog, default_catalog
from wattprint.harness.settings import (
    BUILTIN_DEFAULTS,
    DTYPES,
    MAX_SECONDS,
    MAX_WARMUP,
    SETTING_KEYS,
    JobSettings,
    Settings,
    cli_settings,
    unknown,
)
from wattprint.results.schema import job_id_for
from wattprint.suite_file import StrictModel, load_yaml, path_str, validate

__all__ = ["BUILTIN_DEFAULTS", "DTYPES", "MAX_SECONDS", "MAX_WARMUP", "SETTING_KEYS", "Job",
           "JobEntry", "JobSettings", "Overrides", "Settings", "Suite", "SuiteFile",
           "cli_settings", "job_spec", "load_suite", "make_plan", "parse_suite",
           "resolve_suite_path", "shipped_suites"]

SUITES_PACKAGE = "wattprint.harness.suites"
DEFAULT_SUITE = "smoke"


# ---- the file format (pydantic models over the shared suite_file base) -------------------


class JobEntry(Settings):
    """One entry of a suite's ``jobs`` list: a task × models × datasets, plus overrides.

    Attributes:
        task: Hugging Face task id (``text-classification`` ...).
        model / models: One model reference or a list (``zoo:distilbert@tiny``, a hub id, a
            local folder, ``callable:module:function``); None means the task's default zoo model.
        dataset / datasets: ``builtin``, a study dataset short name (``imdb``) or a local file.
        mode: ``task-specific`` (default) or ``zero-shot``.
        revision: Hub revision of the model(s), when pinned.
    """

    task: str
    model: str | None = None
    models: list[str] | None = None
    dataset: str | None = None
    datasets: list[str] | None = None
    mode: Literal["task-specific", "zero-shot"] = "task-specific"
    revision: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> JobEntry:
        if self.model is not None and self.models is not None:
            raise ValueError("give either 'model' or 'models', not both")
        if self.dataset is not None and self.datasets is not None:
            raise ValueError("give either 'dataset' or 'datasets', not both")
        if self.models is not None and not self.models:
            raise ValueError("'models' is empty")
        if self.datasets is not None and not self.datasets:
            raise ValueError("'datasets' is empty")
        return self


class SuiteFile(StrictModel):
    """A suite file: a name, a description, defaults and jobs."""

    name: str
    description: str = ""
    defaults: Settings = Settings()
    jobs: list[JobEntry] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name is empty")
        return v


# ---- concrete jobs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One concrete job: one model on one dataset of one task, repeated ``repeat`` times.

    Attributes:
        job_id: Stable id (a hash of :func:`job_spec`).
        suite: Name of the suite it came from.
        index: Position in the plan.
        task, model, dataset, mode, revision: What runs.
        settings: The job's complete run settings (``n``, ``repeat``, ``device`` ...; the
            backend options are ``settings.settings``).
        hardware_id: The machine it runs on.
        repetitions: Repetition indices still to run (all of them unless resuming).
        entry: Where it came from in the suite file (``jobs[2]``).
        model_fingerprint: What identifies the model's weights, when known.

    Picklable, so it can be sent to a worker process or a Ray task.
    """

    job_id: str
    suite: str
    index: int
    task: str
    model: str
    dataset: str
    mode: str
    settings: JobSettings
    revision: str | None
    hardware_id: str
    repetitions: tuple[int, ...] = ()
    entry: str = ""
    model_fingerprint: str | None = None

    def __post_init__(self) -> None:
        if not self.repetitions:
            object.__setattr__(self, "repetitions", tuple(range(self.settings.repeat)))

    @property
    def label(self) -> str:
        """Short human label: ``task · model · dataset``."""
        return f"{self.task} · {self.model} · {self.dataset}"

    def with_repetitions(self, repetitions: Sequence[int]) -> Job:
        """A copy that runs only ``repetitions``."""
        return replace(self, repetitions=tuple(repetitions))

    def with_settings(self, **changes: Any) -> Job:
        """A copy whose settings have ``changes`` (validated; repetitions follow ``repeat``).

        Raises:
            pydantic.ValidationError: a value the suite format would refuse.
        """
        settings = JobSettings.model_validate({**self.settings.model_dump(), **changes})
        reps = self.repetitions if "repeat" not in changes else ()
        return replace(self, settings=settings, repetitions=reps)


def model_identity(model: str, fingerprint: str | None) -> dict[str, Any]:
    """What identifies a model in a job id: what was measured, not the text typed.

    A local folder is its fingerprint alone (so ``./ckpt`` and ``/abs/ckpt`` are one job, and
    an overwritten folder a new one), or its absolute path when it has no config or weight
    files to hash. Other references keep their text, plus their fingerprint when known (a
    hub snapshot commit, the zoo version, a callable's source hash).
    """
    ref = ModelRef.parse(model)
    if ref.kind == "local":
        return {"model": fingerprint or f"path:{ref.path}"}
    return {"model": model, **({"model_fingerprint": fingerprint} if fingerprint else {})}


def job_spec(*, task: str, model: str, revision: str | None, dataset: str, config: str | None,
             split: str | None, n: int, batch_size: int, device: str, dtype: str | None,
             generation: Mapping[str, Any], mode: str, settings: Mapping[str, Any], seed: int,
             hardware_id: str, model_fingerprint: str | None = None) -> dict[str, Any]:
    """What defines a job, as hashed into its id.

    The repetition count, warm-up count, idle-baseline length and timeout are left out on
    purpose: they change how a job is measured, not what is measured, so raising ``repeat``
    later resumes the same job instead of starting a new one. The model enters through
    :func:`model_identity`.
    """
    return {
        "task": task, **model_identity(model, model_fingerprint), "revision": revision,
        "dataset": dataset,
        "config": config, "split": split, "n": n, "batch_size": batch_size, "device": device,
        "dtype": dtype, "generation": dict(sorted(generation.items())), "mode": mode,
        "settings": dict(sorted(settings.items())), "seed": seed, "hardware_id": hardware_id,
    }


# ---- CLI overrides and filters ----------------------------------------------------------


@dataclass(frozen=True)
class Overrides:
    """What the command line changes in a suite.

    ``tasks``, ``models`` and ``datasets`` select: only jobs matching one of them are kept
    (for an ad-hoc run without a suite, they define the jobs). The other fields replace the
    suite's values for every job.
    """

    tasks: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    settings: Settings = Settings()

    def __post_init__(self) -> None:
        if not isinstance(self.settings, Settings):  # a mapping of flag values
            unknown = set(self.settings) - set(SETTING_KEYS)
            if unknown:
                raise ConfigError(f"unknown override(s) {sorted(unknown)}; "
                                  f"valid: {', '.join(SETTING_KEYS)}")
            object.__setattr__(self, "settings", cli_settings(self.settings))


# ---- the suite --------------------------------------------------------------------------


@dataclass(frozen=True)
class Suite:
    """A validated suite.

    Attributes:
        name: Suite name.
        description: What it is for.
        source: The file it came from (or ``<command line>``).
        spec: The parsed file.
    """

    name: str
    description: str
    source: str
    spec: SuiteFile

    def config(self) -> dict[str, Any]:
        """The suite as a plain dict (stored with a run)."""
        return {"source": self.source, **self.spec.model_dump(exclude_none=True)}

    def expand(self, *, hardware_id: str, overrides: Overrides | None = None,
               catalog: Catalog | None = None, network: bool = False) -> list[Job]:
        """Concrete jobs, in file order, with CLI overrides applied.

        Args:
            hardware_id: The id of the machine the jobs will run on (part of each job id).
            overrides: CLI selections and setting overrides.
            catalog: Tables of tasks, datasets and models (the project's by default).
            network: May ask the Hub for the snapshot commit of hub models the local cache
                does not know (see :func:`wattprint.backends.fingerprint.model_fingerprint`).

        Returns:
            One job per (entry, model, dataset) left after the selections.

        Raises:
            ConfigError: a selection matches nothing, naming what the suite has.
        """
        overrides = overrides or Overrides()
        catalog = catalog or default_catalog()
        jobs: list[Job] = []
        all_tasks: set[str] = set()
        all_models: set[str] = set()
        all_datasets: set[str] = set()
        fingerprints: dict[tuple[str, str | None], str | None] = {}
        too_big: list[str] = []
        cli = overrides.settings
        for i, entry in enumerate(self.spec.jobs):
            models = entry.models or [entry.model or catalog.default_model(entry.task)]
            datasets = entry.datasets or [entry.dataset or "builtin"]
            all_tasks.add(entry.task)
            all_models.update(models)
            all_datasets.update(datasets)
            if overrides.tasks and entry.task not in overrides.tasks:
                continue
            for model in models:
                if overrides.models and model not in overrides.models:
                    continue
                for dataset in datasets:
                    if overrides.datasets and dataset not in overrides.datasets:
                        continue
                    task_layer = Settings(generation=catalog.default_generation(
                        entry.task, entry.mode, model, dataset))
                    js = (BUILTIN_DEFAULTS.layered(task_layer).layered(self.spec.defaults)
                          .layered(entry).layered(cli))
                    cap = catalog.max_inputs(entry.task, dataset)
                    if cap is not None and js.n > cap:
                        where = ("-n" if cli.n is not None else
                                 f"jobs[{i}].n" if entry.n is not None else
                                 "defaults.n" if self.spec.defaults.n is not None else
                                 "n (the default)")
                        too_big.append(f"{where}: n={js.n} but dataset {dataset!r} can "
                                       f"supply at most {cap} inputs for {entry.task}; use n <= {cap}")
                        continue
                    key = (model, entry.revision)
                    if key not in fingerprints:
                        fingerprints[key] = model_fingerprint(
                            ModelRef.parse(model), revision=entry.revision, network=network)
                    spec = job_spec(
                        task=entry.task, model=model, revision=entry.revision, dataset=dataset,
                        config=js.config, split=js.split, n=js.n, batch_size=js.batch_size,
                        device=js.device, dtype=js.dtype, generation=js.generation,
                        mode=entry.mode, settings=js.settings, seed=js.seed,
                        hardware_id=hardware_id, model_fingerprint=fingerprints[key])
                    jobs.append(Job(
                        job_id=job_id_for(spec), suite=self.name, index=len(jobs),
                        task=entry.task, model=model, dataset=dataset, mode=entry.mode,
                        settings=js, revision=entry.revision, hardware_id=hardware_id,
                        entry=f"jobs[{i}]", model_fingerprint=fingerprints[key]))
        if too_big:
            raise ConfigError(f"{self.source}: " + "; ".join(dict.fromkeys(too_big)))
        for kind, wanted, have in (("task", overrides.tasks, all_tasks),
                                   ("model", overrides.models, all_models),
                                   ("dataset", overrides.datasets, all_datasets)):
            for w in wanted:
                if w not in have:
                    raise ConfigError(
                        f"--{kind} {w!r}: suite {self.name!r} has no such {kind}"
                        f"{did_you_mean(w, have)}; its {kind}s: {', '.join(sorted(have))}")
        if not jobs:
            raise ConfigError(f"suite {self.name!r}: the selections leave no job to run")
        return jobs


# ---- loading and validating -------------------------------------------------------------


def shipped_suites() -> dict[str, str]:
    """Shipped suite names → their description (first line)."""
    out = {}
    for item in sorted(resources.files(SUITES_PACKAGE).iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            data = yaml.safe_load(item.read_text(encoding="utf-8")) or {}
            out[item.name[:-5]] = str(data.get("description", "")).strip().splitlines()[0:1][0] \
                if data.get("description") else ""
    return out


def resolve_suite_path(name_or_path: str) -> tuple[str, str]:
    """Find a suite: a file path, or the name of a shipped suite.

    Returns:
        ``(source, text)``: where it came from and its YAML text.

    Raises:
        ConfigError: neither a readable file nor a shipped suite (names the shipped ones).
    """
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or os.sep in name_or_path or p.exists():
        if not p.is_file():
            raise ConfigError(f"suite file {name_or_path!r} does not exist")
        try:
            return str(p), p.read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"suite file {name_or_path!r} cannot be read: {err}") from err
        except UnicodeDecodeError as err:
            line = p.read_bytes()[:err.start].count(b"\n") + 1
            raise ConfigError(f"{name_or_path}:{line}: the suite file is not UTF-8 text (byte "
                              f"0x{err.object[err.start]:02x} at offset {err.start}); save it "
                              "as UTF-8") from None
    names = shipped_suites()
    if name_or_path not in names:
        raise ConfigError(f"unknown suite {name_or_path!r}{did_you_mean(name_or_path, names)}; "
                          f"shipped suites: {', '.join(names)} (or give a path to a .yaml file)")
    res = resources.files(SUITES_PACKAGE) / f"{name_or_path}.yaml"
    return f"{name_or_path} ({res})", res.read_text(encoding="utf-8")


def load_suite(name_or_path: str, *, catalog: Catalog | None = None) -> Suite:
    """Read and validate a suite file or shipped suite.

    Raises:
        ConfigError: the YAML is malformed, a key is given twice, unknown or misspelt, a value
            has the wrong type, or a task / dataset / model is unknown for its task. The
            message names the file, the line, the key path (``jobs[3].modle``) and the valid
            choices.
    """
    source, text = resolve_suite_path(name_or_path)
    return parse_suite(text, source=source, catalog=catalog)


def parse_suite(text: str, *, source: str = "<string>", catalog: Catalog | None = None) -> Suite:
    """Validate suite YAML text; see :func:`load_suite`."""
    doc = load_yaml(text, source)
    spec = validate(SuiteFile, doc, what="suite")
    problems = check_names(spec, catalog or default_catalog())
    if problems:
        lines = [f"{doc.where(loc)}: {path_str(loc)}: {msg}" for loc, msg in problems]
        raise ConfigError("invalid suite:\n  " + "\n  ".join(lines))
    return Suite(name=spec.name, description=spec.description, source=source, spec=spec)


def check_names(spec: SuiteFile, catalog: Catalog) -> list[tuple[tuple[Any, ...], str]]:
    """Check tasks, modes, datasets and models against the tables.

    Returns:
        ``(key path, message)`` for each problem; empty when all names are valid.
    """
    problems: list[tuple[tuple[Any, ...], str]] = []
    tasks = catalog.task_ids()
    for i, entry in enumerate(spec.jobs):
        if entry.task not in tasks:
            problems.append((("jobs", i, "task"), unknown("task", entry.task, tasks)))
            continue
        if entry.mode == "zero-shot" and entry.task not in catalog.zero_shot_tasks():
            problems.append((("jobs", i, "mode"),
                             f"task {entry.task!r} has no zero-shot mode; zero-shot tasks: "
                             f"{', '.join(sorted(catalog.zero_shot_tasks()))}"))
            continue
        key = "datasets" if entry.datasets is not None else "dataset"
        for j, ds in enumerate(entry.datasets or [entry.dataset or "builtin"]):
            msg = catalog.check_dataset(entry.task, ds, mode=entry.mode)
            if msg:
                loc = ("jobs", i, key, j) if key == "datasets" else ("jobs", i, key)
                problems.append((loc, msg))
        key = "models" if entry.models is not None else "model"
        model_ok = True
        for j, model in enumerate(entry.models or ([entry.model] if entry.model else [])):
            msg = catalog.check_model(entry.task, model, mode=entry.mode)
            if msg:
                model_ok = False
                loc = ("jobs", i, key, j) if key == "models" else ("jobs", i, key)
                problems.append((loc, msg))
        if model_ok:
            problems.extend(_option_problems(spec, i, entry, catalog))
    return problems


def _option_problems(spec: SuiteFile, i: int, entry: JobEntry,
                     catalog: Catalog) -> list[tuple[tuple[Any, ...], str]]:
    """Each model of one entry must have a backend, and the entry's backend options must be
    that backend's.

    A key set in ``defaults.settings`` is reported there, one set in the entry at the entry.
    """
    options = {**(spec.defaults.settings or {}), **(entry.settings or {})}
    out: list[tuple[tuple[Any, ...], str]] = []
    key = "models" if entry.models is not None else "model"
    try:
        models = entry.models or [entry.model or catalog.default_model(entry.task)]
    except ConfigError as err:  # a registered task without a default model
        return [(("jobs", i, "task"), str(err))]
    backends = []
    for j, model in enumerate(models):
        try:
            backends.append(backend_for(entry.task, ModelRef.parse(model)))
        except ConfigError as err:
            out.append((("jobs", i, key, j) if key == "models" else ("jobs", i, key), str(err)))
    for backend in dict.fromkeys(backends) if options else ():
        for name, msg in option_problems(backend, options):
            where = "jobs" if name in (entry.settings or {}) else "defaults"
            loc = ("jobs", i, "settings", name) if where == "jobs" else ("defaults", "settings", name)
            out.append((loc, msg))
    return out


# ---- ad-hoc runs ------------------------------------------------------------------------


def adhoc_suite(tasks: Sequence[str], models: Sequence[str], datasets: Sequence[str], *,
                mode: str = "task-specific", catalog: Catalog | None = None) -> Suite:
    """A suite built from ``--task/--model/--dataset`` alone (every combination).

    Raises:
        ConfigError: no task given, or a name is invalid (the message names the flag).
    """
    if not tasks:
        raise ConfigError("an ad-hoc run needs --task (or give a suite name or file)")
    entries = [{"task": t, **({"models": list(models)} if models else {}),
                "datasets": list(datasets) or ["builtin"], "mode": mode} for t in tasks]
    data = {"name": "adhoc", "description": "built from the command line", "jobs": entries}
    catalog = catalog or default_catalog()
    spec = SuiteFile.model_validate(data)
    problems = check_names(spec, catalog)
    if problems:
        flags = {"task": "--task", "model": "--model", "models": "--model",
                 "dataset": "--dataset", "datasets": "--dataset", "mode": "--mode"}
        msgs = sorted({f"{flags.get(str(loc[2]), loc[2])}: {msg}" for loc, msg in problems})
        raise ConfigError("; ".join(msgs))
    return Suite(name="adhoc", description=spec.description, source="<command line>", spec=spec)


def make_plan(suite_or_file: str | None, *, tasks: Sequence[str] = (), models: Sequence[str] = (),
              datasets: Sequence[str] = (), settings: Mapping[str, Any] | None = None,
              mode: str = "task-specific", hardware_id: str,
              catalog: Catalog | None = None) -> tuple[Suite, list[Job]]:
    """The suite and its jobs for a ``wattprint run`` invocation.

    With a suite name or file, ``tasks/models/datasets`` select among its jobs; without one,
    ``tasks`` (with optional ``models`` and ``datasets``) define an ad-hoc suite, and with
    none of them the default ``smoke`` suite runs. ``settings`` override every job's settings.

    Raises:
        ConfigError: an invalid suite, name or selection (the message names it).
    """
    layer = cli_settings(settings or {})
    if suite_or_file is None and tasks:
        suite = adhoc_suite(tasks, models, datasets, mode=mode, catalog=catalog)
        overrides = Overrides(settings=layer)
    else:
        suite = load_suite(suite_or_file or DEFAULT_SUITE, catalog=catalog)
        overrides = Overrides(tuple(tasks), tuple(models), tuple(datasets), layer)
    return suite, suite.expand(hardware_id=hardware_id, overrides=overrides, catalog=catalog,
                               network=True)
