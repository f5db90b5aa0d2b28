"""Where a run's inputs come from: built-in, the study's Hub datasets, or local files.

:func:`load_examples` is the one entry point. ``dataset`` is one of:

* ``"builtin"`` or ``"builtin:<source>"`` — generated offline inputs (:mod:`.builtin`);
* a study dataset's short name for the task (``"imdb"``, ``"squad_v2"`` ...; see
  :data:`~wattprint.tasks.study_datasets.STUDY_DATASETS`) — streamed from the Hub;
* ``"hf:<owner/name>"`` — any Hub dataset, streamed; columns picked by name and the usual
  aliases (or ``columns``), split ``split`` (default ``train``), config ``config``;
* a path to a ``.jsonl``/``.json``/``.csv``/``.parquet`` file or an image folder.

Like the study, it takes the *first* ``n`` records (no shuffling); ``seed`` only changes
the built-in generator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError, did_you_mean
from wattprint.tasks.base import Example, Task
from wattprint.tasks.builtin import builtin_records, builtin_source_names
from wattprint.tasks.files import FILE_SUFFIXES, image_folder_records, iter_file_records
from wattprint.tasks.hub import LoadFn, hub_records, local_snapshot
from wattprint.tasks.local_hub import is_local_id
from wattprint.tasks.registry import get_task
from wattprint.tasks.study_datasets import (
    STUDY_DATASETS,
    DatasetRecipe,
    is_study_dataset,
    study_recipe,
)

BUILTIN = "builtin"
DATASET_COMMIT = "dataset_commit"
"""``Example.meta`` key: the snapshot commit of a ``wattprint-zoo/`` data set read from the cache."""
HUB_PREFIX = "hf:"
DEFAULT_HUB_SPLIT = "train"


def dataset_choices(task_id: str) -> list[str]:
    """Dataset names valid for a task: built-in sources, then the study's datasets."""
    names = [BUILTIN] + [f"{BUILTIN}:{s}" for s in builtin_source_names(task_id)]
    return names + list(STUDY_DATASETS.get(task_id, {}))


def _looks_like_path(name: str) -> bool:
    return ("/" in name or "\\" in name or name.startswith(".")
            or name.lower().endswith(FILE_SUFFIXES) or Path(name).exists())


