"""Check a plan before spending hours on it: one clear error with the exact fix, or nothing.

A run whose every job is bound to fail the same way (the ``hub`` extra is not installed, there
is no GPU for ``--device cuda``, a ``callable:`` module cannot be imported, a model folder is
gone) would otherwise write one failed row per repetition, possibly hundreds, before anybody
notices. :func:`preflight` looks at the whole plan first, groups what it finds by cause, and
raises ONE :class:`PreflightError` that names each cause, the jobs it hits and the command or
change that fixes it. Nothing has run and nothing has been stored when it raises.

The checks are cheap: library presence is looked up without importing the library; torch is
imported only when a job asks for a GPU; callables are imported (exactly as the worker will,
with the current directory on ``sys.path`` as ``python -m`` has it).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from wattprint.backends.model_ref import ModelRef
from wattprint.errors import ConfigError
from wattprint.harness.plan import Job
from wattprint.tasks.files import FILE_SUFFIXES

HUB_PREFIX = "hf:"
COMMAND_LINE = "<command line>"
INSTALL_HUB = "pip install 'wattprint[hub]'"
INSTALL_MODELS = "pip install 'wattprint[models]'"


class PreflightError(ConfigError):
    """The plan cannot run as given; the message lists each cause with its fix."""


@dataclass
class Problem:
    """One cause of failure, with the jobs it hits.

    Attributes:
        what: What is wrong (``the Hugging Face 'datasets' library is not installed``).
        fix: The exact fix (a command, a flag, a path to create).
        jobs: Labels of the jobs that would fail because of it.
    """

    what: str
    fix: str
    jobs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Probes:
    """How the environment is asked (replaceable in tests).

    Attributes:
        has_module: ``name -> bool``, whether a top-level package is installed.
        cuda_devices: ``() -> int``, how many CUDA devices torch sees (0 without CUDA).
        mps_available: ``() -> bool``, whether Apple's MPS device is usable.
        import_callable: ``"module:function" -> None``, raising ConfigError when it cannot be
            imported.
        hub_dataset: ``(task, dataset) -> bool``, whether a dataset is read from the Hub.
        local_dataset: ``(task, dataset, n) -> None``, reading a local dataset file or folder
            as the run will (its first ``n`` records), raising ConfigError naming the file
            (and line) when it cannot supply them; nothing for built-in and Hub datasets.
    """

    has_module: Callable[[str], bool]
    cuda_devices: Callable[[], int]
    mps_available: Callable[[], bool]
    import_callable: Callable[[str], None]
    hub_dataset: Callable[[str, str], bool]
    local_dataset: Callable[[str, str, int], None]


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _cuda_devices() -> int:
    import torch

    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def _mps_available() -> bool:
    import torch

    return bool(torch.backends.mps.is_available())


def _import_callable(target: str) -> None:
    from wattprint.backends.callable import resolve_callable

    try:
        resolve_callable(target)
    except ConfigError:
        raise
    except Exception as err:  # the module itself raised while being imported (SyntaxError ...)
        raise ConfigError(f"callable {target!r}: importing it raised "
                          f"{type(err).__name__}: {err}") from err


def _hub_dataset(task: str, dataset: str) -> bool:
    from wattprint.tasks.study_datasets import STUDY_DATASETS

    return dataset.startswith(HUB_PREFIX) or dataset in STUDY_DATASETS.get(task, {})


def _local_dataset(task: str, dataset: str, n: int) -> None:
    from wattprint.tasks.inputs import check_local_dataset

    try:
        check_local_dataset(task, dataset, n=n)
    except OSError as err:  # unreadable (permissions, I/O error): as the run would fail
        raise ConfigError(f"{dataset}: cannot read it: {err.strerror or err}") from err


DEFAULT_PROBES = Probes(_has_module, _cuda_devices, _mps_available, _import_callable,
                        _hub_dataset, _local_dataset)


def check_plan(jobs: Sequence[Job], *, probes: Probes = DEFAULT_PROBES,
               check_devices: bool = True, source: str = COMMAND_LINE) -> list[Problem]:
    """Every cause that would make jobs of the plan fail, grouped, in plan order.

    Args:
        jobs: The plan's jobs.
        probes: How to ask the environment.
        check_devices: Check that the jobs' devices exist on this machine (False when the
            jobs run elsewhere, e.g. on a Ray cluster).
        source: Where the plan came from: a suite file, or ``<command line>`` (named in the
            fix of a bad dataset).
    """
    problems: dict[tuple[str, str], Problem] = {}

    def add(what: str, fix: str, job: Job) -> None:
        p = problems.setdefault((what, fix), Problem(what, fix))
        if job.label not in p.jobs:
            p.jobs.append(job.label)

    callables: dict[str, str | None] = {}
    datasets = _dataset_problems(jobs, probes)
    for job in jobs:
        ref = ModelRef.parse(job.model)
        bad_dataset = datasets.get((job.task, job.dataset))
        if bad_dataset:
            add(bad_dataset, _dataset_fix(job, source), job)
        if probes.hub_dataset(job.task, job.dataset) and not probes.has_module("datasets"):
            add("the Hugging Face 'datasets' library is not installed (hub datasets need it)",
                INSTALL_HUB, job)
        if ref.kind == "callable":
            if ref.name not in callables:
                try:
                    probes.import_callable(ref.name)
                    callables[ref.name] = None
                except ConfigError as err:
                    callables[ref.name] = str(err)
            err_text = callables[ref.name]
            if err_text:
                add(err_text, f"put {ref.module.replace('.', '/')}.py in the directory you run "
                    "from, or add its folder to PYTHONPATH", job)
            continue
        libs = ("torch", "diffusers") if job.task == "text-to-image" else ("torch", "transformers")
        missing = [lib for lib in libs if not probes.has_module(lib)]
        if missing:
            add(f"model backends need {' and '.join(missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} not installed", INSTALL_MODELS, job)
        if ref.kind == "hub" and not probes.has_module("huggingface_hub"):
            add("hub models need huggingface_hub, which is not installed", INSTALL_HUB, job)
        if ref.kind == "local":
            folder = ref.path
            if not folder.is_dir():
                add(f"model folder {job.model!r} ({folder}) does not exist",
                    "give the right path with --model, or create the folder", job)
            elif not any((folder / f).is_file() for f in ("config.json", "model_index.json")):
                add(f"model folder {job.model!r} has no config.json (nor model_index.json)",
                    "point --model at the folder save_pretrained() wrote", job)
        if check_devices:
            _check_device(job, probes, add, missing)
    return list(problems.values())


def _dataset_problems(jobs: Sequence[Job], probes: Probes) -> dict[tuple[str, str], str]:
    """``(task, dataset) -> message`` for each local dataset that cannot supply its jobs'
    inputs; each pair is read once, as far as the largest ``n`` its jobs ask for."""
    wanted: dict[tuple[str, str], int] = {}
    for job in jobs:
        key = (job.task, job.dataset)
        wanted[key] = max(wanted.get(key, 0), job.settings.n)
    found: dict[tuple[str, str], str] = {}
    for (task, dataset), n in wanted.items():
        try:
            probes.local_dataset(task, dataset, n)
        except ConfigError as err:
            found[(task, dataset)] = f"bad dataset: {err}"
    return found


def _dataset_fix(job: Job, source: str) -> str:
    valid = (f"a UTF-8 {'/'.join(FILE_SUFFIXES)} file with at least {job.settings.n} records "
             "(or, for image tasks, an image folder)")
    if source == COMMAND_LINE:
        return f"give --dataset {valid}"
    return f"in {source}, point {job.entry or 'the job'}.dataset at {valid}"


def _check_device(job: Job, probes: Probes, add: Callable[[str, str, Job], None],
                  missing: list[str]) -> None:
    device = job.settings.device
    head, _, idx = device.partition(":")
    if head not in ("cuda", "mps") or "torch" in missing:
        return
    if head == "cuda":
        count = probes.cuda_devices()
        want = int(idx) if idx.isdigit() else 0
        if count == 0:
            add(f"--device {device}: no CUDA GPU is visible (torch.cuda.is_available() is "
                "False)", "run with --device cpu, or on a machine with an NVIDIA GPU and a CUDA "
                "build of torch", job)
        elif want >= count:
            add(f"--device {device}: only {count} CUDA device(s) visible (cuda:0 .. "
                f"cuda:{count - 1})", f"use --device cuda:{count - 1} or lower", job)
    elif not probes.mps_available():
        add(f"--device {device}: Apple MPS is not available here", "run with --device cpu",
            job)


def format_problems(problems: Sequence[Problem], total_jobs: int) -> str:
    """The one message: each cause, how many jobs it hits (with an example), and its fix."""
    lines = [f"pre-flight check: {len(problems)} problem(s) would make jobs fail; nothing was run"]
    for p in problems:
        hit = "every job" if len(p.jobs) == total_jobs else f"{len(p.jobs)} of {total_jobs} jobs"
        lines.append(f"  - {p.what} ({hit}, e.g. {p.jobs[0]})")
        lines.append(f"    fix: {p.fix}")
    return "\n".join(lines)


def preflight(jobs: Sequence[Job], *, probes: Probes = DEFAULT_PROBES,
              check_devices: bool = True, source: str = COMMAND_LINE) -> None:
    """Raise one :class:`PreflightError` when the plan cannot run as given.

    Args and checks as :func:`check_plan`.

    Raises:
        PreflightError: listing each cause, the jobs it hits and the exact fix.
    """
    problems = check_plan(jobs, probes=probes, check_devices=check_devices, source=source)
    if problems:
        raise PreflightError(format_problems(problems, len(jobs)))
