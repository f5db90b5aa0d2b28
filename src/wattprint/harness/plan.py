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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wattprint.backends.fingerprint import model_fingerprint
from wattprint.backends.model_ref import ModelRef
from wattprint.backends.registry import backend_for, option_problems
from wattprint.errors import ConfigError, did_you_mean
from wattprint.harness.catalog import Catalog, default_catalog
from wattprint.results.schema import job_id_for

DTYPES = ("float32", "float16", "bfloat16", "auto")
"""Model dtypes the backends accept (``auto``: the checkpoint's own)."""

SUITES_PACKAGE = "wattprint.harness.suites"
DEFAULT_SUITE = "smoke"


# ---- the file format (pydantic models; extra keys forbidden) -----------------------------


MAX_SECONDS: float = 7 * 24 * 3600.0
"""Longest idle baseline or job timeout a suite or flag may ask for, s (one week)."""
#: Most warm-up inferences a job may ask for (as many as the largest measured window).
MAX_WARMUP = 1_000_000


class _Strict(BaseModel):
    # nan/inf are refused in every number: `idle_s: .inf` would sleep forever
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _check_device(value: str | None) -> str | None:
    if value is not None and not _valid_device(value):
        raise ValueError(f"unknown device {value!r}; valid: cpu, cuda, cuda:N, mps, auto")
    return value


def _check_dtype(value: str | None) -> str | None:
    if value is not None and value not in DTYPES:
        raise ValueError(_unknown("dtype", value, DTYPES))
    return value


class Settings(_Strict):
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


class JobSettings(_Strict):
    """A job's complete settings: every field has its built-in default (the study's values).

    Built as ``JobSettings()`` and then each layer applied with :meth:`layered`
    (``model_copy(update=...)``), from the task's defaults up to the CLI flags. Field meanings
    as in :class:`Settings`.
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


class SuiteFile(_Strict):
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


# ---- concrete jobs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One concrete job: one model on one dataset of one task, repeated ``repeat`` times.

    ``repetitions`` lists the repetition indices still to run (all of them unless resuming).
    Picklable, so it can be sent to a worker process or a Ray task.
    """

    job_id: str
    suite: str
    index: int
    task: str
    model: str
    dataset: str
    mode: str
    n: int
    repeat: int
    batch_size: int
    device: str
    dtype: str | None
    warmup: int
    idle_s: float
    generation: Mapping[str, Any]
    split: str | None
    config: str | None
    seed: int
    settings: Mapping[str, Any]
    revision: str | None
    hardware_id: str
    timeout_s: float | None = None
    repetitions: tuple[int, ...] = ()
    entry: str = ""
    model_fingerprint: str | None = None

    def __post_init__(self) -> None:
        if not self.repetitions:
            object.__setattr__(self, "repetitions", tuple(range(self.repeat)))

    @property
    def label(self) -> str:
        """Short human label: ``task · model · dataset``."""
        return f"{self.task} · {self.model} · {self.dataset}"

    def with_repetitions(self, repetitions: Sequence[int]) -> Job:
        """A copy that runs only ``repetitions``."""
        return replace(self, repetitions=tuple(repetitions))


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
                        n=js.n, repeat=js.repeat, batch_size=js.batch_size, device=js.device,
                        dtype=js.dtype, warmup=js.warmup, idle_s=float(js.idle_s),
                        generation=dict(js.generation), split=js.split, config=js.config,
                        seed=js.seed, settings=dict(js.settings), revision=entry.revision,
                        hardware_id=hardware_id, timeout_s=js.timeout_s,
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


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (instead of last wins)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(key, line, seen[key])
            except TypeError:  # an unhashable key: let PyYAML report it
                continue
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_suite(name_or_path: str, *, catalog: Catalog | None = None) -> Suite:
    """Read and validate a suite file or shipped suite.

    Raises:
        ConfigError: the YAML is malformed, a key is unknown or misspelt, a value has the wrong
            type, or a task / dataset / model is unknown for its task. The message names the
            file, the line, the key path (``jobs[3].modle``) and the valid choices.
    """
    source, text = resolve_suite_path(name_or_path)
    return parse_suite(text, source=source, catalog=catalog)


