"""``wattprint tasks``: the tasks, their input recipes, datasets and default models."""

from __future__ import annotations

import argparse
from typing import Any

from wattprint.cli.common import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tasks`` command."""
    p = subparsers.add_parser(
        "tasks", help="list the tasks, their input recipes, datasets and default models",
        description="List the study's ten tasks (and any registered ones): work unit, input "
                    "recipe, generation settings, built-in inputs, the study's datasets and models.")
    p.add_argument("task", nargs="?", help="show only this task id")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def _zoo_defaults() -> dict[str, Any]:
    try:
        from wattprint.backends.zoo import DEFAULT_ZOO_MODELS  # type: ignore[attr-defined]
    except ImportError:
        return {}
    return dict(DEFAULT_ZOO_MODELS)


def _text(info: dict[str, Any]) -> str:
    gen = ", ".join(f"{k}={v}" for k, v in info["generation"].items()) or "none"
    lines = [f"{info['id']}  ({info['modality']}, work unit: {info['work_unit']})",
             f"  recipe:      {info['recipe']}",
             f"  generation:  {gen}"]
    for name, desc in info["builtin_inputs"].items():
        lines.append(f"  input {name}: {desc}")
    for name, d in info["study_datasets"].items():
        where = d["hf_id"] + (f" [{d['config']}]" if d["config"] else "") + f" {d['split']}"
        lines.append(f"  study dataset {name}: {where}" + (f"  ({d['note']})" if d["note"] else ""))
    if info["zoo_default"]:
        lines.append(f"  offline zoo default: {info['zoo_default']}")
    if info["study_models"]:
        lines.append(f"  study models: {', '.join(info['study_models'])}")
    if info["zero_shot_models"]:
        lines.append(f"  zero-shot models: {', '.join(info['zero_shot_models'])}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Handler of ``wattprint tasks``."""
    from wattprint.tasks.catalog import describe_tasks

    infos = describe_tasks(args.task)
    zoo = _zoo_defaults()
    for info in infos:
        info["zoo_default"] = zoo.get(info["id"])
    if args.json:
        print_json(infos)
    else:
        print("\n\n".join(_text(i) for i in infos))
    return 0