def _prepared(task: Task, located: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[Example]:
    for where, record in located:
        try:
            yield task.prepare(record)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from err
        except ValueError as err:
            raise ConfigError(f"{where}: {task.id}: {err}") from err


def _prepare_all(task: Task, located: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Example]:
    return list(_prepared(task, located))


def local_dataset_path(task_id: str, dataset: str) -> Path | None:
    """The local file or folder ``dataset`` names for ``task_id``, or None when it is a
    built-in source, a study dataset or a Hub id (decided as :func:`load_examples` does)."""
    if dataset == BUILTIN or dataset.startswith(BUILTIN + ":") or dataset.startswith(HUB_PREFIX):
        return None
    if dataset in STUDY_DATASETS.get(task_id, {}) or not _looks_like_path(dataset):
        return None
    return Path(dataset).expanduser()


def _local_records(task: Task, path: Path, n: int,
                   columns: Mapping[str, str] | None) -> Iterable[tuple[str, dict[str, Any]]]:
    """The first ``n`` raw records of a local file or image folder, read lazily."""
    if path.is_dir():
        if "image" not in task.record_fields:
            raise ConfigError(f"{path} is a folder; {task.id} reads a file: "
                              f"{', '.join(FILE_SUFFIXES)} (image folders are inputs of image "
                              "tasks)")
        return image_folder_records(path, n)
    return iter_file_records(path, task.id, task.record_fields, n, columns)


def check_local_dataset(task: Task | str, dataset: str, *, n: int,
                        columns: Mapping[str, str] | None = None) -> None:
    """Read a local dataset exactly as :func:`load_examples` will, without keeping it.

    The file is streamed only as far as its ``n``-th record; each record goes through the
    same column mapping and the task's input recipe as in a run, then is dropped. Built-in,
    study and Hub datasets are not checked (nothing is downloaded).

    Raises:
        ConfigError: what :func:`load_examples` would raise for this file: missing, a folder
            for a text task, unsupported, empty, not UTF-8, a bad line (named), a missing
            column, or fewer than ``n`` records.
    """
    task_obj = get_task(task) if isinstance(task, str) else task
    path = local_dataset_path(task_obj.id, dataset)
    if path is None:
        return
    for _ in _prepared(task_obj, _local_records(task_obj, path, n, columns)):
        pass


def load_examples(task: Task | str, dataset: str = BUILTIN, *, n: int, split: str | None = None,
                  config: str | None = None, seed: int = 0,
                  columns: Mapping[str, str] | None = None,
                  load_fn: LoadFn | None = None) -> list[Example]:
    """The first ``n`` inputs of a dataset, prepared by the task's recipe.

    Args:
        task: A task or task id.
        dataset: ``builtin[:source]``, a study dataset short name, ``hf:<id>``, or a path.
        n: How many examples (the study used 1,000).
        split: Hub split (overrides a study recipe's; ``hf:`` default ``train``).
        config: Hub config (overrides a study recipe's).
        seed: Seed of the built-in generator (ignored elsewhere).
        columns: Canonical field → column name, for local files and ``hf:`` datasets.
        load_fn: Stand-in for ``datasets.load_dataset`` (tests).

    Returns:
        ``n`` examples, in dataset order.

    Raises:
        ConfigError: unknown task or dataset, a dataset that does not fit the task, a bad
            file (named with its line), or fewer than ``n`` records.
        TaskError: a Hub dataset cannot be reached (no network / cache).
    """
    task_obj = get_task(task) if isinstance(task, str) else task
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"n must be a whole number >= 1, got {n!r}")
    if dataset == BUILTIN or dataset.startswith(BUILTIN + ":"):
        source = dataset.partition(":")[2] or None
        records = builtin_records(task_obj.id, source, n, seed)
        return _prepare_all(task_obj, [(f"{dataset}#{i}", r) for i, r in enumerate(records)])
    if dataset in STUDY_DATASETS.get(task_obj.id, {}):
        recipe = study_recipe(task_obj.id, dataset)
        records = hub_records(recipe, n, split=split, config=config, load_fn=load_fn)
        return _prepare_all(task_obj, [(f"{dataset} row {i}", r) for i, r in enumerate(records)])
    if dataset.startswith(HUB_PREFIX):
        hub_id = dataset[len(HUB_PREFIX):]
        if not hub_id:
            raise ConfigError("hf: needs a Hub dataset id, e.g. hf:stanfordnlp/imdb")
        recipe = DatasetRecipe(name=dataset, task=task_obj.id, hf_id=hub_id, config=config,
                               split=split or DEFAULT_HUB_SPLIT, fields=dict(columns or {}))
        records = hub_records(recipe, n, load_fn=load_fn, record_fields=task_obj.record_fields)
        examples = _prepare_all(task_obj, [(f"{dataset} row {i}", r) for i, r in enumerate(records)])
        if is_local_id(hub_id):   # say which snapshot the inputs came from
            commit = local_snapshot(hub_id).commit
            examples = [replace(e, meta={**e.meta, DATASET_COMMIT: commit}) for e in examples]
        return examples
    path = local_dataset_path(task_obj.id, dataset)
    if path is not None:
        return _prepare_all(task_obj, _local_records(task_obj, path, n, columns))
    if is_study_dataset(dataset):
        study_recipe(task_obj.id, dataset)  # raises: names the task(s) it belongs to
    choices = dataset_choices(task_obj.id)
    raise ConfigError(f"unknown dataset {dataset!r} for {task_obj.id}{did_you_mean(dataset, choices)}; "
                      f"valid: {', '.join(choices)}, hf:<hub dataset id>, or a path to a "
                      f"{'/'.join(FILE_SUFFIXES)} file or an image folder")