def parse_suite(text: str, *, source: str = "<string>", catalog: Catalog | None = None) -> Suite:
    """Validate suite YAML text; see :func:`load_suite`."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except _DuplicateKey as err:
        raise ConfigError(f"{source}:{err.line}: duplicate key {err.key!r} (first given at line "
                          f"{err.first}); give each key once") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a suite must be a mapping with 'name' and 'jobs', "
                          f"got {type(data).__name__}")
    try:
        spec = SuiteFile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err, source, root)) from None
    problems = check_names(spec, catalog or default_catalog())
    if problems:
        lines = [f"{source}:{_line_of(root, loc) or '?'}: {_path_str(loc)}: {msg}"
                 for loc, msg in problems]
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
            problems.append((("jobs", i, "task"), _unknown("task", entry.task, tasks)))
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
    """Backend options of one entry checked against each of its models' backend options.

    A key set in ``defaults.settings`` is reported there, one set in the entry at the entry.
    """
    options = {**(spec.defaults.settings or {}), **(entry.settings or {})}
    if not options:
        return []
    out: list[tuple[tuple[Any, ...], str]] = []
    models = entry.models or [entry.model or catalog.default_model(entry.task)]
    for backend in dict.fromkeys(backend_for(entry.task, ModelRef.parse(m)) for m in models):
        for key, msg in option_problems(backend, options):
            where = "jobs" if key in (entry.settings or {}) else "defaults"
            loc = ("jobs", i, "settings", key) if where == "jobs" else ("defaults", "settings", key)
            out.append((loc, msg))
    return out


def _valid_device(value: str) -> bool:
    if value in ("cpu", "cuda", "mps", "auto"):
        return True
    head, _, idx = value.partition(":")
    return head in ("cuda", "mps") and idx.isdigit()


def _unknown(kind: str, value: str, choices: Sequence[str] | set[str]) -> str:
    choices = sorted(choices)
    return f"unknown {kind} {value!r}{did_you_mean(value, choices)}; valid: {', '.join(choices)}"


# ---- error formatting -------------------------------------------------------------------

_MODEL_FOR_LOC: dict[str, type[BaseModel]] = {"": SuiteFile, "defaults": Settings, "jobs": JobEntry}


def _path_str(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _fields_at(loc: Sequence[Any]) -> list[str]:
    """Valid keys of the mapping that holds the last element of ``loc``."""
    parent = [p for p in loc[:-1] if not isinstance(p, int)]
    if not parent:
        return list(SuiteFile.model_fields)
    model = _MODEL_FOR_LOC.get(str(parent[0]))
    return list(model.model_fields) if model and len(parent) == 1 else []


def _format_validation_error(err: ValidationError, source: str, root: Any) -> str:
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # pydantic appends the union branch or the validator name to loc for some errors
        loc = tuple(p for p in loc if p not in ("str", "list[str]", "int", "float"))
        line = _line_of(root, loc)
        where = f"{source}:{line}" if line else source
        if e["type"] == "extra_forbidden":
            key = str(loc[-1])
            valid = _fields_at(loc)
            msg = f"unknown key {key!r}{did_you_mean(key, valid)}; valid keys: {', '.join(valid)}"
        elif e["type"] == "missing":
            msg = "required key missing"
        elif e["type"] == "value_error":  # our own validators' messages name the valid values
            msg = str(e["msg"]).removeprefix("Value error, ")
        elif e["type"] == "literal_error":
            msg = f"{e['msg']} (got {e.get('input')!r})"
        else:
            msg = f"{e['msg']} (got {e.get('input')!r})"
        lines.append(f"{where}: {_path_str(loc)}: {msg}")
    return "invalid suite:\n  " + "\n  ".join(lines)


def _line_of(root: Any, loc: Sequence[Any]) -> int | None:
    """1-based line of the YAML node at ``loc`` (the key for mapping entries), when found."""
    node = root
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = None
            for k, v in node.value:
                if getattr(k, "value", None) == part:
                    found = (k, v)
                    break
            if found is None:
                return line
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


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
