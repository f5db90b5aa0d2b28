"""Records from Hugging Face Hub datasets (the study's recipes, or any id), streamed.

Needs the ``datasets`` package (``pip install 'wattprint[hub]'``) and network access or a
filled Hub cache; without them a :class:`~wattprint.errors.TaskError` says so and suggests
the built-in inputs. ``datasets`` is imported only when a Hub dataset is asked for.
"""

from __future__ import annotations

import itertools
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from wattprint.errors import ConfigError, TaskError
from wattprint.tasks.columns import resolve_columns
from wattprint.tasks.local_hub import Snapshot, is_local_id, resolve
from wattprint.tasks.study_datasets import DatasetRecipe

LoadFn = Callable[..., Iterable[Mapping[str, Any]]]

IMAGE_URL_TIMEOUT_S = 30.0
"""Seconds to wait for one image download (RedCaps images are fetched from their URL)."""


def _class_names(dataset: Any, column: str) -> tuple[str, ...] | None:
    """Names of a ClassLabel column (or a sequence of ClassLabel), when the features say."""
    features = getattr(dataset, "features", None)
    if not features or column not in features:
        return None
    feat = features[column]
    inner = getattr(feat, "feature", None) or (feat[0] if isinstance(feat, list) and feat else None)
    names = getattr(feat, "names", None) or getattr(inner, "names", None)
    return tuple(names) if names else None


def _category_names(dataset: Any) -> tuple[str, ...] | None:
    """CPPE-5's object category names (``objects.category`` ClassLabel), when the features say."""
    try:
        objects = dataset.features["objects"]
        inner = getattr(objects, "feature", objects)
        names = getattr(inner["category"], "names", None) or getattr(
            getattr(inner["category"], "feature", None), "names", None)
    except (AttributeError, KeyError, TypeError):
        return None
    return tuple(names) if names else None


def _objects_from(row: Mapping[str, Any], converter: str, category_names: tuple[str, ...] | None
                  ) -> dict[str, Any]:
    objs = row.get("objects")
    if converter == "cppe5_objects":  # {"bbox": [[x, y, w, h]], "category": [ids]}
        cats = list(objs.get("category", []))
        labels = [category_names[c] if category_names and isinstance(c, int) else str(c) for c in cats]
        return {"boxes": list(objs.get("bbox", [])), "labels": labels, "bbox_format": "xywh"}
    if converter == "visual_genome_objects":  # [{"x", "y", "w", "h", "names": [...]}, ...]
        boxes = [[o["x"], o["y"], o["w"], o["h"]] for o in objs]
        labels = [(o.get("names") or ["object"])[0] for o in objs]
        return {"boxes": boxes, "labels": labels, "bbox_format": "xywh"}
    raise ConfigError(f"unknown record converter {converter!r}")


def _fetch_image(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=IMAGE_URL_TIMEOUT_S) as resp:  # noqa: S310 (dataset URLs)
            return resp.read()
    except OSError as err:
        raise TaskError(f"cannot fetch image {url}: {err}") from err


def _load_fn() -> LoadFn:
    try:
        from datasets import load_dataset
    except ImportError as err:
        raise TaskError("Hub datasets need the 'datasets' package (pip install 'wattprint[hub]'); "
                        "offline, use --dataset builtin") from err
    return load_dataset


def local_snapshot(hub_id: str) -> Snapshot:
    """The snapshot of a ``wattprint-zoo/`` data set in wattprint's cache, resolved offline
    through ``huggingface_hub`` (:func:`wattprint.tasks.local_hub.resolve`).

    Raises:
        TaskError: it is not built yet (says how to build it).
    """
    snap = resolve(hub_id, "dataset")
    if snap is None:
        raise TaskError(f"data set {hub_id} is not in wattprint's cache; build it with "
                        "`wattprint zoo build --real` (a run of the study-mini suite does)")
    return snap


PARQUET_REVISION = "refs/convert/parquet"
"""The Hub's automatic Parquet export: how script-based datasets load with ``datasets`` >= 4."""


def _open(load: LoadFn, recipe: DatasetRecipe, config: str | None, split: str, where: str) -> Any:
    """Open the stream: the current id, then the study's; each as is, then its Parquet export
    when the plain load fails because the dataset is script-based."""
    failures: list[str] = []
    last: Exception | None = None
    for hub_id in recipe.hub_ids():
        if is_local_id(hub_id):   # wattprint's own hub-layout cache, never the Hub
            return load(str(local_snapshot(hub_id).path), config, split=split, streaming=True)
        for revision in (None, PARQUET_REVISION):
            kwargs: dict[str, Any] = {"split": split, "streaming": True}
            if revision:
                kwargs["revision"] = revision
            try:
                return load(hub_id, config, **kwargs)
            except Exception as err:  # datasets/hub raise many types: connection, gated, 404
                last = err
                failures.append(f"{hub_id}" + (f"@{revision}" if revision else "")
                                + f": {type(err).__name__}: {err}")
                if revision is None and "script" not in str(err).lower():
                    break  # not a script problem: the Parquet export will not help
    raise TaskError(f"cannot load Hub dataset {where}; tried " + "; ".join(failures)
                    + ". It needs network access to the Hugging Face Hub (or a filled cache); "
                    "offline, use --dataset builtin") from last


def hub_records(recipe: DatasetRecipe, n: int, *, split: str | None = None,
                config: str | None = None, load_fn: LoadFn | None = None,
                record_fields: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The first ``n`` records of a Hub dataset, mapped to the task's canonical fields.

    Args:
        recipe: The dataset recipe (a study recipe, or one built for an arbitrary id).
        n: How many records.
        split: Override the recipe's split.
        config: Override the recipe's config.
        load_fn: ``datasets.load_dataset`` or a stand-in (tests).
        record_fields: The task's record fields; used to pick columns (with the usual
            aliases) from the first row when ``recipe.fields`` is empty (``hf:<id>``).

    Raises:
        TaskError: the dataset cannot be reached (no network, no cache, gated, removed).
        ConfigError: the dataset lacks a mapped column, or has fewer than ``n`` usable rows.
    """
    load = load_fn or _load_fn()
    split = split or recipe.split
    config = config if config is not None else recipe.config
    where = f"{recipe.hf_id}" + (f" ({config})" if config else "") + f" split {split!r}"
    dataset = _open(load, recipe, config, split, where)
    try:
        category_names = None
        if recipe.converter == "cppe5_objects":
            category_names = _category_names(dataset)
        rows = iter(dataset)
        records: list[dict[str, Any]] = []
        limit = recipe.scan or None
        fields = dict(recipe.fields)
        names: dict[str, tuple[str, ...] | None] = {}
        for i, row in enumerate(itertools.islice(rows, limit)):
            if not fields:
                fields = resolve_columns(recipe.task, record_fields, list(row), None, where)
            if not names:
                names = {fld: _class_names(dataset, col) for fld, col in fields.items()
                         if fld in ("label", "tags")} or {"": None}
            record: dict[str, Any] = dict(recipe.extra)
            for fld, col in fields.items():
                if col not in row:
                    raise ConfigError(f"{where} row {i}: no column {col!r} for {fld!r}; "
                                      f"columns: {', '.join(map(str, row))}")
                record[fld] = row[col]
            if recipe.skip_blank and not str(record.get("text", "")).strip():
                continue
            label_names = recipe.label_names or names.get("label") or names.get("tags")
            if label_names:
                record["label_names"] = label_names
            if recipe.converter in ("cppe5_objects", "visual_genome_objects"):
                record["objects"] = _objects_from(row, recipe.converter, category_names)
            elif recipe.converter == "image_url":
                record["image"] = _fetch_image(str(row["image_url"]))
            records.append(record)
            if len(records) >= n:
                break
    except (ConfigError, TaskError):
        raise
    except Exception as err:  # datasets/hub raise many types: connection, gated, script, 404
        raise TaskError(f"cannot load Hub dataset {where}: {type(err).__name__}: {err}. "
                        "It needs network access to the Hugging Face Hub (or a filled cache); "
                        "offline, use --dataset builtin") from err
    if len(records) < n:
        raise ConfigError(f"{where} gave only {len(records)} usable records; ask for n <= {len(records)}")
    return records
